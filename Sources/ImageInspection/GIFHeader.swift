import GalleryCore

/// A GIF's logical screen size. Frames must lie inside the screen (libgd refuses others), so
/// this bounds every frame; libgd's decoded image has the first frame's size, which may be
/// smaller.
enum GIFHeader {
    static func dimensions(_ source: inout some HeaderSource) throws -> (width: Int, height: Int) {
        let signature = String(decoding: try source.read(6), as: UTF8.self)
        guard signature == "GIF87a" || signature == "GIF89a" else { throw GalleryError.invalid("not a GIF file") }
        let screen = try source.read(4)
        let width = Int(screen[0]) | Int(screen[1]) << 8
        let height = Int(screen[2]) | Int(screen[3]) << 8
        guard width > 0, height > 0 else { throw GalleryError.invalid("GIF header gives size \(width)×\(height)") }
        return (width, height)
    }
}
