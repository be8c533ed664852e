// ConfigRangeTests.swift — config values that parse but cannot be right (issue 14 item 21) and
// sizes beyond the curriculum's limits (item 15): refused by `GradusConfig.parse` with a problem
// at their key path; configs DeepSpeed accepts and means (spec §6.3: in percentile mode
// max_difficulty is the 100 % mark, whatever its value) still parse.

import Curriculum
import Foundation
import Support
import XCTest

final class ConfigRangeTests: XCTestCase {
    private let base = "data_efficiency.data_sampling.curriculum_learning.curriculum_metrics"

    /// A config with one curriculum metric `m` whose body is `metric`, plus `top` keys.
    private func config(_ metric: String, top: String = "\"train_batch_size\": 8") -> String {
        "{\(top), \"data_efficiency\": {\"data_sampling\": {\"curriculum_learning\": {\"enabled\": true, \"curriculum_metrics\": {\"m\": {\(metric)}}}}}}"
    }

    private func issues(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do { _ = try GradusConfig.parse(text); return [] } catch let error as ConfigError {
            return error.issues.map(\.description)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
            return []
        }
    }

    private let linear = "\"schedule_type\": \"fixed_linear\", \"schedule_config\": {\"total_curriculum_step\": 10, \"difficulty_step\": 1}"

    func testNegativePercentileMinimumIsRefused() {
        let bad = config("\"difficulty_type\": \"percentile\", \"clustering_type\": \"schedule_based\", \"min_difficulty\": -5, \"max_difficulty\": 100, \(linear)")
        XCTAssertEqual(issues(bad), ["\(base).m.min_difficulty: -5 is below 0: a percentile difficulty counts samples from 0 up to "
                                     + "max_difficulty (the 100 % mark); use 0 or more"])
        let zero = config("\"difficulty_type\": \"percentile\", \"clustering_type\": \"schedule_based\", \"min_difficulty\": 0, \"max_difficulty\": 0, \(linear)")
        XCTAssertEqual(issues(zero), ["\(base).m.max_difficulty: 0 must be > 0: in percentile mode it is the 100 % mark and the sample "
                                      + "count is divided by it"])
        // DeepSpeed's own examples (1 → 100, spec T2) and a per-mille scale (max 1000) still parse;
        // a negative minimum in value mode is a metric value and stays allowed.
        for (type, lo, hi) in [("percentile", 1, 100), ("percentile", 0, 1000), ("value", -5, 100)] {
            XCTAssertEqual(issues(config("\"difficulty_type\": \"\(type)\", \"clustering_type\": \"schedule_based\", \"min_difficulty\": \(lo), \"max_difficulty\": \(hi), \(linear)")), [])
        }
    }

    func testCustomPointsOutsideMinAndMaxAreRefused() {
        func custom(_ points: String) -> String {
            config("\"difficulty_type\": \"value\", \"clustering_type\": \"schedule_based\", \"min_difficulty\": 8, \"max_difficulty\": 64, "
                   + "\"schedule_type\": \"custom\", \"schedule_config\": {\"points\": \(points)}")
        }
        XCTAssertEqual(issues(custom("[[0, 8], [10, 200], [20, 4]]")), [
            "\(base).m.schedule_config.points[1]: difficulty 200 is outside min_difficulty...max_difficulty (8...64); move the point inside or widen the range",
            "\(base).m.schedule_config.points[2]: difficulty 4 is outside min_difficulty...max_difficulty (8...64); move the point inside or widen the range",
        ])
        XCTAssertEqual(issues(custom("[[0, 8], [10, 32], [20, 64]]")), [])  // the ends themselves are inside
    }

    func testCurriculumSizesBeyondTheirLimitsAreRefused() {
        let metric = "\"difficulty_type\": \"value\", \"clustering_type\": \"schedule_based\", \"min_difficulty\": 1, \"max_difficulty\": 10, \(linear)"
        XCTAssertEqual(issues(config(metric, top: "\"train_batch_size\": 1000000000000")),
                       ["train_batch_size: 1000000000000 exceeds the limit 16777216 (2^24 samples per global batch; the sampler holds one id per sample)"])
        XCTAssertEqual(issues(config(metric, top: "\"train_micro_batch_size_per_gpu\": 16777217")),
                       ["train_micro_batch_size_per_gpu: 16777217 exceeds the limit 16777216 (2^24 samples per global batch; the sampler holds one id per sample)"])
        let epochs = "{\"train_batch_size\": 8, \"data_efficiency\": {\"data_sampling\": {\"num_epochs\": 4611686018427387904}}}"
        XCTAssertEqual(issues(epochs), ["data_efficiency.data_sampling.num_epochs: 4611686018427387904 exceeds the limit 1048576 "
                                        + "(2^20 passes; samples × epochs must fit in a 64-bit count)"])
        // A layer id beyond Int's range used to trap in the conversion.
        let ltd = "{\"data_efficiency\": {\"data_routing\": {\"random_ltd\": {\"enabled\": true, \"total_layer_num\": 4, \"random_ltd_layer_num\": 1, "
            + "\"random_ltd_layer_id\": [1e300], \"model_mask_name\": null, \"model_type\": \"decoder\", \"hidden_state_order\": \"batch_seq_dim\", "
            + "\"random_ltd_schedule\": {\"min_value\": 8, \"max_value\": 16, \"schedule_type\": \"fixed_linear\", "
            + "\"schedule_config\": {\"require_steps\": 10, \"seq_per_step\": 8}}}}}}"
        XCTAssertTrue(issues(ltd).contains("data_efficiency.data_routing.random_ltd.random_ltd_layer_id[0]: 1e+300 is not a layer id: an integer in 0..<4096"),
                      "\(issues(ltd))")
    }

    func testBatchGeometryRefusesOverflowingProducts() {
        var c = GradusConfig()
        (c.trainMicroBatchSizePerGPU, c.gradientAccumulationSteps) = (1 << 24, 1 << 24)
        // 2^24 · 2^24 · 2^20 would overflow an Int in the product.
        XCTAssertThrowsError(try c.batchGeometry(world: 1 << 20)) { error in
            XCTAssertTrue("\(error)".contains("exceeds the limit 16777216"), "\(error)")
        }
    }
}
