// CRC32CTests.swift — CRC-32C against published vectors (issue 17 item 3).

import Support
import XCTest

final class CRC32CTests: XCTestCase {
    /// RFC 3720 §B.4's vectors and the "123456789" check value of the CRC catalogue (CRC-32/ISCSI).
    func testChecksumMatchesRFC3720Vectors() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }), 0x113F_DB5C)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
    }

    /// TFRecord's mask, ((crc >> 15) | (crc << 17)) + 0xA282EAD8, on the check value: 0xE3069283
    /// rotated right by 15 is 0x2507C60D, plus 0xA282EAD8 is 0xC78AB0E5 (mod 2^32), which is also
    /// what tensorboard's `masked_crc32c(b"123456789")` returns.
    func testMaskedChecksumMatchesTensorBoard() {
        XCTAssertEqual(CRC32C.masked(Array("123456789".utf8)), 0xC78A_B0E5)
    }
}
