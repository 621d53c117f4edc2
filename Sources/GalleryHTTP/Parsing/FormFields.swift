/// The text fields of a form or query string: names may repeat and order is kept, because
/// forms send checkboxes and multi-selects as repeated names.
public struct FormFields: Sendable, Equatable {
    public private(set) var pairs: [(name: String, value: String)] = []

    public init() {}

    public mutating func append(_ name: String, _ value: String) {
        pairs.append((name, value))
    }

    public func first(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    public func all(_ name: String) -> [String] {
        pairs.compactMap { $0.name == name ? $0.value : nil }
    }

    public var isEmpty: Bool { pairs.isEmpty }
    public var count: Int { pairs.count }

    public static func == (a: FormFields, b: FormFields) -> Bool {
        a.pairs.elementsEqual(b.pairs) { $0.name == $1.name && $0.value == $1.value }
    }
}
