// MetricCLITests.swift — `gradus metric add/remove` at the command line (issue 15 item 4): names
// that are no metric name or a built-in one are usage errors (exit 64, index untouched); a bad
// values file is exit 1 naming the file and line; an added metric shows in `gradus info` and drives
// `gradus batches` like a built-in one (a fixed difficulty admits only the samples at or below it);
// remove reports the fingerprint going back.

import Foundation
import TestSupport
import XCTest

final class MetricCLITests: XCTestCase {
    func testMetricAddAndRemoveFromTheCommandLine() throws {
        let dir = try TemporaryDirectory("metric-cli", removedAfter: self).path
        let texts = ["aaaa", "bb", "cccccc", "d", "eeeee", "ffff"]
        try texts.enumerated().map { "{\"id\": \"t\($0)\", \"text\": \"\($1)\"}" }.joined(separator: "\n")
            .write(toFile: dir + "/c.jsonl", atomically: true, encoding: .utf8)
        let index = dir + "/c.idx"
        XCTAssertEqual(try runGradus(["index", dir + "/c.jsonl", "--out", index]).status, 0)
        // Per-document scores by the input's ids: t0 → 5, t1 → 0, ..., t5 → 2.5.
        let scores = [5.0, 0, 4, 1, 3, 2.5]
        try scores.enumerated().map { "{\"id\": \"t\($0)\", \"value\": \($1)}" }.joined(separator: "\n")
            .write(toFile: dir + "/s.jsonl", atomically: true, encoding: .utf8)
        let data = try Data(contentsOf: URL(fileURLWithPath: index + "/data.mdb"))

        for (arguments, message) in [(["add", index, "seqlen", "--from", dir + "/s.jsonl"], "seqlen is a built-in metric"),
                                     (["add", index, "a/b", "--from", dir + "/s.jsonl"], "\"a/b\" is not a metric name"),
                                     (["remove", index, "vocab_rarity"], "vocab_rarity is a built-in metric and stays")] {
            let r = try runGradus(["metric"] + arguments)
            XCTAssertEqual(r.status, 64, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
        }
        try "{\"id\": \"t0\", \"value\": 1}\n{\"id\": \"t0\", \"value\": 2}\n".write(toFile: dir + "/dup.jsonl", atomically: true, encoding: .utf8)
        let dup = try runGradus(["metric", "add", index, "q", "--from", dir + "/dup.jsonl", "--per", "document"])
        XCTAssertEqual(dup.status, 1)
        XCTAssertTrue(dup.stderr.contains("\(dir)/dup.jsonl: line 2: document id t0 appears twice (first on line 1)"), dup.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: index + "/data.mdb")), data, "refusals leave the index untouched")

        let added = try runGradus(["metric", "add", index, "quality", "--from", dir + "/s.jsonl", "--per", "document"])
        XCTAssertEqual(added.status, 0, added.stderr)
        XCTAssertTrue(added.stdout.hasPrefix("added metric quality of 6 samples in \(index); index fingerprint "), added.stdout)
        let info = try runGradus(["info", index])
        XCTAssertTrue(info.stdout.contains("metric quality: min 0.0  max 5.0  mean 2.5833333333333335"), info.stdout)

        // Difficulty fixed at 2.5 for 100 steps: only t1 (0), t3 (1) and t5 (2.5) are admitted.
        let config = dir + "/q.json"
        try """
            {"train_batch_size": 2, "data_efficiency": {"enabled": true, "seed": 5, "data_sampling": {"enabled": true,
              "curriculum_learning": {"enabled": true, "curriculum_metrics": {"quality": {"difficulty_type": "value",
                "clustering_type": "schedule_based", "min_difficulty": 2.5, "max_difficulty": 6, "schedule_type": "fixed_discrete",
                "schedule_config": {"difficulty": [2.5, 6], "max_step": [100]}}}}}}}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let batches = try runGradus(["batches", index, "--config", config, "--steps", "6"])
        XCTAssertEqual(batches.status, 0, batches.stderr)
        var drawn = Set<Int>()
        for line in batches.stdout.split(separator: "\n") {
            let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            drawn.formUnion(row?["sample_ids"] as? [Int] ?? [])
        }
        XCTAssertEqual(drawn, [1, 3, 5])

        let fingerprints = added.stdout.split(separator: " ").suffix(3)  // OLD -> NEW
        let removed = try runGradus(["metric", "remove", index, "quality"])
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertEqual(removed.stdout, "removed metric quality from \(index); index fingerprint "
            + "\(fingerprints.last!.trimmingCharacters(in: .newlines)) -> \(fingerprints.first!)\n")
    }
}
