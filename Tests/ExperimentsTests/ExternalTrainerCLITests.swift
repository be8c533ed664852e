// ExternalTrainerCLITests.swift — `gradus experiment` with an external trainer through the CLI
// (issue 17 item 1), with /bin/sh fake trainers: SIGTERM to gradus reaches the trainer and the
// command exits 143; a SIGKILLed gradus leaves no trainer running (it gets SIGTERM); `--resume` reruns an unfinished run's command in the same run directory and
// leaves a finished one alone; `gradus batches --held-out-fraction` serves no held-out id.

import Foundation
import Support
import TestSupport
import Training
import XCTest

final class ExternalTrainerCLITests: XCTestCase {
    /// Writes a matrix on tiny.json (budget 1024 tokens, evaluations every 512) whose trainer is
    /// `sh -c script fake RUN_DIR`; returns its path.
    private func writeMatrix(in dir: String, script: String) throws -> String {
        let command = JSONValue.array(["/bin/sh", "-c", script, "fake", "{run_dir}"].map { .string($0) }).jsonText
        let text = """
            {"base": "\(repositoryRoot)/configs/tiny.json", "seeds": [1], "budget": {"tokens": 1024},
             "eval_interval_tokens": 512, "validation": {"fraction": 0.1, "batches": 1},
             "trainer": {"command": \(command)}, "variants": [{"name": "ext", "override": {}}]}
            """
        try text.write(toFile: dir + "/matrix.json", atomically: true, encoding: .utf8)
        return dir + "/matrix.json"
    }

    /// Starts `gradus experiment` on a trainer that records the signal it gets in RUN/signal
    /// (unsignalled it gives up after about 20 s) and waits until the trainer has started.
    /// - Returns: gradus's process and the run directory.
    private func startWaitingTrainer() throws -> (GradusProcess, String) {
        let dir = try TemporaryDirectory("extcli", removedAfter: self).path
        try indexUDHRPacked(at: dir + "/idx")
        let script = #"trap 'echo TERM > "$1/signal"; exit 143' TERM; touch "$1/started"; i=0; "#
            + #"while [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; exit 0"#
        let matrix = try writeMatrix(in: dir, script: script)
        let process = try GradusProcess(["experiment", matrix, "--index", dir + "/idx", "--out", dir + "/out", "--threads", "1"])
        let run = dir + "/out/runs/ext-seed1"
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: run + "/started") { usleep(100_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/started"), "the trainer did not start")
        return (process, run)
    }

    func testSIGTERMIsForwardedToTheTrainer() throws {
        let (process, run) = try startWaitingTrainer()
        kill(process.pid, SIGTERM)  // gradus only, not its process group
        let result = process.wait()
        XCTAssertEqual(result.status, 143, result.stderr)
        XCTAssertEqual(try String(contentsOfFile: run + "/signal", encoding: .utf8), "TERM\n")
        XCTAssertTrue(result.stderr.contains("run the same command with --resume to continue"), result.stderr)
    }

    func testTrainerGetsSIGTERMWhenGradusIsKilled() throws {
        let (process, run) = try startWaitingTrainer()
        kill(process.pid, SIGKILL)  // gradus cannot forward anything: the kernel signals the trainer
        _ = process.wait()
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: run + "/signal") { usleep(100_000) }
        XCTAssertEqual(try? String(contentsOfFile: run + "/signal", encoding: .utf8), "TERM\n",
                       "the trainer outlived a SIGKILLed gradus")
    }

    func testResumeRerunsAnUnfinishedRunAndNotAFinishedOne() throws {
        let dir = try TemporaryDirectory("extcli", removedAfter: self).path
        try indexUDHRPacked(at: dir + "/idx")
        // First launch fails as a preempted trainer would; the second writes a conforming log.
        let lines = [
            #"{"step": 0, "tokens": 0, "val_loss": 5.5, "train_s": 0}"#,
            #"{"step": 1, "tokens": 256, "layer_tokens": 512, "loss": 5.4, "lr": 0.001, "seq_length": 64, "train_s": 0.5}"#,
            #"{"step": 2, "tokens": 512, "layer_tokens": 1024, "loss": 5.2, "lr": 0.002, "seq_length": 64, "train_s": 1.0}"#,
            #"{"step": 2, "tokens": 512, "val_loss": 5.0, "train_s": 1.0}"#,
            #"{"step": 3, "tokens": 768, "layer_tokens": 1536, "loss": 4.9, "lr": 0.002, "seq_length": 64, "train_s": 1.5}"#,
            #"{"step": 4, "tokens": 1024, "layer_tokens": 2048, "loss": 4.7, "lr": 0.001, "seq_length": 64, "train_s": 2.0}"#,
            #"{"step": 4, "tokens": 1024, "val_loss": 4.5, "train_s": 2.0}"#,
        ].map { "'" + $0 + "'" }.joined(separator: " ")
        let script = #"echo x >> "$1/launches"; if [ ! -e "$1/preempted" ]; then touch "$1/preempted"; echo 'preempted' >&2; exit 9; fi; "#
            + #"printf '%s\n' "# + lines + #" > "$1/log.jsonl""#
        let matrix = try writeMatrix(in: dir, script: script)
        let arguments = ["experiment", matrix, "--index", dir + "/idx", "--out", dir + "/out", "--threads", "1"]
        let first = try runGradus(arguments)
        XCTAssertEqual(first.status, 1, first.stderr)
        XCTAssertTrue(first.stderr.contains("run \(dir)/out/runs/ext-seed1: the trainer /bin/sh exited with status 9; "
            + "the end of its output (\(dir)/out/runs/ext-seed1/trainer.log):\npreempted"), first.stderr)
        let second = try runGradus(arguments + ["--resume"])
        XCTAssertEqual(second.status, 0, second.stderr)
        let third = try runGradus(arguments + ["--resume"])
        XCTAssertEqual(third.status, 0, third.stderr)
        let launches = try String(contentsOfFile: dir + "/out/runs/ext-seed1/launches", encoding: .utf8)
        XCTAssertEqual(launches.split(separator: "\n").count, 2, "launched again on the first --resume only")
        let results = try curvePoints(dir + "/out/results.jsonl")
        XCTAssertEqual(results, [[0, 0, 5.5], [512, 1, 5.0], [1024, 2, 4.5]])
        XCTAssertEqual(try runGradus(["report", dir + "/out"]).status, 0)
    }

    /// The curve of the one line of results.jsonl, read as plain JSON.
    private func curvePoints(_ path: String) throws -> [[Double]] {
        let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines)
        let curve = try JSONValue.parse(text)["curve"]?.arrayValue ?? []
        return curve.map { ($0.arrayValue ?? []).compactMap(\.number) }
    }

    func testBatchesSkipsTheHeldOutIds() throws {
        let dir = try TemporaryDirectory("extcli", removedAfter: self).path
        try indexUDHRPacked(at: dir + "/idx")
        let config = """
            {"train_batch_size": 8, "data_efficiency": {"enabled": true, "seed": 3, "data_sampling": {"enabled": true,
             "curriculum_learning": {"enabled": true, "curriculum_metrics": {"seqlen_truncate": {"difficulty_type": "value",
             "clustering_type": "single_cluster", "min_difficulty": 16, "max_difficulty": 64, "schedule_type": "fixed_linear",
             "schedule_config": {"total_curriculum_step": 4, "difficulty_step": 16}}}}}}}
            """
        try config.write(toFile: dir + "/cl.json", atomically: true, encoding: .utf8)
        func ids(_ extra: [String]) throws -> [Int] {
            let r = try runGradus(["batches", dir + "/idx", "--config", dir + "/cl.json", "--steps", "40"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try r.stdout.split(separator: "\n").flatMap { line in
                try JSONValue.parse(String(line))["sample_ids"]?.arrayValue?.compactMap(\.intValue) ?? []
            }
        }
        let all = try ids([]), kept = try ids(["--held-out-fraction", "0.2"])
        XCTAssertEqual(all.count, 320)
        XCTAssertEqual(kept.count, 320, "the shortfall is drawn, as gradus train does")
        XCTAssertTrue(all.contains { HeldOutSplit.isHeldOut(id: $0, fraction: 0.2) }, "without the option held-out ids are served")
        XCTAssertEqual(kept.filter { HeldOutSplit.isHeldOut(id: $0, fraction: 0.2) }, [])
        let bad = try runGradus(["batches", dir + "/idx", "--config", dir + "/cl.json", "--steps", "1", "--held-out-fraction", "1"])
        XCTAssertEqual(bad.status, 64, bad.stderr)
    }
}
