/// `application/x-www-form-urlencoded` bodies and query strings (WHATWG URL §5): `&` separates
/// pairs, the first `=` splits name from value, `+` is a space, `%XX` a byte. Unlike browsers,
/// which repair bad input silently, a bad escape or bytes that are not UTF-8 refuse the whole
/// input: nothing that reaches a handler has been guessed at.
public enum URLEncoded {
    public static func parse(_ bytes: [UInt8], maxFields: Int = 200) throws -> FormFields {
        try bytes.withUnsafeBufferPointer { try parse(buffer: $0, maxFields: maxFields) }
    }

    /// Also used for `QUERY_STRING`.
    public static func parse(_ string: String, maxFields: Int = 200) throws -> FormFields {
        var string = string
        return try string.withUTF8 { try parse(buffer: $0, maxFields: maxFields) }
    }

    static func parse(buffer: UnsafeBufferPointer<UInt8>, maxFields: Int) throws -> FormFields {
        var fields = FormFields()
        var start = 0
        while start < buffer.count {
            var end = start
            while end < buffer.count && buffer[end] != UInt8(ascii: "&") { end += 1 }
            if end > start {  // "a=1&&b=2" and a trailing "&" carry no field
                guard fields.count < maxFields else {
                    throw ParseError.tooLarge("The form has more than \(maxFields) fields.")
                }
                var equals = start
                while equals < end && buffer[equals] != UInt8(ascii: "=") { equals += 1 }
                let name = try decode(buffer[start..<equals])
                let value = equals < end ? try decode(buffer[(equals + 1)..<end]) : ""
                fields.append(name, value)
            }
            start = end + 1
        }
        return fields
    }

    private static func decode(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) throws -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "+"):
                out.append(UInt8(ascii: " "))
                i += 1
            case UInt8(ascii: "%"):
                guard i + 2 < bytes.endIndex, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2]) else {
                    throw ParseError.malformed("A form field has a bad %-escape.")
                }
                out.append(high << 4 | low)
                i += 3
            default:
                out.append(b)
                i += 1
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw ParseError.malformed("A form field is not valid UTF-8.")
        }
        return text
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
