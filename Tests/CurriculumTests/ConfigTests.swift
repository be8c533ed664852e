// ConfigTests.swift — DeepSpeed config parsing (spec §1): defaults, metric order, the documented
// examples, strict unknown-key and type errors with key paths, all problems at once, batch sizes.

import Curriculum
import Support
import XCTest

final class ConfigTests: XCTestCase {
    /// The shape of Megatron-DeepSpeed's ds_config_gpt_2clmetrics template (spec §1.4) with the
    /// documented random-LTD example (spec §1.2).
    static let gptTwoMetrics = """
    {
      "train_batch_size": 512, "train_micro_batch_size_per_gpu": 4, "steps_per_print": 100,
      "fp16": {"enabled": true, "loss_scale": 0, "initial_scale_power": 11},
      "gradient_clipping": 1.0, "dataloader_drop_last": true,
      "data_efficiency": {
        "enabled": true, "seed": 1234,
        "data_routing": {"enabled": true, "random_ltd": {
          "enabled": true, "total_layer_num": 24, "random_ltd_layer_num": 22,
          "random_ltd_layer_id": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22],
          "model_mask_name": "attention_mask", "model_type": "decoder", "hidden_state_order": "seq_batch_dim",
          "random_ltd_schedule": {"min_value": 128, "max_value": 2048, "schedule_type": "fixed_linear",
            "schedule_config": {"require_steps": 200000, "seq_per_step": 16}}}},
        "data_sampling": {"enabled": true, "num_workers": 0, "curriculum_learning": {
          "enabled": true, "data_cluster_path": "/tmp/clusters",
          "curriculum_metrics": {
            "vocabularyrarity": {"index_to_sample_path": "a", "index_to_metric_path": "b",
              "difficulty_type": "percentile", "clustering_type": "schedule_based",
              "min_difficulty": 1, "max_difficulty": 100, "schedule_type": "fixed_root",
              "schedule_config": {"total_curriculum_step": 110000, "difficulty_step": 1, "root_degree": 2}},
            "seqlen_truncate": {"difficulty_type": "value", "clustering_type": "single_cluster",
              "min_difficulty": 80, "max_difficulty": 2048, "schedule_type": "fixed_linear",
              "schedule_config": {"total_curriculum_step": 110000, "difficulty_step": 8}}}}}
      }
    }
    """

    func testParsesTheTemplateInOrder() throws {
        let c = try GradusConfig.parse(Self.gptTwoMetrics)
        XCTAssertEqual(c.curriculumMetrics.map(\.name), ["vocabularyrarity", "seqlen_truncate"])
        XCTAssertEqual(c.curriculumMetrics[0].difficultyType, .percentile)
        XCTAssertEqual(c.curriculumMetrics[1].clusteringType, .singleCluster)
        XCTAssertEqual(c.curriculumMetrics[0].pacing.value(at: 55000), 71)  // spec T2
        XCTAssertEqual(c.curriculumMetrics[1].pacing.value(at: 55000), 1064)  // spec T3
        XCTAssertEqual(c.dataEfficiency.seed, 1234)
        XCTAssertEqual(c.dataEfficiency.dataSampling.numEpochs, 1000)
        XCTAssertEqual(c.ignoredDeepSpeedKeys.sorted(), ["dataloader_drop_last", "fp16", "gradient_clipping", "steps_per_print"])
        let ltd = c.dataEfficiency.dataRouting.randomLTD
        XCTAssertEqual(ltd.randomLTDLayerIDs, Array(1...22))
        XCTAssertEqual(ltd.modelMaskName, "attention_mask")
        XCTAssertEqual(ltd.scheduler(globalBatchSize: 512)?.value(at: 100_000), 1088)
        let g = try c.batchGeometry(world: 8)
        XCTAssertEqual(g.gradientAccumulationSteps, 16)
    }

    func testEmptyConfigDefaults() throws {
        let c = try GradusConfig.parse("{\"train_batch_size\": 8}")
        XCTAssertEqual(c.dataEfficiency.seed, 1234)
        XCTAssertFalse(c.dataEfficiency.dataSampling.curriculumLearning.enabled)
        XCTAssertTrue(c.curriculumMetrics.isEmpty)
        XCTAssertNil(c.legacyCurriculum)
    }

    func testReportsEveryProblemWithItsPath() {
        let text = """
        {"train_batch_size": "8", "bogus": 1,
         "data_efficiency": {"seed": 1.5, "data_sampling": {"curriculum_learning": {"enabled": true,
           "curriculum_metrics": {"m": {"difficulty_type": "rank", "clustering_type": "schedule_based",
             "min_difficulty": 1, "schedule_type": "fixed_linear",
             "schedule_config": {"total_curriculum_step": 10, "difficulty_step": 1, "extra": 0}}}}}},
         "gradus": {"curriculum": {"step_unit": "tokens"}, "nope": true}}
        """
        XCTAssertThrowsError(try GradusConfig.parse(text)) { error in
            guard let e = error as? ConfigError else { return XCTFail("\(error)") }
            let paths = Set(e.issues.map(\.path))
            let base = "data_efficiency.data_sampling.curriculum_learning.curriculum_metrics.m"
            for expected in ["train_batch_size", "bogus", "data_efficiency.seed", "\(base).difficulty_type",
                             "\(base).max_difficulty", "\(base).schedule_config.extra", "gradus.nope"] {
                XCTAssertTrue(paths.contains(expected), "missing issue for \(expected): \(e)")
            }
        }
    }

    func testDiscreteLengthRuleAndMissingMetrics() {
        let text = """
        {"data_efficiency": {"data_sampling": {"curriculum_learning": {"enabled": true,
          "curriculum_metrics": {"m": {"difficulty_type": "value", "clustering_type": "schedule_based",
            "min_difficulty": 1, "max_difficulty": 3, "schedule_type": "fixed_discrete",
            "schedule_config": {"difficulty": [1, 2], "max_step": [1, 2]}}}}}}}
        """
        XCTAssertThrowsError(try GradusConfig.parse(text)) { error in
            XCTAssertTrue("\(error)".contains("len(difficulty) == len(max_step) + 1"), "\(error)")
        }
        XCTAssertThrowsError(try GradusConfig.parse(#"{"data_efficiency": {"data_sampling": {"curriculum_learning": {"enabled": true}}}}"#))
    }

    func testLegacyBlockAndGradusBlock() throws {
        let text = """
        {"train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 3,
         "curriculum_learning": {"enabled": true, "curriculum_type": "seqlen", "min_difficulty": 8,
           "max_difficulty": 1024, "schedule_type": "fixed_linear",
           "schedule_config": {"total_curriculum_step": 40000, "difficulty_step": 8}},
         "gradus": {"curriculum": {"step_unit": "tokens"}, "model": {"layers": 6, "d": [1, 2]}}}
        """
        let c = try GradusConfig.parse(text)
        XCTAssertEqual(c.legacyCurriculum?.curriculumType, "seqlen")
        XCTAssertEqual(c.legacyCurriculum?.pacing?.value(at: 20000), 512)  // 0.5·1016 + 8 = 516 → 512
        XCTAssertEqual(c.gradus.stepUnit, .tokens)
        XCTAssertEqual(try c.batchGeometry(world: 4).globalBatchSize, 24)
    }

    func testBatchGeometryConsistency() throws {
        var c = GradusConfig()
        c.trainBatchSize = 16; c.trainMicroBatchSizePerGPU = 2; c.gradientAccumulationSteps = 2
        XCTAssertEqual(try c.batchGeometry(world: 4).globalBatchSize, 16)
        XCTAssertThrowsError(try c.batchGeometry(world: 2))
        c.gradientAccumulationSteps = nil
        XCTAssertEqual(try c.batchGeometry(world: 2).gradientAccumulationSteps, 4)
        XCTAssertThrowsError(try c.batchGeometry(world: 3))
    }

    func testJSONSyntaxErrorHasPosition() {
        XCTAssertThrowsError(try JSONValue.parse("{\"a\": [1, 2,]}")) { error in
            XCTAssertEqual((error as? JSONSyntaxError)?.column, 13)
        }
        XCTAssertEqual(try JSONValue.parse("[40, 40.0, \"\\u00e9\"]"), .array([.int(40), .double(40), .string("é")]))
    }
}
