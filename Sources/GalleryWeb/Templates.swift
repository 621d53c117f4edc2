import Foundation
import Mustache

/// The Mustache templates, parsed once at start-up. HTML escaping is on for every `{{value}}`;
/// templates use `{{{…}}}` only for values the code built as HTML-safe.
public final class Templates: @unchecked Sendable {
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
        guard let html = library.render(context, withTemplate: name) else {
            // Only reachable if a handler names a template that does not exist: a programming
            // error that the test suite's page walk catches.
            return "<!doctype html><title>Error</title><p>Missing template \(name)."
        }
        return html
    }
}
