// HelperVectorTests.swift — find_fit_int_dtype and split_index against the vector tables of spec
// §3.3, and the dtype-code tables of §3.1.

import XCTest
@testable import CorpusIndex

final class HelperVectorTests: XCTestCase {
    func testFitIntDTypeVectors() {
        let vectors: [(Int64, Int64, IndexedDatasetDType)] = [
            (0, 255, .uint8), (0, 256, .uint16), (0, 65_536, .uint32), (0, 1 << 32, .uint64),
            (-1, 127, .int8), (-1, 128, .int16), (-129, 0, .int16), (-32_769, 0, .int32),
            (-1, 1 << 31, .int64), (5, 5, .uint8),
        ]
        for (low, high, expected) in vectors {
            XCTAssertEqual(fitIntDType(min: low, max: high), expected, "(\(low), \(high))")
        }
    }

    func testSplitIndexVectors() {
        func pairs(_ s: Int, _ e: Int, _ n: Int) -> [[Int]] {
            splitIndex(start: s, end: e, parts: n).map { [$0.lowerBound, $0.upperBound] }
        }
        XCTAssertEqual(pairs(0, 10, 3), [[0, 3], [3, 6], [6, 10]])
        XCTAssertEqual(pairs(0, 10, 4), [[0, 2], [2, 5], [5, 7], [7, 10]])
        XCTAssertEqual(pairs(0, 7, 3), [[0, 2], [2, 4], [4, 7]])
        XCTAssertEqual(pairs(0, 3, 5), [[0, 0], [0, 1], [1, 1], [1, 2], [2, 3]])
        XCTAssertEqual(pairs(100, 110, 3), [[100, 103], [103, 106], [106, 110]])
        let bounds = splitIndex(start: 0, end: 1000, parts: 7).map(\.lowerBound) + [1000]
        XCTAssertEqual(bounds, [0, 142, 285, 428, 571, 714, 857, 1000])
    }

    /// The §4.5 example's splits: workers [(0,11),(11,23)], threads (0,5),(5,11),(11,17),(17,23).
    func testSplitDatasetExample() {
        let workers = splitIndex(start: 0, end: 23, parts: 2)
        XCTAssertEqual(workers, [0..<11, 11..<23])
        XCTAssertEqual(splitIndex(start: 0, end: 11, parts: 2), [0..<5, 5..<11])
        XCTAssertEqual(splitIndex(start: 11, end: 23, parts: 2), [11..<17, 17..<23])
    }

    func testCodeTables() {
        let current: [(IndexedDatasetDType, UInt8)] = [
            (.uint8, 1), (.int8, 2), (.int16, 3), (.int32, 4), (.int64, 5), (.uint16, 6), (.uint32, 7), (.uint64, 8),
        ]
        for (dtype, code) in current {
            XCTAssertEqual(DTypeCodeTable.deepSpeed.code(of: dtype), code)
            XCTAssertEqual(DTypeCodeTable.deepSpeed.lookUp(code), .integer(dtype))
        }
        XCTAssertEqual(DTypeCodeTable.deepSpeedLegacy.lookUp(8), .integer(.uint16))
        XCTAssertEqual(DTypeCodeTable.deepSpeedLegacy.lookUp(9), .integer(.uint32))
        XCTAssertEqual(DTypeCodeTable.deepSpeedLegacy.lookUp(10), .integer(.uint64))
        XCTAssertEqual(DTypeCodeTable.deepSpeedLegacy.lookUp(6), .floatingPoint)
        XCTAssertEqual(DTypeCodeTable.megatron.lookUp(7), .floatingPoint)
        XCTAssertEqual(DTypeCodeTable.megatron.lookUp(8), .integer(.uint16))
        XCTAssertEqual(DTypeCodeTable.megatron.lookUp(9), .unknown)
        XCTAssertEqual(DTypeCodeTable.deepSpeed.lookUp(9), .unknown)
        XCTAssertEqual(DTypeCodeTable.deepSpeed.lookUp(0), .unknown)
        XCTAssertNil(DTypeCodeTable.megatron.code(of: .uint64))
    }

    func testDTypeRanges() {
        XCTAssertTrue(IndexedDatasetDType.int8.contains(-128))
        XCTAssertFalse(IndexedDatasetDType.int8.contains(128))
        XCTAssertFalse(IndexedDatasetDType.uint64.contains(-1))
        XCTAssertTrue(IndexedDatasetDType.uint64.contains(UInt64.max))
        XCTAssertFalse(IndexedDatasetDType.int64.contains(UInt64.max))
        XCTAssertEqual(IndexedDatasetDType.allCases.map(\.itemSize), [1, 1, 2, 4, 8, 2, 4, 8])
    }
}
