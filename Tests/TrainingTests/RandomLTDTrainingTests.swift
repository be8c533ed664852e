// RandomLTDTrainingTests.swift — random-LTD in the trainer (issue 6): r(step) followed from the
// schedule, the layer-token and Megatron layer-averaged counters against their closed forms,
// the LayerToken learning rate against a table computed by hand, resume mid-run with dropping
// bit-identical (BLAS pinned to one thread), and the settings' validation.
//
// Run: L = 4 layers, dropping layers [1, 2] (l = 2), B = 3, T = 12, r 4 → 12 over 5 steps in
// multiples of 2: r(s) = ⌊s/5·8 + 4⌋ rounded down to even = 4 4 6 8 10 12 12 12 for s = 0…7.
// Layer-tokens per step: B·(T·(L − l) + min(r, T)·l) = 3·(24 + 2r)
//   = 96 96 108 120 132 144 144 144, cumulative 96 192 300 420 552 696 840 984.

import Foundation
import TestSupport
import XCTest
import Model
import Curriculum
import Support
@testable import Training

final class RandomLTDTrainingTests: XCTestCase {
    override func setUp() {
    }

    private let routing = RandomLTDRouting(layers: [2, 1], minValue: 4, maxValue: 12, requireSteps: 5, seqPerStep: 2)

    private func config(lr: LearningRateSchedule) -> RunConfig {
        RunConfig(model: ModelConfig(layers: 4, dModel: 16, heads: 4, context: 12, vocab: 24),
                     train: TrainingConfig(batchSize: 3, seed: 42, steps: 8, lr: lr))
    }

    private let layerTokenLR = LearningRateSchedule(peak: 1e-2, min: 1e-3, warmup: 100, total: 900,
                                                    unit: .layerTokens, decay: .linear)

    private func source() -> SyntheticBatchSource { SyntheticBatchSource(batchSize: 3, length: 12, vocab: 24, seed: 5) }

    func testReservedLengthCountersAndLayerTokenLRMatchHandTables() throws {
        let trainer = try Trainer(config: config(lr: layerTokenLR), source: source(), randomLTD: routing, threads: .one)
        let records = try trainer.train()
        XCTAssertEqual(records.map(\.reserved), [4, 4, 6, 8, 10, 12, 12, 12])
        XCTAssertEqual(records.map(\.layerTokens), [96, 192, 300, 420, 552, 696, 840, 984])
        // Megatron: 3·⌊(24 + 2r)/4⌋ while r < 12, 3·12 after: 24 24 27 30 33 36 36 36.
        XCTAssertEqual(trainer.progress, TrainingProgress(steps: 8, tokens: 8 * 36, layerTokens: 984,
                                                          layerAveragedTokens: 246, samples: 8 * 3))
        // x ≤ 100: 1e-2·x/100; then 1e-2 − 9e-3·(x − 100)/800; x ≥ 900: 1e-3.
        let expected = [9.6e-3, 8.965e-3, 7.75e-3, 6.4e-3, 4.915e-3, 3.295e-3, 1.675e-3, 1e-3]
        for (k, (got, want)) in zip(records.map(\.lr), expected).enumerated() {
            XCTAssertEqual(got, want, accuracy: 1e-15, "lr at step \(k + 1)")
        }
        // FLOPs: a step with r = T costs what a dense step costs; r = 4 strictly less.
        let dense = StepCost(model: trainer.config.model, batchSize: 3, length: 12, reserved: nil, dropping: 2)
        XCTAssertEqual(records[7].flops, dense.flops)
        XCTAssertLessThan(records[0].flops, dense.flops)
    }

    /// Closed form of the per-step cost, by hand for C = 16, V = 24, B = 3, T = 12, L = 4, l = 2:
    /// forward = 2·B·12·C²·Σn + 2·B·T·V·C + 4·B·C·Σn², Σn = 2·12 + 2·4 = 32, Σn² = 2·144 + 2·16 = 320.
    func testStepCostMatchesClosedForm() {
        let c = StepCost(model: ModelConfig(layers: 4, dModel: 16, heads: 4, context: 12, vocab: 24),
                         batchSize: 3, length: 12, reserved: 4, dropping: 2)
        XCTAssertEqual(c.layerTokens, 96)
        XCTAssertEqual(c.layerAveragedTokens, 24)
        XCTAssertEqual(c.flops, 3 * (2 * 3 * 12 * 256 * 32 + 2 * 3 * 12 * 24 * 16 + 4 * 3 * 16 * 320))
    }

    func testCosineAndLayerAveragedUnits() {
        let cosine = LearningRateSchedule(peak: 1e-2, min: 1e-3, warmup: 100, total: 900, unit: .layerTokens)
        XCTAssertEqual(cosine.rate(at: TrainingProgress(steps: 1, tokens: 1, layerTokens: 500)), 5.5e-3, accuracy: 1e-15)
        XCTAssertEqual(cosine.rate(at: TrainingProgress(layerTokens: 300)), 1e-3 + 9e-3 * 0.5 * (1 + cos(Double.pi / 4)),
                       accuracy: 1e-15)
        let megatron = LearningRateSchedule(peak: 1, warmup: 10, total: 20, unit: .layerAveragedTokens, decay: .linear)
        XCTAssertEqual(megatron.rate(at: TrainingProgress(tokens: 99, layerAveragedTokens: 15)), 0.5)
    }

    func testResumeMidRunWithDroppingIsBitIdentical() throws {
        let dir = try TemporaryDirectory("training", removedAfter: self).path
        let config = config(lr: layerTokenLR)
        let straight = try Trainer(config: config, source: source(), randomLTD: routing, threads: .one)
        let all = try straight.train()
        let first = try Trainer(config: config, source: source(), randomLTD: routing, threads: .one)
        _ = try first.train(budget: .steps(3), checkpointPath: dir + "/ck")
        XCTAssertNotEqual(first.rng, try Trainer(config: config, source: source(), threads: .one).rng, "plans advanced the generator")
        let resumed = try Trainer(resumingFrom: dir + "/ck", config: config, source: source(), randomLTD: routing, threads: .one)
        let rest = try resumed.train()
        XCTAssertEqual(rest.map(\.loss), all.suffix(5).map(\.loss))
        XCTAssertEqual(rest.map(\.gradNorm), all.suffix(5).map(\.gradNorm))
        XCTAssertEqual(rest.map(\.lr), all.suffix(5).map(\.lr))
        XCTAssertEqual(Array(resumed.model.parameters), Array(straight.model.parameters), "parameters differ")
        XCTAssertEqual(Array(resumed.optimizer.m), Array(straight.optimizer.m))
        XCTAssertEqual(resumed.rng, straight.rng)
        XCTAssertEqual(resumed.progress, straight.progress)
        XCTAssertThrowsError(try Trainer(resumingFrom: dir + "/ck", config: config, source: source(), threads: .one)) { error in
            guard case TrainingError.checkpointMismatch(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("random-LTD"), reason)
        }
    }

    /// Dropping changes the computation (same parameters, same batch, r = 4 < T at step 0), and
    /// a dense run keeps the dense accounting (L·B·T layer-tokens, no `reserved`).
    func testDroppingActuallyChangesTheComputation() throws {
        let dense = try Trainer(config: config(lr: layerTokenLR), source: source(), threads: .one).train(budget: .steps(1))
        let ltd = try Trainer(config: config(lr: layerTokenLR), source: source(), randomLTD: routing, threads: .one).train(budget: .steps(1))
        XCTAssertNotEqual(dense[0].loss, ltd[0].loss)
        XCTAssertEqual(dense[0].layerTokens, 4 * 36)
        XCTAssertNil(dense[0].reserved)
    }

    func testSettingsValidationListsEveryProblem() {
        let bad = RandomLTDRouting(layers: [0, 3, 3, 7], minValue: 1, maxValue: 64, requireSteps: 0, seqPerStep: 2)
        let problems = bad.problems(model: ModelConfig(layers: 4, dModel: 16, heads: 4, context: 12, vocab: 24),
                                    sequenceLength: 12)
        for fragment in ["duplicates", "outside 0..<4", "first and last", "require_steps", "max_value (64)", "min_value (1) <"] {
            XCTAssertTrue(problems.contains { $0.contains(fragment) }, "\(fragment) missing from \(problems)")
        }
        XCTAssertThrowsError(try Trainer(config: config(lr: layerTokenLR), source: source(), randomLTD: bad, threads: .one))
    }

    /// The trainer is a causal decoder: configs/gpt-ltd.json with `model_type: encoder` is refused
    /// at parse time with its key path (it used to train a decoder silently); `decoder` parses.
    func testEncoderModelTypeIsRefused() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/configs/gpt-ltd.json", encoding: .utf8)
        XCTAssertTrue(text.contains(#""model_type": "decoder""#))
        XCTAssertNoThrow(try RunConfig.parse(text))
        XCTAssertThrowsError(try RunConfig.parse(text.replacingOccurrences(of: #""model_type": "decoder""#, with: #""model_type": "encoder""#))) { error in
            let issues = (error as? ConfigError)?.issues.map(\.description) ?? ["\(error)"]
            XCTAssertEqual(issues.count, 1, "\(issues)")
            XCTAssertTrue(issues[0].hasPrefix("data_efficiency.data_routing.random_ltd.model_type: encoder is not supported"), issues[0])
        }
    }

    /// configs/gpt-ltd.json: both parsers accept it, its settings validate, and its LayerToken
    /// total is the closed form Σ_{s<2000} 8·(256·2 + min(r(s), 256)·4) = 20 582 400 (r from 64
    /// to 256 over 1 200 steps in multiples of 16), its warmup that of 100 dense steps (8·256·6·100).
    func testShippedGPTLTDConfigIsConsistent() throws {
        let path = repositoryRoot + "/configs/gpt-ltd.json"
        let run = try RunConfig.load(path: path)
        let deepSpeed = try Curriculum.GradusConfig.parse(String(contentsOfFile: path, encoding: .utf8))
        let ltd = deepSpeed.dataEfficiency.dataRouting.randomLTD
        let routing = try XCTUnwrap(try RandomLTDRouting(deepSpeed: ltd))
        XCTAssertEqual(routing.problems(model: run.model, sequenceLength: run.sequenceLength), [])
        XCTAssertEqual(RandomLTDRouting.problems(layerTokenLR: ltd.layerTokenLRSchedule, lr: run.train.lr), [])
        XCTAssertEqual(routing.reserved(atStep: 0), 64)
        XCTAssertEqual(routing.reserved(atStep: 600), 160)
        XCTAssertEqual(routing.reserved(atStep: 1200), 256)
        let total = (0..<2000).reduce(0) { sum, s in
            sum + StepCost(model: run.model, batchSize: 8, length: 256, reserved: routing.reserved(atStep: s), dropping: 4).layerTokens
        }
        XCTAssertEqual(total, 20_582_400)
        XCTAssertEqual(run.train.lr.total, 20_582_400)
        XCTAssertEqual(run.train.lr.warmup, 8 * 256 * 6 * 100)
        var wrong = run.train.lr
        wrong.unit = .steps
        XCTAssertEqual(RandomLTDRouting.problems(layerTokenLR: ltd.layerTokenLRSchedule, lr: wrong).count, 1)
    }
}
