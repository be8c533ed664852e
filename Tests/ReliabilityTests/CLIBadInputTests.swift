// CLIBadInputTests.swift — `gradus scan` on files of the bad-input suite (issue 8 item 1): exit
// status 1 and the located message on stderr without `--skip-bad`; exit status 0, the counts in
// the JSON line and the total on stderr with it; damaged zstd fails even with `--skip-bad`.

import Foundation
import TestSupport
import XCTest

private func jsonObject(_ line: Substring?) throws -> [String: Any] {
    let text = try XCTUnwrap(line)
    return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

final class CLIBadInputTests: XCTestCase {
    func testScanBrokenJSONL() throws {
        let p = badInput("jsonl/broken-lines.jsonl")
        let strict = try runGradus(["scan", p])
        XCTAssertEqual(strict.status, 1, strict.stderr)
        XCTAssertTrue(strict.stderr.contains(
            "\(p):2: record 1: unexpected end of line inside the object (missing '}') at column 15"), strict.stderr)

        let skipping = try runGradus(["scan", p, "--skip-bad", "--json"])
        XCTAssertEqual(skipping.status, 0, skipping.stderr)
        let file = try jsonObject(skipping.stdout.split(separator: "\n").first)
        XCTAssertEqual(file["documents"] as? Int, 2)
        XCTAssertEqual(file["skipped"] as? [String: Int], ["invalid-json": 3])
        XCTAssertTrue(skipping.stderr.contains("scanned 2 documents"), skipping.stderr)
        XCTAssertTrue(skipping.stderr.contains("skipped 3"), skipping.stderr)
    }

    func testScanFASTAWithResidues() throws {
        let p = badInput("fasta/lowercase-nonresidue.fasta")
        let strict = try runGradus(["scan", p, "--tokenizer", "residues"])
        XCTAssertEqual(strict.status, 1, strict.stderr)
        XCTAssertTrue(strict.stderr.contains("\(p):4: record 1: invalid character '1' at column 4"), strict.stderr)
        let skipping = try runGradus(["scan", p, "--tokenizer", "residues", "--skip-bad", "--json"])
        XCTAssertEqual(skipping.status, 0, skipping.stderr)
        let file = try jsonObject(skipping.stdout.split(separator: "\n").first)
        XCTAssertEqual(file["documents"] as? Int, 2)
        XCTAssertEqual(file["skipped"] as? [String: Int], ["invalid-residue": 3])
    }

    func testScanTruncatedZstdFailsEvenWithSkipBad() throws {
        let p = badInput("zstd/truncated-mid-block.jsonl.zst")
        for extra in [[], ["--skip-bad"]] {
            let r = try runGradus(["scan", p] + extra)
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("\(p): zstd stream is truncated (ends inside a frame at compressed byte 29)"),
                          r.stderr)
        }
    }
}
