// IndexedDatasetFormatTests.swift — byte-exact MMapIndexedDataset writing (spec §3.1 hex examples
// 1 and 2, the merge-twice doc_idx), Gradus's throw-instead-of-wrap choice, temporary-name
// handling, and a seeded round trip for every dtype.

import Curriculum
import XCTest
@testable import CorpusIndex
import Support

final class IndexedDatasetFormatTests: TemporaryDirectoryTestCase {
    /// Spec §3.1 hex example 1: uint16; [1,2,3], [], end_document, [400], end_document, finalize.
    func testHexExample1() throws {
        let prefix = path("ex1")
        let builder = try IndexedDatasetBuilder(prefix: prefix, dtype: .uint16)
        try builder.addItem([1, 2, 3] as [Int64])
        try builder.addItem([] as [Int64])
        builder.endDocument()
        try builder.addItem([400] as [Int64])
        builder.endDocument()
        try builder.finalize()

        XCTAssertEqual(try bytes(prefix + ".bin"), hex("01 00 02 00 03 00 90 01"))
        let expectedIndex = hex("4d 4d 49 44 49 44 58 00 00")
            + hex("01 00 00 00 00 00 00 00")
            + hex("06")
            + hex("03 00 00 00 00 00 00 00")
            + hex("03 00 00 00 00 00 00 00")
            + hex("03 00 00 00 | 00 00 00 00 | 01 00 00 00")
            + le64(0) + le64(6) + le64(6)
            + le64(0) + le64(2) + le64(3)
        XCTAssertEqual(expectedIndex.count, 94)
        XCTAssertEqual(try bytes(prefix + ".idx"), expectedIndex)
    }

    /// Spec §3.1 hex example 2: int64 through the helper, items [7] and [-1].
    func testHexExample2() throws {
        let prefix = path("ex2")
        try writeExample2(prefix)
        XCTAssertEqual(try bytes(prefix + ".bin"), hex("07 00 00 00 00 00 00 00 ff ff ff ff ff ff ff ff"))
        let expectedIndex = hex("4d 4d 49 44 49 44 58 00 00") + le64(1) + hex("05") + le64(2) + le64(2)
            + le32(1) + le32(1) + le64(0) + le64(8) + le64(0) + le64(2)
        XCTAssertEqual(expectedIndex.count, 74)
        XCTAssertEqual(try bytes(prefix + ".idx"), expectedIndex)
    }

    /// Spec §3.1: merging example 2 twice into a fresh helper builder gives doc_idx [0, 2, 4, 4].
    func testMergeTwiceThroughHelper() throws {
        let part = path("ex2")
        try writeExample2(part)
        let merged = try IndexedDatasetBuilder(prefix: path("merged"), dtype: .int64)
        try merged.merge(prefix: part)
        try merged.merge(prefix: part)
        try merged.closeAsHelper()

        let reader = try IndexedDatasetReader(prefix: path("merged"))
        XCTAssertEqual(reader.documentIndex, [0, 2, 4, 4])
        XCTAssertEqual((0..<reader.count).map { reader.size(ofItem: $0) }, [1, 1, 1, 1])
        XCTAssertEqual(try reader.allItems(), [[7], [-1], [7], [-1]])
        XCTAssertEqual(try bytes(path("merged.bin")), try bytes(part + ".bin") + bytes(part + ".bin"))
    }

    func testMergeRejectsOtherDType() throws {
        try writeExample2(path("ex2"))
        let builder = try IndexedDatasetBuilder(prefix: path("u8"), dtype: .uint8)
        XCTAssertThrowsError(try builder.merge(prefix: path("ex2"))) { error in
            XCTAssertEqual(error as? IndexedDatasetError,
                           .dtypeMismatch(path: path("ex2.idx"), expected: .uint8, found: .int64))
        }
    }

    /// Gradus throws where DeepSpeed's C cast would wrap (256 → 0 in uint8), and writes nothing.
    func testOutOfRangeValueThrowsAndLeavesBuilderUnchanged() throws {
        let prefix = path("range")
        let builder = try IndexedDatasetBuilder(prefix: prefix, dtype: .uint8)
        try builder.addItem([1, 2] as [Int64])
        XCTAssertThrowsError(try builder.addItem([3, 256] as [Int64])) { error in
            XCTAssertEqual(error as? IndexedDatasetError,
                           .valueOutOfRange(path: prefix + ".bin", item: 1, value: "256", dtype: "uint8"))
            XCTAssertTrue("\(error)".contains("256 does not fit uint8"))
        }
        XCTAssertThrowsError(try builder.addItem([-1] as [Int64]))
        XCTAssertThrowsError(try builder.addItem([UInt64.max]))
        try builder.addItem([255] as [UInt64])
        try builder.finalize()
        XCTAssertEqual(try bytes(prefix + ".bin"), [1, 2, 255])
        XCTAssertThrowsError(try builder.addItem([1] as [Int64]))  // finalized
    }

    func testPartialFilesUntilFinalizeAndCleanupWhenAbandoned() throws {
        let prefix = path("tmp")
        do {
            let builder = try IndexedDatasetBuilder(prefix: prefix, dtype: .int32)
            try builder.addItem([1] as [Int32])
            XCTAssertTrue(exists(prefix + ".bin.partial"))
            XCTAssertFalse(exists(prefix + ".bin"))
        }
        XCTAssertFalse(exists(prefix + ".bin.partial"))
        XCTAssertFalse(exists(prefix + ".bin"))
        XCTAssertFalse(exists(prefix + ".idx"))
    }

    /// Random items for every dtype, spanning each type's full range, read back three ways.
    func testRoundTripEveryDType() throws {
        var rng = SplitMix64(seed: 20_240_213)
        for dtype in IndexedDatasetDType.allCases {
            let prefix = path("rt_\(dtype)")
            // Small buffer so items straddle flushes.
            let builder = try IndexedDatasetBuilder(prefix: prefix, dtype: dtype, bufferCapacity: 64)
            var expected: [[Int64]] = []
            for _ in 0..<40 {
                let length = Int.random(in: 0...50, using: &rng)
                let lo = dtype.minimum, hi = Int64(clamping: dtype.maximum)
                let item = (0..<length).map { _ in Int64.random(in: lo...hi, using: &rng) }
                if Bool.random(using: &rng) { builder.endDocument() }
                try builder.addItem(item)
                expected.append(item)
            }
            try builder.closeAsHelper()
            let reader = try IndexedDatasetReader(prefix: prefix)
            XCTAssertEqual(reader.dtype, dtype)
            XCTAssertEqual(try reader.allItems(), expected, "\(dtype)")
            XCTAssertEqual(reader.documentIndex.last, Int64(expected.count))
            XCTAssertEqual(reader.elementCount, expected.map(\.count).reduce(0, +))
        }
    }

    /// uint64 values above Int64.max are written from UInt64 and read back typed.
    func testUInt64FullRange() throws {
        let prefix = path("u64")
        let builder = try IndexedDatasetBuilder(prefix: prefix, dtype: .uint64)
        try builder.addItem([0, UInt64.max, 1 << 63])
        try builder.finalize()
        let reader = try IndexedDatasetReader(prefix: prefix)
        reader.withItem(0, as: UInt64.self) { XCTAssertEqual(Array($0), [0, UInt64.max, 1 << 63]) }
        XCTAssertThrowsError(try reader.item(0))  // does not fit Int64
    }

    func testTypedBufferConversion() throws {
        let prefix = path("typed")
        let builder = try IndexedDatasetBuilder(prefix: prefix, dtype: .int16)
        let source: [UInt8] = [0, 200, 255]
        try source.withUnsafeBufferPointer { try builder.addItem($0) }
        try builder.addItem([-32768, 32767] as [Int32])
        try builder.finalize()
        let reader = try IndexedDatasetReader(prefix: prefix)
        XCTAssertEqual(try reader.allItems(), [[0, 200, 255], [-32768, 32767]])
        reader.withItemBytes(1) { raw, dtype in
            XCTAssertEqual(dtype, .int16)
            XCTAssertEqual(Array(raw), [0x00, 0x80, 0xff, 0x7f])
        }
    }

    /// Merging through a tiny buffer (large copies bypass it) keeps items and shifts doc_idx;
    /// documents read back include the empty one the helper's duplicated tail creates.
    func testMergeLargeFileThroughSmallBuffer() throws {
        var rng = SplitMix64(seed: 99)
        let part = try IndexedDatasetBuilder(prefix: path("part"), dtype: .uint32)
        var expected: [[Int64]] = []
        for _ in 0..<100 {
            let item = (0..<Int.random(in: 0...20, using: &rng)).map { _ in Int64.random(in: 0...Int64(UInt32.max), using: &rng) }
            try part.addItem(item)
            expected.append(item)
        }
        part.endDocument()
        try part.closeAsHelper()  // doc_idx [0, 100, 100]
        let merged = try IndexedDatasetBuilder(prefix: path("all"), dtype: .uint32, bufferCapacity: 16)
        try merged.addItem([1] as [UInt32])
        merged.endDocument()
        try merged.merge(prefix: path("part"))
        try merged.closeAsHelper()
        let reader = try IndexedDatasetReader(prefix: path("all"))
        XCTAssertEqual(try reader.allItems(), [[1]] + expected)
        XCTAssertEqual(reader.documentIndex, [0, 1, 101, 101, 101])
        var documentSizes: [Int] = []
        try reader.forEachDocument { _, tokens in documentSizes.append(tokens.count) }
        XCTAssertEqual(documentSizes, [1, expected.map(\.count).reduce(0, +), 0, 0])
    }

    func testSingleElementItemsReportTheFailingItem() throws {
        let prefix = path("single")
        let builder = try IndexedDatasetBuilder(prefix: prefix, dtype: .int8)
        try builder.addItem(single: Int64(5))
        let values: [Int64] = [1, -128, 300]
        XCTAssertThrowsError(try values.withUnsafeBufferPointer { try builder.addSingleElementItems($0) }) { error in
            XCTAssertEqual(error as? IndexedDatasetError,
                           .valueOutOfRange(path: prefix + ".bin", item: 3, value: "300", dtype: "int8"))
        }
        try [Int64(1), -128].withUnsafeBufferPointer { try builder.addSingleElementItems($0) }
        try builder.finalize()
        XCTAssertEqual(try IndexedDatasetReader(prefix: prefix).allItems(), [[5], [1], [-128]])
    }

    private func writeExample2(_ prefix: String) throws {
        let builder = try IndexedDatasetBuilder(prefix: prefix, dtype: .int64)
        try builder.addItem(single: Int64(7))
        try builder.addItem(single: Int64(-1))
        try builder.closeAsHelper()
    }
}
