// TuneCLITests.swift — `gradus tune` end to end (issue 18 §2, §5) with TuneFixture's fake
// trainer: a search killed with SIGKILL in the middle of its second rung and continued with
// --resume writes the same rungs, report and winner.json as an uninterrupted search of the same
// file (so the same seed also gives the same report table); OUT is refused without --resume and
// for a different search.

import Foundation
import TestSupport
import XCTest

final class TuneCLITests: XCTestCase {
    func testResumeAfterKill9EqualsAnUninterruptedSearch() throws {
        let dir = try TemporaryDirectory("tune-cli", removedAfter: self).path
        try buildGeneratedIndex(at: dir + "/idx", stride: 3)
        let search = try TuneFixture.write(in: dir)
        let args = { (out: String) in ["tune", search, "--index", dir + "/idx", "--out", dir + "/" + out, "--threads", "1"] }
        let whole = try runGradus(args("a"))
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertTrue(whole.stdout.contains(#""winner":"candidate-"#), whole.stdout)

        // Each fake run sleeps 0.2 s, so the kill lands inside rung 1 (rung 0 has 6 runs).
        try "0.2".write(toFile: dir + "/SLEEP", atomically: true, encoding: .utf8)
        let process = try GradusProcess(args("b"))
        let rung1 = dir + "/b/rung-1/runs"
        func started() -> Bool { ((try? FileManager.default.contentsOfDirectory(atPath: rung1)) ?? []).count >= 2 }
        for _ in 0..<600 where !started() { usleep(50_000) }
        XCTAssertTrue(started(), "rung 1 did not start")
        kill(process.pid, SIGKILL)
        XCTAssertTrue(process.wait().killedBySIGKILL)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/b/report.md"))
        try FileManager.default.removeItem(atPath: dir + "/SLEEP")

        let refused = try runGradus(args("b"))
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("already holds a search; pass --resume to continue it"), refused.stderr)
        let resumed = try runGradus(args("b") + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(resumed.stdout, whole.stdout.replacingOccurrences(of: dir + "/a/", with: dir + "/b/"))
        for file in ["report.md", "winner.json", "rung-0/results.jsonl", "rung-1/results.jsonl", "rung-2/results.jsonl", "confirm/results.jsonl"] {
            XCTAssertEqual(try String(contentsOfFile: dir + "/b/" + file, encoding: .utf8),
                           try String(contentsOfFile: dir + "/a/" + file, encoding: .utf8), file)
        }

        // Another search (another seed) in the same OUT is refused even with --resume.
        try TuneFixture.write(in: dir, seed: 2)
        let other = try runGradus(args("b") + ["--resume"])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("holds a different search"), other.stderr)
    }

    /// A search whose matrix enables wandb (not written by gradus) says so once, naming the search
    /// file, as `gradus experiment` does for a matrix; the search still runs.
    func testASearchWarnsOnceOfAMonitorGradusDoesNotWrite() throws {
        let dir = try TemporaryDirectory("tune-monitor", removedAfter: self).path
        try buildGeneratedIndex(at: dir + "/idx", stride: 3)
        let search = try TuneFixture.write(in: dir)
        let text = try String(contentsOfFile: search, encoding: .utf8)
        XCTAssertTrue(text.contains(#""common": {"train_batch_size": 4}"#))
        try text.replacingOccurrences(of: #""common": {"train_batch_size": 4}"#,
                                      with: #""common": {"train_batch_size": 4, "wandb": {"enabled": true}}"#)
            .write(toFile: search, atomically: true, encoding: .utf8)
        let run = try runGradus(["tune", search, "--index", dir + "/idx", "--out", dir + "/out", "--threads", "1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let warnings = run.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: \(search): ") && $0.contains("wandb") }
        XCTAssertEqual(warnings.count, 1, run.stderr)
    }
}
