import Foundation
import GalleryHTTP
import Mustache

/// The Mustache templates, parsed once at start-up. HTML escaping is on for every `{{value}}`;
/// templates use `{{{…}}}` only for values the code built as HTML-safe.
public final class Templates: @unchecked Sendable {  // @unchecked: the library is only read after init (swift-mustache's types are not Sendable)
    private let library: MustacheLibrary

    public init(directory: URL) throws {
        var library = MustacheLibrary()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".mustache") }
        guard !files.isEmpty else {
            throw GalleryWebError.templates("no .mustache files in \(directory.path)")
        }
        for file in files.sorted() {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            do {
                try library.register(text, named: String(file.dropLast(".mustache".count)))
            } catch {
                throw GalleryWebError.templates("\(file): \(error)")
            }
        }
        self.library = library
    }

    public func render(_ name: String, _ context: [String: Any]) -> String {
        guard let html = library.render(Self.withoutNils(context), withTemplate: name) else {
            // Only reachable if a handler names a template that does not exist: a programming
            // error that the test suite's page walk catches.
            return "<!doctype html><title>Error</title><p>Missing template \(name)."
        }
        return html
    }

    /// Handlers put optionals in page data (`"error": error as Any`); Mustache would render a
    /// boxed `nil` as the text "nil" and open its section. Absent keys are what templates mean.
    /// Casts only to concrete types: a cast to a protocol is a conformance lookup, which the
    /// Swift runtime here often repeats in full (a scan of every conformance record).
    static func withoutNils(_ context: [String: Any]) -> [String: Any] {
        var clean: [String: Any] = [:]
        clean.reserveCapacity(context.count)
        for (key, value) in context {
            // `as? Any?` sees through an Optional boxed in `Any` (and wraps anything else).
            guard case .some(let wrapped?) = value as? Any? else { continue }
            clean[key] = cleaned(wrapped)
        }
        return clean
    }

    private static func cleaned(_ value: Any) -> Any {
        if value is [Tile] { return value }  // typed: nothing optional inside
        if let dictionary = value as? [String: Any] { return withoutNils(dictionary) }
        if let list = value as? [[String: Any]] { return list.map(withoutNils) }
        return value
    }
}
