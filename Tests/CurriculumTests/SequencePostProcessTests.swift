// SequencePostProcessTests.swift — seqlen_truncate / seqlen_reshape (spec §8.1, with its worked
// reshape example) and BERT's effective length (§8.2).

import Curriculum
import XCTest

final class SequencePostProcessTests: XCTestCase {
    /// text = 0…43 laid out 4 × 11 (B = 4, S = 10), row-major: token i sits at offset i.
    let text: [[Int]] = (0..<4).map { b in Array((b * 11)..<(b * 11 + 11)) }

    /// The rows of `text` the layout describes (a source offset equals its token here).
    private func rows(_ kind: SequenceCurriculumKind?, _ c: Int) -> [[Int]] {
        let layout = SequencePostProcess.layout(batch: 4, sequenceLength: 10, kind: kind, difficulty: c)
        return layout.starts.map { Array($0..<($0 + layout.width)) }
    }

    func testReshapeWorkedExample() throws {
        XCTAssertEqual(rows(.reshape, 3), [[0, 1, 2, 3], [4, 5, 6, 7], [11, 12, 13, 14], [15, 16, 17, 18],
                                           [22, 23, 24, 25], [26, 27, 28, 29], [33, 34, 35, 36], [37, 38, 39, 40],
                                           [7, 8, 9, 10], [18, 19, 20, 21]])
        XCTAssertEqual(SequencePostProcess.layout(batch: 4, sequenceLength: 10, kind: .reshape, difficulty: 3).servedTokens, 30)
    }

    func testTruncate() throws {
        XCTAssertEqual(rows(.truncate, 3), [[0, 1, 2, 3], [11, 12, 13, 14], [22, 23, 24, 25], [33, 34, 35, 36]])
        XCTAssertEqual(rows(.truncate, 10), text)
        XCTAssertEqual(rows(.reshape, 12), text)
        XCTAssertEqual(rows(nil, 3), text)
    }

    func testTruncateWinsOverReshape() throws {
        XCTAssertEqual(SequencePostProcess.kind(of: ["seqlen_reshape", "voc", "seqlen_truncate"]), .truncate)
        XCTAssertEqual(SequencePostProcess.kind(of: ["seqlen_reshape"]), .reshape)
        XCTAssertNil(SequencePostProcess.kind(of: ["voc"]))
    }

    func testBertEffectiveLength() {
        XCTAssertEqual(SequencePostProcess.bertEffectiveLength(truncateDifficulty: 100, realTokenCounts: [], sequenceLength: 512), 104)
        XCTAssertEqual(SequencePostProcess.bertEffectiveLength(truncateDifficulty: nil, realTokenCounts: [3, 17, 9], sequenceLength: 512), 24)
        XCTAssertEqual(SequencePostProcess.bertEffectiveLength(truncateDifficulty: nil, realTokenCounts: [510], sequenceLength: 512), 512)
    }
}
