// DeepSpeedConfigTests.swift — DeepSpeed configs as users have them (issue 15 item 5): the keys of a
// whole DeepSpeed 0.19 config outside the blocks Gradus reads are accepted and listed, any other
// unknown top-level key is an error, "auto" batch keys resolve or say what is needed, pin_memory is
// ignored and an enabled dynamic_batching refused, and DeepSpeed's metric names find the index's.

import Curriculum
import Support
import XCTest

final class DeepSpeedConfigTests: XCTestCase {
    private func issues(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do { _ = try GradusConfig.parse(text); XCTFail("expected a ConfigError", file: file, line: line); return [] } catch let e as ConfigError {
            return e.issues.map(\.description)
        } catch { XCTFail("\(error)", file: file, line: line); return [] }
    }

    /// Keys an HF-Trainer-written DeepSpeed 0.19.8 config carries (names from DeepSpeed's
    /// runtime/constants.py and config.py), none of which Gradus uses.
    func testWholeDeepSpeedConfigIsAcceptedAndItsUnusedKeysListed() throws {
        let c = try GradusConfig.parse("""
        {"train_batch_size": 8, "train_micro_batch_size_per_gpu": 8, "gradient_accumulation_steps": 1,
         "bf16": {"enabled": "auto"}, "torch_autocast": {"enabled": false}, "zero_force_ds_cpu_optimizer": false,
         "dump_state": false, "hybrid_engine": {"enabled": false}, "zero_optimization": {"stage": 2},
         "optimizer": {"type": "AdamW", "params": {"lr": "auto"}}, "scheduler": {"type": "WarmupLR"},
         "data_efficiency": {"data_sampling": {"pin_memory": true, "dynamic_batching": {"enabled": false, "max_tokens": 99}}}}
        """)
        XCTAssertEqual(Set(c.ignoredDeepSpeedKeys), ["bf16", "torch_autocast", "zero_force_ds_cpu_optimizer", "dump_state",
                                                     "hybrid_engine", "zero_optimization", "optimizer", "scheduler",
                                                     "data_efficiency.data_sampling.pin_memory",
                                                     "data_efficiency.data_sampling.dynamic_batching"])
        XCTAssertEqual(c.ignoredDeepSpeedKeys.count, 10, "each key listed once")
    }

    func testUnknownTopLevelKeyThatIsNotADeepSpeedKeyIsAnError() {
        XCTAssertEqual(issues("{\"train_batch_size\": 8, \"zero_optimisation\": {}}"),
                       ["zero_optimisation: unknown key (not a DeepSpeed 0.19.8 key either); check its spelling"])
        // Misspellings inside the blocks Gradus reads stay errors with their key path.
        XCTAssertEqual(issues("{\"train_batch_size\": 8, \"data_efficiency\": {\"data_sampling\": {\"num_epoch\": 1}}}"),
                       ["data_efficiency.data_sampling.num_epoch: unknown key"])
    }

    func testAutoBatchKeysWithoutTheGradusBlockSayWhatIsNeeded() throws {
        let all = issues("{\"train_batch_size\": \"auto\", \"train_micro_batch_size_per_gpu\": \"auto\", \"gradient_accumulation_steps\": \"auto\"}")
        XCTAssertEqual(all.count, 3)
        for (issue, key) in zip(all, ["train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps"]) {
            XCTAssertTrue(issue.hasPrefix(key + ": is \"auto\""), issue)
            XCTAssertTrue(issue.contains("gradus.train.batch_size"), issue)
        }
        // A number elsewhere determines them as DeepSpeed derives a missing key: 16 = mbs · gas · 2 with gas 1.
        let c = try GradusConfig.parse("{\"train_batch_size\": 16, \"train_micro_batch_size_per_gpu\": \"auto\", \"gradient_accumulation_steps\": \"auto\"}")
        XCTAssertEqual(c.autoBatchKeys, ["train_micro_batch_size_per_gpu", "gradient_accumulation_steps"])
        XCTAssertEqual(try c.batchGeometry(world: 2), BatchGeometry(microBatchSize: 8, gradientAccumulationSteps: 1, world: 2))
        XCTAssertEqual(issues("{\"train_batch_size\": \"eight\"}").count, 1, "strings other than \"auto\" stay type errors")
        // With gradus.train.batch_size, "auto" is that global batch: 6 on one rank, accumulation 1.
        let hf = try GradusConfig.parse("{\"train_batch_size\": \"auto\", \"train_micro_batch_size_per_gpu\": \"auto\", "
            + "\"gradient_accumulation_steps\": \"auto\", \"gradus\": {\"train\": {\"batch_size\": 6}}}")
        XCTAssertEqual(hf.trainBatchSize, 6)
        XCTAssertEqual(try hf.batchGeometry(world: 1), BatchGeometry(microBatchSize: 6, gradientAccumulationSteps: 1, world: 1))
    }

    func testEnabledDynamicBatchingIsRefused() {
        let found = issues("{\"train_batch_size\": 8, \"data_efficiency\": {\"data_sampling\": {\"dynamic_batching\": {\"enabled\": true, \"max_tokens\": 4096}}}}")
        XCTAssertEqual(found.count, 1)
        XCTAssertTrue(found[0].hasPrefix("data_efficiency.data_sampling.dynamic_batching.enabled: dynamic batching"), found[0])
        XCTAssertTrue(found[0].contains("not supported"), found[0])
    }

    /// `vocab_rarity` at value 3 admits exactly the samples whose `vocabularyrarity` is ≤ 3: ids 0…3.
    func testDeepSpeedMetricNameFindsTheIndexMetric() throws {
        let index = try InMemoryDifficultyIndex(metrics: [(name: "vocabularyrarity", values: (0..<8).map(Double.init))])
        let config = try GradusConfig.parse("""
        {"train_batch_size": 4, "data_efficiency": {"data_sampling": {"curriculum_learning": {"enabled": true,
          "curriculum_metrics": {"vocab_rarity": {"difficulty_type": "value", "clustering_type": "schedule_based",
            "min_difficulty": 3, "max_difficulty": 3, "schedule_type": "fixed_linear",
            "schedule_config": {"total_curriculum_step": 1, "difficulty_step": 1}}}}}}}
        """)
        var sampler = try CurriculumSampler(index: index, config: config, globalBatchSize: 4)
        for _ in 0..<3 { XCTAssertTrue(try sampler.nextGlobalBatch().sampleIDs.allSatisfy { $0 <= 3 }) }
        XCTAssertEqual(sampler.admittedCount, 4)
        XCTAssertEqual(MetricAliases.canonical("seqlen_vocab_rarity"), "seqlen_vocabularyrarity")
    }
}
