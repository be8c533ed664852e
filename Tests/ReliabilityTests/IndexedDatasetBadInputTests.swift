// IndexedDatasetBadInputTests.swift — the `.idx/.bin` part of the bad-input suite (issue 8
// item 1): every pair in BadInputs/idx/ is opened with `IndexedDatasetReader`, which must throw an
// `IndexedDatasetError` naming the file and the problem (never crash, never open a pair whose
// items point past the `.bin`). The valid pair is uint16 (DeepSpeed ≥ 0.13.3 code 6) with items
// [1, 2, 3] and [400] and doc_idx [0, 1, 2]: 34-byte header + 2·4 sizes + 2·8 pointers + 3·8
// doc_idx = 82 bytes, and a 4·2 = 8-byte `.bin`.

import CorpusIndex
import XCTest

final class IndexedDatasetBadInputTests: XCTestCase {
    private func prefix(_ name: String) -> String { badInput("idx/" + name) }

    private func assertOpenFails(_ name: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try IndexedDatasetReader(prefix: prefix(name)), file: file, line: line) { error in
            XCTAssertTrue(error is IndexedDatasetError, "\(type(of: error))", file: file, line: line)
            XCTAssertEqual("\(error)", message, file: file, line: line)
        }
    }

    func testValidPairReads() throws {
        let reader = try IndexedDatasetReader(prefix: prefix("valid"))
        XCTAssertEqual(reader.dtype, .uint16)
        XCTAssertEqual(try reader.allItems(), [[1, 2, 3], [400]])
        XCTAssertEqual(reader.documentIndex, [0, 1, 2])
        var tokens: [UInt32] = []
        try reader.documentTokens(1, into: &tokens)
        XCTAssertEqual(tokens, [400])
    }

    func testHeaderProblems() {
        assertOpenFails("bad-magic", "\(prefix("bad-magic")).idx: not an MMIDIDX file (first bytes 54 4d 49 44 49 44 58 00 00, "
            + "expected 4d 4d 49 44 49 44 58 00 00)")
        assertOpenFails("empty-idx", "\(prefix("empty-idx")).idx: not an MMIDIDX file (first bytes , "
            + "expected 4d 4d 49 44 49 44 58 00 00)")
        assertOpenFails("bad-version", "\(prefix("bad-version")).idx: version 2 not supported (only version 1 exists)")
        XCTAssertThrowsError(try IndexedDatasetReader(prefix: prefix("bad-dtype"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(prefix("bad-dtype")).idx: dtype code 11 unknown in the DeepSpeed ≥ 0.13.3 table ("),
                          "\(error)")
        }
    }

    func testShortIndexFiles() {
        assertOpenFails("short-header", "\(prefix("short-header")).idx: .idx is 20 bytes, header expects at least 34 bytes")
        assertOpenFails("short-arrays",
                        "\(prefix("short-arrays")).idx: .idx is 74 bytes, header expects 82 bytes for 2 items and 3 doc_idx entries")
        // len = 2^62: 12·len overflows 64 bits; no allocation or read is attempted.
        assertOpenFails("huge-count", "\(prefix("huge-count")).idx: .idx is 82 bytes, header expects more than 2^64 bytes "
            + "for 4611686018427387904 items and 3 doc_idx entries")
    }

    func testSizesAndPointersPastTheBin() {
        assertOpenFails("bin-truncated", "\(prefix("bin-truncated")).bin: .bin is 6 bytes, index expects 8 (truncated?)")
        // Sizes 3 + 1000 elements of 2 bytes.
        assertOpenFails("size-past-bin", "\(prefix("size-past-bin")).bin: .bin is 8 bytes, index expects 2006 (truncated?)")
        assertOpenFails("pointer-past-bin", "\(prefix("pointer-past-bin")).idx: pointer of item 1 is 1000, expected 6 from the sizes")
        assertOpenFails("negative-size", "\(prefix("negative-size")).idx: item 0 has negative size -1")
        assertOpenFails("bad-doc-idx",
                        "\(prefix("bad-doc-idx")).idx: doc_idx[1] = 3 is not a non-decreasing item number in 0...2")
        assertOpenFails("missing-bin", "\(prefix("missing-bin")).bin: open failed: No such file or directory")
    }
}
