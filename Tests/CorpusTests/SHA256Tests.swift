// SHA256Tests.swift — SHA-256 against the published FIPS 180-2 / NIST example vectors, and
// incremental hashing against one-shot hashing with seeded random split points.

import XCTest
@testable import Corpus
import Support

final class SHA256Tests: XCTestCase {
    /// FIPS 180-2 Appendix B and the NIST CSRC examples (independent expected values).
    func testPublishedVectors() {
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ]
        for (message, expected) in vectors {
            XCTAssertEqual(SHA256.hexDigest(Array(message.utf8)), expected, "SHA-256 of \(message.debugDescription)")
        }
    }

    func testOneMillionA() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        XCTAssertEqual(SHA256.hex(hasher.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths around the 55/56/64-byte padding boundaries, split at seeded random points.
    func testIncrementalEqualsOneShot() {
        var rng = SplitMix64(seed: 42)
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000] {
            let message = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let expected = SHA256.digest(message)
            var hasher = SHA256()
            var offset = 0
            while offset < length {
                let n = min(length - offset, Int(rng.next() % 70))
                hasher.update(Array(message[offset..<(offset + n)]))
                offset += n
            }
            XCTAssertEqual(hasher.finalize(), expected, "length \(length)")
        }
    }
}
