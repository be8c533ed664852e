// OptimizerTests.swift — the schedule against a table worked by hand, clipping against a 3-4-5
// triangle, and AdamW + clipping through the trainer against the numpy float64 reference's first
// 10 training losses (tools/gen_model_fixture.py).

import XCTest
import Model
@testable import Training

final class OptimizerTests: XCTestCase {
    func testScheduleCosineAndLinearMatchHandTable() {
        // peak 1, min 0.1, warmup 4, total 10. Warmup: x/4. Cosine at x = 7: r = 1/2 →
        // 0.1 + 0.9·½(1 + cos π/2) = 0.55; x = 8: r = 2/3, cos(2π/3) = −½ → 0.1 + 0.9·¼ = 0.325.
        // Linear at 7: 1 − 0.9·½ = 0.55; at 8: 1 − 0.9·⅔ = 0.4. From x = 10 on: min.
        let cosine = LearningRateSchedule(peak: 1, min: 0.1, warmup: 4, total: 10, unit: .steps, decay: .cosine)
        let linear = LearningRateSchedule(peak: 1, min: 0.1, warmup: 4, total: 10, unit: .tokens, decay: .linear)
        let table: [(Int, Double, Double)] = [(0, 0, 0), (1, 0.25, 0.25), (2, 0.5, 0.5), (4, 1, 1), (7, 0.55, 0.55),
                                              (8, 0.325, 0.4), (10, 0.1, 0.1), (12, 0.1, 0.1)]
        for (x, c, l) in table {
            XCTAssertEqual(cosine.rate(at: TrainingProgress(steps: x)), c, accuracy: 1e-12, "cosine at \(x)")
            XCTAssertEqual(linear.rate(at: TrainingProgress(steps: 99, tokens: x)), l, accuracy: 1e-12, "linear at \(x)")
        }
        let constant = LearningRateSchedule(peak: 0.3, warmup: 0, total: 0, decay: .constant)
        XCTAssertEqual(constant.rate(at: TrainingProgress(steps: 1_000)), 0.3)
        XCTAssertEqual(LearningRateSchedule(peak: 1, warmup: 5, total: 5).problems().count, 1)
    }

    func testClippingScalesToMaxNormAndReportsNorm() {
        var g: [Float] = [3, 4]
        let norm = g.withUnsafeMutableBufferPointer { GradientClipping.clip($0, maxNorm: 1) }
        XCTAssertEqual(norm, 5)
        XCTAssertEqual(g[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(g[1], 0.8, accuracy: 1e-6)
        var h: [Float] = [3, 4]
        _ = h.withUnsafeMutableBufferPointer { GradientClipping.clip($0, maxNorm: 10) }
        XCTAssertEqual(h, [3, 4])
    }

    func testGlobalNormCountsEveryElementOfLongBuffers() {
        // 1 000 elements through the eight-lane loop and one in the tail: 1 000 · 0.5² + 3² = 259.
        var g = [Float](repeating: 0.5, count: 1_001)
        g[1_000] = 3
        XCTAssertEqual(g.withUnsafeBufferPointer { GradientClipping.globalNorm($0) }, 259.0.squareRoot())
        g[0] = 0
        XCTAssertEqual(g.withUnsafeBufferPointer { GradientClipping.globalNorm($0) }, 258.75.squareRoot())
    }

    /// Ten trainer steps from the fixture's weights reproduce numpy's AdamW (decay on matrices
    /// only, clipping at 1) losses.
    func testTrainerAdamWLossesMatchNumpyReference() throws {
        let f = try TrainingFixture.load()
        let a = f.adamw
        let config = RunConfig(model: f.config, train: TrainingConfig(
            batchSize: f.batch.B, sequenceLength: f.batch.T, steps: a.steps,
            lr: LearningRateSchedule(peak: a.lr, warmup: 0, total: 0, decay: .constant),
            optimizer: AdamWHyperparameters(beta1: a.beta1, beta2: a.beta2, epsilon: a.epsilon, weightDecay: a.weight_decay),
            gradClip: a.clip))
        let batch = try TokenBatch(batchSize: f.batch.B, length: f.batch.T, inputs: f.batch.inputs,
                                   targets: f.batch.targets, lossMask: f.batch.loss_mask)
        let trainer = try Trainer(config: config, source: FixedBatchSource([batch]))
        for i in 0..<f.params.count { trainer.model.parameters[i] = Float(f.params[i]) }
        let losses = try trainer.train().map(\.loss)
        XCTAssertEqual(losses.count, f.adamw_losses.count)
        for (i, (mine, ref)) in zip(losses, f.adamw_losses).enumerated() {
            XCTAssertEqual(mine, ref, accuracy: 1e-5 + 1e-4 * ref, "loss of step \(i)")
        }
    }

    /// The tiny model memorises one fixed batch: loss below 0.1 within a few hundred steps.
    func testOverfitOneBatchLossBelowPointOne() throws {
        let config = RunConfig(
            model: ModelConfig(layers: 2, dModel: 32, heads: 4, context: 16, vocab: 32),
            train: TrainingConfig(batchSize: 4, seed: 3, steps: 300,
                                  lr: LearningRateSchedule(peak: 1e-2, warmup: 10, total: 0, decay: .constant),
                                  optimizer: AdamWHyperparameters(weightDecay: 0)))
        let source = SyntheticBatchSource(batchSize: 4, length: 16, vocab: 32, seed: 99)
        let trainer = try Trainer(config: config, source: FixedBatchSource([try source.nextBatch().batch]))
        var last = Double.infinity, steps = 0
        while steps < 300 && last >= 0.1 {
            last = try trainer.step().loss
            steps += 1
        }
        XCTAssertLessThan(last, 0.1, "loss after \(steps) steps")
        XCTAssertGreaterThan(steps, 10, "a random batch should not be memorised instantly")
    }
}
