// GroupResumeTests.swift — issue 17 item 2: an index built with `--group-field` and killed with
// SIGKILL in pass 1 (packed samples spanning documents carried over a commit) or right after
// the groups table was written resumes to the groups of an uninterrupted build.

import Foundation
import TestSupport
import XCTest

final class GroupResumeTests: XCTestCase {
    func testGroupedPackedIndexKilledAnywhereResumesToTheSameGroups() throws {
        let dir = try TemporaryDirectory("group-resume", removedAfter: self).path
        // 60 documents of 3–22 bytes; lang cycles through en, fr, de and (every fifth) none.
        let lines = (0..<60).map { i -> String in
            let lang = i % 5 == 4 ? "" : "\"lang\":\"\(["en", "fr", "de"][i % 3])\","
            return "{\"id\":\"d\(i)\",\(lang)\"text\":\"" + String(repeating: "ab", count: 1 + i * 7 % 11) + "x\"}"
        }
        try lines.joined(separator: "\n").write(toFile: dir + "/c.jsonl", atomically: true, encoding: .utf8)
        let build = ["index", dir + "/c.jsonl", "--pack", "16", "--group-field", "lang", "--threads", "2"]
        let small = ["GRADUS_TEST_BATCH_RECORDS": "4"]
        let full = try runGradus(build + ["--out", dir + "/full"], env: small)
        XCTAssertEqual(full.status, 0, full.stderr)
        let reference = try runGradus(["dump", dir + "/full", "--tokens"]).stdout
        XCTAssertTrue(reference.contains("\"groups\":{\"lang\":\"de\"}") && reference.contains("\"groups\":{\"lang\":\"en\"}"),
                      String(reference.prefix(300)))
        let referenceInfo = try runGradus(["info", dir + "/full", "--json"]).stdout
        for (n, hook) in [["GRADUS_TEST_ABORT_AFTER_BATCHES": "3"], ["GRADUS_TEST_ABORT_AFTER_BATCHES": "9"],
                          ["GRADUS_TEST_ABORT_AT_PHASE": "pass2"]].enumerated() {
            let out = dir + "/cut\(n)"
            let killed = try runGradus(build + ["--out", out], env: small.merging(hook) { $1 })
            XCTAssertTrue(killed.killedBySIGKILL, "\(hook): \(killed.status) \(killed.stderr)")
            let resumed = try runGradus(build + ["--out", out, "--resume"], env: small)
            XCTAssertEqual(resumed.status, 0, "\(hook): \(resumed.stderr)")
            XCTAssertEqual(try runGradus(["dump", out, "--tokens"]).stdout, reference, "\(hook)")
            let info = try runGradus(["info", out, "--json"]).stdout
            XCTAssertEqual(info.replacingOccurrences(of: out, with: dir + "/full"), referenceInfo, "\(hook)")
            XCTAssertEqual(try runGradus(["verify", out]).status, 0, "\(hook)")
        }
    }
}
