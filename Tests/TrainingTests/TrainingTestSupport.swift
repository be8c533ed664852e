// TrainingTestSupport.swift — helpers for the trainer's tests: a temporary directory per test,
// a tiny run config, and the numpy fixture (magic + version checked) with its AdamW reference.

import Foundation
import XCTest
import Model
@testable import Training

/// A small model and loop: 2 blocks, d_model 16, 4 heads, context 12, vocab 24, batch 3.
func tinyConfig(steps: Int = 8, lr: LearningRateSchedule? = nil) -> RunConfig {
    RunConfig(
        model: ModelConfig(layers: 2, dModel: 16, heads: 4, context: 12, vocab: 24),
        train: TrainingConfig(batchSize: 3, seed: 42, steps: steps,
                              lr: lr ?? LearningRateSchedule(peak: 1e-2, min: 1e-3, warmup: 2, total: steps)))
}

/// The model fixture of tools/gen_model_fixture.py, with the AdamW losses.
struct TrainingFixture: Decodable {
    struct Batch: Decodable {
        let B: Int, T: Int
        let inputs: [Int32], targets: [Int32]
        let loss_mask: [Float]
    }
    struct AdamW: Decodable {
        let lr: Double, beta1: Double, beta2: Double, epsilon: Double, weight_decay: Double, clip: Double
        let steps: Int
    }
    let magic: String
    let version: Int
    let config: ModelConfig
    let batch: Batch
    let params: [Double]
    let adamw: AdamW
    let adamw_losses: [Double]

    static func load() throws -> TrainingFixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "tiny_model", withExtension: "json", subdirectory: "Fixtures"))
        let f = try JSONDecoder().decode(TrainingFixture.self, from: Data(contentsOf: url))
        XCTAssertEqual(f.magic, "gradus-model-fixture")
        XCTAssertEqual(f.version, 1)
        return f
    }
}
