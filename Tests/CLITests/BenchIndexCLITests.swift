// BenchIndexCLITests.swift — `gradus bench index` as a user runs it (issue 3 item 10): one JSON
// line per thread setting, each measured in its own `gradus index` process, with speed, phase
// times and the run's own peak memory; with --vs-deepspeed (issue 16 item 5), DeepSpeed's
// DataAnalyzer on the same files in the same run, or the reason it could not run.

import Foundation
import TestSupport
import XCTest

final class BenchIndexCLITests: XCTestCase {
    func testBenchIndexPrintsOneLinePerThreadSettingWithPeakMemory() throws {
        let r = try runGradus(["bench", "index", "--documents", "300", "--skip-shipped", "--rounds", "1", "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, r.stdout)
        for (line, threads) in zip(lines, [1, 2]) {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(object["corpus"] as? String, "zipf-300")
            XCTAssertEqual(object["threads"] as? Int, threads)
            XCTAssertEqual(object["samples"] as? Int, 300)
            for key in ["seconds", "samples_per_s", "tokens_per_s", "input_mb_per_s", "pass1_s", "pass2_s", "order_s", "sync_s"] {
                XCTAssertGreaterThan(object[key] as? Double ?? 0, 0, "\(key) in \(line)")
            }
            // A fresh process each: its anonymous peak is its own (a few MiB of runtime at least).
            let anonymous = try XCTUnwrap(object["peak_anon_rss_mib"] as? Double)
            let resident = try XCTUnwrap(object["peak_rss_mib"] as? Double)
            XCTAssertGreaterThan(anonymous, 1, line.description)
            XCTAssertGreaterThanOrEqual(resident, anonymous, line.description)
        }
    }

    /// Runs the bench on 300 documents, one thread, with --vs-deepspeed, in `cwd`; returns the
    /// exit status and the JSON objects it printed.
    private func benchVsDeepSpeed(cwd: String, env: [String: String] = [:]) throws -> (GradusRun, [[String: Any]]) {
        let r = try runGradus(["bench", "index", "--documents", "300", "--skip-shipped", "--rounds", "1", "--threads", "1",
                               "--vs-deepspeed"], env: env, cwd: cwd)
        let objects = try r.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], String($0))
        }
        return (r, objects)
    }

    func testBenchIndexVsDeepSpeedComparesBothOnTheSameFiles() throws {
        let (r, lines) = try benchVsDeepSpeed(cwd: repositoryRoot)
        XCTAssertEqual(r.status, 0, r.stderr)
        let gradus = try XCTUnwrap(lines.first, r.stdout)
        if let reason = gradus["vs_deepspeed_skipped"] as? String, reason.contains("deepspeed is not importable") {
            throw XCTSkip("deepspeed cannot be imported here (tools/setup.sh installs it): \(reason)")
        }
        XCTAssertEqual(lines.count, 2, r.stdout)
        let deepspeed = try XCTUnwrap(lines.last)
        XCTAssertEqual(deepspeed["bench"] as? String, "deepspeed_analyzer", r.stdout)
        XCTAssertEqual(deepspeed["workers"] as? Int, 1)
        XCTAssertEqual(deepspeed["threads"] as? Int, 1)
        // The same files: DeepSpeed's reader and Gradus count the same samples and tokens.
        XCTAssertEqual(deepspeed["samples"] as? Int, 300)
        XCTAssertEqual(gradus["samples"] as? Int, 300)
        XCTAssertEqual(deepspeed["tokens"] as? Int, try XCTUnwrap(gradus["tokens"] as? Int))
        for key in ["map_seqlen_total_vocab_freq_s", "reduce_seqlen_total_vocab_freq_s", "map_vocab_rarity_s",
                    "reduce_vocab_rarity_s", "seconds", "samples_per_s"] {
            XCTAssertGreaterThan(deepspeed[key] as? Double ?? 0, 0, "\(key) in \(r.stdout)")
        }
        // The 1-thread line carries DeepSpeed's speed and the ratio of the two speeds (2 decimals).
        let reference = try XCTUnwrap(deepspeed["samples_per_s"] as? Double)
        XCTAssertEqual(try XCTUnwrap(gradus["deepspeed_samples_per_s"] as? Double), reference, accuracy: 0.01)
        let ratio = try XCTUnwrap(gradus["samples_per_s"] as? Double) / reference
        XCTAssertEqual(try XCTUnwrap(gradus["vs_deepspeed"] as? Double), ratio, accuracy: 0.006 + ratio * 1e-4)
    }

    func testBenchIndexVsDeepSpeedSaysWhyWhenDeepSpeedIsMissing() throws {
        // A `deepspeed` package that fails to import, first on PYTHONPATH.
        let fake = try TemporaryDirectory("no-deepspeed", removedAfter: self)
        try FileManager.default.createDirectory(atPath: fake.file("deepspeed"), withIntermediateDirectories: true)
        try "raise ImportError('deepspeed blocked by the test')\n".write(toFile: fake.file("deepspeed/__init__.py"),
                                                                          atomically: true, encoding: .utf8)
        let (r, lines) = try benchVsDeepSpeed(cwd: repositoryRoot, env: ["PYTHONPATH": fake.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(lines.count, 1, r.stdout)
        let reason = try XCTUnwrap(lines[0]["vs_deepspeed_skipped"] as? String, r.stdout)
        XCTAssertTrue(reason.contains("deepspeed is not importable") && reason.contains("pip install deepspeed==0.19.8"), reason)
        XCTAssertNil(lines[0]["vs_deepspeed"])
        XCTAssertEqual(lines[0]["samples"] as? Int, 300)
        XCTAssertTrue(r.stderr.contains("warning: no DeepSpeed reference"), r.stderr)
    }

    func testBenchIndexVsDeepSpeedOutsideTheRepositorySaysWhy() throws {
        let elsewhere = try TemporaryDirectory("elsewhere", removedAfter: self)
        let (r, lines) = try benchVsDeepSpeed(cwd: elsewhere.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        let reason = try XCTUnwrap(lines.first?["vs_deepspeed_skipped"] as? String, r.stdout)
        XCTAssertTrue(reason.contains("tools/bench_deepspeed_analyzer.py not found"), reason)
    }
}
