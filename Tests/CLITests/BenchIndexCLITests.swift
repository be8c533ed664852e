// BenchIndexCLITests.swift — `gradus bench index` as a user runs it (issue 3 item 10): one JSON
// line per thread setting, each measured in its own `gradus index` process, with speed, phase
// times and the run's own peak memory.

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
}
