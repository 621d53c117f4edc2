import Foundation
import GalleryConformance
import GalleryCore
@testable import GalleryEmbedded
import XCTest

final class SQLiteDatabaseTests: XCTestCase {
    private var fixture: EmbeddedFixture!

    override func setUpWithError() throws {
        fixture = try EmbeddedFixture()
    }

    override func tearDown() {
        fixture = nil
    }

    /// Reopening migrates nothing twice and keeps the data.
    func testReopenIsIdempotent() throws {
        XCTAssertEqual(try fixture.database.schemaVersion(), Schema.migrations.count)
        let profile = Profile(userID: "u1", username: "alice", email: "a@example.com", displayName: "Alice",
                              createdAt: wholeMilliseconds())
        try SQLiteMetadataStore(database: fixture.database).createProfile(profile)
        for _ in 0..<3 {
            let again = try fixture.openAgain()
            XCTAssertEqual(try again.schemaVersion(), Schema.migrations.count)
            XCTAssertEqual(try SQLiteMetadataStore(database: again).profile(userID: "u1"), profile)
        }
    }

    func testNewerSchemaIsRefused() throws {
        try fixture.database.read { try $0.execute("PRAGMA user_version = \(Schema.migrations.count + 1)") }
        assertThrows(.unavailable("")) { try fixture.openAgain() }
    }

    /// Every connection, on every thread, gets the settings (they are per connection).
    func testConnectionSettings() throws {
        let log = ClaimLog()
        let database = fixture.database
        runOnThreads(2) { _ in
            do {
                try database.read { db in
                    log.add(try db.queryFirst("PRAGMA journal_mode") { $0.string(0) } ?? "")
                    log.add("foreign_keys=\(try db.queryFirst("PRAGMA foreign_keys") { $0.int(0) } ?? -1)")
                    log.add("synchronous=\(try db.queryFirst("PRAGMA synchronous") { $0.int(0) } ?? -1)")
                    log.add("busy_timeout=\(try db.queryFirst("PRAGMA busy_timeout") { $0.int(0) } ?? -1)")
                }
            } catch {
                log.fail(error)
            }
        }
        XCTAssertEqual(log.errors.count, 0)
        XCTAssertEqual(log.ids.sorted(), ["busy_timeout=5000", "busy_timeout=5000", "foreign_keys=1", "foreign_keys=1",
                                          "synchronous=1", "synchronous=1", "wal", "wal"])
    }

    /// One connection per thread, reused; a thread's connection is closed when it exits.
    func testConnectionPerThread() throws {
        let database = fixture.database
        XCTAssertEqual(database.openConnectionCount, 1, "the opening thread's")
        let first = try database.connection()
        XCTAssertTrue(first === (try database.connection()), "the same thread gets the same connection")
        let seen = ObjectLog()
        runOnThreads(4) { _ in
            do {
                let c = try database.connection()
                XCTAssertTrue(c === (try database.connection()))
                _ = try database.read { try $0.queryFirst("SELECT COUNT(*) FROM jobs") { $0.int(0) } }
                seen.add(c)  // kept alive here, so that no two can share an address
            } catch {
                XCTFail("\(error)")
            }
        }
        let connections = seen.objects
        XCTAssertEqual(connections.count, 4)
        XCTAssertEqual(Set(connections.map(ObjectIdentifier.init)).count, 4, "each thread its own connection")
        XCTAssertFalse(connections.contains { $0 === first })
        // Thread-local destructors run as the threads finish, just after they signalled us.
        let deadline = Date().addingTimeInterval(5)
        while database.openConnectionCount > 1 && Date() < deadline { usleep(1000) }
        XCTAssertEqual(database.openConnectionCount, 1, "exited threads closed their connections")
    }

    /// Dropping the database closes every connection it opened, on whatever thread. (A file
    /// of its own: SQLite keeps a closed connection's descriptor open while another
    /// connection of the process holds a lock on the same file, and reuses it later.)
    func testDeinitClosesTheFile() throws {
        let file = fixture.directory.appendingPathComponent("alone.sqlite3")
        let box = UncheckedBox<SQLiteDatabase?>(try SQLiteDatabase(file: file))
        let held = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let thread = Thread {
            var answer: Int?
            do {
                answer = try box.value?.read { try $0.queryFirst("SELECT 1") { $0.int(0) } }
            } catch {
                XCTFail("\(error)")
            }
            XCTAssertEqual(answer, 1)
            held.signal()
            release.wait()  // the thread lives on, with the connection in its thread-local storage
        }
        thread.start()
        held.wait()
        XCTAssertEqual(openDescriptors(of: file.path), 2, "this thread's and the other thread's")
        box.value = nil
        XCTAssertEqual(openDescriptors(of: file.path), 0, "both closed with the database")
        release.signal()
    }

    func testBusyBecomesUnavailable() throws {
        let impatient = try fixture.openAgain(busyTimeout: 0.1)
        try fixture.database.write { _ in
            assertThrows(.unavailable("")) {
                try impatient.write { try $0.run("DELETE FROM jobs") }
            }
        }
        try impatient.write { try $0.run("DELETE FROM jobs") }  // free again
        do {
            try fixture.database.write { _ in try impatient.write { try $0.run("DELETE FROM jobs") } }
        } catch GalleryError.unavailable(let message) {
            XCTAssertTrue(message.hasPrefix("sqlite: database busy"), message)
        }
    }

    func testConstraintBecomesConflict() throws {
        try fixture.database.read { try $0.run("INSERT INTO sessions VALUES ('h', 'u', 0, 0, 0, NULL, '')") }
        assertThrows(.conflict("")) {
            try fixture.database.read { try $0.run("INSERT INTO sessions VALUES ('h', 'u', 0, 0, 0, NULL, '')") }
        }
    }

    func testWriteRollsBackWhenBodyThrows() throws {
        struct Oops: Error {}
        XCTAssertThrowsError(try fixture.database.write { db in
            try db.run("INSERT INTO sessions VALUES ('h', 'u', 0, 0, 0, NULL, '')")
            throw Oops()
        })
        XCTAssertEqual(try fixture.database.read { try $0.queryFirst("SELECT COUNT(*) FROM sessions") { $0.int(0) } }, 0)
        // The connection is usable afterwards, outside any transaction.
        try fixture.database.read { try $0.run("INSERT INTO sessions VALUES ('h', 'u', 0, 0, 0, NULL, '')") }
        XCTAssertFalse(try fixture.database.connection().inTransaction)
    }

    /// A cached statement in use by an enclosing query is not reset under it.
    func testNestedUseOfTheSameStatement() throws {
        let db = fixture.database
        for i in 0..<3 { try db.read { try $0.run("INSERT INTO sessions VALUES (?, 'u', 0, 0, 0, NULL, '')", ["h\(i)"]) } }
        let sql = "SELECT id_hash FROM sessions ORDER BY id_hash"
        let pairs = try db.read { conn in
            try conn.query(sql) { row in (row.string(0), try conn.query(sql) { $0.string(0) }.count) }
        }
        XCTAssertEqual(pairs.map(\.0), ["h0", "h1", "h2"])
        XCTAssertEqual(pairs.map(\.1), [3, 3, 3])
    }

    func testValuesRoundTrip() throws {
        let db = fixture.database
        try db.read { try $0.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)") }
        let blob = Data([0, 1, 2, 255])
        try db.read { try $0.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [Int64.min, 0.1, "naïve \u{1F4F7}\0x", blob, nil]) }
        try db.read { try $0.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [Int.max, -1.5, "", Data(), Optional<String>.none]) }
        let rows = try db.read {
            try $0.query("SELECT i, r, s, b, n FROM t ORDER BY rowid") { ($0.int64(0), $0.double(1), $0.string(2), $0.data(3), $0.optionalString(4), $0.isNull(3)) }
        }
        XCTAssertEqual(rows[0].0, Int64.min)
        XCTAssertEqual(rows[0].1, 0.1)
        XCTAssertEqual(rows[0].2, "naïve \u{1F4F7}\0x", "embedded NUL and 4-byte UTF-8 survive")
        XCTAssertEqual(rows[0].3, blob)
        XCTAssertNil(rows[0].4)
        XCTAssertEqual(rows[1].0, Int64(Int.max))
        XCTAssertEqual(rows[1].2, "")
        XCTAssertEqual(rows[1].3, Data())
        XCTAssertFalse(rows[1].5, "an empty blob is not NULL")
    }

    /// Descriptors of this process open on `path`.
    private func openDescriptors(of path: String) -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path }.count
    }
}

private final class ObjectLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _objects: [AnyObject] = []
    func add(_ object: AnyObject) { lock.lock(); _objects.append(object); lock.unlock() }
    var objects: [AnyObject] { lock.lock(); defer { lock.unlock() }; return _objects }
}

private final class UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// The responder and a worker opening a database file that does not exist yet, at the same
/// instant: both must come up (SQLite answers the second journal-mode change busy at once).
final class SQLiteFirstOpenTests: XCTestCase {
    func testTwoOpenersOfANewFileBothSucceed() throws {
        for round in 0..<30 {
            let directory = try makeTemporaryDirectory("gallery-first-open")
            defer { try? FileManager.default.removeItem(at: directory) }  // test scratch
            let file = directory.appendingPathComponent("gallery-\(round).sqlite3")
            let failures = UncheckedBox<[String]>([])
            let lock = NSLock()
            DispatchQueue.concurrentPerform(iterations: 3) { _ in
                do {
                    _ = try SQLiteDatabase(file: file)
                } catch {
                    lock.withLock { failures.value.append("\(error)") }
                }
            }
            XCTAssertEqual(failures.value, [], "round \(round)")
        }
    }
}
