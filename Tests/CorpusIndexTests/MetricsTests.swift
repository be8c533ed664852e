// MetricsTests.swift — the metric math of spec §5.2 (worked example f = [3, 1, 0, 4]) and the
// Gradus entropy metric on hand-computed cases; a small end-to-end run through the exporter.

import XCTest
import Foundation
@testable import CorpusIndex

final class MetricsTests: TemporaryDirectoryTestCase {
    private let counts: [Int64] = [3, 1, 0, 4]

    private func evaluate(_ metric: some DifficultyMetric, _ tokens: [UInt32], sequenceLength: Int = 4,
                          rarity: RarityWeights? = nil) throws -> Double {
        var scratch = MetricScratch(vocabularySize: 8)
        let context = MetricContext(sequenceLength: sequenceLength, rarity: rarity)
        return try tokens.withUnsafeBufferPointer { try metric.value(of: $0, context: context, scratch: &scratch) }
    }

    /// Zero counts become 1 before normalising: f = [3, 1, 1, 4], Σ = 9, w = −ln(f/9).
    func testRarityWeights() throws {
        let w = try RarityWeights(counts: counts)
        let spec = [1.0986123, 2.1972246, 2.1972246, 0.8109302]
        for k in 0..<4 { XCTAssertEqual(w.weights[k], spec[k], accuracy: 5e-8) }
        XCTAssertEqual(w.weights[0], log(3.0), accuracy: 1e-15)
        XCTAssertEqual(w.weights[3], log(9.0 / 4.0), accuracy: 1e-15)
        XCTAssertEqual(w.maxWeight, log(9.0), accuracy: 1e-15)
        XCTAssertThrowsError(try RarityWeights(counts: [1, -1]))
        XCTAssertThrowsError(try RarityWeights(counts: []))
    }

    /// GPT: [0,3,3,1] → 4.9177 → 4; [2,2,2,2] → 8.7889 → 8.
    func testVocabularyRarityGPT() throws {
        let w = try RarityWeights(counts: counts)
        let metric = VocabularyRarityMetric()
        XCTAssertTrue(metric.needsTokenCounts)
        let a = try evaluate(metric, [0, 3, 3, 1], rarity: w)
        let b = try evaluate(metric, [2, 2, 2, 2], rarity: w)
        XCTAssertEqual(a, 4.9177, accuracy: 1e-4)
        XCTAssertEqual(a, log(3.0) + 2 * log(9.0 / 4.0) + log(9.0), accuracy: 1e-14)
        XCTAssertEqual(b, 8.7889, accuracy: 1e-4)
        XCTAssertEqual(DeepSpeedExport.truncatedForExport(a), 4)
        XCTAssertEqual(DeepSpeedExport.truncatedForExport(b), 8)
    }

    /// BERT with padding masks [1,1,1,0] and [1,1,0,0] = the real tokens [0,3,3] and [2,2]:
    /// 2.7205 → 2 and 4.3944 → 4.
    func testVocabularyRarityBERTRealTokens() throws {
        let w = try RarityWeights(counts: counts)
        let a = try evaluate(VocabularyRarityMetric(), [0, 3, 3], rarity: w)
        let b = try evaluate(VocabularyRarityMetric(), [2, 2], rarity: w)
        XCTAssertEqual(a, 2.7205, accuracy: 1e-4)
        XCTAssertEqual(b, 4.3944, accuracy: 1e-4)
        XCTAssertEqual(DeepSpeedExport.truncatedForExport(a), 2)
        XCTAssertEqual(DeepSpeedExport.truncatedForExport(b), 4)
    }

    /// seq_length 4: 4 · 2.1972 = 8.789, ⌈log10⌉ = 1, C = 100; 3·100 + 2 = 302 and 2·100 + 4 = 204.
    func testSeqlenVocabularyRarity() throws {
        let w = try RarityWeights(counts: counts)
        XCTAssertEqual(try SeqlenVocabularyRarityMetric.coefficient(sequenceLength: 4, maxWeight: w.maxWeight), 100)
        let metric = SeqlenVocabularyRarityMetric()
        let a = try evaluate(metric, [0, 3, 3], rarity: w)
        let b = try evaluate(metric, [2, 2], rarity: w)
        XCTAssertEqual(DeepSpeedExport.truncatedForExport(a), 302)
        XCTAssertEqual(DeepSpeedExport.truncatedForExport(b), 204)
        XCTAssertThrowsError(try SeqlenVocabularyRarityMetric.coefficient(sequenceLength: 4, maxWeight: 0))
    }

    func testMissingCountsAndUnknownToken() throws {
        XCTAssertThrowsError(try evaluate(VocabularyRarityMetric(), [0])) { error in
            XCTAssertEqual(error as? MetricError, .missingTokenCounts(metric: "vocabularyrarity"))
        }
        let w = try RarityWeights(counts: counts)
        XCTAssertThrowsError(try evaluate(VocabularyRarityMetric(), [4], rarity: w)) { error in
            XCTAssertEqual(error as? MetricError, .tokenOutsideVocabulary(metric: "vocabularyrarity", id: 4, vocabularySize: 4))
        }
    }

    func testSequenceLength() throws {
        XCTAssertEqual(try evaluate(SequenceLengthMetric(), [5, 5, 1]), 3)
        XCTAssertFalse(SequenceLengthMetric().needsTokenCounts)
    }

    /// Hand-computed: [1,1,2,3] has p = 1/2, 1/4, 1/4 → 0.5 + 0.5 + 0.5 = 1.5 bits;
    /// four distinct tokens → 2 bits; one repeated token → 0; empty → 0.
    func testEntropy() throws {
        let metric = TokenEntropyMetric()
        var scratch = MetricScratch(vocabularySize: 8)
        let context = MetricContext(sequenceLength: 4)
        func h(_ tokens: [UInt32]) throws -> Double {
            try tokens.withUnsafeBufferPointer { try metric.value(of: $0, context: context, scratch: &scratch) }
        }
        XCTAssertEqual(try h([1, 1, 2, 3]), 1.5, accuracy: 1e-15)
        XCTAssertEqual(try h([0, 1, 2, 3]), 2.0, accuracy: 1e-15)
        XCTAssertEqual(try h([5, 5, 5]), 0)
        XCTAssertEqual(try h([]), 0)
        XCTAssertEqual(scratch.counts, [UInt32](repeating: 0, count: 8))
        XCTAssertThrowsError(try h([1, 2, 9]))
        XCTAssertEqual(scratch.counts, [UInt32](repeating: 0, count: 8), "scratch restored after a throw")
    }

    /// total_vocab_freq → metric_value file → weights → vocab_rarity → export, read back.
    func testEndToEndThroughFiles() throws {
        let samples: [[UInt32]] = [[0, 3, 3, 1], [2, 2, 2, 2], [3, 3, 3, 0]]
        _ = try DeepSpeedExport.writeAccumulatedMetric(name: "total_vocab_freq", values: counts, outputDirectory: directory)
        let freq = try IndexedDatasetReader(
            prefix: DeepSpeedExport.prefix(.metricValue, metric: "total_vocab_freq", outputDirectory: directory))
        let weights = try RarityWeights(counts: try freq.item(0))
        let metric = VocabularyRarityMetric()
        let exact = try samples.map { try evaluate(metric, $0, rarity: weights) }
        let values = try DeepSpeedExport.truncatedForExport(metric: metric.name, values: exact)
        // [0,3,3,3]… hand values: 4.9177 → 4, 8.7889 → 8, ln 3 + 3 ln(9/4) = 3.5313 → 3.
        XCTAssertEqual(values, [4, 8, 3])
        _ = try DeepSpeedExport.writeSingleValueMetric(name: metric.name, values: values, outputDirectory: directory)
        let rows = try IndexedDatasetReader(
            prefix: DeepSpeedExport.prefix(.indexToSample, metric: metric.name, outputDirectory: directory))
        XCTAssertEqual(try rows.allItems(), [[2], [0], [1]])
    }
}
