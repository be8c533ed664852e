import Storage
import XCTest

/// XXH3-64 through libxxhash equals the values of the `xxhash` PyPI package (its own bundled
/// copy of the algorithm): `xxhash.xxh3_64_intdigest(b"")`, `(b"gradus")` and
/// `(bytes(range(256)) * 5)`, and `(bytes((i * 131 + 7) % 251 for i in range(100003)))`.
final class XXH3Tests: XCTestCase {
    func testOneShotDigestsEqualThePythonPackage() {
        XCTAssertEqual(XXH3.hash64([]), 0x2D06_8005_38D3_94C2)
        XCTAssertEqual(XXH3.hash64(Array("gradus".utf8)), 0x4515_D796_AE72_48F8)
        XCTAssertEqual(XXH3.hash64(Array((0..<1280).map { UInt8($0 % 256) })), 0x4844_B009_E164_352E)
    }

    func testStreamingInPiecesEqualsOneShot() {
        let bytes = (0..<1280).map { UInt8($0 % 256) }
        let hasher = XXH3Hasher()
        for piece in stride(from: 0, to: bytes.count, by: 97) { hasher.update(Array(bytes[piece..<min(piece + 97, bytes.count)])) }
        XCTAssertEqual(hasher.digest, 0x4844_B009_E164_352E)
    }

    /// Many of libxxhash's 1 024-byte blocks, one shot and streamed in pieces the size of stored
    /// samples: on x86-64 both go through the `_dispatch` (AVX2) entry points, whose digests must be
    /// the algorithm's, as the index checksums in docs/index-format.md are.
    func testLongInputDigestEqualsThePythonPackage() {
        let bytes = (0..<100_003).map { UInt8(($0 * 131 + 7) % 251) }
        XCTAssertEqual(XXH3.hash64(bytes), 0x4A8C_90DF_C160_DEB9)
        let hasher = XXH3Hasher()
        for piece in stride(from: 0, to: bytes.count, by: 2_061) { hasher.update(Array(bytes[piece..<min(piece + 2_061, bytes.count)])) }
        XCTAssertEqual(hasher.digest, 0x4A8C_90DF_C160_DEB9)
    }
}
