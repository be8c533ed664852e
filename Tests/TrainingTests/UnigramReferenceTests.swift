// UnigramReferenceTests.swift — the context-free reference loss (issue 17 item 6) on a batch
// source whose targets and mask are chosen by hand.

import Foundation
import Model
import XCTest
@testable import Training

final class UnigramReferenceTests: XCTestCase {
    /// A source that serves the same two batches in turn and records its position as its state.
    private final class TwoBatches: BatchSource {
        var position = 0
        let batches: [TokenBatch]
        init(_ batches: [TokenBatch]) { self.batches = batches }
        func nextBatch() throws -> (batch: TokenBatch, info: BatchInfo?) {
            defer { position += 1 }
            return (batches[position % batches.count], nil)
        }
        func saveState() throws -> Data { Data([UInt8(position)]) }
        func restoreState(_ state: Data) throws { position = Int(state[0]) }
    }

    /// counts [1, 3, 0, 4] (total 8): p = 1/8, 3/8, 0, 4/8. Batch 1 targets [1, 3] both counted;
    /// batch 2 targets [0, 2] with token 2 masked out. Mean over the 3 counted positions:
    /// (ln(8/3) + ln 2 + ln 8) / 3.
    func testMeanNegativeLogFrequencyOverCountedPositionsAndStateRestored() throws {
        let b1 = try TokenBatch(batchSize: 1, length: 2, inputs: [0, 0], targets: [1, 3], lossMask: [1, 1])
        let b2 = try TokenBatch(batchSize: 1, length: 2, inputs: [0, 0], targets: [0, 2], lossMask: [1, 0])
        let source = TwoBatches([b1, b2])
        let loss = try XCTUnwrap(UnigramReference.loss(heldOut: source, batches: 2, counts: [1, 3, 0, 4]))
        XCTAssertEqual(loss, (log(8.0 / 3.0) + log(2.0) + log(8.0)) / 3, accuracy: 1e-12)
        XCTAssertEqual(source.position, 0, "the source is back where it was")
        // A counted target without a count cannot be scored: an error, not an infinity.
        let bad = TwoBatches([try TokenBatch(batchSize: 1, length: 1, inputs: [0], targets: [2], lossMask: [1])])
        XCTAssertThrowsError(try UnigramReference.loss(heldOut: bad, batches: 1, counts: [1, 3, 0, 4]))
    }
}
