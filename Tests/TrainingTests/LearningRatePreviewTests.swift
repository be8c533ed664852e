// LearningRatePreviewTests.swift — `gradus schedule`'s learning-rate column must be the rate the
// trainer actually uses, including the LayerToken schedule under random-LTD (issue 6 item 5).

import Training
import XCTest

final class LearningRatePreviewTests: XCTestCase {

    /// A 4-layer model dropping in layers 1 and 2, r from 4 to 12 over 5 steps (T = 12), LR by
    /// layer-tokens: the previewed rates equal the rates the trainer logs, step by step.
    func testPreviewFollowsTheTrainersLayerTokenSchedule() throws {
        let text = """
        {
          "train_batch_size": 3,
          "data_efficiency": {"enabled": true, "data_routing": {"enabled": true, "random_ltd": {
            "enabled": true, "total_layer_num": 4, "random_ltd_layer_num": 2, "random_ltd_layer_id": [1, 2],
            "model_mask_name": null, "model_type": "decoder", "hidden_state_order": "batch_seq_dim",
            "random_ltd_schedule": {"min_value": 4, "max_value": 12, "schedule_type": "fixed_linear",
                                    "schedule_config": {"require_steps": 5, "seq_per_step": 2}}}}},
          "gradus": {
            "model": {"layers": 4, "d_model": 16, "heads": 4, "context": 12, "vocab": 24},
            "train": {"batch_size": 3, "seed": 42, "steps": 8,
                      "lr": {"peak": 0.01, "min": 0.001, "warmup": 100, "total": 900, "unit": "layer_tokens", "decay": "linear"}}
          }
        }
        """
        let config = try RunConfig.parse(text)
        let routing = try XCTUnwrap(try config.randomLTDRouting())
        let trainer = try Trainer(config: config, source: SyntheticBatchSource(batchSize: 3, length: 12, vocab: 24, seed: 7),
                                  randomLTD: routing, threads: .one)
        var preview = try LearningRatePreview(config: config)
        var dense = try LearningRatePreview(config: RunConfig(model: config.model, train: config.train))
        var differsFromDense = false
        for step in 0..<8 {
            let record = try trainer.step()
            let expected = preview.next(difficulties: [:])
            XCTAssertEqual(record.lr, expected, "step \(step)")
            if dense.next(difficulties: [:]) != expected { differsFromDense = true }
        }
        // r < T for the first steps, so a dense count would give other rates: the check bites.
        XCTAssertTrue(differsFromDense)
    }
}
