/// Method + path patterns → handlers. Patterns are split once at start-up; a `:name` segment
/// matches any one segment and is handed to the handler in order. Matching walks the routes
/// of the request's first segment only, so the table's size costs nothing per request.
struct Router {
    typealias Handler = (Context, [String]) throws -> Response

    private struct Route {
        let method: String
        let segments: [Substring]
        let handler: Handler
    }

    private var routes: [Substring: [Route]] = [:]

    /// `pattern` like "/images/:id/delete"; GET routes answer HEAD too.
    mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        let segments = pattern.split(separator: "/")
        routes[segments.first ?? "", default: []].append(Route(method: method, segments: segments, handler: handler))
    }

    enum Match {
        case found(Handler, [String])
        /// The path exists, but not for this method (→ 405).
        case wrongMethod
        case notFound
    }

    func match(method: String, path: String) -> Match {
        let parts = path.split(separator: "/")
        let key = parts.first ?? ""
        var pathExists = false
        for route in (routes[key] ?? []) + (routes[":"] ?? []) where route.segments.count == parts.count {
            var values: [String] = []
            var matches = true
            for (pattern, part) in zip(route.segments, parts) {
                if pattern.first == ":" { values.append(String(part)) } else if pattern != part { matches = false; break }
            }
            guard matches else { continue }
            pathExists = true
            if route.method == method || (route.method == "GET" && method == "HEAD") {
                return .found(route.handler, values)
            }
        }
        return pathExists ? .wrongMethod : .notFound
    }
}
