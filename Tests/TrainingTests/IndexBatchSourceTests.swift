// IndexBatchSourceTests.swift — batches from a real (tiny, pre-tokenized) index: rows, targets
// and padding masks worked by hand, the held-out split's properties, shuffling that covers every
// sample once per epoch and resumes exactly, refusal of another index's state, and the unigram
// entropy against a hand calculation.

import Corpus
import CorpusIndex
import Foundation
import XCTest
import Model
@testable import Training

final class IndexBatchSourceTests: XCTestCase {
    /// Document mode, vocabulary 10: docs [1,2,3], [4,5,6,7,8,9], [2,2], [9,1,1,1,1].
    private func index() throws -> IndexReader {
        let dir = try temporaryDirectory(self)
        var options = IndexBuildOptions(inputs: ["a"], output: dir + "/i")
        options.vocabularySize = 10
        let docs: [[TokenID]] = [[1, 2, 3], [4, 5, 6, 7, 8, 9], [2, 2], [9, 1, 1, 1, 1]]
        _ = try IndexBuilder.build(options, openSource: { _, _ in ArrayRecordSource(tokens: docs) }, onCommit: { _ in })
        return try IndexReader(path: dir + "/i")
    }

    func test_rows_targetsAndPaddingMatchHandLayout() throws {
        let source = try IndexBatchSource(reader: try index(), ids: [0, 1, 2, 3], batchSize: 2, length: 4, vocab: 10,
                                          seed: 0, shuffle: false)
        let first = try source.nextBatch().batch
        XCTAssertEqual(first.inputs, [1, 2, 3, 0, 4, 5, 6, 7])
        XCTAssertEqual(first.targets, [2, 3, -1, -1, 5, 6, 7, 8])
        XCTAssertEqual(first.lossMask, [1, 1, 0, 0, 1, 1, 1, 1])
        let second = try source.nextBatch().batch
        XCTAssertEqual(second.inputs, [2, 2, 0, 0, 9, 1, 1, 1])
        XCTAssertEqual(second.targets, [2, -1, -1, -1, 1, 1, 1, 1])
        XCTAssertEqual(second.lossMask, [1, 0, 0, 0, 1, 1, 1, 1])
        XCTAssertEqual(try source.nextBatch().batch, first, "the third batch starts the second epoch")
    }

    func test_shuffle_coversEverySampleOncePerEpochAndResumesExactly() throws {
        let reader = try index()
        func make() throws -> IndexBatchSource {
            try IndexBatchSource(reader: reader, ids: [0, 1, 2, 3], batchSize: 1, length: 6, vocab: 10, seed: 7, shuffle: true)
        }
        let a = try make()
        var firsts: [[Int32]] = []
        for _ in 0..<4 { firsts.append(try a.nextBatch().batch.inputs) }
        let docs: Set<[Int32]> = [[1, 2, 3, 0, 0, 0], [4, 5, 6, 7, 8, 9], [2, 2, 0, 0, 0, 0], [9, 1, 1, 1, 1, 0]]
        XCTAssertEqual(Set(firsts), docs, "one epoch serves each sample once")
        let saved = try a.saveState()
        let expected = try (0..<6).map { _ in try a.nextBatch().batch }
        let b = try make()
        try b.restoreState(saved)
        XCTAssertEqual(try (0..<6).map { _ in try b.nextBatch().batch }, expected)

        let other = try IndexBatchSource(reader: reader, ids: [0, 1], batchSize: 1, length: 6, vocab: 10, seed: 7, shuffle: true)
        var foreign = try JSONSerialization.jsonObject(with: saved) as! [String: Any]
        foreign["index"] = "another/1/2/doc"
        XCTAssertThrowsError(try other.restoreState(JSONSerialization.data(withJSONObject: foreign)))
    }

    func test_tokensOutsideTheModelVocabularyThrow() throws {
        let source = try IndexBatchSource(reader: try index(), ids: [1], batchSize: 1, length: 4, vocab: 8, seed: 0, shuffle: false)
        XCTAssertThrowsError(try source.nextBatch())  // sample 1 holds 8 and 9
    }

    func test_heldOutSplit_isDisjointCompleteDeterministicAndSized() {
        let (training, heldOut) = HeldOutSplit.split(count: 20_000, fraction: 0.05)
        XCTAssertEqual(training.count + heldOut.count, 20_000)
        XCTAssertTrue(Set(training).isDisjoint(with: heldOut))
        XCTAssertEqual(Double(heldOut.count) / 20_000, 0.05, accuracy: 0.006)
        XCTAssertEqual(HeldOutSplit.split(count: 20_000, fraction: 0.05).heldOut, heldOut)
        XCTAssertTrue(heldOut.allSatisfy { HeldOutSplit.isHeldOut(id: $0, fraction: 0.05) })
        XCTAssertEqual(HeldOutSplit.split(count: 100, fraction: 0).heldOut, [])
    }

    func test_unigramEntropy_matchesHandCalculation() throws {
        // Counts over 16 tokens: 1×5, 2×3, 3, 4, 5, 6, 7, 8 once, 9×2 →
        // H = −Σ p ln p with p = 5/16, 3/16, 2/16 and six of 1/16.
        let p = [5.0, 3, 2, 1, 1, 1, 1, 1, 1].map { $0 / 16 }
        let h = -p.reduce(0) { $0 + $1 * log($1) }
        XCTAssertEqual(try index().unigramEntropy(), h, accuracy: 1e-12)
    }
}
