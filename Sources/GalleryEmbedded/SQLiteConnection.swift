import CSQLite
import Foundation
import GalleryCore

/// A value that can be bound to a statement parameter.
public protocol SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32
}

// SQLITE_TRANSIENT is a macro Swift cannot import: it tells SQLite to copy the bytes.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension Int64: SQLiteBindable {
    public func bind(to s: OpaquePointer, at i: Int32) -> Int32 { sqlite3_bind_int64(s, i, self) }
}
extension Int: SQLiteBindable {
    public func bind(to s: OpaquePointer, at i: Int32) -> Int32 { sqlite3_bind_int64(s, i, Int64(self)) }
}
extension Bool: SQLiteBindable {
    public func bind(to s: OpaquePointer, at i: Int32) -> Int32 { sqlite3_bind_int64(s, i, self ? 1 : 0) }
}
extension Double: SQLiteBindable {
    public func bind(to s: OpaquePointer, at i: Int32) -> Int32 { sqlite3_bind_double(s, i, self) }
}
extension String: SQLiteBindable {
    public func bind(to s: OpaquePointer, at i: Int32) -> Int32 {
        var copy = self
        return copy.withUTF8 { sqlite3_bind_text(s, i, $0.baseAddress, Int32($0.count), transient) }
    }
}
extension Data: SQLiteBindable {
    public func bind(to s: OpaquePointer, at i: Int32) -> Int32 {
        // An empty buffer has no base address, which SQLite would store as NULL.
        guard !isEmpty else { return sqlite3_bind_zeroblob(s, i, 0) }
        return withUnsafeBytes { sqlite3_bind_blob(s, i, $0.baseAddress, Int32($0.count), transient) }
    }
}
/// Dates are stored as integer milliseconds since 1970.
extension Date: SQLiteBindable {
    public func bind(to s: OpaquePointer, at i: Int32) -> Int32 { sqlite3_bind_int64(s, i, milliseconds) }
}

extension Date {
    var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(milliseconds ms: Int64) { self.init(timeIntervalSince1970: Double(ms) / 1000) }
}

/// The current row of a query; read columns by index, in the order of the SELECT.
public struct SQLiteRow {
    let statement: OpaquePointer

    public func isNull(_ i: Int32) -> Bool { sqlite3_column_type(statement, i) == SQLITE_NULL }
    public func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(statement, i) }
    public func int(_ i: Int32) -> Int { Int(sqlite3_column_int64(statement, i)) }
    public func optionalInt(_ i: Int32) -> Int? { isNull(i) ? nil : int(i) }
    public func double(_ i: Int32) -> Double { sqlite3_column_double(statement, i) }
    public func optionalDouble(_ i: Int32) -> Double? { isNull(i) ? nil : double(i) }
    public func bool(_ i: Int32) -> Bool { sqlite3_column_int64(statement, i) != 0 }
    public func date(_ i: Int32) -> Date { Date(milliseconds: int64(i)) }
    public func optionalDate(_ i: Int32) -> Date? { isNull(i) ? nil : date(i) }

    public func string(_ i: Int32) -> String {
        guard let text = sqlite3_column_text(statement, i) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, i))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }
    public func optionalString(_ i: Int32) -> String? { isNull(i) ? nil : string(i) }

    public func data(_ i: Int32) -> Data {
        let count = Int(sqlite3_column_bytes(statement, i))
        guard let bytes = sqlite3_column_blob(statement, i), count > 0 else { return Data() }
        return Data(bytes: bytes, count: count)
    }
}

/// One SQLite connection, used by one thread only (see `SQLiteDatabase`). Statements are
/// prepared once per connection and reset and rebound on every use.
public final class SQLiteConnection {
    private(set) var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private var busy: Set<OpaquePointer> = []

    init(path: String, busyTimeout: TimeInterval) throws {
        var db: OpaquePointer?
        // NOMUTEX: a connection never leaves its thread, so SQLite's per-connection mutex
        // would only cost time.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let error = SQLiteConnection.error(rc, db, "open \(path)")
            sqlite3_close_v2(db)
            throw error
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, Int32(busyTimeout * 1000))
        try execute("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
    }

    deinit { close() }

    /// Finalizes every statement and closes. Idempotent.
    func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs one or more statements without parameters (schema, pragmas).
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(message)
            throw SQLiteConnection.error(rc, nil, "exec: \(text)")
        }
    }

    /// Runs a statement and returns how many rows it changed.
    @discardableResult
    public func run(_ sql: String, _ arguments: [SQLiteBindable?] = []) throws -> Int {
        try withStatement(sql, arguments) { statement in
            while try step(statement, sql) {}
            return Int(sqlite3_changes(handle))
        }
    }

    /// Every row, mapped.
    public func query<T>(_ sql: String, _ arguments: [SQLiteBindable?] = [],
                         _ map: (SQLiteRow) throws -> T) throws -> [T] {
        try withStatement(sql, arguments) { statement in
            var rows: [T] = []
            while try step(statement, sql) { rows.append(try map(SQLiteRow(statement: statement))) }
            return rows
        }
    }

    /// The first row, mapped; nil when there is none. The statement runs to completion so
    /// that writes with RETURNING are finished.
    public func queryFirst<T>(_ sql: String, _ arguments: [SQLiteBindable?] = [],
                              _ map: (SQLiteRow) throws -> T) throws -> T? {
        try withStatement(sql, arguments) { statement in
            var first: T?
            while try step(statement, sql) {
                if first == nil { first = try map(SQLiteRow(statement: statement)) }
            }
            return first
        }
    }

    var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    private func withStatement<T>(_ sql: String, _ arguments: [SQLiteBindable?],
                                  _ body: (OpaquePointer) throws -> T) throws -> T {
        let statement: OpaquePointer
        var cached = true
        if let s = statements[sql], !busy.contains(s) {
            statement = s
        } else {
            // Not cached yet, or in use by an enclosing query on this thread (re-entrancy):
            // only the first use is kept for reuse.
            var s: OpaquePointer?
            let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &s, nil)
            guard rc == SQLITE_OK, let s else { throw SQLiteConnection.error(rc, handle, "prepare \(sql)") }
            statement = s
            if statements[sql] == nil { statements[sql] = s } else { cached = false }
        }
        busy.insert(statement)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            busy.remove(statement)
            if !cached { sqlite3_finalize(statement) }
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let rc = argument?.bind(to: statement, at: index) ?? sqlite3_bind_null(statement, index)
            guard rc == SQLITE_OK else { throw SQLiteConnection.error(rc, handle, "bind \(index) of \(sql)") }
        }
        return try body(statement)
    }

    private func step(_ statement: OpaquePointer, _ sql: String) throws -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc: throw SQLiteConnection.error(rc, handle, sql)
        }
    }

    /// Constraint violations are conflicts the caller may turn into a message for a form;
    /// everything else (busy, I/O, corruption, full disk) is the database being unavailable.
    /// How a busy or locked database is reported (`isBusy` recognises it).
    static let busyPrefix = "sqlite: database busy: "

    static func isBusy(_ error: Error) -> Bool {
        if case GalleryError.unavailable(let message)? = error as? GalleryError { return message.hasPrefix(busyPrefix) }
        return false
    }

    static func error(_ rc: Int32, _ db: OpaquePointer?, _ what: String) -> GalleryError {
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        switch rc & 0xff {
        case SQLITE_CONSTRAINT: return .conflict(message)
        case SQLITE_BUSY, SQLITE_LOCKED: return .unavailable(busyPrefix + what)
        default: return .unavailable("sqlite: \(what): \(message)")
        }
    }
}
