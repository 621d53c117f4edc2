import Foundation
@testable import GalleryCrypto
import GalleryTestSupport
import XCTest

final class FernetTests: XCTestCase {
    // The published test vectors of https://github.com/fernet/spec (generate.json, verify.json,
    // invalid.json at commit 20dead475f53f11d20592baf29ad697163afc0cd), copied as literals.
    static let specSecret = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
    static let specToken = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="
    static let specInvalid: [(desc: String, token: String)] = [
        ("incorrect mac", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykQUFBQUFBQUFBQQ=="),
        ("too short", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPA=="),
        ("invalid base64", "%%%%%%%%%%%%%AECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q=="),
        ("payload size not multiple of block size", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPOm73QeoCk9uGib28Xe5vz6oxq5nmxbx_v7mrfyudzUm"),
        ("payload padding error", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0ODz4LEpdELGQAad7aNEHbf-JkLPIpuiYRLQ3RtXatOYREu2FWke6CnJNYIbkuKNqOhw=="),
        ("incorrect IV (causes padding error)", "gAAAAAAdwJ6xBQECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAkLhFLHpGtDBRLRTZeUfWgHSv49TF2AUEZ1TIvcZjK1zQ=="),
    ]
    /// invalid.json cases that fail only a TTL or clock-skew check. Tokens here never expire (an
    /// encrypted photo is opened whenever its owner brings the key), so like Python's
    /// Fernet.decrypt without a ttl they open, to an empty message.
    static let specTimeOnly: [(desc: String, token: String)] = [
        ("far-future TS (unacceptable clock skew)", "gAAAAAAdwStRAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAnja1xKYyhd-Y6mSkTOyTGJmw2Xc2a6kBd-iX9b_qXQcw=="),
        ("expired TTL", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q=="),
    ]

    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fernet-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    // MARK: Spec vectors

    func testSpecGenerateVector() throws {
        let now = try XCTUnwrap(ISO8601DateFormatter().date(from: "1985-10-26T01:20:00-07:00"))
        let token = try Fernet.encrypt(Array("hello".utf8), key: Self.specSecret, now: now, iv: Array(0..<16))
        XCTAssertEqual(token, Self.specToken)
        // The same through small, odd chunk sizes: the streaming code must not depend on them.
        for chunk in [1, 2, 3, 5, 7] {
            XCTAssertEqual(try Fernet.encrypt(Array("hello".utf8), key: Self.specSecret, now: now,
                                              iv: Array(0..<16), chunk: chunk), Self.specToken, "chunk \(chunk)")
        }
    }

    func testSpecVerifyVector() throws {
        XCTAssertEqual(try Fernet.decrypt(Self.specToken, key: Self.specSecret), Array("hello".utf8))
        for chunk in [1, 2, 3, 4, 5, 7, 33] {
            XCTAssertEqual(try Fernet.decrypt(Self.specToken, key: Self.specSecret, chunk: chunk), Array("hello".utf8))
        }
    }

    func testSpecInvalidVectors() throws {
        for (desc, token) in Self.specInvalid {
            XCTAssertThrowsError(try Fernet.decrypt(token, key: Self.specSecret), desc) { error in
                XCTAssertEqual(error as? FernetError, .invalidToken, desc)
            }
            let file = try write(token, to: "invalid.token")
            let out = directory.appendingPathComponent("invalid.out")
            XCTAssertThrowsError(try Fernet.decrypt(file: file, to: out, key: Self.specSecret), desc) { error in
                XCTAssertEqual(error as? FernetError, .invalidToken, desc)
            }
            try assertOnly([file], desc)
        }
        for (desc, token) in Self.specTimeOnly {
            XCTAssertEqual(try Fernet.decrypt(token, key: Self.specSecret), [], desc)
        }
    }

    // MARK: Round trips

    func testRoundTripsAtBlockBoundaries() throws {
        let key = Fernet.generateKey()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        for length in [0, 1, 15, 16, 17, 31, 32, 33, 1000] {
            let message = SecureRandom.bytes(length)
            let token = try Fernet.encrypt(message, key: key)
            // version ‖ timestamp ‖ IV ‖ whole blocks (always at least one, for the padding) ‖ MAC
            let rawLength = 1 + 8 + 16 + (length / 16 + 1) * 16 + 32
            XCTAssertEqual(token.count, (rawLength + 2) / 3 * 4, "length \(length)")
            XCTAssertTrue(token.hasPrefix("gAAAAA"), "version 0x80 and a 64-bit timestamp")
            XCTAssertEqual(try Fernet.decrypt(token, key: key), message, "length \(length)")
            for chunk in [1, 3, 4, 16, 17] {
                XCTAssertEqual(try Fernet.encrypt(message, key: key, now: now, iv: Array(0..<16), chunk: chunk),
                               try Fernet.encrypt(message, key: key, now: now, iv: Array(0..<16)), "length \(length), chunk \(chunk)")
                XCTAssertEqual(try Fernet.decrypt(token, key: key, chunk: chunk), message, "length \(length), chunk \(chunk)")
            }
        }
    }

    func testTokenLayout() throws {
        let key = Fernet.generateKey()
        let now = Date(timeIntervalSince1970: 1_700_000_000.9)
        let token = try Fernet.encrypt(Array("x".utf8), key: key, now: now)
        XCTAssertTrue(token.hasSuffix("="), "padded, as Python writes tokens")
        let raw = try XCTUnwrap(Encoding.base64URLDecode(token))
        XCTAssertEqual(raw[0], 0x80)
        XCTAssertEqual(raw[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }, 1_700_000_000, "whole seconds, big-endian")
        XCTAssertNotEqual(try Fernet.encrypt(Array("x".utf8), key: key, now: now), token, "a fresh IV each time")
    }

    func testGeneratedKeys() throws {
        let key = Fernet.generateKey()
        XCTAssertEqual(key.count, 44)
        XCTAssertTrue(key.hasSuffix("="))
        XCTAssertEqual(Encoding.base64URLDecode(key)?.count, 32)
        XCTAssertNotEqual(Fernet.generateKey(), key)
        // The same key without padding, or pasted with spaces around, is the same key.
        let token = try Fernet.encrypt([1, 2, 3], key: key)
        XCTAssertEqual(try Fernet.decrypt(token, key: String(key.dropLast())), [1, 2, 3])
        XCTAssertEqual(try Fernet.decrypt(" \(token)\n", key: " \(key)\n"), [1, 2, 3])
    }

    func testMalformedKeys() {
        let bad = ["", "abc", "%%%%", Encoding.base64URL(SecureRandom.bytes(31)), Encoding.base64URL(SecureRandom.bytes(33)),
                   String(Fernet.generateKey().dropLast(2)), Fernet.generateKey() + "AAAA", "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=!"]
        for key in bad {
            XCTAssertThrowsError(try Fernet.encrypt([1], key: key), key) { XCTAssertEqual($0 as? FernetError, .invalidKey, key) }
            XCTAssertThrowsError(try Fernet.decrypt(Self.specToken, key: key), key) { XCTAssertEqual($0 as? FernetError, .invalidKey, key) }
        }
    }

    // MARK: Files

    func testPhotoFileRoundTrip() throws {
        let photo = try testPhoto()
        let token = directory.appendingPathComponent("photo.fernet")
        let plain = directory.appendingPathComponent("photo.jpg")
        let key = Fernet.generateKey()
        try Fernet.encrypt(file: photo, to: token, key: key)
        try Fernet.decrypt(file: token, to: plain, key: key)
        XCTAssertEqual(try Data(contentsOf: plain), try Data(contentsOf: photo))
        for file in [token, plain] {
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            XCTAssertEqual(mode, 0o600, file.lastPathComponent)
        }
        // The file token is an ordinary token: the in-memory API opens it too.
        let text = try String(contentsOf: token, encoding: .utf8)
        XCTAssertEqual(try Fernet.decrypt(text, key: key), [UInt8](try Data(contentsOf: photo)))
        try assertOnly([token, plain])
    }

    func testEmptyFileRoundTrip() throws {
        let empty = try write("", to: "empty")
        let token = directory.appendingPathComponent("empty.fernet")
        let plain = directory.appendingPathComponent("empty.out")
        let key = Fernet.generateKey()
        try Fernet.encrypt(file: empty, to: token, key: key)
        try Fernet.decrypt(file: token, to: plain, key: key)
        XCTAssertEqual(try Data(contentsOf: plain), Data())
        XCTAssertEqual(try Data(contentsOf: token).count, (1 + 8 + 16 + 16 + 32 + 2) / 3 * 4)
    }

    /// Our token of a real photo opens with Python's cryptography.fernet, and Python's token of
    /// it opens with ours; each side uses a key the other made.
    func testPythonInterop() throws {
        let photo = try testPhoto()
        let photoBytes = try Data(contentsOf: photo)

        let ourKey = Fernet.generateKey()
        let ourToken = directory.appendingPathComponent("ours.fernet")
        try Fernet.encrypt(file: photo, to: ourToken, key: ourKey)
        let openedByPython = directory.appendingPathComponent("opened-by-python.jpg")
        try python("""
            import os, sys
            from cryptography.fernet import Fernet
            with open(sys.argv[1], "rb") as f: token = f.read()
            with open(sys.argv[2], "wb") as f: f.write(Fernet(os.environ["FERNET_KEY"].encode()).decrypt(token))
            """, [ourToken.path, openedByPython.path], key: ourKey)
        XCTAssertEqual(try Data(contentsOf: openedByPython), photoBytes)

        let pythonKey = directory.appendingPathComponent("python.key")
        let pythonToken = directory.appendingPathComponent("python.fernet")
        try python("""
            import sys
            from cryptography.fernet import Fernet
            key = Fernet.generate_key()
            with open(sys.argv[1], "rb") as f: data = f.read()
            with open(sys.argv[2], "wb") as f: f.write(Fernet(key).encrypt(data))
            with open(sys.argv[3], "wb") as f: f.write(key)
            """, [photo.path, pythonToken.path, pythonKey.path], key: nil)
        let openedByUs = directory.appendingPathComponent("opened-by-us.jpg")
        try Fernet.decrypt(file: pythonToken, to: openedByUs, key: try String(contentsOf: pythonKey, encoding: .utf8))
        XCTAssertEqual(try Data(contentsOf: openedByUs), photoBytes)
    }

    func testWrongKeyTamperedAndTruncatedTokensLeaveNoOutput() throws {
        let photo = try testPhoto()
        let key = Fernet.generateKey()
        let token = directory.appendingPathComponent("photo.fernet")
        try Fernet.encrypt(file: photo, to: token, key: key)
        let text = try Data(contentsOf: token)
        let out = directory.appendingPathComponent("out.jpg")

        func assertRefused(_ file: URL, key: String, _ what: String, line: UInt = #line) throws {
            XCTAssertThrowsError(try Fernet.decrypt(file: file, to: out, key: key), what, line: line) { error in
                XCTAssertEqual(error as? FernetError, .invalidToken, what, line: line)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), what, line: line)
        }

        try assertRefused(token, key: Fernet.generateKey(), "wrong key")
        // A key with the right encryption half but another signing half: refused by the MAC
        // before anything is decrypted.
        var raw = try XCTUnwrap(Encoding.base64URLDecode(key))
        raw[0] ^= 1
        try assertRefused(token, key: Encoding.base64URL(raw), "wrong signing key")

        for (what, offset) in [("header", 3), ("IV", 30), ("middle", text.count / 2), ("last ciphertext block", text.count - 50),
                               ("MAC", text.count - 10)] {
            var tampered = text
            // Swap one base64url character for another valid one: still decodes, one bit or more differs.
            tampered[offset] = tampered[offset] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let file = directory.appendingPathComponent("tampered.fernet")
            try tampered.write(to: file)
            try assertRefused(file, key: key, "tampered \(what)")
        }
        // Padding is optional, so cut data characters, not only "=".
        var dataCharacters = text.count
        while text[dataCharacters - 1] == UInt8(ascii: "=") { dataCharacters -= 1 }
        let unpadded = text.prefix(dataCharacters)
        for (what, length) in [("empty", 0), ("header only", 36), ("half", unpadded.count / 2 / 4 * 4),
                               ("one block short", unpadded.count - 24), ("last group cut", unpadded.count - 4),
                               ("one character cut", unpadded.count - 1), ("two characters cut", unpadded.count - 2)] {
            let file = directory.appendingPathComponent("truncated.fernet")
            try unpadded.prefix(length).write(to: file)
            try assertRefused(file, key: key, "truncated to \(what)")
        }
        var extended = text
        extended.append(contentsOf: Array("AAAA".utf8))
        let longer = directory.appendingPathComponent("extended.fernet")
        try extended.write(to: longer)
        try assertRefused(longer, key: key, "bytes appended")
        try assertRefused(photo, key: key, "not a token (the photo itself)")

        // A failed decryption leaves an existing file alone.
        try Data("keep me".utf8).write(to: out)
        XCTAssertThrowsError(try Fernet.decrypt(file: token, to: out, key: Fernet.generateKey()))
        XCTAssertEqual(try Data(contentsOf: out), Data("keep me".utf8))
        try FileManager.default.removeItem(at: out)

        try assertOnly([token, directory.appendingPathComponent("tampered.fernet"),
                        directory.appendingPathComponent("truncated.fernet"), longer])
    }

    /// Files are streamed: encrypting and decrypting 24 MB raises the peak resident memory by
    /// far less than the file. (No photo is that large; the content does not matter here.)
    func testLargeFileInConstantMemory() throws {
        #if os(Linux)
        let size = 24 << 20
        let plain = directory.appendingPathComponent("large.bin")
        guard FileManager.default.createFile(atPath: plain.path, contents: nil) else { throw TestFailure("cannot create \(plain.path)") }
        let handle = try FileHandle(forWritingTo: plain)
        let block = Data(SecureRandom.bytes(1 << 20))
        for _ in 0..<(size >> 20) { try handle.write(contentsOf: block) }
        try handle.close()
        let token = directory.appendingPathComponent("large.fernet")
        let back = directory.appendingPathComponent("large.out")
        let key = Fernet.generateKey()

        // Writing 5 to clear_refs resets the peak (VmHWM) to the current resident size.
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let before = try memoryStatus("VmHWM")
        try Fernet.encrypt(file: plain, to: token, key: key)
        try Fernet.decrypt(file: token, to: back, key: key)
        let growth = try memoryStatus("VmHWM") - before
        XCTAssertLessThan(growth, 8 << 20, "peak resident memory grew by \(growth >> 10) KiB")

        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: back.path)[.size] as? Int, size)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: token.path)[.size] as? Int,
                       (1 + 8 + 16 + (size / 16 + 1) * 16 + 32 + 2) / 3 * 4)
        let check = try FileHandle(forReadingFrom: back)
        for _ in 0..<(size >> 20) { XCTAssertEqual(try check.read(upToCount: 1 << 20), block) }
        try check.close()
        #else
        throw XCTSkip("peak memory is read from /proc")
        #endif
    }

    func testTrailingNewlineInTokenFileIsAccepted() throws {
        let key = Fernet.generateKey()
        let token = try write(try Fernet.encrypt(Array("hello".utf8), key: key) + "\n", to: "newline.fernet")
        let out = directory.appendingPathComponent("newline.out")
        try Fernet.decrypt(file: token, to: out, key: key)
        XCTAssertEqual(try Data(contentsOf: out), Data("hello".utf8))
    }

    func testMissingInputIsAFileError() throws {
        let missing = directory.appendingPathComponent("missing")
        let out = directory.appendingPathComponent("out")
        XCTAssertThrowsError(try Fernet.encrypt(file: missing, to: out, key: Fernet.generateKey())) { error in
            XCTAssertEqual((error as? FileIOError)?.code, ENOENT)
            XCTAssertTrue("\(error)".contains(missing.path), "\(error)")
        }
        XCTAssertThrowsError(try Fernet.decrypt(file: missing, to: out, key: Fernet.generateKey())) { error in
            XCTAssertEqual((error as? FileIOError)?.code, ENOENT)
        }
        try assertOnly([])
    }

    // MARK: Streaming base64url

    func testStreamingBase64URL() throws {
        let bytes = SecureRandom.bytes(100)
        let expected = Encoding.base64URL(bytes)
        for split in 0...bytes.count {
            var encoder = Base64URLEncoder()
            var out: [UInt8] = []
            encoder.encode(Array(bytes[..<split]), into: &out)
            encoder.encode(Array(bytes[split...]), into: &out)
            encoder.finish(padding: false, into: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), expected, "split \(split)")

            let text = Array(expected.utf8)
            let at = min(split, text.count)
            var decoder = Base64URLDecoder()
            var decoded: [UInt8] = []
            try decoder.decode(Array(text[..<at]), into: &decoded)
            try decoder.decode(Array(text[at...]), into: &decoded)
            try decoder.finish(into: &decoded)
            XCTAssertEqual(decoded, bytes, "split \(split)")
        }
        XCTAssertEqual(Base64URLEncoder.encode(Array("fo".utf8), padding: true), "Zm8=")
        XCTAssertEqual(Base64URLEncoder.encode(Array("f".utf8), padding: true), "Zg==")
        XCTAssertEqual(try decodeAll("Zm8=\r\n"), Array("fo".utf8))
        XCTAssertEqual(try decodeAll("-_-_"), [0xfb, 0xff, 0xbf])
        for bad in ["Zm8=A", "Z", "Zg=", "Zg===", "=Zg", "Zm9v Zm9v", "Zm9v+", "Zm9v/", "Zg \n="] {
            XCTAssertThrowsError(try decodeAll(bad), bad)
        }
    }

    // MARK: Helpers

    private func decodeAll(_ text: String) throws -> [UInt8] {
        var decoder = Base64URLDecoder()
        var out: [UInt8] = []
        try decoder.decode(Array(text.utf8), into: &out)
        try decoder.finish(into: &out)
        return out
    }

    /// A field of /proc/self/status, in bytes.
    private func memoryStatus(_ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else {
            throw TestFailure("no \(field) in /proc/self/status")
        }
        return kib << 10
    }

    private func write(_ text: String, to name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// The directory holds exactly these files: no output from a refused token, no temporary file.
    private func assertOnly(_ files: [URL], _ message: String = "", line: UInt = #line) throws {
        let present = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        XCTAssertEqual(present, files.map(\.lastPathComponent).sorted(), message, line: line)
    }

    private func testPhoto() throws -> URL {
        // 1.7 MB: many 64 KiB chunks, so the streaming paths are exercised end to end.
        try Fixtures.file("photos/albums/text/craft-beer.jpg")
    }

    /// Runs a Python snippet with `cryptography`; the key goes through the environment.
    private func python(_ script: String, _ arguments: [String], key: String?) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["FERNET_KEY"] = key
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("python3 failed: " + String(decoding: message, as: UTF8.self))
        }
    }
}

private struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
