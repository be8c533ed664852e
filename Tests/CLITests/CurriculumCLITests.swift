// CurriculumCLITests.swift — `gradus schedule` and `gradus batches` run as a user would: the
// peer-figures T4 vector, config errors with key paths, batches resumed with another world
// size equal to the uninterrupted stream (issue 4 items 5–6), and batches under a token-paced
// sequence curriculum: rows cut to the scheduled length (full with --no-sequence-curriculum) and
// the same difficulties per step as `gradus train` logs (issue 12 item 3, issue 13 item 1).

import Foundation
import TestSupport
import XCTest

final class CurriculumCLITests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory("cli-curriculum", removedAfter: self).path
    }

    private func config(_ metrics: String, batch: String = "\"train_batch_size\": 8") throws -> String {
        let text = "{\(batch), \"data_efficiency\": {\"seed\": 7, \"data_sampling\": {\"curriculum_learning\": {\"enabled\": true, \"curriculum_metrics\": {\(metrics)}}}}}"
        let path = dir + "/c-\(UUID().uuidString).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testScheduleReproducesT4AndReportsConfigErrors() throws {
        let c = try config("""
        "seqlen_truncate": {"difficulty_type": "value", "clustering_type": "single_cluster", "min_difficulty": 5,
          "max_difficulty": 101, "schedule_type": "fixed_linear", "schedule_config": {"total_curriculum_step": 10, "difficulty_step": 8}}
        """)
        let r = try runGradus(["schedule", c, "--steps", "12", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let values = r.stdout.split(separator: "\n").map { line -> Int in
            let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (object["difficulty"] as! [String: Any])["seqlen_truncate"] as! Int
        }
        XCTAssertEqual(values, [8, 8, 24, 32, 40, 48, 56, 72, 80, 88, 96, 101, 101])
        let bad = try config("\"m\": {\"difficulty_type\": \"rank\"}", batch: "\"train_batch_size\": 8, \"typo\": 1")
        let e = try runGradus(["schedule", bad, "--steps", "1"])
        XCTAssertNotEqual(e.status, 0)
        for path in ["typo: unknown key", "curriculum_metrics.m.difficulty_type", "curriculum_metrics.m.min_difficulty"] {
            XCTAssertTrue(e.stderr.contains(path), e.stderr)
        }
    }

    func testBatchesResumeWithAnotherWorld() throws {
        let lines = (0..<150).map { "{\"id\":\"d\($0)\",\"text\":\"" + String(repeating: "w\($0 % 11) ", count: 1 + $0 % 15) + "\"}" }
        try lines.joined(separator: "\n").write(toFile: dir + "/c.jsonl", atomically: true, encoding: .utf8)
        XCTAssertEqual(try runGradus(["index", dir + "/c.jsonl", "--out", dir + "/i.idx", "--threads", "1"]).status, 0)
        let c = try config("""
        "seqlen": {"difficulty_type": "value", "clustering_type": "schedule_based", "min_difficulty": 10, "max_difficulty": 60,
          "schedule_type": "fixed_linear", "schedule_config": {"total_curriculum_step": 8, "difficulty_step": 2}},
        "vocabularyrarity": {"difficulty_type": "percentile", "clustering_type": "schedule_based", "min_difficulty": 20,
          "max_difficulty": 100, "schedule_type": "fixed_root", "schedule_config": {"total_curriculum_step": 8, "difficulty_step": 1, "root_degree": 2}}
        """, batch: "\"train_batch_size\": 8, \"train_micro_batch_size_per_gpu\": 2")
        let idx = dir + "/i.idx", state = dir + "/s.json"
        let full = try runGradus(["batches", idx, "--config", c, "--steps", "6", "--world", "2", "--rank", "1"])
        XCTAssertEqual(full.status, 0, full.stderr)
        let fullLines = full.stdout.split(separator: "\n")
        XCTAssertEqual(fullLines.count, 12)  // 6 steps × 2 micro-batches of this rank
        XCTAssertEqual(try runGradus(["batches", idx, "--config", c, "--steps", "3", "--world", "4", "--save-state", state]).status, 0)
        let resumed = try runGradus(["batches", idx, "--config", c, "--steps", "3", "--world", "2", "--rank", "1", "--resume", state])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(resumed.stdout.split(separator: "\n"), Array(fullLines[6...]))
        let other = try config("\"seqlen\": {\"difficulty_type\": \"value\", \"clustering_type\": \"schedule_based\", \"min_difficulty\": 12, \"max_difficulty\": 60, \"schedule_type\": \"fixed_linear\", \"schedule_config\": {\"total_curriculum_step\": 8, \"difficulty_step\": 2}}")
        let refused = try runGradus(["batches", idx, "--config", other, "--steps", "1", "--resume", state])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("--force"), refused.stderr)
    }

    /// seqlen_truncate 16 → 64 and vocabularyrarity 50 → 100, both fixed_linear over 1000 tokens
    /// (`step_unit: tokens`), 4 rows of S = 64 per step, no held-out split.
    func testBatchesCountTokensAsTrainDoesAndCutRows() throws {
        let index = dir + "/bytes.idx"
        try indexUDHRPacked(at: index)
        let c = dir + "/tokens.json"
        try """
        {"train_batch_size": 4, "data_efficiency": {"enabled": true, "seed": 3, "data_sampling": {"enabled": true,
          "curriculum_learning": {"enabled": true, "curriculum_metrics": {
            "seqlen_truncate": {"difficulty_type": "value", "clustering_type": "single_cluster", "min_difficulty": 16,
              "max_difficulty": 64, "schedule_type": "fixed_linear",
              "schedule_config": {"total_curriculum_step": 1000, "difficulty_step": 8}},
            "vocabularyrarity": {"difficulty_type": "percentile", "clustering_type": "schedule_based", "min_difficulty": 50,
              "max_difficulty": 100, "schedule_type": "fixed_linear",
              "schedule_config": {"total_curriculum_step": 1000, "difficulty_step": 1}}}}}},
         "gradus": {"curriculum": {"step_unit": "tokens"},
           "model": {"layers": 2, "d_model": 64, "heads": 4, "context": 64, "vocab": 258},
           "train": {"batch_size": 4, "seed": 1, "steps": 7, "validation_fraction": 0,
             "lr": {"peak": 0.003, "min": 0.0003, "warmup": 2, "total": 7}}}}
        """.write(toFile: c, atomically: true, encoding: .utf8)
        func records(_ text: String) -> [[String: Any]] {
            text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
        let streamed = try runGradus(["batches", index, "--config", c, "--steps", "7", "--tokens"])
        XCTAssertEqual(streamed.status, 0, streamed.stderr)
        let lines = records(streamed.stdout)
        let run = dir + "/run"
        let trained = try runGradus(["train", c, "--index", index, "--out", run, "--threads", "1"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let logged = records(try String(contentsOfFile: run + "/log.jsonl", encoding: .utf8)).filter { $0["grad_norm"] != nil }
        XCTAssertEqual(lines.count, 7)
        XCTAssertEqual(logged.count, 7)
        for (line, record) in zip(lines, logged) {
            XCTAssertEqual(line["difficulty"] as? [String: Double], record["difficulty"] as? [String: Double], "step \(line["step"]!)")
        }
        // By hand: tokens before step s are Σ 4·T; T = ⌊(16 + 48·tokens/1000)/8⌋·8.
        let lengths = lines.map { ($0["difficulty"] as? [String: Double])?["seqlen_truncate"] }
        XCTAssertEqual(lengths, [16, 16, 16, 24, 24, 32, 40])
        for line in lines {
            let rows = try XCTUnwrap(line["tokens"] as? [[Int]])
            let cut = try XCTUnwrap((line["difficulty"] as? [String: Double])?["seqlen_truncate"])
            XCTAssertEqual(rows.map(\.count), Array(repeating: Int(cut) + 1, count: 4))
            XCTAssertEqual(line["post_process"] as? String, "seqlen_truncate")
        }
        let whole = try runGradus(["batches", index, "--config", c, "--steps", "2", "--tokens", "--no-sequence-curriculum"])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        for line in records(whole.stdout) {
            XCTAssertEqual((line["tokens"] as? [[Int]])?.map(\.count), [65, 65, 65, 65], "packed samples of 64 + 1 tokens")
            XCTAssertTrue(line["post_process"] is NSNull)
        }
    }
}
