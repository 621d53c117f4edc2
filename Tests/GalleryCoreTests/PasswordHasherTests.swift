import Foundation
@testable import GalleryPasswords
import XCTest

/// These run with the production parameters unless a test sets its own: they are what is
/// being tested, and one hash takes tens of milliseconds.
final class PasswordHasherTests: XCTestCase {
    override func setUp() {
        unsetenv("GALLERY_ARGON2_MEMORY_KIB")
        unsetenv("GALLERY_ARGON2_ITERATIONS")
    }

    override func tearDown() {
        unsetenv("GALLERY_ARGON2_MEMORY_KIB")
        unsetenv("GALLERY_ARGON2_ITERATIONS")
    }

    func testHashAndVerify() throws {
        let encoded = try PasswordHasher.hash("correct horse battery staple")
        XCTAssertTrue(encoded.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"), encoded)
        XCTAssertTrue(PasswordHasher.verify("correct horse battery staple", against: encoded))
        XCTAssertFalse(PasswordHasher.verify("correct horse battery stapler", against: encoded))
        XCTAssertFalse(PasswordHasher.verify("", against: encoded))
        XCTAssertFalse(PasswordHasher.needsRehash(encoded))
        XCTAssertNotEqual(try PasswordHasher.hash("correct horse battery staple"), encoded, "a fresh salt each time")
    }

    /// The reference implementation's own test vector (password "password", salt "somesalt",
    /// t=2, m=64 MiB): proves the bytes reach libargon2 unchanged.
    func testVerifiesReferenceVector() {
        let reference = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
        XCTAssertTrue(PasswordHasher.verify("password", against: reference))
        XCTAssertFalse(PasswordHasher.verify("Password", against: reference))
        XCTAssertTrue(PasswordHasher.needsRehash(reference), "other parameters than ours")
    }

    func testRejectsWhatIsNotArgon2id() {
        XCTAssertFalse(PasswordHasher.verify("password", against: ""))
        XCTAssertFalse(PasswordHasher.verify("password", against: "password"))
        XCTAssertFalse(PasswordHasher.verify("password", against: "$2b$12$abcdefghijklmnopqrstuv"))
        // The same reference vector, but for Argon2i: the algorithm is part of the hash.
        XCTAssertFalse(PasswordHasher.verify("password",
            against: "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"))
        XCTAssertTrue(PasswordHasher.needsRehash("$2b$12$abcdefghijklmnopqrstuv"))
        XCTAssertTrue(PasswordHasher.needsRehash("garbage"))
    }

    /// "é" typed as one code point or as "e" + combining accent is the same password.
    func testUnicodeNormalization() throws {
        let encoded = try PasswordHasher.hash("caf\u{e9} au lait!")
        XCTAssertTrue(PasswordHasher.verify("cafe\u{301} au lait!", against: encoded))
    }

    func testEnvironmentOverridesAndRehash() throws {
        setenv("GALLERY_ARGON2_MEMORY_KIB", "64", 1)
        setenv("GALLERY_ARGON2_ITERATIONS", "1", 1)
        let cheap = try PasswordHasher.hash("a password for tests")
        XCTAssertTrue(cheap.hasPrefix("$argon2id$v=19$m=64,t=1,p=1$"), cheap)
        XCTAssertTrue(PasswordHasher.verify("a password for tests", against: cheap))
        XCTAssertFalse(PasswordHasher.needsRehash(cheap))

        unsetenv("GALLERY_ARGON2_MEMORY_KIB")
        unsetenv("GALLERY_ARGON2_ITERATIONS")
        XCTAssertTrue(PasswordHasher.needsRehash(cheap), "weaker than the current parameters")
        XCTAssertTrue(PasswordHasher.verify("a password for tests", against: cheap), "old hashes still verify")

        setenv("GALLERY_ARGON2_MEMORY_KIB", "lots", 1)
        XCTAssertThrowsError(try PasswordHasher.hash("x")) { error in
            XCTAssertTrue("\(error)".contains("GALLERY_ARGON2_MEMORY_KIB"), "\(error)")
        }
    }

    /// The dummy costs about what a real verification costs: an unknown username must not
    /// answer faster than a wrong password.
    func testDummyVerifyTakesAsLongAsVerify() throws {
        let encoded = try PasswordHasher.hash("correct horse battery staple")
        PasswordHasher.dummyVerify("warm-up")  // the first call makes the dummy hash
        func median(_ body: () -> Void) -> TimeInterval {
            var times: [TimeInterval] = []
            for _ in 0..<7 {
                let start = Date()
                body()
                times.append(Date().timeIntervalSince(start))
            }
            return times.sorted()[3]
        }
        let real = median { _ = PasswordHasher.verify("wrong password", against: encoded) }
        let dummy = median { PasswordHasher.dummyVerify("wrong password") }
        XCTAssertGreaterThan(real, 0.002, "the production parameters take real time")
        XCTAssertEqual(dummy / real, 1, accuracy: 0.5, "dummy \(dummy)s, real \(real)s")
    }
}
