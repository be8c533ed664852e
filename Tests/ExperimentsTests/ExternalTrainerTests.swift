// ExternalTrainerTests.swift — a matrix variant run by an external trainer command (issue 17 item
// 1), with a tiny /bin/sh fake trainer that writes a fixed log.jsonl: the result is built from
// the log as documented, a line that breaks the schema is refused naming the file and the line,
// a failing trainer is reported with its exit status and output, a finished run is not rerun,
// and the matrix's `trainer` key is parsed strictly.

import Foundation
import Support
import TestSupport
import Training
import XCTest
@testable import Experiments

final class ExternalTrainerTests: XCTestCase {
    /// 4 steps of 4 × 64 tokens (tiny.json) to 1024 tokens, evaluated at 0 and every 512 tokens:
    /// steps 0, 2 and 4 — the log a conforming trainer writes, numbers chosen by hand.
    private let goodLog = [
        #"{"step": 0, "tokens": 0, "val_loss": 5.5, "train_s": 0}"#,
        #"{"step": 1, "tokens": 256, "layer_tokens": 512, "loss": 5.4, "lr": 0.001, "seq_length": 64, "train_s": 0.5, "flops": 10}"#,
        #"{"step": 2, "tokens": 512, "layer_tokens": 1024, "loss": 5.2, "lr": 0.002, "seq_length": 64, "train_s": 1.0, "flops": 10}"#,
        #"{"step": 2, "tokens": 512, "val_loss": 5.0, "train_s": 1.0}"#,
        #"{"step": 3, "tokens": 768, "layer_tokens": 1536, "loss": 4.9, "lr": 0.002, "seq_length": 64, "train_s": 1.5, "flops": 10}"#,
        #"{"step": 4, "tokens": 1024, "layer_tokens": 2048, "loss": 4.7, "lr": 0.001, "seq_length": 64, "train_s": 2.0, "flops": 10}"#,
        #"{"step": 4, "tokens": 1024, "val_loss": 4.5, "train_s": 2.0, "my_metric": 1.0, "val_groups": {"lang": {"en": {"loss": 4.4, "positions": 10}, "fr": {"loss": 4.6, "positions": 10}}}}"#,
    ]

    /// A matrix on tiny.json whose only variant runs `sh -c script fake RUN_DIR`.
    private func matrix(script: String) throws -> ExperimentMatrix {
        let command = JSONValue.array(["/bin/sh", "-c", script, "fake", "{run_dir}"].map { .string($0) }).jsonText
        return try ExperimentMatrix.parse(try JSONValue.parse("""
            {"base": "\(repositoryRoot)/configs/tiny.json", "seeds": [1], "budget": {"tokens": 1024},
             "eval_interval_tokens": 512, "validation": {"fraction": 0.1, "batches": 1},
             "trainer": {"command": \(command)},
             "variants": [{"name": "ext", "override": {}}]}
            """), directory: "/")
    }

    /// A script that counts its launches in RUN/launches and writes `lines` as RUN/log.jsonl.
    private func writing(_ lines: [String], exit code: Int = 0) -> String {
        let body = lines.map { "'" + $0 + "'" }.joined(separator: " ")
        return #"echo x >> "$1/launches"; printf '%s\n' "# + body + #" > "$1/log.jsonl"; echo 'fake: bad news' >&2; exit "# + String(code)
    }

    private func executor(_ matrix: ExperimentMatrix, _ dir: String, index: String) -> RunExecutor {
        var executor = RunExecutor(matrix: matrix, variant: matrix.variants[0], seed: 1, directory: dir + "/run", indexPath: index)
        executor.threads = .one
        return executor
    }

    func testAConformingLogGivesTheResultAndTheHandOver() throws {
        let dir = try TemporaryDirectory("exttrainer", removedAfter: self).path
        let index = try buildGeneratedIndex(in: dir)
        let m = try matrix(script: writing(goodLog))
        let result = try executor(m, dir, index: index).run()
        XCTAssertEqual(result.curve, [CurvePoint(tokens: 0, wall: 0, loss: 5.5), CurvePoint(tokens: 512, wall: 1.0, loss: 5.0),
                                      CurvePoint(tokens: 1024, wall: 2.0, loss: 4.5)])
        XCTAssertEqual([result.steps, result.tokens, result.layerTokens], [4, 1024, 2048])
        XCTAssertEqual(result.finalValidationLoss, 4.5)
        XCTAssertEqual(result.flops, 40)
        XCTAssertEqual(result.wallSeconds, 2.0)
        XCTAssertEqual(result.sampler, "uniform")
        XCTAssertFalse(result.randomLTDApplied)
        // The last evaluation's val_groups pass through to the result's per-group curves.
        XCTAssertEqual(result.groupCurves?["lang"]?["en"], [CurvePoint(tokens: 1024, wall: 2.0, loss: 4.4)])
        XCTAssertEqual(result.groupCurves?["lang"]?["fr"], [CurvePoint(tokens: 1024, wall: 2.0, loss: 4.6)])
        XCTAssertNotNil(result.unigramValidationLoss, "the context-free reference on heldout.json's rows")
        // The hand-over: the run's paths, budget, grid and the held-out ids of the same split.
        let run = try JSONValue.parse(try String(contentsOfFile: dir + "/run/run.json", encoding: .utf8))
        XCTAssertEqual(run["budget"], .object([("tokens", .int(1024))]))
        XCTAssertEqual(run["eval_interval_tokens"], .int(512))
        XCTAssertEqual(run["config"], .string(dir + "/run/config.json"))
        XCTAssertEqual(run["index"], .string(index))
        XCTAssertEqual(run["validation"]?["batch_size"], .int(4))
        let heldOut = try JSONValue.parse(try String(contentsOfFile: dir + "/run/heldout.json", encoding: .utf8))
        let ids = heldOut["ids"]?.arrayValue?.compactMap(\.intValue) ?? []
        XCTAssertEqual(ids, (0..<400).filter { HeldOutSplit.isHeldOut(id: $0, fraction: 0.1) })
        XCTAssertFalse(ids.isEmpty)
        // Finished: a second run reads result.json and does not launch the trainer again.
        XCTAssertEqual(try executor(m, dir, index: index).run(), result)
        XCTAssertEqual(try String(contentsOfFile: dir + "/run/launches", encoding: .utf8), "x\n")
    }

    func testALogLineMissingAFieldIsRefusedWithFileAndLine() throws {
        let dir = try TemporaryDirectory("exttrainer", removedAfter: self).path
        let index = try buildGeneratedIndex(in: dir)
        var lines = goodLog
        lines[2] = #"{"step": 2, "layer_tokens": 1024, "loss": 5.2, "lr": 0.002, "seq_length": 64, "train_s": 1.0}"#
        XCTAssertThrowsError(try executor(try matrix(script: writing(lines)), dir, index: index).run()) { error in
            XCTAssertEqual(error as? ExperimentError, .invalidTrainerLog(path: dir + "/run/log.jsonl", line: 3,
                                                                         problem: "step record misses \"tokens\""))
            XCTAssertTrue("\(error)".hasPrefix(dir + "/run/log.jsonl line 3: step record misses \"tokens\"; fix the trainer"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/run/result.json"))
    }

    func testGarbledAndOutOfSequenceLinesAreRefused() throws {
        let dir = try TemporaryDirectory("exttrainer", removedAfter: self).path
        let index = try buildGeneratedIndex(in: dir)
        let cases: [(Int, String, String)] = [
            (4, #"{"step": 2, "tokens": 512, "val_loss": "low", "train_s": 1.0}"#, #""val_loss" must be a number, found a string "low""#),
            (2, #"{"step": 1, "tokens": 256.5, "layer_tokens": 512, "loss": 5.4, "lr": 0.001, "seq_length": 64, "train_s": 0.5}"#,
             #""tokens" must be an integer >= 0, found a number 256.5"#),
            (5, #"{"step": 4, "tokens": 768, "layer_tokens": 1536, "loss": 4.9, "lr": 0.002, "seq_length": 64, "train_s": 1.5}"#,
             "step 4 follows step 2; steps are numbered 1, 2, 3, … without gaps or repeats (on resume, cut the log back to the checkpoint's step)"),
            (3, "{not json", "not a JSON object (NaN and Infinity are not JSON)"),
        ]
        for (line, text, problem) in cases {
            var lines = goodLog
            lines[line - 1] = text
            try? FileManager.default.removeItem(atPath: dir + "/run")
            XCTAssertThrowsError(try executor(try matrix(script: writing(lines)), dir, index: index).run()) { error in
                XCTAssertEqual(error as? ExperimentError, .invalidTrainerLog(path: dir + "/run/log.jsonl", line: line, problem: problem))
            }
        }
    }

    func testALogMissingAnEvaluationOrStoppingShortIsRefused() throws {
        let dir = try TemporaryDirectory("exttrainer", removedAfter: self).path
        let index = try buildGeneratedIndex(in: dir)
        var noMiddle = goodLog
        noMiddle.remove(at: 3)
        XCTAssertThrowsError(try executor(try matrix(script: writing(noMiddle)), dir, index: index).run()) { error in
            XCTAssertEqual(error as? ExperimentError, .invalidTrainerLog(path: dir + "/run/log.jsonl", line: nil, problem:
                "evaluations at steps [0, 4], but the matrix needs them at steps [0, 2, 4]: at step 0, at each step whose tokens "
                + "cross a multiple of eval_interval_tokens (512), and at the last step"))
        }
        try FileManager.default.removeItem(atPath: dir + "/run")
        let short = Array(goodLog.prefix(4))
        XCTAssertThrowsError(try executor(try matrix(script: writing(short)), dir, index: index).run()) { error in
            XCTAssertEqual(error as? ExperimentError, .invalidTrainerLog(path: dir + "/run/log.jsonl", line: nil, problem:
                "the last step (2, 512 tokens) stops before the budget (1024 tokens); train until the first step that reaches it"))
        }
    }

    func testAFailingTrainerIsReportedWithItsStatusAndOutput() throws {
        let dir = try TemporaryDirectory("exttrainer", removedAfter: self).path
        let index = try buildGeneratedIndex(in: dir)
        XCTAssertThrowsError(try executor(try matrix(script: writing(goodLog, exit: 3)), dir, index: index).run()) { error in
            guard case .trainerFailed(let run, let reason)? = error as? ExperimentError else { return XCTFail("\(error)") }
            XCTAssertEqual(run, dir + "/run")
            XCTAssertTrue(reason.hasPrefix("the trainer /bin/sh exited with status 3; the end of its output (\(dir)/run/trainer.log):\n"), reason)
            XCTAssertTrue(reason.hasSuffix("fake: bad news"), reason)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/run/result.json"))
        try FileManager.default.removeItem(atPath: dir + "/run")
        XCTAssertThrowsError(try executor(try matrix(script: "exit 0"), dir, index: index).run()) { error in
            XCTAssertEqual(error as? ExperimentError, .invalidTrainerLog(path: dir + "/run/log.jsonl", line: nil,
                                                                         problem: "the trainer exited 0 but wrote no log (the file is missing or unreadable)"))
        }
        try FileManager.default.removeItem(atPath: dir + "/run")
        var missing = try matrix(script: "")
        missing.variants[0].trainer?.command = ["/nonexistent/trainer"]
        XCTAssertThrowsError(try executor(missing, dir, index: index).run()) { error in
            XCTAssertEqual(error as? ExperimentError, .trainerFailed(run: dir + "/run", reason: "cannot start /nonexistent/trainer: "
                + "No such file or directory (not found in PATH; give its path in the matrix's trainer.command)"))
        }
    }

    func testTheTrainerKeyIsParsedStrictlyWithKeyPaths() throws {
        let json = try JSONValue.parse("""
            {"base": "\(repositoryRoot)/configs/tiny.json", "seeds": [1], "budget": {"tokens": 1024},
             "eval_interval_tokens": 512, "trainer": {"command": [], "cmd": 1},
             "variants": [{"name": "a", "override": {}, "trainer": {"command": ["python3", 2]}},
                          {"name": "b", "override": {}, "trainer": {"command": [""]}}]}
            """)
        XCTAssertThrowsError(try ExperimentMatrix.parse(json, directory: "/")) { error in
            XCTAssertEqual(error as? ExperimentError, .invalidMatrix([
                #"trainer.command: required, a non-empty list of strings: the program and its arguments, e.g. ["python3", "{matrix_dir}/train.py"]"#,
                "trainer.cmd: unknown key",
                "variants[0].trainer.command[1]: must be a string, found an integer",
                "variants[1].trainer.command[0]: the program must not be empty",
            ]))
        }
    }

    func testAVariantTrainerOverridesTheMatrixOneAndIsRecorded() throws {
        let m = try ExperimentMatrix.parse(try JSONValue.parse("""
            {"base": "\(repositoryRoot)/configs/tiny.json", "seeds": [1], "budget": {"tokens": 1024},
             "eval_interval_tokens": 512, "trainer": {"command": ["top", "{matrix_dir}/t.py", "{run_json}"]},
             "variants": [{"name": "a", "override": {}}, {"name": "b", "override": {}, "trainer": {"command": ["own"]}}]}
            """), directory: "/m")
        XCTAssertEqual(m.variants.map { $0.trainer?.command }, [["top", "{matrix_dir}/t.py", "{run_json}"], ["own"]])
        XCTAssertEqual(m.variants[0].trainer?.argv(runDirectory: "/o/r", runJSON: "/o/r/run.json"), ["top", "/m/t.py", "/o/r/run.json"])
        XCTAssertEqual(m.recorded()["variants"]?.arrayValue?[1]["trainer"], .object([("command", .array([.string("own")]))]))
    }
}
