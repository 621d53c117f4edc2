import Foundation
import GalleryCore
import GalleryCrypto

/// The position after the last item of a page: its sort key (`DynamoTime.sortKey`, time then
/// id), opaque to callers as base64url. It is the `LastEvaluatedKey` DynamoDB would return
/// for a page of exactly that size, minus the partition, which the next call supplies
/// itself (a cursor cannot move a query into another owner's partition).
enum PageCursor {
    static func encode(_ sortKey: String) -> String { Encoding.base64URL(Array(sortKey.utf8)) }

    static func decode(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard text.count <= 400, let bytes = Encoding.base64URLDecode(text), let key = String(bytes: bytes, encoding: .utf8),
              let hash = key.firstIndex(of: "#"), key.distance(from: key.startIndex, to: hash) == 15,
              key[..<hash].allSatisfy(\.isASCII), key[..<hash].allSatisfy(\.isNumber),
              key.index(after: hash) < key.endIndex else {
            throw GalleryError.invalid("bad page cursor")
        }
        return key
    }

    /// The id part of a sort key.
    static func id(of sortKey: String) -> String {
        sortKey.firstIndex(of: "#").map { String(sortKey[sortKey.index(after: $0)...]) } ?? sortKey
    }

    /// A page of items fetched with `limit + 1` (`Page.cut`).
    static func page<T: Sendable>(_ items: [T], limit: Int, sortKey: (T) -> String) -> Page<T> {
        Page.cut(items, limit: limit) { encode(sortKey($0)) }
    }
}
