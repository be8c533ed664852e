// RunResumeTests.swift — resuming runs (issue 14 items 7, 8, 17, 18, 20): training resume and
// `experiment --resume` compare the index's content fingerprint (a byte-identical rebuild is
// accepted, the same files in another order refused, naming both fingerprints); SIGTERM/SIGINT
// checkpoint the current step and exit 143/130, and the resumed run ends equal to an
// uninterrupted one (log and parameters); a torn last log line is cut at resume; `train` warns of
// a starved curriculum pool as `gradus schedule` does.

import Foundation
import TestSupport
import XCTest

final class RunResumeTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = try TemporaryDirectory("runresume", removedAfter: self).path
        try writeWordDocuments(dir + "/a.jsonl", seed: 1, count: 20)
        try writeWordDocuments(dir + "/b.jsonl", seed: 2, count: 20)
    }

    /// tiny.json without intermediate evaluations or checkpoints, 12 steps.
    private func shortConfig() throws -> String {
        try tinyConfig(dir + "/short.json", train: ["eval_interval": 0, "checkpoint_interval": 0, "steps": 12])
    }

    private func train(_ config: String, _ index: String, _ out: String, _ extra: [String] = []) throws -> GradusRun {
        try runGradus(["train", config, "--index", index, "--out", out, "--threads", "1"] + extra)
    }

    func testUniformResumeRefusesTheSameFilesIndexedInAnotherOrder() throws {
        let (ab, ba) = (dir + "/ab.idx", dir + "/ba.idx")
        try indexBytes([dir + "/a.jsonl", dir + "/b.jsonl"], out: ab)
        try indexBytes([dir + "/b.jsonl", dir + "/a.jsonl"], out: ba)
        let config = try shortConfig(), run = dir + "/run"
        XCTAssertEqual(try train(config, ab, run, ["--steps", "2"]).status, 0)
        // Same tokenizer, counts and packing: only the content fingerprint tells them apart.
        let refused = try train(config, ba, run, ["--steps", "3", "--resume"])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("it was made on an index with content fingerprint"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("resume with the index the run started on"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("--force"), refused.stderr)
        let fingerprints = refused.stderr.split(separator: " ").filter { $0.count >= 16 && $0.prefix(16).allSatisfy(\.isHexDigit) }
        XCTAssertEqual(Set(fingerprints.map { $0.prefix(16) }).count, 2, "the message names both fingerprints: \(refused.stderr)")
        XCTAssertEqual(try train(config, ab, run, ["--steps", "3", "--resume"]).status, 0, "the run's own index resumes")
    }

    func testCurriculumResumeAcceptsAByteIdenticalRebuild() throws {
        let (first, rebuilt) = (dir + "/first.idx", dir + "/rebuilt.idx")
        try indexBytes([dir + "/a.jsonl", dir + "/b.jsonl"], out: first)
        sleep(1)  // another `created` second, as well as another --out on the command line
        try indexBytes([dir + "/a.jsonl", dir + "/b.jsonl"], out: rebuilt)
        let config = try tinyConfig(dir + "/cl.json", train: ["eval_interval": 0, "checkpoint_interval": 0], top: [
            "train_batch_size": 4,
            "data_efficiency": ["enabled": true, "seed": 3, "data_sampling": ["enabled": true, "curriculum_learning": [
                "enabled": true, "curriculum_metrics": ["vocabularyrarity": [
                    "difficulty_type": "percentile", "clustering_type": "schedule_based", "min_difficulty": 50,
                    "max_difficulty": 100, "schedule_type": "fixed_linear",
                    "schedule_config": ["total_curriculum_step": 4, "difficulty_step": 1]]]]]],
        ])
        let (run, reference) = (dir + "/run", dir + "/reference")
        XCTAssertEqual(try train(config, first, run, ["--steps", "2"]).status, 0)
        let resumed = try train(config, rebuilt, run, ["--steps", "4", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try train(config, first, reference, ["--steps", "4"]).status, 0)
        XCTAssertEqual(try stepRecords(run + "/log.jsonl"), try stepRecords(reference + "/log.jsonl"))
    }

    func testExperimentResumeRefusesAnIndexOfOtherContentAndAcceptsACopy() throws {
        let (ab, ba, copy) = (dir + "/ab.idx", dir + "/ba.idx", dir + "/copy.idx")
        try indexBytes([dir + "/a.jsonl", dir + "/b.jsonl"], out: ab)
        try indexBytes([dir + "/b.jsonl", dir + "/a.jsonl"], out: ba)
        try FileManager.default.copyItem(atPath: ab, toPath: copy)
        let matrix = dir + "/matrix.json"
        try #"{"base": "\#(dir)/short.json", "seeds": [1], "budget": {"tokens": 512}, "eval_interval_tokens": 256, "variants": [{"name": "base", "override": {}}]}"#
            .write(toFile: matrix, atomically: true, encoding: .utf8)
        _ = try shortConfig()
        let out = dir + "/exp"
        func experiment(_ index: String) throws -> GradusRun {
            try runGradus(["experiment", matrix, "--index", index, "--out", out, "--threads", "1", "--resume"])
        }
        let first = try runGradus(["experiment", matrix, "--index", ab, "--out", out, "--threads", "1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let refused = try experiment(ba)
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("its runs were trained on the index \(ab)"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--index \(ba) holds other content"), refused.stderr)
        XCTAssertEqual(try experiment(copy).status, 0, "the same content at another path is the same index")
    }

    func testSignalledTrainCheckpointsAndResumesToTheUninterruptedRun() throws {
        let index = dir + "/ab.idx"
        try indexBytes([dir + "/a.jsonl", dir + "/b.jsonl"], out: index)
        let config = try shortConfig()
        let reference = dir + "/reference"
        XCTAssertEqual(try train(config, index, reference).status, 0)
        for (signal, status) in [(SIGTERM, Int32(143)), (SIGINT, Int32(130))] {
            let run = dir + "/run-\(signal)"
            let stopped = try runAndSignal(["train", config, "--index", index, "--out", run, "--threads", "1"],
                                           log: run + "/log.jsonl", signal: signal)
            XCTAssertFalse(stopped.signaled, "the signal killed the run instead of stopping it")
            XCTAssertEqual(stopped.status, status, stopped.stderr)
            XCTAssertTrue(stopped.stderr.contains("checkpoint written to \(run)/checkpoint.bin; run the same command with --resume"), stopped.stderr)
            let steps = try XCTUnwrap(CheckpointParts(run + "/checkpoint.bin").header["progress"] as? [String: Any])["steps"] as? Int
            XCTAssertLessThan(try XCTUnwrap(steps), 12, "the run was not stopped early")
            let resumed = try train(config, index, run, ["--resume"])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertEqual(try logRecords(run + "/log.jsonl"), try logRecords(reference + "/log.jsonl"))
            XCTAssertTrue(try CheckpointParts(run + "/checkpoint.bin").payload == CheckpointParts(reference + "/checkpoint.bin").payload,
                          "parameters and moments differ from the uninterrupted run's")
        }
    }

    func testSignalledExperimentResumesToTheUninterruptedResults() throws {
        let index = dir + "/ab.idx"
        try indexBytes([dir + "/a.jsonl", dir + "/b.jsonl"], out: index)
        _ = try shortConfig()
        let matrix = dir + "/matrix.json"
        // 12 steps of 4 × 64 tokens, evaluated every 4 steps.
        try #"{"base": "\#(dir)/short.json", "seeds": [1], "budget": {"tokens": 3072}, "eval_interval_tokens": 1024, "variants": [{"name": "base", "override": {}}]}"#
            .write(toFile: matrix, atomically: true, encoding: .utf8)
        func results(_ out: String) throws -> [NSDictionary] {
            try String(contentsOfFile: out + "/results.jsonl", encoding: .utf8).split(separator: "\n").map { line in
                var result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                result["wall_seconds"] = nil
                result["curve"] = try XCTUnwrap(result["curve"] as? [[Double]]).map { [$0[0], $0[2]] }  // [tokens, wall, loss]
                return result as NSDictionary
            }
        }
        let reference = try runGradus(["experiment", matrix, "--index", index, "--out", dir + "/reference", "--threads", "1"])
        XCTAssertEqual(reference.status, 0, reference.stderr)
        let out = dir + "/exp"
        let stopped = try runAndSignal(["experiment", matrix, "--index", index, "--out", out, "--threads", "1"],
                                       log: out + "/runs/base-seed1/log.jsonl", signal: SIGTERM)
        XCTAssertEqual(stopped.status, 143, stopped.stderr)
        XCTAssertTrue(stopped.stderr.contains("--resume"), stopped.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/results.jsonl"))
        let resumed = try runGradus(["experiment", matrix, "--index", index, "--out", out, "--threads", "1", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try results(out), try results(dir + "/reference"))
    }

    func testResumedLogEqualsTheUninterruptedOneAndATornLineIsCut() throws {
        let index = dir + "/ab.idx"
        try indexBytes([dir + "/a.jsonl", dir + "/b.jsonl"], out: index)
        // Checkpoints every 2 steps; the run is killed (like kill -9) while writing step 4's, so
        // the log holds steps 1–4 and the checkpoint is step 2's; then a write cut short leaves
        // half a line.
        let config = try tinyConfig(dir + "/ckpt.json", train: ["eval_interval": 0, "checkpoint_interval": 2, "steps": 6])
        let (run, reference) = (dir + "/run", dir + "/reference")
        XCTAssertEqual(try train(config, index, reference).status, 0)
        let killed = try runGradus(["train", config, "--index", index, "--out", run, "--threads", "1"],
                                   env: ["GRADUS_TEST_ABORT_IN_CHECKPOINT_AT_STEP": "4"])
        XCTAssertTrue(killed.killedBySIGKILL, killed.stderr)
        let log = run + "/log.jsonl"
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(try stepRecords(log).map { $0["step"] as? Int }, [1, 2, 3, 4])
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: log))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(lines[3].prefix(40).utf8))  // a torn line, no newline
        try handle.close()
        // The resume from step 2 cuts steps 3–4 and the torn line, and logs steps 3–6 once.
        let resumed = try train(config, index, run, ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try logRecords(log), try logRecords(reference + "/log.jsonl"))
        XCTAssertTrue(try String(contentsOfFile: log, encoding: .utf8).hasSuffix("}\n"))
    }

    func testTrainWarnsOfAStarvedPoolAsScheduleDoes() throws {
        // 20 documents of ~370 bytes give about 110 samples of 65 tokens; the vocabularyrarity
        // percentile 1 → 100 over 1000 steps stays at difficulty 1 (1 + 99·s/1000 < 2) for steps
        // 1…5 and admits ⌊N/100⌋ = 1 sample there (docs/curriculum.md: granularity ⌊N/P⌋), fewer
        // than the batch of 4.
        let index = dir + "/a.idx"
        try indexBytes([dir + "/a.jsonl"], out: index)
        let config = try tinyConfig(dir + "/starved.json", train: ["eval_interval": 0, "checkpoint_interval": 0], top: [
            "train_batch_size": 4,
            "data_efficiency": ["enabled": true, "seed": 3, "data_sampling": ["enabled": true, "curriculum_learning": [
                "enabled": true, "curriculum_metrics": ["vocabularyrarity": [
                    "difficulty_type": "percentile", "clustering_type": "schedule_based", "min_difficulty": 1,
                    "max_difficulty": 100, "schedule_type": "fixed_linear",
                    "schedule_config": ["total_curriculum_step": 1000, "difficulty_step": 1]]]]]],
        ])
        let expected = "warning: the admitted pool is smaller than the global batch (4) at 5 step(s), from step 1 to 5"
        let schedule = try runGradus(["schedule", config, "--steps", "5", "--index", index])
        XCTAssertEqual(schedule.status, 0, schedule.stderr)
        XCTAssertTrue(schedule.stderr.contains(expected), schedule.stderr)
        let trained = try train(config, index, dir + "/run", ["--steps", "5"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(trained.stderr.contains(expected), trained.stderr)
        let warning = { (text: String) in text.split(separator: "\n").first { $0.hasPrefix("warning: the admitted pool") } }
        XCTAssertEqual(warning(trained.stderr), warning(schedule.stderr))
    }
}
