// ConfigBadInputTests.swift — run configs of the bad-input suite (issue 8 item 1: wrong types,
// negative sizes, unknown keys, contradicting values; written by tools/gen_bad_inputs.py from
// configs/tiny.json with one fault each): `gradus schedule` and `gradus train` both exit 1 with
// "FILE: invalid config (N problem…)" and each problem naming its key path, before opening any
// index or creating the run directory.

import Foundation
import TestSupport
import XCTest

final class ConfigBadInputTests: XCTestCase {
    /// File, number of problems, and the problem lines ("  - key.path: message").
    private let expected: [(String, Int, [String])] = [
        ("wrong-type-string.json", 1, ["gradus.model.d_model: expected an integer, found a string"]),
        ("wrong-type-bool.json", 1, ["gradus.train.seed: expected an integer, found a boolean"]),
        ("negative-layers.json", 1, ["gradus.model: layers must be >= 1 (got -1)"]),
        ("negative-batch-size.json", 1, ["gradus.train.batch_size: must be >= 1 (got -4)"]),
        ("negative-steps.json", 1, ["gradus.train.steps: must be >= 0 (got -5)"]),
        ("zero-context.json", 1, ["gradus.model: context must be >= 1 (got 0)"]),
        ("unknown-key.json", 1, ["gradus.train.learning_rate: unknown key"]),
        ("unknown-top-level-key.json", 1, ["data_effciency: unknown key"]),
        ("contradicting-batch-size.json", 1, [
            "train_batch_size: is 8 but gradus.train.batch_size is 4; the trainer runs one process without accumulation, so they must be equal",
        ]),
        ("contradicting-micro-batch.json", 2, [
            "train_micro_batch_size_per_gpu: is 3 but gradus.train.batch_size is 4; the trainer runs one process without accumulation, so they must be equal",
            "gradient_accumulation_steps: must be 1 for gradus train (got 2)",
        ]),
        ("contradicting-heads.json", 1, ["gradus.model: d_model (64) must be divisible by heads (5)"]),
        ("contradicting-lr.json", 1, ["gradus.train.lr: schedule min must be in [0, peak] (got 1.0)"]),
        ("contradicting-difficulty.json", 1, [
            "data_efficiency.data_sampling.curriculum_learning.curriculum_metrics.seqlen: max_difficulty must be ≥ min_difficulty",
        ]),
    ]

    private var dir: String!
    override func setUpWithError() throws { dir = try TemporaryDirectory("config-bad-input", removedAfter: self).path }

    /// `schedule` and `train` (the index path is never reached: the config is checked first).
    private func commands(_ path: String) -> [[String]] {
        [["schedule", path, "--steps", "2"],
         ["train", path, "--index", dir + "/no.idx", "--out", dir + "/run"]]
    }

    func testInvalidConfigsNameEveryProblemByKeyPath() throws {
        for (name, count, problems) in expected {
            let path = badInput("config/" + name)
            for args in commands(path) {
                let r = try runGradus(args)
                XCTAssertEqual(r.status, 1, "\(args[0]) \(name): \(r.stderr)")
                XCTAssertFalse(r.signaled, "\(args[0]) \(name) crashed")
                XCTAssertTrue(r.stderr.contains("Error: \(path): invalid config (\(count) problem\(count == 1 ? "" : "s")):"),
                              "\(args[0]) \(name): \(r.stderr)")
                for problem in problems {
                    XCTAssertTrue(r.stderr.contains("\n  - \(problem)"), "\(args[0]) \(name): missing \(problem) in \(r.stderr)")
                }
                XCTAssertTrue(r.stdout.isEmpty, "\(args[0]) \(name) printed \(r.stdout)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/run"), "train created its run directory for a bad config")
    }

    func testMalformedConfigFiles() throws {
        let cases: [(String, String)] = [
            ("truncated.json", "JSON syntax error at line 1, column 22: unexpected end of input"),
            ("top-level-array.json", "invalid config (1 problem):\n  - (top level): expected an object, found an array"),
        ]
        for (name, message) in cases {
            let path = badInput("config/" + name)
            let r = try runGradus(commands(path)[0])
            XCTAssertEqual(r.status, 1, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("Error: \(path): \(message)"), "\(name): \(r.stderr)")
            // train reports the same first problem (the array also lacks gradus.model/train).
            let t = try runGradus(commands(path)[1])
            XCTAssertEqual(t.status, 1, "train \(name): \(t.stderr)")
            XCTAssertTrue(t.stderr.contains(name == "truncated.json" ? "Error: \(path): \(message)"
                                            : "  - (top level): expected an object, found an array"), "train \(name): \(t.stderr)")
        }
    }

    /// The committed files are configs/tiny.json with one change: tiny.json itself is valid.
    func testTheBaseConfigIsValid() throws {
        let r = try runGradus(["schedule", repositoryRoot + "/configs/tiny.json", "--steps", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }
}
