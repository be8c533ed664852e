// ProcessSupport.swift — what the fault and concurrency tests (issue 8 items 2–3) ask of the built
// `gradus` binary beyond TestSupport's launcher: an index's full dump for equality checks.

import Foundation
import TestSupport
import XCTest

/// `gradus dump --metrics --tokens` of an index: every sample's tokens, doc record and metric
/// values — equal outputs mean equal index contents.
func dumpAll(_ index: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let r = try runGradus(["dump", index, "--metrics", "--tokens"])
    XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
    return r.stdout
}
