// CurriculumCLITests.swift — `gradus schedule` and `gradus batches` run as a user would: the
// peer-figures T4 vector, config errors with key paths, and batches resumed with another world
// size equal to the uninterrupted stream (issue 4 items 5–6).

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
}
