import Foundation

/// A DynamoDB attribute value as the JSON protocol writes it (`{"S": "…"}`, `{"N": "12"}`, …).
public indirect enum AttributeValue: Equatable, Sendable {
    case s(String)
    /// Numbers travel as decimal strings, exactly.
    case n(String)
    case b(Data)
    case bool(Bool)
    case null
    case l([AttributeValue])
    case m([String: AttributeValue])
    case ss([String])
    case ns([String])

    public static func int<I: BinaryInteger>(_ value: I) -> AttributeValue { .n(String(value)) }
    public static func double(_ value: Double) -> AttributeValue { .n("\(value)") }
    /// Times are whole milliseconds since 1970, like the embedded store keeps them.
    public static func milliseconds(_ date: Date) -> AttributeValue { .int(DynamoTime.milliseconds(date)) }

    public var string: String? { if case .s(let v) = self { return v }; return nil }
    public var int: Int? { if case .n(let v) = self { return Int(v) }; return nil }
    public var double: Double? { if case .n(let v) = self { return Double(v) }; return nil }
    public var date: Date? { int.map { DynamoTime.date(milliseconds: Int64($0)) } }
    public var bool: Bool? { if case .bool(let v) = self { return v }; return nil }
    public var map: [String: AttributeValue]? { if case .m(let v) = self { return v }; return nil }

    var json: [String: Any] {
        switch self {
        case .s(let v): return ["S": v]
        case .n(let v): return ["N": v]
        case .b(let v): return ["B": v.base64EncodedString()]
        case .bool(let v): return ["BOOL": v]
        case .null: return ["NULL": true]
        case .l(let v): return ["L": v.map(\.json)]
        case .m(let v): return ["M": v.mapValues(\.json)]
        case .ss(let v): return ["SS": v]
        case .ns(let v): return ["NS": v]
        }
    }

    init(json: Any) throws {
        guard let object = json as? [String: Any], object.count == 1, let (type, value) = object.first else {
            throw DynamoDecodingError("not an attribute value: \(json)")
        }
        switch (type, value) {
        case ("S", let v as String): self = .s(v)
        case ("N", let v as String): self = .n(v)
        case ("B", let v as String):
            guard let data = Data(base64Encoded: v) else { throw DynamoDecodingError("B is not base64") }
            self = .b(data)
        case ("BOOL", let v as Bool): self = .bool(v)
        case ("BOOL", let v as NSNumber): self = .bool(v.boolValue)
        case ("NULL", _): self = .null
        case ("L", let v as [Any]): self = .l(try v.map(AttributeValue.init(json:)))
        case ("M", let v as [String: Any]): self = .m(try v.mapValues(AttributeValue.init(json:)))
        case ("SS", let v as [String]): self = .ss(v)
        case ("NS", let v as [String]): self = .ns(v)
        default: throw DynamoDecodingError("unknown attribute type \(type)")
        }
    }
}

public typealias DynamoItem = [String: AttributeValue]

struct DynamoDecodingError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Dictionary where Key == String, Value == AttributeValue {
    var json: [String: Any] { mapValues(\.json) }

    init(json: Any?) throws {
        guard let object = json as? [String: Any] else { throw DynamoDecodingError("not an item") }
        self = try object.mapValues(AttributeValue.init(json:))
    }

    /// A required string attribute; a missing one means the item was not written by us.
    func string(_ name: String) throws -> String {
        guard let value = self[name]?.string else { throw DynamoDecodingError("item lacks string \(name)") }
        return value
    }

    func int(_ name: String) throws -> Int {
        guard let value = self[name]?.int else { throw DynamoDecodingError("item lacks number \(name)") }
        return value
    }

    func date(_ name: String) throws -> Date {
        guard let value = self[name]?.date else { throw DynamoDecodingError("item lacks time \(name)") }
        return value
    }
}

/// Whole milliseconds since 1970, and the sort keys made of them.
enum DynamoTime {
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
    static func epochSeconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.up)) }

    /// "000001767225600000#<id>": sorts by time, then id, as a string (newest first when read
    /// backwards). Fifteen digits cover every date until the year 33658.
    static func sortKey(_ date: Date, id: String) -> String {
        String(format: "%015lld#", max(0, milliseconds(date))) + id
    }
}
