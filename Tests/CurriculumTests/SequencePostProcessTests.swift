// SequencePostProcessTests.swift — seqlen_truncate / seqlen_reshape (spec §8.1, with its worked
// reshape example) and BERT's effective length (§8.2).

import Curriculum
import XCTest

final class SequencePostProcessTests: XCTestCase {
    /// text = 0…43 laid out 4 × 11 (B = 4, S = 10).
    let text: [[Int]] = (0..<4).map { b in Array((b * 11)..<(b * 11 + 11)) }

    func testReshapeWorkedExample() throws {
        let rows = try SequencePostProcess.reshape(text, difficulty: 3, sequenceLength: 10)
        XCTAssertEqual(rows, [[0, 1, 2, 3], [4, 5, 6, 7], [11, 12, 13, 14], [15, 16, 17, 18],
                              [22, 23, 24, 25], [26, 27, 28, 29], [33, 34, 35, 36], [37, 38, 39, 40],
                              [7, 8, 9, 10], [18, 19, 20, 21]])
    }

    func testTruncate() throws {
        XCTAssertEqual(try SequencePostProcess.truncate(text, difficulty: 3, sequenceLength: 10).map { $0 },
                       [[0, 1, 2, 3], [11, 12, 13, 14], [22, 23, 24, 25], [33, 34, 35, 36]])
        XCTAssertEqual(try SequencePostProcess.truncate(text, difficulty: 10, sequenceLength: 10), text)
        XCTAssertEqual(try SequencePostProcess.reshape(text, difficulty: 12, sequenceLength: 10), text)
    }

    func testTruncateWinsOverReshape() throws {
        let r = try SequencePostProcess.apply(text, difficulties: ["seqlen_reshape": 3, "seqlen_truncate": 5], sequenceLength: 10)
        XCTAssertEqual(r.kind, .truncate)
        XCTAssertEqual(r.rows[0], [0, 1, 2, 3, 4, 5])
        XCTAssertNil(try SequencePostProcess.apply(text, difficulties: ["voc": 3], sequenceLength: 10).kind)
    }

    func testShapeIsChecked() {
        XCTAssertThrowsError(try SequencePostProcess.truncate([[1, 2, 3]], difficulty: 1, sequenceLength: 10))
    }

    func testBertEffectiveLength() {
        XCTAssertEqual(SequencePostProcess.bertEffectiveLength(truncateDifficulty: 100, realTokenCounts: [], sequenceLength: 512), 104)
        XCTAssertEqual(SequencePostProcess.bertEffectiveLength(truncateDifficulty: nil, realTokenCounts: [3, 17, 9], sequenceLength: 512), 24)
        XCTAssertEqual(SequencePostProcess.bertEffectiveLength(truncateDifficulty: nil, realTokenCounts: [510], sequenceLength: 512), 512)
    }
}
