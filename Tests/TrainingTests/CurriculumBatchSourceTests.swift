// CurriculumBatchSourceTests.swift — curriculum batches in training on a real (tiny) index: every
// served sample is admitted at its curriculum step and never held out, rows are cut to the
// seqlen_truncate difficulty of the step (hand-computed pacing table), the served shape formula
// agrees with `SequencePostProcess`, the source state round-trips exactly, and a curriculum run
// resumed from a checkpoint is bit-identical to an uninterrupted one (BLAS pinned to one thread).

import Corpus
import CorpusIndex
import Curriculum
import Foundation
import Linalg
import Model
import TestSupport
import XCTest
@testable import Training

final class CurriculumBatchSourceTests: XCTestCase {
    /// Document i (0..<40) is [i + 1] followed by fillers: length 3 + (7·i mod 17) tokens.
    private static func document(_ i: Int) -> [TokenID] {
        [TokenID(i + 1)] + (0..<(2 + (7 * i) % 17)).map { TokenID(41 + ($0 + i) % 20) }
    }

    private static let heldOutFraction = 0.25

    override func setUp() {
        BLAS.setThreads(1)
    }

    private func makeIndex() throws -> LMDBDifficultyIndex {
        let dir = try TemporaryDirectory("training", removedAfter: self).path
        var options = IndexBuildOptions(inputs: ["docs"], output: dir + "/i")
        options.vocabularySize = 64
        let docs = (0..<40).map(Self.document)
        _ = try IndexBuilder.build(options, openSource: { _, _ in ArrayRecordSource(tokens: docs) }, onCommit: { _ in })
        return try LMDBDifficultyIndex(path: dir + "/i")
    }

    /// seqlen (value, 6 → 20 over 6 steps) clusters; seqlen_truncate (4 → 12 over 8 steps, step 2) cuts rows.
    private func config(steps: Int = 8) throws -> RunConfig {
        try RunConfig.parse("""
        {"train_batch_size": 3, "data_efficiency": {"enabled": true, "seed": 11, "data_sampling": {"enabled": true,
          "curriculum_learning": {"enabled": true, "curriculum_metrics": {
            "seqlen": {"difficulty_type": "value", "clustering_type": "schedule_based", "min_difficulty": 6,
              "max_difficulty": 20, "schedule_type": "fixed_linear",
              "schedule_config": {"total_curriculum_step": 6, "difficulty_step": 1}},
            "seqlen_truncate": {"difficulty_type": "value", "clustering_type": "single_cluster", "min_difficulty": 4,
              "max_difficulty": 12, "schedule_type": "fixed_linear",
              "schedule_config": {"total_curriculum_step": 8, "difficulty_step": 2}}}}}},
         "gradus": {"model": {"layers": 2, "d_model": 16, "heads": 4, "context": 12, "vocab": 64},
           "train": {"batch_size": 3, "seed": 42, "steps": \(steps), "validation_fraction": \(Self.heldOutFraction),
             "lr": {"peak": 0.01, "min": 0.001, "warmup": 2, "total": \(steps)}}}}
        """)
    }

    /// DeepSpeed fixed_linear by hand: ⌊(min + (max − min)·s/total) / step⌋·step, max after total.
    private func truncateDifficulty(_ s: Int) -> Int { s >= 8 ? 12 : (4 + s) / 2 * 2 }
    private func seqlenDifficulty(_ s: Int) -> Int { s >= 6 ? 20 : 6 + 14 * s / 6 }

    func testBatchesAdmittedNeverHeldOutAndCutToTheStepDifficulty() throws {
        let source = try CurriculumBatchSource(index: try makeIndex(), config: try config())
        XCTAssertFalse(HeldOutSplit.split(count: 40, fraction: Self.heldOutFraction).heldOut.isEmpty)
        var previousStep = 0
        for n in 1...12 {
            let batch = try source.nextBatch()
            let info = try XCTUnwrap(source.lastBatchInfo)
            XCTAssertGreaterThanOrEqual(info.curriculumStep, max(n, previousStep + 1))
            previousStep = info.curriculumStep
            XCTAssertEqual(info.difficulties["seqlen_truncate"], Double(truncateDifficulty(info.curriculumStep)))
            XCTAssertEqual(batch.batchSize, 3)
            XCTAssertEqual(batch.length, min(12, truncateDifficulty(info.curriculumStep)))
            for row in 0..<3 {
                let id = Int(batch.inputs[row * batch.length]) - 1
                XCTAssertFalse(HeldOutSplit.isHeldOut(id: id, fraction: Self.heldOutFraction), "held-out sample \(id) served")
                // Admitted at the step it was drawn, or an earlier one (carried over): ≤ today's threshold.
                XCTAssertLessThanOrEqual(Self.document(id).count, seqlenDifficulty(info.curriculumStep), "sample \(id)")
            }
        }
    }

    func testStateRoundTripsExactly() throws {
        let index = try makeIndex(), config = try config()
        let a = try CurriculumBatchSource(index: index, config: config)
        for _ in 0..<5 { _ = try a.nextBatch() }
        let saved = try a.saveState()
        let continued = try (0..<5).map { _ in try a.nextBatch() }
        let b = try CurriculumBatchSource(index: index, config: config)
        try b.restoreState(saved)
        XCTAssertEqual(try (0..<5).map { _ in try b.nextBatch() }, continued)
        XCTAssertThrowsError(try b.restoreState(Data("{}".utf8)))
    }

    func testServedShapeMatchesSequencePostProcess() throws {
        let rows = (0..<3).map { r in (0...12).map { Int32(r * 100 + $0) } }
        for c in 1...14 {
            for kind in [SequenceCurriculumKind.truncate, .reshape] {
                let out = try SequencePostProcess.apply(rows, difficulties: [kind.rawValue: Double(c)], sequenceLength: 12).rows
                let shape = SequenceCurriculum.servedShape(batch: 3, sequenceLength: 12, kind: kind, difficulty: c)
                XCTAssertEqual(shape.rows, out.count, "\(kind) c=\(c)")
                XCTAssertEqual(shape.length + 1, out[0].count, "\(kind) c=\(c)")
            }
        }
    }

    func testCurriculumRunResumeIsBitIdentical() throws {
        let dir = try TemporaryDirectory("training", removedAfter: self).path
        let index = try makeIndex(), config = try config(steps: 8)
        func source() throws -> CurriculumBatchSource { try CurriculumBatchSource(index: index, config: config) }
        let straight = try Trainer(config: config, source: try source())
        let all = try straight.train()
        XCTAssertEqual(all.map(\.seqLength), all.map { min(12, truncateDifficulty($0.curriculumStep ?? 0)) })
        XCTAssertLessThan(all[0].seqLength, 12, "the curriculum starts short")

        let first = try Trainer(config: config, source: try source())
        _ = try first.train(until: 4, checkpointPath: dir + "/ck")
        let resumed = try Trainer(resumingFrom: dir + "/ck", config: config, source: try source())
        let rest = try resumed.train()
        XCTAssertEqual(rest.map(\.loss), all.suffix(4).map(\.loss))
        XCTAssertEqual(rest.map(\.difficulty), all.suffix(4).map(\.difficulty))
        XCTAssertEqual(Array(resumed.model.parameters), Array(straight.model.parameters), "parameters differ")
        XCTAssertEqual(Array(resumed.optimizer.v), Array(straight.optimizer.v))

        var uniform = config
        uniform.file = GradusConfig()
        XCTAssertThrowsError(try Trainer(resumingFrom: dir + "/ck", config: uniform, source: try source())) { error in
            guard case TrainingError.checkpointMismatch(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("data_efficiency"), reason)
        }
    }

    /// Composition (issue 6 item 5): the same curriculum with random-LTD in layer 1 of 3, r from 2
    /// to 12 over 8 steps (seq_per_step 2). Each step's log records r(step) and the truncated
    /// length T(step); tokens are dropped only where r < T, so the layer-tokens of a step are
    /// 3 rows × (T·2 + min(r, T)·1) — worked out here by hand from the two pacing tables.
    func testCurriculumWithRandomLTDLogsRAndCountsOnlyDroppedWork() throws {
        let text = """
        {"train_batch_size": 3, "data_efficiency": {"enabled": true, "seed": 11, "data_sampling": {"enabled": true,
          "curriculum_learning": {"enabled": true, "curriculum_metrics": {
            "seqlen_truncate": {"difficulty_type": "value", "clustering_type": "single_cluster", "min_difficulty": 4,
              "max_difficulty": 12, "schedule_type": "fixed_linear",
              "schedule_config": {"total_curriculum_step": 8, "difficulty_step": 2}}}}},
          "data_routing": {"enabled": true, "random_ltd": {"enabled": true, "total_layer_num": 3,
            "random_ltd_layer_num": 1, "random_ltd_layer_id": [1], "model_mask_name": null, "model_type": "decoder",
            "hidden_state_order": "batch_seq_dim", "random_ltd_schedule": {"min_value": 2, "max_value": 12,
              "schedule_type": "fixed_linear", "schedule_config": {"require_steps": 8, "seq_per_step": 2}}}}},
         "gradus": {"model": {"layers": 3, "d_model": 16, "heads": 4, "context": 12, "vocab": 64},
           "train": {"batch_size": 3, "seed": 42, "steps": 8, "validation_fraction": \(Self.heldOutFraction),
             "lr": {"peak": 0.01, "min": 0.001, "warmup": 2, "total": 8}}}}
        """
        let run = try RunConfig.parse(text)
        let routing = try XCTUnwrap(try run.randomLTDRouting())
        let source = try CurriculumBatchSource(index: try makeIndex(), config: run)
        let trainer = try Trainer(config: run, source: source, randomLTD: routing)
        var expectedLayerTokens = 0, dropped = 0
        // r(s) = ⌊s/8 · 10 + 2⌋ rounded down to a multiple of 2 (spec §9.1): 2 2 4 4 6 8 8 10.
        let reserved = [2, 2, 4, 4, 6, 8, 8, 10]
        for step in 0..<8 {
            let record = try trainer.step()
            let r = reserved[step]
            XCTAssertEqual(record.reserved, r, "step \(step)")
            let cut = try XCTUnwrap(record.difficulty?["seqlen_truncate"], "step \(step)")
            XCTAssertEqual(record.seqLength, Int(cut), "step \(step)")
            let T = record.seqLength
            if r < T { dropped += 1 }
            expectedLayerTokens += 3 * (T * 2 + min(r, T))
            XCTAssertEqual(record.layerTokens, expectedLayerTokens, "step \(step)")
            XCTAssertEqual(record.tokens, trainer.progress.tokens)
        }
        XCTAssertGreaterThan(dropped, 0, "the schedule must actually drop tokens for this check to bite")
    }
}
