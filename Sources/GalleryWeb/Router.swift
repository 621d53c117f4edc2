import GalleryCore
import GalleryHTTP
import GalleryUseCases

/// The `:name` segments of a matched route, by name, with typed accessors that refuse what
/// cannot name anything of ours (as a 404, like any unknown address).
struct RouteParameters {
    private var values: [Substring: String]

    init(_ values: [Substring: String]) { self.values = values }

    subscript(name: Substring) -> String { values[name] ?? "" }

    /// `:id`: one of our ids.
    var id: String { get throws { try Identifiers.checked(self["id"]) } }

    /// `:token`: a share link's token.
    var token: String {
        get throws {
            guard Identifiers.isShareToken(self["token"]) else { throw GalleryError.notFound }
            return self["token"]
        }
    }

    /// `:variant`: which bytes of a photo.
    var variant: MediaVariant {
        get throws {
            guard let variant = MediaVariant(rawValue: self["variant"]) else { throw GalleryError.notFound }
            return variant
        }
    }

    /// `:tag`, as stored (case and normal form do not matter in the address).
    var tag: String {
        get throws {
            guard let tag = Field.normalisedTag(self["tag"]) else { throw GalleryError.notFound }
            return tag
        }
    }

    var username: String { self["username"] }
}

/// Method + path patterns → handlers. Patterns are split once at start-up; a `:name` segment
/// matches any one segment and is handed to the handler by name. Matching walks the routes of
/// the request's first segment only, so the table's size costs nothing per request.
struct Router: Sendable {
    typealias Handler = @Sendable (Context, RouteParameters) throws -> Response

    private struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Substring]
        let handler: Handler
    }

    private var routes: [Substring: [Route]] = [:]

    /// `pattern` like "/images/:id/delete"; GET routes answer HEAD too.
    mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        let segments = pattern.split(separator: "/")
        routes[segments.first ?? "", default: []].append(
            Route(method: method, pattern: pattern, segments: segments, handler: handler))
    }

    enum Match {
        /// `pattern` names the route (for logs and metrics: bounded, unlike paths).
        case found(Handler, RouteParameters, pattern: String)
        /// The path exists, but not for this method (→ 405).
        case wrongMethod(pattern: String)
        case notFound
    }

    func match(method: String, path: String) -> Match {
        let parts = path.split(separator: "/")
        let key = parts.first ?? ""
        var existing: String?
        for route in (routes[key] ?? []) + (routes[":"] ?? []) where route.segments.count == parts.count {
            var values: [Substring: String] = [:]
            var matches = true
            for (pattern, part) in zip(route.segments, parts) {
                if pattern.first == ":" { values[pattern.dropFirst()] = String(part) } else if pattern != part { matches = false; break }
            }
            guard matches else { continue }
            existing = route.pattern
            if route.method == method || (route.method == "GET" && method == "HEAD") {
                return .found(route.handler, RouteParameters(values), pattern: route.pattern)
            }
        }
        return existing.map { .wrongMethod(pattern: $0) } ?? .notFound
    }
}
