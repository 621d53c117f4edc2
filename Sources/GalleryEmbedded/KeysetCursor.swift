import Foundation
import GalleryCore
import GalleryCrypto

/// The position after the last item of a page: (created_at ms, id), opaque to callers as
/// base64url. The next page is the rows strictly before it in (created_at DESC, id DESC)
/// order, so rows inserted or deleted meanwhile never shift a page (no OFFSET).
struct KeysetCursor: Equatable {
    var createdAt: Int64
    var id: String

    /// Before every row: the first page.
    static let start = KeysetCursor(createdAt: .max, id: "")

    var encoded: String { Encoding.base64URL(Array("\(createdAt):\(id)".utf8)) }

    /// `.start` for nil; `.invalid` for anything this type did not encode.
    static func decode(_ text: String?) throws -> KeysetCursor {
        guard let text else { return .start }
        guard text.count <= 200, let bytes = Encoding.base64URLDecode(text),
              let plain = String(bytes: bytes, encoding: .utf8),
              let colon = plain.firstIndex(of: ":"),
              let ms = Int64(plain[..<colon]) else {
            throw GalleryError.invalid("bad page cursor")
        }
        return KeysetCursor(createdAt: ms, id: String(plain[plain.index(after: colon)...]))
    }


    /// A page of `rows` fetched with LIMIT limit + 1 (`Page.cut`).
    static func page<T: Sendable>(_ rows: [T], limit: Int, key: (T) -> KeysetCursor) -> Page<T> {
        Page.cut(rows, limit: limit) { key($0).encoded }
    }
}
