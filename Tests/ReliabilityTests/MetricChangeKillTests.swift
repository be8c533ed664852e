// MetricChangeKillTests.swift — `gradus metric add` and `remove` killed with SIGKILL (issue 15
// item 4): at the hidden hook GRADUS_TEST_ABORT_AT_PHASE=metric-values (values read, nothing
// written) and =metric-commit (every table, the manifest and the checksums written in the one
// transaction, not yet committed) the process dies as `kill -9` would; data.mdb is then byte for
// byte what it was, `gradus verify` passes, the metric list and the content fingerprint are
// unchanged, and the same command run again succeeds (the dead writer's lock went with it).

import CorpusIndex
import Foundation
import TestSupport
import XCTest

final class MetricChangeKillTests: XCTestCase {
    /// The content fingerprint and the metric names of the index, as a reader sees them.
    private func fingerprint(_ index: String) throws -> String {
        let manifest = try IndexReader(path: index).manifest
        return manifest.contentFingerprint + " " + manifest.metrics.map(\.name).joined(separator: ",")
    }

    func testKilledAddOrRemoveLeavesTheIndexAsItWas() throws {
        let dir = try TemporaryDirectory("metric-kill", removedAfter: self).path
        let corpus = (0..<40).map { "{\"id\": \"d\($0)\", \"text\": \"" + String(repeating: "w\($0 % 7) ", count: 1 + $0 % 9) + "\"}" }
        try corpus.joined(separator: "\n").write(toFile: dir + "/c.jsonl", atomically: true, encoding: .utf8)
        try (0..<40).map { "{\"id\": \($0), \"value\": \(Double(($0 * 13) % 40) / 4)}" }.joined(separator: "\n")
            .write(toFile: dir + "/v.jsonl", atomically: true, encoding: .utf8)
        let index = dir + "/c.idx"
        let built = try runGradus(["index", dir + "/c.jsonl", "--out", index])
        XCTAssertEqual(built.status, 0, built.stderr)
        let add = ["metric", "add", index, "score", "--from", dir + "/v.jsonl"]

        for (command, phase) in [(add, "metric-values"), (add, "metric-commit"),
                                 (["metric", "remove", index, "score"], "metric-commit")] {
            let before = try Data(contentsOf: URL(fileURLWithPath: index + "/data.mdb"))
            let state = try fingerprint(index)
            let killed = try runGradus(command, env: ["GRADUS_TEST_ABORT_AT_PHASE": phase])
            XCTAssertTrue(killed.killedBySIGKILL, "\(command[1]) at \(phase): \(killed.status) \(killed.stderr)")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: index + "/data.mdb")), before, "\(command[1]) at \(phase)")
            let verified = try runGradus(["verify", index])
            XCTAssertEqual(verified.status, 0, "\(command[1]) at \(phase): \(verified.stderr)")
            XCTAssertEqual(try fingerprint(index), state, "\(command[1]) at \(phase)")
            if phase == "metric-commit" {
                let again = try runGradus(command)
                XCTAssertEqual(again.status, 0, again.stderr)
                XCTAssertEqual(try runGradus(["verify", index]).status, 0)
                XCTAssertNotEqual(try fingerprint(index), state, "\(command[1]) changes the metrics and the fingerprint")
            }
        }
    }
}
