// CurriculumBatchStreamTests.swift — curriculum batches on a real (tiny) index: every served sample
// is admitted at its curriculum step and never held out, rows are cut to the seqlen_truncate
// difficulty of the step (hand-computed pacing table) in the trainer's batch and in every
// micro-batch of `gradus batches`' geometry, unshaped rows are the stored samples, the served
// shape formula agrees with `SequencePostProcess`, the stream state round-trips exactly, and a
// curriculum run resumed from a checkpoint is bit-identical to an uninterrupted one (BLAS pinned
// to one thread).

import Corpus
import CorpusIndex
import Curriculum
import Foundation
import Model
import TestSupport
import XCTest
@testable import Training

final class CurriculumBatchStreamTests: XCTestCase {
    /// Document i (0..<40) is [i + 1] followed by fillers: length 3 + (7·i mod 17) tokens.
    private static func document(_ i: Int) -> [TokenID] {
        [TokenID(i + 1)] + (0..<(2 + (7 * i) % 17)).map { TokenID(41 + ($0 + i) % 20) }
    }

    private static let heldOutFraction = 0.25

    override func setUp() {
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
    private func config(steps: Int = 8, splitSeed: Int = 0) throws -> RunConfig {
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
             "validation_split_seed": \(splitSeed), "lr": {"peak": 0.01, "min": 0.001, "warmup": 2, "total": \(steps)}}}}
        """)
    }

    /// DeepSpeed fixed_linear by hand: ⌊(min + (max − min)·s/total) / step⌋·step, max after total.
    private func truncateDifficulty(_ s: Int) -> Int { s >= 8 ? 12 : (4 + s) / 2 * 2 }
    private func seqlenDifficulty(_ s: Int) -> Int { s >= 6 ? 20 : 6 + 14 * s / 6 }

    func testBatchesAdmittedNeverHeldOutAndCutToTheStepDifficulty() throws {
        let source = try CurriculumBatchStream(index: try makeIndex(), run: try config())
        XCTAssertFalse(HeldOutSplit.split(count: 40, fraction: Self.heldOutFraction).heldOut.isEmpty)
        var previousStep = 0
        for n in 1...12 {
            let (batch, served) = try source.nextBatch()
            let info = try XCTUnwrap(served)
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

    /// With sample groups the stream skips the stratified split's held-out ids (the ones the
    /// trainer evaluates on), not the plain hash split's: samples 0..<20 and 20..<40 form two
    /// groups of 20, each holding out its 5 lowest hash ranks.
    func testWithGroupsTheStreamSkipsTheStratifiedHeldOutIDs() throws {
        let groups = SampleGroups(field: "lang", names: ["a", "b"], sampleGroup: (0..<40).map { $0 < 20 ? 0 : 1 })
        let stratified = try HeldOutPartition(count: 40, fraction: Self.heldOutFraction, groups: [groups])
        let plain = Set(HeldOutSplit.split(count: 40, fraction: Self.heldOutFraction).heldOut)
        XCTAssertEqual(stratified.heldOut.count, 10)
        XCTAssertNotEqual(Set(stratified.heldOut), plain)
        let source = try CurriculumBatchStream(index: try makeIndex(), run: try config(), groups: [groups])
        var served = Set<Int>()
        for _ in 1...30 {
            let batch = try source.nextBatch().batch
            for row in 0..<3 { served.insert(Int(batch.inputs[row * batch.length]) - 1) }
        }
        XCTAssertTrue(served.isDisjoint(with: stratified.heldOut), "a stratified held-out sample was served for training")
        XCTAssertFalse(served.isDisjoint(with: plain.subtracting(stratified.heldOut)),
                       "samples only the plain split holds out are training samples under the stratified split")
    }

    /// With `validation_split_seed` (issue 18: gradus tune's confirmation split) the stream skips
    /// that split's held-out ids, and serves ids only the default split holds out.
    func testWithASplitSeedTheStreamSkipsThatSplitsHeldOutIDs() throws {
        let seeded = Set(HeldOutSplit.split(count: 40, fraction: Self.heldOutFraction, seed: 1).heldOut)
        let plain = Set(HeldOutSplit.split(count: 40, fraction: Self.heldOutFraction).heldOut)
        XCTAssertFalse(seeded.isEmpty)
        XCTAssertNotEqual(seeded, plain)
        let config = try config(splitSeed: 1)
        XCTAssertEqual(config.train.validationSplitSeed, 1)
        let source = try CurriculumBatchStream(index: try makeIndex(), run: config)
        var served = Set<Int>()
        for _ in 1...30 {
            let batch = try source.nextBatch().batch
            for row in 0..<3 { served.insert(Int(batch.inputs[row * batch.length]) - 1) }
        }
        XCTAssertTrue(served.isDisjoint(with: seeded), "a held-out sample of split seed 1 was served for training")
        XCTAssertFalse(served.isDisjoint(with: plain.subtracting(seeded)), "the default split's held-out samples are training samples here")
    }

    func testStateRoundTripsExactly() throws {
        let index = try makeIndex(), config = try config()
        let a = try CurriculumBatchStream(index: index, run: config)
        for _ in 0..<5 { _ = try a.nextBatch() }
        let saved = try a.saveState()
        let continued = try (0..<5).map { _ in try a.nextBatch() }
        let b = try CurriculumBatchStream(index: index, run: config)
        try b.restoreState(saved)
        let resumed = try (0..<5).map { _ in try b.nextBatch() }
        XCTAssertEqual(resumed.map(\.batch), continued.map(\.batch))
        XCTAssertEqual(resumed.map(\.info), continued.map(\.info))
        XCTAssertThrowsError(try b.restoreState(Data("{}".utf8)))
    }

    func testLayoutShapeMatchesHandFormula() throws {
        for c in 1...14 {
            for kind in [SequenceCurriculumKind.truncate, .reshape] {
                let layout = SequencePostProcess.layout(batch: 3, sequenceLength: 12, kind: kind, difficulty: c)
                let shape = (rows: layout.rows, length: layout.width - 1)
                XCTAssertEqual(layout.servedTokens, shape.rows * shape.length, "\(kind) c=\(c)")
                // By hand: truncate keeps 3 rows of min(c, 12); reshape with R = c + 1 < 13 cuts
                // k = ⌊13/R⌋ chunks per row plus 3 tails, keeping min(⌈39/R⌉, 3k + 3) rows, even if > 1.
                let r = c + 1, k = 13 / r
                var keep = min((39 + r - 1) / r, 3 * k + 3)
                if keep > 1, keep % 2 == 1 { keep -= 1 }
                let expected = c >= 12 ? (3, 12) : kind == .truncate ? (3, c) : (keep, c)
                XCTAssertEqual(shape.rows, expected.0, "\(kind) c=\(c)")
                XCTAssertEqual(shape.length, expected.1, "\(kind) c=\(c)")
            }
        }
    }

    /// `gradus batches`' geometry (micro-batch 2, accumulation 2, world 2; rank 1), no held-out:
    /// every micro-batch's rows are its samples' first min(length, c + 1) tokens, c the step's
    /// seqlen_truncate difficulty (hand table); unshaped rows are the stored documents whole.
    func testStreamRowsCutToTheScheduledLengthInEveryMicroBatch() throws {
        let index = try makeIndex(), file = try config().file
        let geometry = BatchGeometry(microBatchSize: 2, gradientAccumulationSteps: 2, world: 2)
        func stream(shapes: Bool) throws -> CurriculumBatchStream {
            try CurriculumBatchStream(index: index, config: file, geometry: geometry, rank: 1, sequenceLength: 12,
                                      shapesRows: shapes, vocab: 64)
        }
        let shaped = try stream(shapes: true), whole = try stream(shapes: false)
        for _ in 0..<10 {
            let batch = try shaped.next(), same = try whole.next()
            XCTAssertEqual(batch, same, "shaping rows does not change the draw")
            XCTAssertEqual(batch.sampleIDs.count, 8)
            let width = min(12, truncateDifficulty(batch.step)) + 1
            for j in 0..<2 {
                let rows = try shaped.rows(of: batch, microBatch: j, tokens: true)
                XCTAssertEqual(rows.applied, .truncate)
                XCTAssertEqual(Array(rows.sampleIDs), [batch.sampleIDs[4 * j + 2], batch.sampleIDs[4 * j + 3]])
                XCTAssertEqual(rows.width, width, "step \(batch.step)")
                let full = try whole.rows(of: batch, microBatch: j, tokens: true)
                XCTAssertNil(full.applied)
                for (i, id) in rows.sampleIDs.enumerated() {
                    let document = Self.document(Int(id)).map { Int32($0) }
                    let kept = Array(document.prefix(width))
                    XCTAssertEqual(rows.lengths[i], kept.count)
                    XCTAssertEqual(Array(rows.tokens[(i * width)..<(i * width + width)]),
                                   kept + Array(repeating: -1, count: width - kept.count))
                    XCTAssertEqual(Array(full.tokens[(i * full.width)..<(i * full.width + full.lengths[i])]), document)
                }
            }
        }
    }

    /// seqlen_reshape at c = 3 on rows of S = 12 (R = 4, k = 3): 3 samples give
    /// min(⌈39/4⌉, 12) = 10 rows — each sample's chunks [0,4), [4,8), [8,12), then tails [9,13) —
    /// the first 10 kept; tokens past a document's end are −1.
    func testStreamRowsReshapeCutsChunksAndTails() throws {
        let run = try RunConfig.parse("""
        {"train_batch_size": 3, "data_efficiency": {"enabled": true, "seed": 5, "data_sampling": {"enabled": true,
          "curriculum_learning": {"enabled": true, "curriculum_metrics": {
            "seqlen_reshape": {"difficulty_type": "value", "clustering_type": "single_cluster", "min_difficulty": 3,
              "max_difficulty": 12, "schedule_type": "fixed_linear",
              "schedule_config": {"total_curriculum_step": 100, "difficulty_step": 1}}}}}},
         "gradus": {"model": {"layers": 2, "d_model": 16, "heads": 4, "context": 12, "vocab": 64},
           "train": {"batch_size": 3, "seed": 42, "steps": 4, "validation_fraction": 0,
             "lr": {"peak": 0.01, "min": 0.001, "warmup": 2, "total": 4}}}}
        """)
        let stream = try CurriculumBatchStream(index: try makeIndex(), run: run)
        let batch = try stream.next()
        XCTAssertEqual(batch.difficulties, [3])
        let rows = try stream.rows(of: batch, microBatch: 0, tokens: true)
        XCTAssertEqual(rows.applied, .reshape)
        XCTAssertEqual(rows.width, 4)
        XCTAssertEqual(rows.rows, 10)
        let docs = batch.sampleIDs.map { Self.document(Int($0)).map { Int32($0) } }
        func slice(_ d: Int, _ from: Int) -> [Int32] { (from..<(from + 4)).map { $0 < docs[d].count ? docs[d][$0] : -1 } }
        let expected = (0..<3).flatMap { d in [0, 4, 8].map { slice(d, $0) } } + [slice(0, 9)]
        XCTAssertEqual((0..<10).map { Array(rows.tokens[($0 * 4)..<($0 * 4 + 4)]) }, expected)
    }

    func testCurriculumRunResumeIsBitIdentical() throws {
        let dir = try TemporaryDirectory("training", removedAfter: self).path
        let index = try makeIndex(), config = try config(steps: 8)
        func source() throws -> CurriculumBatchStream { try CurriculumBatchStream(index: index, run: config) }
        let straight = try Trainer(config: config, source: try source(), threads: .one)
        let all = try straight.train()
        XCTAssertEqual(all.map(\.seqLength), all.map { min(12, truncateDifficulty($0.curriculumStep ?? 0)) })
        XCTAssertLessThan(all[0].seqLength, 12, "the curriculum starts short")

        let first = try Trainer(config: config, source: try source(), threads: .one)
        _ = try first.train(budget: .steps(4), checkpointPath: dir + "/ck")
        let resumed = try Trainer(resumingFrom: dir + "/ck", config: config, source: try source(), threads: .one)
        let rest = try resumed.train()
        XCTAssertEqual(rest.map(\.loss), all.suffix(4).map(\.loss))
        XCTAssertEqual(rest.map(\.difficulty), all.suffix(4).map(\.difficulty))
        XCTAssertEqual(Array(resumed.model.parameters), Array(straight.model.parameters), "parameters differ")
        XCTAssertEqual(Array(resumed.optimizer.v), Array(straight.optimizer.v))

        var uniform = config
        uniform.file = GradusConfig()
        XCTAssertThrowsError(try Trainer(resumingFrom: dir + "/ck", config: uniform, source: try source(), threads: .one)) { error in
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
        let source = try CurriculumBatchStream(index: try makeIndex(), run: run)
        let trainer = try Trainer(config: run, source: source, randomLTD: routing, threads: .one)
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
