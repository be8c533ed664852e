// ReferencedResumeTests.swift — kill -9 and --resume for Megatron inputs the index references
// (issue 16 item 5): pass 1 adds such an input's documents a batch at a time (one LMDB cursor for
// the `docs` table) and pass 2 reads the input through pass 1's open reader. Killed in pass 1
// (in the first and in the second input) or at the start of pass 2 (where a resumed run has no
// reader from pass 1 and opens the file itself), `--resume` must give the uninterrupted index.

import CorpusIndex
import Foundation
import TestSupport
import XCTest

final class ReferencedResumeTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws { dir = try TemporaryDirectory("referenced-resume", removedAfter: self).path }

    /// Two Megatron datasets of 60 documents each (1…23 tokens, ids below 300).
    private func writeInputs() throws -> [String] {
        try (0..<2).map { part in
            let prefix = dir + "/part\(part)"
            let writer = try MegatronTokenDatasetWriter(prefix: prefix, vocabularySize: 300)
            for i in 0..<60 {
                let n = part * 60 + i
                try writer.addDocument((0..<(1 + n % 23)).map { UInt32((n * 31 + $0 * 7) % 300) })
            }
            try writer.finalize()
            return prefix + ".idx"
        }
    }

    func testReferencedInputKilledInPassOneOrTwoResumesToTheSameIndex() throws {
        let inputs = try writeInputs()
        let args = inputs + ["--vocab-size", "300", "--metrics", "seqlen,vocabularyrarity"]
        let small = ["GRADUS_TEST_BATCH_RECORDS": "10"]
        let full = try runGradus(["index"] + args + ["--out", dir + "/full"], env: small)
        XCTAssertEqual(full.status, 0, full.stderr)
        let reference = try dumpAll(dir + "/full")
        XCTAssertEqual(reference.split(separator: "\n").count, 120)
        let points: [(String, [String: String])] = [
            ("pass 1, first input", ["GRADUS_TEST_ABORT_AFTER_BATCHES": "3"]),
            ("pass 1, second input", ["GRADUS_TEST_ABORT_AFTER_BATCHES": "9"]),
            ("start of pass 2", ["GRADUS_TEST_ABORT_AT_PHASE": "pass2"]),
        ]
        for (n, (point, hook)) in points.enumerated() {
            let out = dir + "/cut\(n)"
            let killed = try runGradus(["index"] + args + ["--out", out], env: small.merging(hook) { $1 })
            XCTAssertTrue(killed.killedBySIGKILL, "\(point): expected death by SIGKILL, got \(killed.status) \(killed.stderr)")
            let resumed = try runGradus(["index"] + args + ["--out", out, "--resume"], env: small)
            XCTAssertEqual(resumed.status, 0, "\(point): \(resumed.stderr)")
            XCTAssertEqual(try dumpAll(out), reference, "\(point): the resumed index differs from an uninterrupted build")
            XCTAssertEqual(try runGradus(["verify", out]).status, 0, point)
        }
    }
}
