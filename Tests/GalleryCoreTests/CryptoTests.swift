import Foundation
import GalleryCrypto
import XCTest

final class CryptoTests: XCTestCase {
    /// FIPS 180-2 examples and the empty string.
    func testSHA256KnownVectors() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// One million "a", fed in uneven pieces: the incremental hasher equals the one-shot one.
    func testSHA256Incremental() {
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var hasher = SHA256Hasher()
        var offset = 0, step = 1
        while offset < million.count {
            let end = min(million.count, offset + step)
            hasher.update(million[offset..<end])
            offset = end
            step = step * 3 + 1
        }
        let digest = hasher.finalize()
        XCTAssertEqual(Encoding.hex(digest), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        XCTAssertEqual(SHA256.hex(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// RFC 4231 test cases 1, 2 and 6 (a key longer than the block size).
    func testHMACRFC4231() {
        XCTAssertEqual(Encoding.hex(HMAC.sha256(key: [UInt8](repeating: 0x0b, count: 20), message: Data("Hi There".utf8))),
                       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        XCTAssertEqual(Encoding.hex(HMAC.sha256(key: Data("Jefe".utf8), message: Data("what do ya want for nothing?".utf8))),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertEqual(Encoding.hex(HMAC.sha256(key: [UInt8](repeating: 0xaa, count: 131),
                                                message: Data("Test Using Larger Than Block-Size Key - Hash Key First".utf8))),
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    /// RFC 4648 §10 vectors, in the URL alphabet and without padding.
    func testBase64URL() {
        let vectors = ["": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Encoding.base64URL(Array(plain.utf8)), encoded)
            XCTAssertEqual(Encoding.base64URLDecode(encoded), Array(plain.utf8))
        }
        // The two characters where the alphabets differ: + and / become - and _.
        XCTAssertEqual(Encoding.base64URL([0xfb, 0xff, 0xbf]), "-_-_")
        XCTAssertEqual(Encoding.base64URLDecode("-_-_"), [0xfb, 0xff, 0xbf])
        XCTAssertEqual(Encoding.base64URLDecode("Zm8="), Array("fo".utf8), "padding is accepted")
        XCTAssertNil(Encoding.base64URLDecode("Zm9v!"))
        XCTAssertNil(Encoding.base64URLDecode("Z"), "one character cannot encode a byte")
        for length in 0..<40 {
            let bytes = SecureRandom.bytes(length)
            XCTAssertEqual(Encoding.base64URLDecode(Encoding.base64URL(bytes)), bytes)
        }
    }

    func testHex() {
        XCTAssertEqual(Encoding.hex([0x00, 0x0f, 0xa5, 0xff]), "000fa5ff")
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(constantTimeEquals([], []))
        XCTAssertTrue(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(constantTimeEquals([1, 2, 3], [1, 2]))
    }

    func testSecureRandom() {
        XCTAssertEqual(SecureRandom.bytes(32).count, 32)
        XCTAssertNotEqual(SecureRandom.bytes(16), SecureRandom.bytes(16))
        XCTAssertEqual(SecureRandom.token(bytes: 32).count, 43)
        var seen = Set<Character>()
        for _ in 0..<200 {
            let code = SecureRandom.digits(6)
            XCTAssertEqual(code.count, 6)
            XCTAssertTrue(code.allSatisfy(\.isASCII) && code.allSatisfy(\.isNumber), code)
            seen.formUnion(code)
        }
        XCTAssertEqual(seen.count, 10, "every digit appears in 1200 random digits")
    }
}
