// MonitorCLITests.swift — DeepSpeed monitor blocks in `gradus train` (issue 17 item 3): an enabled
// wandb / comet block is named in one warning (never silently dropped) while tensorboard and
// csv_monitor are written under output_path/job_name.

import Foundation
import TestSupport
import XCTest

final class MonitorCLITests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory("cli-monitor", removedAfter: self).path
    }

    private func tinyIndex() throws -> String {
        let lines = (0..<8).map { "{\"id\":\"d\($0)\",\"text\":\"" + String(repeating: "w\($0) ", count: 6 + $0) + "\"}" }
        try lines.joined(separator: "\n").write(toFile: dir + "/c.jsonl", atomically: true, encoding: .utf8)
        let index = dir + "/i.idx"
        let made = try runGradus(["index", dir + "/c.jsonl", "--out", index, "--tokenizer", "bytes", "--threads", "1"])
        XCTAssertEqual(made.status, 0, made.stderr)
        return index
    }

    private func config(_ monitors: String) throws -> String {
        let path = dir + "/c-\(UUID().uuidString).json"
        try """
        {\(monitors), "gradus": {"model": {"layers": 1, "d_model": 16, "heads": 2, "context": 16, "vocab": 258},
          "train": {"batch_size": 2, "seed": 1, "steps": 2, "validation_fraction": 0, "eval_interval": 0,
            "lr": {"peak": 0.003, "min": 0.0003, "warmup": 1, "total": 2}}}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testWandbAndCometAreNamedInOneWarning() throws {
        let index = try tinyIndex()
        let path = try config("""
        "wandb": {"enabled": true, "team": "t", "group": "g", "project": "p"}, "comet": {"enabled": true}
        """)
        let trained = try runGradus(["train", path, "--index", index, "--out", dir + "/run", "--threads", "1"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let warnings = trained.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: ") && $0.contains("gradus does not write") }
        XCTAssertEqual(warnings.count, 1, trained.stderr)
        let warning = try XCTUnwrap(warnings.first, trained.stderr)
        XCTAssertTrue(warning.contains(path) && warning.contains("wandb and comet"), trained.stderr)
        XCTAssertTrue(warning.contains("log.jsonl"), trained.stderr)
        XCTAssertFalse(trained.stderr.contains("ignored DeepSpeed keys"), "named once, in the warning: \(trained.stderr)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/run/log.jsonl"))
    }

    func testDisabledWandbIsOnlyListedAsIgnored() throws {
        let index = try tinyIndex()
        let trained = try runGradus(["train", try config("\"wandb\": {\"enabled\": false}"), "--index", index,
                                     "--out", dir + "/run", "--threads", "1"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertFalse(trained.stderr.contains("warning: "), trained.stderr)
        XCTAssertTrue(trained.stderr.contains("ignored DeepSpeed keys (Gradus does not use them): wandb"), trained.stderr)
    }

    func testMonitorBlockWithWrongTypeIsAConfigError() throws {
        let index = try tinyIndex()
        let path = try config("\"tensorboard\": {\"enabled\": \"yes\"}, \"csv_monitor\": {\"enabled\": true, \"job_name\": \"a/b\"}")
        let trained = try runGradus(["train", path, "--index", index, "--out", dir + "/run", "--threads", "1"])
        XCTAssertNotEqual(trained.status, 0)
        XCTAssertTrue(trained.stderr.contains("tensorboard.enabled") && trained.stderr.contains("must be true or false"), trained.stderr)
        XCTAssertTrue(trained.stderr.contains("csv_monitor.job_name"), trained.stderr)
    }

    /// Defaults as DeepSpeed's monitor config has them: output_path "" (here the run directory),
    /// job_name "DeepSpeedJobName"; one event file and one csv file per tag, 2 steps of 2 samples.
    func testDefaultLayoutIsRunDirectoryAndDeepSpeedJobName() throws {
        let index = try tinyIndex()
        let path = try config("\"tensorboard\": {\"enabled\": true}, \"csv_monitor\": {\"enabled\": true}")
        let run = dir + "/run"
        let trained = try runGradus(["train", path, "--index", index, "--out", run, "--threads", "1"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: run + "/DeepSpeedJobName").sorted()
        XCTAssertEqual(files.filter { $0.hasPrefix("events.out.tfevents.") }.count, 1, "\(files)")
        XCTAssertEqual(files.filter { $0.hasSuffix(".csv") }, ["Train_Samples_lr.csv", "Train_Samples_train_loss.csv"])
        let lr = try String(contentsOfFile: run + "/DeepSpeedJobName/Train_Samples_lr.csv", encoding: .utf8)
        XCTAssertEqual(lr.components(separatedBy: "\r\n").map { $0.split(separator: ",").first.map(String.init) ?? "" },
                       ["step", "2", "4", ""])
    }
}
