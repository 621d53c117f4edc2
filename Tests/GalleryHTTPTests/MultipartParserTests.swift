import Foundation
import GalleryCrypto
import GalleryHTTP
import XCTest

final class MultipartParserTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try ParsingFixtures.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    private func parse(_ body: [UInt8], boundary: String, chunkSize: Int = 4096,
                       limits: MultipartLimits = .init()) throws -> (fields: FormFields, files: [UploadedFile]) {
        try ParsingFixtures.parse(body, boundary: boundary, chunkSize: chunkSize, limits: limits,
                                  directory: directory)
    }

    /// Parsing `body` fails with `expected`, and nothing is left in the temporary directory.
    private func assertFails(_ body: [UInt8], boundary: String, chunkSizes: [Int] = [1, 7, 4096],
                             limits: MultipartLimits = .init(), with expected: ParseError,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        for size in chunkSizes {
            XCTAssertThrowsError(try parse(body, boundary: boundary, chunkSize: size, limits: limits),
                                 "chunk size \(size)", file: file, line: line) { error in
                XCTAssertEqual(error as? ParseError, expected, "chunk size \(size)", file: file, line: line)
            }
            XCTAssertEqual(try ParsingFixtures.contents(of: directory), [], "files left behind (chunk size \(size))",
                           file: file, line: line)
        }
    }

    // MARK: Streaming a real photo

    func testPhotoInAnyChunkSizeIsByteIdentical() throws {
        let photo = try ParsingFixtures.photo("orientation/Landscape_1.jpg")
        var body = MultipartBody()
        body.field("csrf", "token-123")
        body.file("photos", filename: "Landscape_1.jpg", photo)
        body.field("visibility", "public")
        let expectedHash = SHA256.hex(photo)

        for size in [1, 7, 4096, 65536] {
            let (fields, files) = try parse(body.closed, boundary: body.boundary, chunkSize: size)
            XCTAssertEqual(fields.first("csrf"), "token-123", "chunk \(size)")
            XCTAssertEqual(fields.first("visibility"), "public", "chunk \(size)")
            XCTAssertEqual(files.count, 1)
            let file = try XCTUnwrap(files.first)
            XCTAssertEqual(file.fieldName, "photos")
            XCTAssertEqual(file.filename, "Landscape_1.jpg")
            XCTAssertEqual(file.declaredContentType, "image/jpeg")
            XCTAssertEqual(file.byteSize, photo.count)
            XCTAssertEqual(file.sha256, expectedHash, "chunk \(size)")
            XCTAssertEqual(file.head, Array(photo.prefix(64)))
            XCTAssertEqual([UInt8](try Data(contentsOf: file.file)), photo, "chunk \(size)")
            XCTAssertEqual(file.file.deletingLastPathComponent().standardizedFileURL.path,
                           directory.standardizedFileURL.path)
            let mode = try FileManager.default.attributesOfItem(atPath: file.file.path)[.posixPermissions] as? Int
            XCTAssertEqual(mode, 0o600)
            try FileManager.default.removeItem(at: file.file)
        }
    }

    func testHashAgreesWithSha256sum() throws {
        let tool = URL(fileURLWithPath: "/usr/bin/sha256sum")
        guard FileManager.default.isExecutableFile(atPath: tool.path) else { throw XCTSkip("no sha256sum") }
        let photo = try ParsingFixtures.photo("photos/albums/nature/prairie_falcon.jpg")
        var body = MultipartBody()
        body.file("photos", filename: "falcon.jpg", photo)
        let file = try XCTUnwrap(try parse(body.closed, boundary: body.boundary, chunkSize: 65536).files.first)

        let process = Process()
        process.executableURL = tool
        process.arguments = [file.file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(output.split(separator: " ").first.map(String.init), file.sha256)
    }

    func testSeveralFilesAndFieldsInOrder() throws {
        let first = try ParsingFixtures.photo("photos/albums/nature/cyclamen_persicum.jpg")
        let second = try ParsingFixtures.photo("photos/formats/density_plot.png")
        var body = MultipartBody()
        body.field("csrf", "t")
        body.file("photos", filename: "cyclamen.jpg", first)
        body.field("tag", "flowers")
        body.file("photos", filename: "plot.png", contentType: "image/png", second)
        // An <input type=file> left empty: browsers send an empty filename and no bytes.
        body.file("extra", filename: "", contentType: "application/octet-stream", [])
        body.field("tag", "")
        body.field("caption", "Zwei Bilder — ünïcödé\r\nzweite Zeile")

        for size in [7, 65536] {
            let (fields, files) = try parse(body.closed, boundary: body.boundary, chunkSize: size)
            XCTAssertEqual(fields.all("tag"), ["flowers", ""])
            XCTAssertEqual(fields.first("caption"), "Zwei Bilder — ünïcödé\r\nzweite Zeile")
            XCTAssertEqual(fields.count, 4)
            XCTAssertEqual(files.map(\.filename), ["cyclamen.jpg", "plot.png"])
            XCTAssertEqual(files.map(\.declaredContentType), ["image/jpeg", "image/png"])
            XCTAssertEqual(files.map(\.sha256), [SHA256.hex(first), SHA256.hex(second)])
            XCTAssertEqual(try ParsingFixtures.contents(of: directory).count, 2, "the empty input wrote no file")
            for file in files { try FileManager.default.removeItem(at: file.file) }
        }
    }

    func testEmptyFileWithAFilenameIsKept() throws {
        var body = MultipartBody()
        body.file("doc", filename: "empty.txt", contentType: "text/plain", [])
        let file = try XCTUnwrap(try parse(body.closed, boundary: body.boundary).files.first)
        XCTAssertEqual(file.byteSize, 0)
        XCTAssertEqual(file.head, [])
        XCTAssertEqual(file.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertTrue(FileManager.default.fileExists(atPath: file.file.path))
    }

    func testBoundaryLookalikesInsideFileData() throws {
        let boundary = "----WebKitFormBoundaryq3Wd9fYx2ZpL0aBc"
        let photo = try ParsingFixtures.photo("photos/albums/nature/notocactus_minimus.jpg")
        var data = Array(photo.prefix(5000))
        data += Array("\r\n--\(boundary.dropLast())".utf8)            // a delimiter minus one byte
        data += Array("--\(boundary)\r\n".utf8)                        // boundary without the CRLF before it
        data += Array("\r\n-\(boundary)".utf8) + [13, 13, 10, 13, 10]  // one dash short, stray CRs
        data += Array("\r\n--\(boundary.uppercased())".utf8)           // case differs
        data += Array(photo.dropFirst(5000))
        data += Array("\r\n--\(boundary.prefix(10))".utf8)             // partial match right at the end
        var body = MultipartBody(boundary: boundary)
        body.file("photos", filename: "tricky.bin", data)
        body.field("after", "ok")

        for size in [1, 7, 64, 4096, 65536] {
            let (fields, files) = try parse(body.closed, boundary: boundary, chunkSize: size)
            let file = try XCTUnwrap(files.first)
            XCTAssertEqual([UInt8](try Data(contentsOf: file.file)), data, "chunk \(size)")
            XCTAssertEqual(file.sha256, SHA256.hex(data))
            XCTAssertEqual(fields.first("after"), "ok")
            try FileManager.default.removeItem(at: file.file)
        }
    }

    func testDataMadeOfNothingButDelimiterPrefixes() throws {
        // The worst case for the carried-over tail: every position starts a partial match.
        let boundary = "xyzzy"
        let almost = Array("\r\n--xyzz".utf8)
        let data = (0..<3000).flatMap { almost.prefix($0 % almost.count + 1) }
        var body = MultipartBody(boundary: boundary)
        body.file("f", filename: "x", data)
        for size in [1, 3, 8, 9, 4096] {
            let file = try XCTUnwrap(try parse(body.closed, boundary: boundary, chunkSize: size).files.first)
            XCTAssertEqual([UInt8](try Data(contentsOf: file.file)), data, "chunk \(size)")
            try FileManager.default.removeItem(at: file.file)
        }
    }

    func testPreambleEpilogueAndTransportPadding() throws {
        let b = "simple boundary"
        let raw = "This is the preamble.\r\n--\(b) \t\r\n"
            + "content-disposition: form-data; name=\"a\"\r\nX-Ignored: yes\r\n\r\none\r\n"
            + "--\(b)\r\nContent-Disposition: form-data; name=b\r\n\r\ntwo\r\n"
            + "--\(b)--  and this is the epilogue\r\n--\(b)\r\nnot a part"
        let fields = try parse(Array(raw.utf8), boundary: b, chunkSize: 3).fields
        XCTAssertEqual(fields.first("a"), "one")
        XCTAssertEqual(fields.first("b"), "two")
        XCTAssertEqual(fields.count, 2)
    }

    func testBodyWithNoPartsIsEmpty() throws {
        let result = try parse(Array("--b--\r\n".utf8), boundary: "b")
        XCTAssertTrue(result.fields.isEmpty)
        XCTAssertTrue(result.files.isEmpty)
    }

    // MARK: Truncated bodies

    func testTruncatedBodiesFailAndLeaveNothing() throws {
        let photo = try ParsingFixtures.photo("photos/albums/nature/notocactus_minimus.jpg")
        var body = MultipartBody()
        body.field("csrf", "t")
        body.file("photos", filename: "a.jpg", photo)
        let complete = body.closed
        let truncated = ParseError.malformed("The upload ended before its closing boundary.")
        // Cut inside the file, just before the final "--", inside the last delimiter, in the
        // headers of the first part, and before anything arrived.
        for cut in [complete.count / 2, complete.count - 4, complete.count - 10, 60, 0] {
            try assertFails(Array(complete.prefix(cut)), boundary: body.boundary, chunkSizes: [7, 4096],
                            with: truncated)
        }
        var withoutClose = body
        withoutClose.field("more", "x")
        try assertFails(withoutClose.bytes, boundary: body.boundary, with: truncated)
    }

    func testDiscardAfterFinishRemovesFiles() throws {
        var body = MultipartBody()
        body.file("f", filename: "a.txt", Array("hello".utf8))
        let parser = try MultipartParser(boundary: body.boundary, limits: .init(), temporaryDirectory: directory)
        try parser.feed(body.closed)
        let files = try parser.finish().files
        XCTAssertTrue(FileManager.default.fileExists(atPath: files[0].file.path))
        parser.discard()
        XCTAssertEqual(try ParsingFixtures.contents(of: directory), [])
    }

    func testDroppingAnUnfinishedParserRemovesItsFiles() throws {
        var body = MultipartBody()
        body.file("f", filename: "a.txt", Array("hello".utf8))
        body.file("g", filename: "b.txt", Array("world".utf8))
        do {
            let parser = try MultipartParser(boundary: body.boundary, limits: .init(), temporaryDirectory: directory)
            try parser.feed(Array(body.bytes.dropLast(3)))
            XCTAssertEqual(try ParsingFixtures.contents(of: directory).count, 2)
        }
        XCTAssertEqual(try ParsingFixtures.contents(of: directory), [])
    }

    func testAFailedParserRefusesMoreInput() throws {
        let parser = try MultipartParser(boundary: "b", limits: .init(), temporaryDirectory: directory)
        XCTAssertThrowsError(try parser.feed(Array("--b\r\nNo-Colon\r\n\r\n".utf8)))
        XCTAssertThrowsError(try parser.feed(Array("--b--\r\n".utf8))) { error in
            XCTAssertEqual(error as? ParseError, .malformed("A part header is not Name: value."))
        }
        XCTAssertThrowsError(try parser.finish())
    }

    func testMutatedBodiesNeverCrashOrLeak() throws {
        // A small deterministic fuzz: flip, drop and insert bytes (favouring CR, LF, '-', '"'
        // and boundary text) in a valid body; every outcome must be a result or a ParseError,
        // and after discard() nothing may remain on disk.
        var body = MultipartBody(boundary: "fz")
        body.field("csrf", "t")
        body.part(headers: #"Content-Disposition: form-data; name="p"; filename="a.jpg"\#r\#nContent-Type: image/jpeg"#,
                  body: Array("\u{FF}\u{D8}jpeg-ish bytes\r\n-fz".utf8))
        body.file("q", filename: "", [])
        let original = body.closed
        let interesting = Array("\r\n-\"fz;=\\ ".utf8)
        var rng = SplitMix64(seed: 0x5EED)
        var outcomes = [0, 0]
        for _ in 0..<2000 {
            var bytes = original
            for _ in 0..<Int(rng.next() % 4 + 1) {
                let at = Int(rng.next() % UInt64(bytes.count))
                let byte = rng.next() % 2 == 0 ? interesting[Int(rng.next() % UInt64(interesting.count))]
                                               : UInt8(truncatingIfNeeded: rng.next())
                switch rng.next() % 3 {
                case 0: bytes[at] = byte
                case 1: bytes.remove(at: at)
                default: bytes.insert(byte, at: at)
                }
            }
            let parser = try MultipartParser(boundary: "fz", limits: .init(), temporaryDirectory: directory)
            do {
                var offset = 0
                while offset < bytes.count {
                    let end = min(bytes.count, offset + Int(rng.next() % 9 + 1))
                    try parser.feed(Array(bytes[offset..<end]))
                    offset = end
                }
                _ = try parser.finish()
                outcomes[0] += 1
            } catch is ParseError {
                outcomes[1] += 1
            }
            parser.discard()
            XCTAssertEqual(try ParsingFixtures.contents(of: directory), [])
        }
        XCTAssertGreaterThan(outcomes[0], 0, "some mutations should still parse")
        XCTAssertGreaterThan(outcomes[1], 0, "some mutations should be refused")
    }

    // MARK: Limits

    func testOversizeFile() throws {
        var body = MultipartBody()
        body.file("photos", filename: "big.jpg", try ParsingFixtures.photo("photos/albums/nature/silver_fir.jpg"))
        var limits = MultipartLimits()
        limits.maxFileBytes = 50_000
        try assertFails(body.closed, boundary: body.boundary, chunkSizes: [7, 4096, 65536], limits: limits,
                        with: .tooLarge("A file is larger than 50000 bytes."))
        limits.maxFileBytes = 93616  // exactly the photo's size passes
        XCTAssertEqual(try parse(body.closed, boundary: body.boundary, limits: limits).files.first?.byteSize, 93616)
    }

    func testOversizeFileAfterEarlierFilesRemovesThemAll() throws {
        let small = try ParsingFixtures.photo("photos/albums/nature/notocactus_minimus.jpg")
        let large = try ParsingFixtures.photo("photos/albums/nature/prairie_falcon.jpg")
        var body = MultipartBody()
        body.file("photos", filename: "1.jpg", small)
        body.file("photos", filename: "2.jpg", small)
        body.file("photos", filename: "3.jpg", large)
        var limits = MultipartLimits()
        limits.maxFileBytes = 1 << 17
        try assertFails(body.closed, boundary: body.boundary, chunkSizes: [4096], limits: limits,
                        with: .tooLarge("A file is larger than 128 KiB."))
    }

    func testOversizeField() throws {
        var body = MultipartBody()
        body.field("caption", String(repeating: "x", count: 65 * 1024))
        try assertFails(body.closed, boundary: body.boundary, chunkSizes: [4096, 65536],
                        with: .tooLarge("A form field is longer than 64 KiB."))
        var exact = MultipartBody()
        exact.field("caption", String(repeating: "é", count: 32 * 1024))  // exactly 64 KiB of UTF-8
        XCTAssertEqual(try parse(exact.closed, boundary: exact.boundary).fields.first("caption")?.utf8.count, 65536)
    }

    func testTooManyFiles() throws {
        var body = MultipartBody()
        for i in 0..<4 { body.file("photos", filename: "\(i).jpg", Array("data \(i)".utf8)) }
        var limits = MultipartLimits()
        limits.maxFiles = 3
        try assertFails(body.closed, boundary: body.boundary, limits: limits,
                        with: .tooLarge("An upload may hold at most 3 files."))
        // Empty file inputs are not files and do not count.
        var withEmpties = MultipartBody()
        for i in 0..<3 { withEmpties.file("photos", filename: "\(i).jpg", Array("data".utf8)) }
        for _ in 0..<5 { withEmpties.file("photos", filename: "", []) }
        XCTAssertEqual(try parse(withEmpties.closed, boundary: withEmpties.boundary, limits: limits).files.count, 3)
    }

    func testTooManyFields() throws {
        var body = MultipartBody()
        for i in 0..<6 { body.field("f\(i)", "v") }
        var limits = MultipartLimits()
        limits.maxFields = 5
        try assertFails(body.closed, boundary: body.boundary, limits: limits,
                        with: .tooLarge("The form has more than 5 fields."))
    }

    func testTotalSize() throws {
        var body = MultipartBody()
        body.file("photos", filename: "a.jpg", try ParsingFixtures.photo("photos/albums/nature/silver_fir.jpg"))
        var limits = MultipartLimits()
        limits.maxTotalBytes = 1 << 16
        try assertFails(body.closed, boundary: body.boundary, chunkSizes: [4096], limits: limits,
                        with: .tooLarge("The upload is larger than 64 KiB."))
    }

    func testOversizePartHeaders() throws {
        var body = MultipartBody()
        body.part(headers: "Content-Disposition: form-data; name=\"a\"\r\nX-Padding: "
                    + String(repeating: "p", count: 9000), body: Array("v".utf8))
        try assertFails(body.closed, boundary: body.boundary,
                        with: .tooLarge("A part's headers are longer than 8192 bytes."))
        // Headers that never end are refused at the limit, not read forever.
        let endless = Array("--b\r\nContent-Disposition: form-data; name=a\r\nX: ".utf8)
            + [UInt8](repeating: UInt8(ascii: "y"), count: 100_000)
        try assertFails(endless, boundary: "b", chunkSizes: [65536],
                        with: .tooLarge("A part's headers are longer than 8192 bytes."))
    }

    func testWrongBoundaryIsRefusedEarly() throws {
        var body = MultipartBody(boundary: "real")
        body.file("f", filename: "a", [UInt8](repeating: 1, count: 100_000))
        try assertFails(body.closed, boundary: "other", chunkSizes: [4096],
                        with: .malformed("The body does not start with its multipart boundary."))
    }

    // MARK: Bad headers

    func testMissingAndGarbageHeaders() throws {
        let cases: [(String, ParseError)] = [
            ("", .malformed("A part has no Content-Disposition header.")),
            ("Content-Type: text/plain", .malformed("A part has no Content-Disposition header.")),
            ("Content-Disposition: attachment; name=\"a\"", .malformed("A part is not form-data.")),
            ("Content-Disposition: form-data", .malformed("A part has no field name.")),
            ("Content-Disposition: form-data; name=\"\"", .malformed("A part has no field name.")),
            ("Content-Disposition: form-data; name=\"a\"; name=\"b\"", .malformed("A header repeats a parameter.")),
            ("Content-Disposition: form-data; name=\"a", .malformed("A header has an unterminated quoted string.")),
            ("Content-Disposition: form-data; name", .malformed("A header parameter is not name=value.")),
            ("Content-Disposition: form-data name=a", .malformed("A header has garbage after its value.")),
            ("Content-Disposition:", .malformed("A header has no value.")),
            ("Content-Disposition form-data; name=a", .malformed("A part header is not Name: value.")),
            (": form-data", .malformed("A part header is not Name: value.")),
            ("Bad Name: x\r\nContent-Disposition: form-data; name=a", .malformed("A part header is not Name: value.")),
            ("Content-Disposition: form-data;\r\n name=a", .malformed("A part has an empty or folded header line.")),
            ("Content-Disposition: form-data; name=a\u{0B}", .malformed("A part header holds control characters.")),
            ("Content-Disposition: form-data; name=a\nX: y", .malformed("A part header holds control characters.")),
            ("Content-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b",
             .malformed("A part has two Content-Disposition headers.")),
            ("Content-Disposition: form-data; name=a\r\nContent-Transfer-Encoding: base64",
             .malformed("A part uses an unsupported Content-Transfer-Encoding.")),
        ]
        for (headers, expected) in cases {
            var body = MultipartBody()
            body.part(headers: headers, body: Array("value".utf8))
            try assertFails(body.closed, boundary: body.boundary, chunkSizes: [1, 4096], with: expected)
        }
        // Headers that are not UTF-8.
        let latin1 = Array("--b\r\nContent-Disposition: form-data; name=\"caf".utf8) + [0xE9]
            + Array("\"\r\n\r\nv\r\n--b--\r\n".utf8)
        try assertFails(latin1, boundary: "b", with: .malformed("A part's headers are not valid UTF-8."))
    }

    func testIdentityTransferEncodingIsAccepted() throws {
        var body = MultipartBody()
        body.part(headers: "Content-Disposition: form-data; name=a\r\nContent-Transfer-Encoding: 8BIT",
                  body: Array("v".utf8))
        XCTAssertEqual(try parse(body.closed, boundary: body.boundary).fields.first("a"), "v")
    }

    func testGarbageAfterADelimiter() throws {
        let bad = ParseError.malformed("A multipart boundary is followed by other text.")
        try assertFails(Array("--bX\r\n".utf8), boundary: "b", with: bad)
        try assertFails(Array("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b-x".utf8),
                        boundary: "b", with: bad)
        try assertFails(Array("--b".utf8) + [UInt8](repeating: 0x20, count: 100) + Array("\r\n".utf8),
                        boundary: "b", with: bad)
        try assertFails(Array("--b\rX".utf8), boundary: "b",
                        with: .malformed("A multipart boundary line does not end in CRLF."))
    }

    func testFieldThatIsNotUTF8() throws {
        var body = MultipartBody()
        body.part(headers: "Content-Disposition: form-data; name=a", body: [0x61, 0xFF])
        try assertFails(body.closed, boundary: body.boundary, with: .malformed("A form field is not valid UTF-8."))
    }

    // MARK: Filenames

    func testFilenamesAreSanitizedForDisplay() throws {
        let cases: [(String, String)] = [
            (#"filename="C:\Users\me\Pictures\cat.jpg""#, "cat.jpg"),
            (#"filename="../../etc/passwd""#, "passwd"),
            (#"filename="photos/2024/""#, ""),
            (#"filename="..""#, ""),
            (#"filename="a\"b\\c.jpg""#, "c.jpg"),           // \" and \\ escapes, then basename
            (#"filename="say \"cheese\".jpg""#, #"say "cheese".jpg"#),
            (#"filename="%22quoted%22.jpg""#, #""quoted".jpg"#),  // how browsers send quotes
            ("filename=\"tab\there.jpg\"", "tabhere.jpg"),
            ("filename=\"evil\u{202E}gpj.exe\"", "evilgpj.exe"),  // right-to-left override
            ("filename=\"  spaced .jpg  \"", "spaced .jpg"),
            ("filename=plain.jpg", "plain.jpg"),
            ("filename=\"\(String(repeating: "é", count: 300)).jpg\"", String(repeating: "é", count: 255)),
            (#"filename*=UTF-8''%E2%82%AC%20rates.jpg; filename="fallback.jpg""#, "€ rates.jpg"),
            (#"filename*=utf-8'en'bell%07%0D%0Aline.jpg"#, "bellline.jpg"),
            (#"filename*=iso-8859-1''caf%E9.jpg"#, "café.jpg"),
            (#"filename*=UTF-8''%FF.jpg; filename="fallback.jpg""#, "fallback.jpg"),  // bad filename* ignored
            (#"filename*=UTF-8''..%2F..%2Fx.jpg"#, "x.jpg"),
        ]
        for (parameter, expected) in cases {
            var body = MultipartBody()
            body.part(headers: "Content-Disposition: form-data; name=\"f\"; \(parameter)", body: Array("data".utf8))
            let files = try parse(body.closed, boundary: body.boundary).files
            XCTAssertEqual(files.first?.filename, expected, parameter)
            XCTAssertEqual(files.first?.declaredContentType, nil)
            for file in files { try FileManager.default.removeItem(at: file.file) }
        }
    }

    // MARK: Content-Type

    func testBoundaryFromContentType() throws {
        let cases: [(String, String)] = [
            ("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", "----WebKitFormBoundary7MA4YWxkTrZu0gW"),
            ("multipart/form-data; boundary=---------------------------9051914041544843365972754266",
             "---------------------------9051914041544843365972754266"),
            ("Multipart/Form-Data; BOUNDARY=\"a b:c=d?\"", "a b:c=d?"),
            ("multipart/form-data;boundary=\"x\";charset=utf-8", "x"),
            ("multipart/form-data; charset=utf-8; boundary=abc;", "abc"),
            ("  multipart/form-data ;  boundary = 'quoted-with-apostrophes'  ", "'quoted-with-apostrophes'"),
            ("multipart/form-data; boundary=\(String(repeating: "z", count: 70))", String(repeating: "z", count: 70)),
        ]
        for (header, expected) in cases {
            XCTAssertEqual(try MultipartParser.boundary(fromContentType: header), expected, header)
        }

        let failures: [(String, ParseError)] = [
            ("multipart/form-data", .malformed("The multipart Content-Type has no boundary.")),
            ("multipart/form-data; boundary=", .malformed("The multipart boundary is not 1–70 allowed characters.")),
            ("multipart/form-data; boundary=\"\"", .malformed("The multipart boundary is not 1–70 allowed characters.")),
            ("multipart/form-data; boundary=\(String(repeating: "z", count: 71))",
             .malformed("The multipart boundary is not 1–70 allowed characters.")),
            ("multipart/form-data; boundary=a@b", .malformed("The multipart boundary is not 1–70 allowed characters.")),
            ("multipart/form-data; boundary=\"ends in space \"",
             .malformed("The multipart boundary is not 1–70 allowed characters.")),
            ("multipart/form-data; boundary=\"a\r\nb\"", .malformed("The multipart boundary is not 1–70 allowed characters.")),
            ("multipart/form-data; boundary=\"open", .malformed("A header has an unterminated quoted string.")),
            ("multipart/form-data; boundary=a; boundary=b", .malformed("A header repeats a parameter.")),
            ("multipart/mixed; boundary=a", .malformed("The body is not multipart/form-data.")),
            ("application/x-www-form-urlencoded", .malformed("The body is not multipart/form-data.")),
            ("", .malformed("A header has no value.")),
        ]
        for (header, expected) in failures {
            XCTAssertThrowsError(try MultipartParser.boundary(fromContentType: header), header) { error in
                XCTAssertEqual(error as? ParseError, expected, header)
            }
        }
        XCTAssertThrowsError(try MultipartParser(boundary: "", limits: .init(), temporaryDirectory: directory))
    }
}

/// A tiny seeded generator, so the fuzz test is the same on every run.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
