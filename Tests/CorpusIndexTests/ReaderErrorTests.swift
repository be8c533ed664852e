// ReaderErrorTests.swift — IndexedDatasetReader rejects malformed or mismatched `.idx/.bin` pairs
// (spec §3.1) with errors that name the file and the problem, and never crashes on them.

import XCTest
@testable import CorpusIndex

final class ReaderErrorTests: TemporaryDirectoryTestCase {
    /// A valid uint16 pair: items [1,2,3] and [400], doc_idx [0, 2].
    private func writeValid(_ name: String = "ds") throws -> String {
        let prefix = path(name)
        let builder = try IndexedDatasetBuilder(prefix: prefix, dtype: .uint16)
        try builder.addItem([1, 2, 3] as [Int64])
        try builder.addItem([400] as [Int64])
        try builder.closeAsHelper()
        return prefix
    }

    private func assertOpenFails(_ prefix: String, table: DTypeCodeTable = .deepSpeed,
                                 mentions fragments: [String], line: UInt = #line) {
        XCTAssertThrowsError(try IndexedDatasetReader(prefix: prefix, codeTable: table), line: line) { error in
            let message = "\(error)"
            for fragment in fragments {
                XCTAssertTrue(message.contains(fragment), "“\(message)” lacks “\(fragment)”", line: line)
            }
        }
    }

    private func patchIndex(_ prefix: String, _ edit: (inout [UInt8]) -> Void) throws {
        var idx = try bytes(prefix + ".idx")
        edit(&idx)
        try write(idx, to: prefix + ".idx")
    }

    func testBadMagic() throws {
        let prefix = try writeValid()
        try patchIndex(prefix) { $0[0] = 0x54 }  // "T…", like the legacy TNTIDX format
        assertOpenFails(prefix, mentions: [prefix + ".idx", "not an MMIDIDX file"])
    }

    func testEmptyIndexFile() throws {
        let prefix = try writeValid()
        try write([], to: prefix + ".idx")
        assertOpenFails(prefix, mentions: [prefix + ".idx", "not an MMIDIDX file"])
    }

    func testUnsupportedVersion() throws {
        let prefix = try writeValid()
        try patchIndex(prefix) { $0[9] = 2 }
        assertOpenFails(prefix, mentions: [prefix + ".idx", "version 2 not supported"])
    }

    func testUnknownDTypeCodeMentionsOldTable() throws {
        let prefix = try writeValid()
        try patchIndex(prefix) { $0[17] = 9 }
        assertOpenFails(prefix, mentions: [prefix + ".idx", "dtype code 9 unknown", "DeepSpeed ≤ 0.13.2", "9 uint32"])
    }

    func testFloatCodeRejected() throws {
        // Code 6 is uint16 for DeepSpeed ≥ 0.13.3 but float64 for Megatron.
        let prefix = try writeValid()
        assertOpenFails(prefix, table: .megatron, mentions: [prefix + ".idx", "dtype code 6", "floating-point"])
    }

    func testTruncatedBin() throws {
        let prefix = try writeValid()
        let bin = try bytes(prefix + ".bin")
        XCTAssertEqual(bin.count, 8)
        try write(Array(bin.dropLast()), to: prefix + ".bin")
        assertOpenFails(prefix, mentions: [prefix + ".bin", ".bin is 7 bytes, index expects 8"])
    }

    func testTruncatedIndex() throws {
        let prefix = try writeValid()
        try patchIndex(prefix) { $0.removeLast() }
        assertOpenFails(prefix, mentions: [prefix + ".idx", ".idx is 73 bytes, header expects 74"])
    }

    func testHugeLengthInHeaderDoesNotCrash() throws {
        let prefix = try writeValid()
        try patchIndex(prefix) { for k in 18..<26 { $0[k] = 0xff } }
        assertOpenFails(prefix, mentions: [prefix + ".idx", "header expects"])
    }

    func testInconsistentPointer() throws {
        let prefix = try writeValid()
        try patchIndex(prefix) { $0[34 + 8 + 8] = 4 }  // pointer of item 1: 6 → 4
        assertOpenFails(prefix, mentions: [prefix + ".idx", "pointer of item 1 is 4, expected 6"])
    }

    func testNegativeSize() throws {
        let prefix = try writeValid()
        try patchIndex(prefix) { for k in 34..<38 { $0[k] = 0xff } }
        assertOpenFails(prefix, mentions: [prefix + ".idx", "item 0 has negative size -1"])
    }

    func testDocumentIndexOutOfRange() throws {
        let prefix = try writeValid()
        try patchIndex(prefix) { $0[34 + 24 + 8] = 3 }  // doc_idx[1]: 2 → 3 > len
        assertOpenFails(prefix, mentions: [prefix + ".idx", "doc_idx[1] = 3"])
    }

    func testMissingFile() {
        assertOpenFails(path("absent"), mentions: [path("absent") + ".idx", "open failed"])
    }

    /// A Megatron uint16 file (code 8) read with DeepSpeed's table looks like uint64: the size check
    /// catches it and the hint names the element size actually present.
    func testCodeTableMixUpIsExplained() throws {
        let prefix = path("tokens")
        let writer = try MegatronTokenDatasetWriter(prefix: prefix, vocabularySize: 1000)
        try writer.addDocument([5, 6, 7, 8])
        try writer.finalize()
        assertOpenFails(prefix, mentions: [prefix + ".bin", ".bin is 8 bytes, index expects 32", "2-byte elements"])
        XCTAssertNoThrow(try IndexedDatasetReader(prefix: prefix, codeTable: .megatron))
        XCTAssertNoThrow(try IndexedDatasetReader(prefix: prefix, codeTable: .deepSpeedLegacy))
    }
}
