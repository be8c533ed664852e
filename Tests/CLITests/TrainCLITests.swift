// TrainCLITests.swift — `gradus train` end to end on a small bytes-tokenized index of the shipped
// UDHR sample: a short run, its log and summary; refusal to overwrite a run; --resume continuing
// to a larger budget; a curriculum run (seqlen_truncate + vocabularyrarity percentile) logging
// its difficulties and resuming; the learning rate in `gradus schedule`; and every bad input of
// issue 5 refused with a clear message and a non-zero exit: unknown config key, d_model not
// divisible by heads, context longer than the packed samples, an incomplete index, a damaged
// checkpoint.

import Foundation
import TestSupport
import XCTest

final class TrainCLITests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = URL(fileURLWithPath: try TemporaryDirectory("train", removedAfter: self).path)
    }

    private func makeIndex(pack: Int) throws -> String {
        let out = dir.appendingPathComponent("bytes-\(pack).idx").path
        let r = try runGradus(["index", URL(fileURLWithPath: repositoryRoot).appendingPathComponent("corpora/udhr.sample.jsonl.zst").path,
                            "--tokenizer", "bytes", "--pack", String(pack), "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        return out
    }

    func testTrainRunsResumesAndRefusesBadState() throws {
        let index = try makeIndex(pack: 64)
        let config = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("configs/tiny.json").path
        let run = dir.appendingPathComponent("run").path
        let first = try runGradus(["train", config, "--index", index, "--out", run, "--steps", "3", "--threads", "1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["steps"] as? Int, 3)
        XCTAssertEqual(summary["tokens"] as? Int, 3 * 4 * 64)
        XCTAssertNotNil(summary["val_loss"])
        let log = try String(contentsOfFile: run + "/log.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.filter { $0.contains("\"grad_norm\"") }.count, 3)
        XCTAssertEqual(log.filter { $0.contains("\"val_loss\"") }.count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/config.json"))

        let again = try runGradus(["train", config, "--index", index, "--out", run, "--steps", "3"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("--resume"), again.stderr)

        let resumed = try runGradus(["train", config, "--index", index, "--out", run, "--steps", "5", "--resume", "--threads", "1"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("\"steps\":5"), resumed.stdout)

        let checkpoint = URL(fileURLWithPath: run + "/checkpoint.bin")
        let bytes = try Data(contentsOf: checkpoint)
        try bytes.prefix(bytes.count / 2).write(to: checkpoint)
        let damaged = try runGradus(["train", config, "--index", index, "--out", run, "--steps", "6", "--resume"])
        XCTAssertNotEqual(damaged.status, 0)
        XCTAssertTrue(damaged.stderr.contains("corrupt"), damaged.stderr)
    }

    func testTrainRefusesIndexWithSamplesShorterThanTheContext() throws {
        let index = try makeIndex(pack: 32)
        let config = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("configs/tiny.json").path
        let r = try runGradus(["train", config, "--index", index, "--out", dir.appendingPathComponent("short").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("packed samples"), r.stderr)
    }

    /// tiny.json's model on bytes with a curriculum: seqlen_truncate 16 → 64 over 4 steps (step 8)
    /// and vocabularyrarity percentile 50 → 100; `lr` is spliced into gradus.train.
    private func curriculumConfig(lr: String = #"{"peak": 0.003, "min": 0.0003, "warmup": 2, "total": 10}"#,
                                  model: String = #"{"layers": 2, "d_model": 64, "heads": 4, "context": 64, "vocab": 258}"#,
                                  extraTrain: String = "") throws -> String {
        let text = """
        {"train_batch_size": 4, "data_efficiency": {"enabled": true, "seed": 3, "data_sampling": {"enabled": true,
          "curriculum_learning": {"enabled": true, "curriculum_metrics": {
            "seqlen_truncate": {"difficulty_type": "value", "clustering_type": "single_cluster", "min_difficulty": 16,
              "max_difficulty": 64, "schedule_type": "fixed_linear",
              "schedule_config": {"total_curriculum_step": 4, "difficulty_step": 8}},
            "vocabularyrarity": {"difficulty_type": "percentile", "clustering_type": "schedule_based", "min_difficulty": 50,
              "max_difficulty": 100, "schedule_type": "fixed_linear",
              "schedule_config": {"total_curriculum_step": 4, "difficulty_step": 1}}}}}},
         "gradus": {"model": \(model),
           "train": {"batch_size": 4, "seed": 1, "steps": 10, \(extraTrain) "lr": \(lr)}}}
        """
        let path = dir.appendingPathComponent("cl-\(UUID().uuidString).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// fixed_linear 16 → 64 over 4 steps, step 8, by hand: ⌊(16 + 12·s)/8⌋·8 = 24, 40, 48, 64.
    private func truncateLength(_ s: Int) -> Int { [0: 16, 1: 24, 2: 40, 3: 48][s] ?? 64 }

    func testTrainCurriculumRunLogsDifficultiesAndResumes() throws {
        let index = try makeIndex(pack: 64)
        let config = try curriculumConfig()
        let run = dir.appendingPathComponent("cl").path
        let first = try runGradus(["train", config, "--index", index, "--out", run, "--steps", "3", "--threads", "1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("curriculum batches"), first.stderr)
        let steps = try String(contentsOfFile: run + "/log.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["grad_norm"] != nil }
        XCTAssertEqual(steps.count, 3)
        for record in steps {
            let s = try XCTUnwrap(record["curriculum_step"] as? Int)
            let difficulty = try XCTUnwrap(record["difficulty"] as? [String: Double])
            XCTAssertEqual(Set(difficulty.keys), ["seqlen_truncate", "vocabularyrarity"])
            XCTAssertEqual(difficulty["seqlen_truncate"], Double(truncateLength(s)))
            XCTAssertEqual(record["seq_length"] as? Int, truncateLength(s))
            XCTAssertEqual(record["step_tokens"] as? Int, 4 * truncateLength(s))
        }
        let resolved = try String(contentsOfFile: run + "/config.json", encoding: .utf8)
        XCTAssertTrue(resolved.contains("vocabularyrarity"), "the resolved config holds the curriculum")
        let resumed = try runGradus(["train", config, "--index", index, "--out", run, "--steps", "5", "--resume", "--threads", "1"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("\"steps\":5"), resumed.stdout)
    }

    func testSchedulePrintsTheLearningRatePerStep() throws {
        // Warmup over 1000 tokens: lr(s) = 1e-3 · tokens(s) / 1000 with tokens(s) = Σ 4 · T(k);
        // T = 24, 40, 48, 64 → tokens 96, 256, 448, 704.
        let config = try curriculumConfig(lr: #"{"peak": 0.001, "warmup": 1000, "total": 5000, "unit": "tokens"}"#)
        let r = try runGradus(["schedule", config, "--steps", "4", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(rows.count, 5)
        XCTAssertNil(rows[0]["lr"])
        let expected = [9.6e-5, 2.56e-4, 4.48e-4, 7.04e-4]
        for (row, lr) in zip(rows.dropFirst(), expected) {
            XCTAssertEqual(try XCTUnwrap(row["lr"] as? Double), lr, accuracy: 1e-12, "\(row)")
        }
    }

    func testTrainBadConfigsAreRefusedWithTheirKeyPath() throws {
        let index = try makeIndex(pack: 64)
        let typo = try curriculumConfig(extraTrain: #""eval_intervall": 5,"#)
        let r1 = try runGradus(["train", typo, "--index", index, "--out", dir.appendingPathComponent("a").path])
        XCTAssertNotEqual(r1.status, 0)
        XCTAssertTrue(r1.stderr.contains("gradus.train.eval_intervall: unknown key"), r1.stderr)
        let heads = try curriculumConfig(model: #"{"layers": 2, "d_model": 66, "heads": 4, "context": 64, "vocab": 258}"#)
        let r2 = try runGradus(["train", heads, "--index", index, "--out", dir.appendingPathComponent("b").path])
        XCTAssertNotEqual(r2.status, 0)
        XCTAssertTrue(r2.stderr.contains("d_model (66) must be divisible by heads (4)"), r2.stderr)
        let r3 = try runGradus(["schedule", typo, "--steps", "2"])
        XCTAssertNotEqual(r3.status, 0, "schedule reads the same strict parser")
        XCTAssertTrue(r3.stderr.contains("eval_intervall"), r3.stderr)
    }

    func testTrainRefusesAnIncompleteIndex() throws {
        let text = dir.appendingPathComponent("t.jsonl")
        try (0..<4).map { #"{"text": "sample \#($0) of a killed build"}"# }.joined(separator: "\n").write(to: text, atomically: true, encoding: .utf8)
        let cut = dir.appendingPathComponent("cut.idx").path
        let killed = try runGradus(["index", text.path, "--tokenizer", "bytes", "--out", cut, "--threads", "1"],
                                   env: ["GRADUS_TEST_BATCH_RECORDS": "1", "GRADUS_TEST_ABORT_AFTER_BATCHES": "1"])
        XCTAssertNotEqual(killed.status, 0, "the build was meant to be killed")
        let config = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("configs/tiny.json").path
        let r = try runGradus(["train", config, "--index", cut, "--out", dir.appendingPathComponent("r").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("building"), r.stderr)
    }
}
