/// One page of a list. `next` is an opaque cursor (never an offset): pass it back to get the
/// following page; nil means this was the last one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var next: String?
    public init(items: [Item], next: String?) {
        self.items = items
        self.next = next
    }
}
