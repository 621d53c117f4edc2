import CSQLite
import Foundation
import GalleryCore

/// One SQLite database file shared by every thread of a process (and by other processes).
///
/// Each thread gets its own connection on first use, kept in thread-local storage with its
/// prepared statements: threads never wait on each other inside the process, and SQLite's
/// WAL mode lets readers run beside the one writer. The file is opened in WAL mode with
/// `synchronous = NORMAL` (a commit survives a process crash; only a power cut can lose the
/// last commits, never corrupt the file), foreign keys on, and a busy timeout so that writers
/// queue instead of failing. The schema is migrated once, when the database is opened.
public final class SQLiteDatabase: @unchecked Sendable {  // @unchecked: `connections` is guarded by `lock`; each connection is its thread's own
    public let path: String
    public let busyTimeout: TimeInterval

    /// Every connection opened for this database, so that they are closed with it.
    private let lock = NSLock()
    private var connections: [ObjectIdentifier: SQLiteConnection] = [:]

    public init(file: URL, busyTimeout: TimeInterval = 5) throws {
        path = file.path
        self.busyTimeout = busyTimeout
        guard sqlite3_threadsafe() != 0 else {
            throw GalleryError.unavailable("sqlite: library built without thread support")
        }
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
        } catch {
            throw GalleryError.unavailable("sqlite: cannot create the directory of \(path): \(error.localizedDescription)")
        }
        let connection = try self.connection()
        // journal_mode is a property of the file, not of the connection: set once here. Two
        // processes opening a new file at once (responder and worker) can meet here, and SQLite
        // answers busy at once rather than wait (a lock upgrade that could deadlock): try again.
        var mode: String?
        let giveUp = Date().addingTimeInterval(busyTimeout)
        while true {
            do {
                mode = try connection.queryFirst("PRAGMA journal_mode = WAL") { $0.string(0) }
                break
            } catch where SQLiteConnection.isBusy(error) && Date() < giveUp {
                usleep(20_000)
            }
        }
        guard mode?.lowercased() == "wal" else {
            throw GalleryError.unavailable("sqlite: \(path) cannot use WAL mode (got \(mode ?? "nothing"))")
        }
        try migrate(connection)
    }

    deinit {
        // No method is running (each holds a reference to self), so no connection is in use.
        lock.lock()
        for connection in connections.values { connection.close() }
        connections.removeAll()
        lock.unlock()
    }

    /// The schema version of the file (`PRAGMA user_version`).
    public func schemaVersion() throws -> Int {
        try read { try $0.queryFirst("PRAGMA user_version") { $0.int(0) } ?? 0 }
    }

    /// Runs `body` on this thread's connection, outside any explicit transaction: each
    /// statement is its own transaction. Use for reads and for single-statement writes.
    @discardableResult
    public func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try body(connection())
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so
    /// the statements in it see and change one consistent state, and a concurrent writer
    /// waits (busy timeout) instead of failing halfway. Commits when `body` returns, rolls
    /// back when it throws. Nested calls join the outer transaction.
    @discardableResult
    public func write<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let connection = try connection()
        if connection.inTransaction { return try body(connection) }
        try connection.run("BEGIN IMMEDIATE")
        do {
            let result = try body(connection)
            try connection.run("COMMIT")
            return result
        } catch {
            // The transaction may already be gone (SQLite rolls back on some errors); the
            // original error is the one worth reporting.
            if connection.inTransaction { _ = try? connection.run("ROLLBACK") }
            throw error
        }
    }

    private func migrate(_ connection: SQLiteConnection) throws {
        try write { db in
            let version = try db.queryFirst("PRAGMA user_version") { $0.int(0) } ?? 0
            guard version <= Schema.migrations.count else {
                throw GalleryError.unavailable(
                    "sqlite: \(path) has schema version \(version), newer than this program (\(Schema.migrations.count))")
            }
            for (index, sql) in Schema.migrations.enumerated() where index >= version {
                try db.execute(sql)
                try Schema.backfills[index]?(db)
            }
            if version < Schema.migrations.count {
                try db.execute("PRAGMA user_version = \(Schema.migrations.count)")
            }
        }
    }

    // MARK: Thread-local connections

    /// This thread's connection to this database, opened on first use.
    func connection() throws -> SQLiteConnection {
        let local = ThreadConnections.current
        let id = ObjectIdentifier(self)
        // The identity check matters: a new database may reuse a freed one's address.
        if let entry = local.entries[id], entry.database === self { return entry.connection }
        let connection = try SQLiteConnection(path: path, busyTimeout: busyTimeout)
        lock.lock()
        connections[ObjectIdentifier(connection)] = connection
        lock.unlock()
        local.entries = local.entries.filter { $0.value.database != nil }
        local.entries[id] = .init(database: self, connection: connection)
        return connection
    }

    /// How many threads hold a connection now (threads that exited closed theirs).
    var openConnectionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return connections.count
    }

    /// Called when a thread exits: its connection is closed and forgotten.
    fileprivate func detach(_ connection: SQLiteConnection) {
        lock.lock()
        connections[ObjectIdentifier(connection)] = nil
        lock.unlock()
        connection.close()
    }
}

/// The connections of one thread, one per database, released when the thread exits.
private final class ThreadConnections {
    struct Entry {
        weak var database: SQLiteDatabase?
        let connection: SQLiteConnection
    }
    var entries: [ObjectIdentifier: Entry] = [:]

    deinit {
        for entry in entries.values { entry.database?.detach(entry.connection) }
    }

    static var current: ThreadConnections {
        if let raw = pthread_getspecific(threadKey) {
            return Unmanaged<ThreadConnections>.fromOpaque(raw).takeUnretainedValue()
        }
        let local = ThreadConnections()
        pthread_setspecific(threadKey, Unmanaged.passRetained(local).toOpaque())
        return local
    }
}

/// One key for the whole process, never deleted: a deleted key's number can be handed out
/// again while other threads still hold values under it.
private let threadKey: pthread_key_t = {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key) { raw in
        guard let raw else { return }
        Unmanaged<ThreadConnections>.fromOpaque(raw).release()
    }
    precondition(rc == 0, "pthread_key_create failed: \(rc)")  // only when the process is out of keys
    return key
}()
