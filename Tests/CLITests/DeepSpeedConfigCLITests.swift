// DeepSpeedConfigCLITests.swift — DeepSpeed configs as users have them, run as a user would (issue
// 15 item 5): the committed HF-Trainer-style configs/deepspeed-hf.json ("auto" batch keys, the
// 0.19.8 keys outside data_efficiency, pin_memory, a disabled dynamic_batching, the metric name
// vocab_rarity) drives `gradus batches` and `gradus train --steps 2`; num_epochs ends the data
// where DeepSpeed's sampler ends it.

import Foundation
import TestSupport
import XCTest

final class DeepSpeedConfigCLITests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory("cli-dscfg", removedAfter: self).path
    }

    func testHFTrainerConfigRunsBatchesAndTrain() throws {
        let index = dir + "/udhr.idx", config = repositoryRoot + "/configs/deepspeed-hf.json"
        try indexUDHRPacked(at: index)
        let streamed = try runGradus(["batches", index, "--config", config, "--steps", "3"])
        XCTAssertEqual(streamed.status, 0, streamed.stderr)
        let lines = streamed.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        for line in lines {  // "auto" became gradus.train.batch_size: 4 samples a step on one rank
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual((object["sample_ids"] as? [Int])?.count, 4)
            XCTAssertNotNil((object["difficulty"] as? [String: Any])?["vocab_rarity"])
        }
        let ignored = streamed.stderr.components(separatedBy: "ignored DeepSpeed keys").count - 1
        XCTAssertEqual(ignored, 1, "listed once: \(streamed.stderr)")
        for key in ["torch_autocast", "zero_force_ds_cpu_optimizer", "dump_state", "hybrid_engine", "zero_optimization",
                    "data_efficiency.data_sampling.pin_memory"] {
            XCTAssertTrue(streamed.stderr.contains(key), streamed.stderr)
        }
        let run = dir + "/run"
        let trained = try runGradus(["train", config, "--index", index, "--out", run, "--steps", "2", "--threads", "1"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let summary = try XCTUnwrap(trained.stdout.split(separator: "\n").last)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
        XCTAssertEqual(object["steps"] as? Int, 2)
        XCTAssertEqual(object["tokens"] as? Int, 2 * 4 * 32, "2 steps of B = 4 rows cut to the first seqlen_truncate 32")
    }

    /// N = 8 samples, num_epochs 1: DeepSpeed's sampler yields micro-batches of mbs · dp samples
    /// while consumed_samples ≤ 8 (spec §6.6: N 8, mbs 4, dp 1 yields 3 micro-batches, 12 samples).
    func testNumEpochsEndsTheDataWhereDeepSpeedEndsIt() throws {
        let lines = (0..<8).map { "{\"id\":\"d\($0)\",\"text\":\"" + String(repeating: "w\($0) ", count: 3 + $0) + "\"}" }
        try lines.joined(separator: "\n").write(toFile: dir + "/c.jsonl", atomically: true, encoding: .utf8)
        let index = dir + "/i.idx"
        XCTAssertEqual(try runGradus(["index", dir + "/c.jsonl", "--out", index, "--tokenizer", "bytes", "--threads", "1"]).status, 0)
        func config(_ batch: String, gradus: String = "") throws -> String {
            let path = dir + "/c-\(UUID().uuidString).json"
            try """
            {\(batch), "data_efficiency": {"seed": 7, "data_sampling": {"num_epochs": 1, "curriculum_learning": {"enabled": true,
              "curriculum_metrics": {"seqlen": {"difficulty_type": "percentile", "clustering_type": "schedule_based",
                "min_difficulty": 100, "max_difficulty": 100, "schedule_type": "fixed_linear",
                "schedule_config": {"total_curriculum_step": 1, "difficulty_step": 1}}}}}}\(gradus)}
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let one = try runGradus(["batches", index, "--config", try config("\"train_batch_size\": 4"), "--steps", "10"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(one.stdout.split(separator: "\n").count, 3)
        XCTAssertTrue(one.stderr.contains("ended after 3 micro-batches (12 samples"), one.stderr)
        // mbs 2 on 2 ranks with accumulation 2: micro-batches of 4 samples over the ranks, the third
        // one is the first of step 2, so rank 1 sees (1, 0), (1, 1), (2, 0).
        let split = try config("\"train_batch_size\": 8, \"train_micro_batch_size_per_gpu\": 2")
        let ranked = try runGradus(["batches", index, "--config", split, "--steps", "10", "--world", "2", "--rank", "1"])
        XCTAssertEqual(ranked.status, 0, ranked.stderr)
        let positions = try ranked.stdout.split(separator: "\n").map { line -> [Int] in
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return [o["step"] as! Int, o["micro_batch"] as! Int]
        }
        XCTAssertEqual(positions, [[1, 0], [1, 1], [2, 0]])
        // gradus train: B = 4 a step, so the data ends after step 3 of the 10 asked for.
        let train = try config("\"train_batch_size\": 4", gradus: """
        , "gradus": {"model": {"layers": 1, "d_model": 16, "heads": 2, "context": 16, "vocab": 258},
          "train": {"batch_size": 4, "seed": 1, "steps": 10, "validation_fraction": 0, "eval_interval": 0,
            "lr": {"peak": 0.003, "min": 0.0003, "warmup": 1, "total": 10}}}
        """)
        let trained = try runGradus(["train", train, "--index", index, "--out", dir + "/run", "--threads", "1"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(trained.stderr.contains("ends after step 3, before the 10 steps"), trained.stderr)
        let summary = try XCTUnwrap(trained.stdout.split(separator: "\n").last)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
        XCTAssertEqual(object["steps"] as? Int, 3)
    }
}
