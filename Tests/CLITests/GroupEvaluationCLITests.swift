// GroupEvaluationCLITests.swift — issue 17 item 2 end to end: on an index built with
// `--group-field lang`, `gradus train` holds out a stratified split (one sample of each language
// where the plain 2 % hash split of 60 samples could miss one), logs `val_groups` with the
// positions worked by hand and lists the groups on its evaluation line; `gradus experiment` keeps
// the group curves in results.jsonl and report.md shows the per-group table and plot.

import Foundation
import TestSupport
import XCTest

final class GroupEvaluationCLITests: XCTestCase {
    /// 40 "en" documents of 11 tokens (10 positions) and 20 "fr" of 7 (6 positions), vocabulary 20.
    private func groupedIndex(_ dir: String) throws -> String {
        var lines: [String] = []
        for i in 0..<60 {
            let n = i % 3 == 2 ? 7 : 11
            let tokens = (0..<n).map { String(1 + ($0 * 7 + i) % 19) }.joined(separator: ",")
            lines.append("{\"tokens\":[\(tokens)],\"lang\":\"\(i % 3 == 2 ? "fr" : "en")\"}")
        }
        try lines.joined(separator: "\n").write(toFile: dir + "/t.jsonl", atomically: true, encoding: .utf8)
        let built = try runGradus(["index", dir + "/t.jsonl", "--vocab-size", "20", "--group-field", "lang", "--out", dir + "/i"])
        XCTAssertEqual(built.status, 0, built.stderr)
        return dir + "/i"
    }

    func testTrainLogsLossPerGroupOnAStratifiedSplit() throws {
        let dir = try TemporaryDirectory("cli-group-eval", removedAfter: self).path
        let index = try groupedIndex(dir)
        let config = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("configs/tiny.json").path
        let r = try runGradus(["train", config, "--index", index, "--out", dir + "/run", "--steps", "2", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // validation_fraction 0.02: en round(0.8) = 1, fr round(0.4) = 0 raised to 1.
        XCTAssertTrue(r.stderr.contains("58 training / 2 held-out samples"), r.stderr)
        let evalLine = try XCTUnwrap(r.stderr.split(separator: "\n").first { $0.hasPrefix("step 2: validation loss") })
        XCTAssertTrue(evalLine.contains("; lang: en ") && evalLine.contains(", fr "), String(evalLine))
        let log = try String(contentsOfFile: dir + "/run/log.jsonl", encoding: .utf8).split(separator: "\n")
        let eval = try XCTUnwrap(log.last { $0.contains("\"val_loss\"") })
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.utf8)) as? [String: Any])
        let lang = try XCTUnwrap((object["val_groups"] as? [String: Any])?["lang"] as? [String: [String: Any]])
        // eval_batches 2 × batch 4 = 8 rows, interleaved en, fr, en, fr, …: 4 × 10 and 4 × 6 positions.
        XCTAssertEqual(lang["en"]?["positions"] as? Int, 40)
        XCTAssertEqual(lang["fr"]?["positions"] as? Int, 24)
        let (en, fr) = (try XCTUnwrap(lang["en"]?["loss"] as? Double), try XCTUnwrap(lang["fr"]?["loss"] as? Double))
        let overall = try XCTUnwrap(object["val_loss"] as? Double)
        XCTAssertEqual((40 * en + 24 * fr) / 64, overall, accuracy: 1e-9 * overall)
    }

    /// With csv_monitor enabled, each group's held-out loss gets its own file
    /// (`Train/Samples/val_loss/lang/en` → Train_Samples_val_loss_lang_en.csv) whose values are the
    /// log's `val_groups` losses, one row per evaluation.
    func testGroupLossesReachTheCSVMonitor() throws {
        let dir = try TemporaryDirectory("cli-group-monitor", removedAfter: self).path
        let index = try groupedIndex(dir)
        let tiny = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("configs/tiny.json")
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: tiny)) as? [String: Any])
        object["csv_monitor"] = ["enabled": true, "output_path": "", "job_name": "job"]
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: dir + "/c.json"))
        let r = try runGradus(["train", dir + "/c.json", "--index", index, "--out", dir + "/run", "--steps", "2", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // JSONDecoder, not JSONSerialization: on Linux the latter reads about one 17-digit double in
        // five an ulp or two off (5.3856483697891235 as 5.385648369789122); the former is exact.
        struct Evaluation: Decodable { let val_groups: [String: [String: [String: Double]]] }
        let evaluations = try String(contentsOfFile: dir + "/run/log.jsonl", encoding: .utf8).split(separator: "\n")
            .filter { $0.contains("\"val_loss\"") }
            .map { try JSONDecoder().decode(Evaluation.self, from: Data($0.utf8)) }
        XCTAssertFalse(evaluations.isEmpty)
        for name in ["en", "fr"] {
            let csv = try String(contentsOfFile: dir + "/run/job/Train_Samples_val_loss_lang_\(name).csv", encoding: .utf8)
            let rows = csv.split(separator: "\r\n").map { $0.split(separator: ",") }
            XCTAssertEqual(rows.first.map { $0.map(String.init) }, ["step", name])
            let logged = evaluations.map { $0.val_groups["lang"]?[name]?["loss"] }
            XCTAssertEqual(rows.dropFirst().map { Double($0[1]) }, logged, csv)
        }
    }

    func testExperimentReportHasThePerGroupTable() throws {
        let dir = try TemporaryDirectory("cli-group-experiment", removedAfter: self).path
        let index = try groupedIndex(dir)
        let base = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("configs/tiny.json").path
        try """
            {"base": "\(base)", "seeds": [1, 2], "budget": {"tokens": 512}, "eval_interval_tokens": 256,
             "validation": {"fraction": 0.1, "batches": 1},
             "variants": [{"name": "base", "override": {}},
                          {"name": "clip", "override": {"gradus": {"train": {"grad_clip": 0.05}}}}]}
            """.write(toFile: dir + "/m.json", atomically: true, encoding: .utf8)
        let r = try runGradus(["experiment", dir + "/m.json", "--index", index, "--out", dir + "/out", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let results = try String(contentsOfFile: dir + "/out/results.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(results.count, 4)
        for line in results {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let lang = try XCTUnwrap((object["val_group_curves"] as? [String: Any])?["lang"] as? [String: [[Double]]])
            XCTAssertEqual(Set(lang.keys), ["en", "fr"])
            XCTAssertEqual(lang["en"]?.map { $0[0] }, [0, 256, 512], "one point per evaluation")
        }
        let report = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("### Field `lang`"), report)
        XCTAssertTrue(report.contains("| group | base (baseline: the target) | clip |"), report)
        XCTAssertTrue(report.contains("\n| 1. en | ") && report.contains("\n| 2. fr | "), report)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out/plots/val-loss-per-group-lang.png"))
    }
}
