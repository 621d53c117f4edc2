/// Method + path patterns → handlers. Patterns are split once at start-up; a `:name` segment
/// matches any one segment and is handed to the handler in order. Matching walks the routes
/// of the request's first segment only, so the table's size costs nothing per request.
struct Router {
    typealias Handler = (Context, [String]) throws -> Response

    private struct Route {
        let method: String
        let pattern: String
        let segments: [Substring]
        let handler: Handler
    }

    private var routes: [Substring: [Route]] = [:]

    /// `pattern` like "/images/:id/delete"; GET routes answer HEAD too.
    mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        let segments = pattern.split(separator: "/")
        routes[segments.first ?? "", default: []].append(Route(method: method, pattern: pattern, segments: segments,
                                                               handler: handler))
    }

    /// `pattern` is the route's, never the path: it names the route in metrics.
    enum Match {
        case found(Handler, [String], pattern: String)
        /// The path exists, but not for this method (→ 405).
        case wrongMethod(pattern: String)
        case notFound
    }

    func match(method: String, path: String) -> Match {
        let parts = path.split(separator: "/")
        let key = parts.first ?? ""
        var existing: String?
        for route in (routes[key] ?? []) + (routes[":"] ?? []) where route.segments.count == parts.count {
            var values: [String] = []
            var matches = true
            for (pattern, part) in zip(route.segments, parts) {
                if pattern.first == ":" { values.append(String(part)) } else if pattern != part { matches = false; break }
            }
            guard matches else { continue }
            existing = route.pattern
            if route.method == method || (route.method == "GET" && method == "HEAD") {
                return .found(route.handler, values, pattern: route.pattern)
            }
        }
        return existing.map { .wrongMethod(pattern: $0) } ?? .notFound
    }
}
