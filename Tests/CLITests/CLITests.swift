// CLITests.swift — runs the built `gradus` binary as a user would (STYLE.md §12): exit codes,
// stdout, and the messages on stderr for bad input.

import Foundation
import Storage
import TestSupport
import XCTest

final class CLITests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = URL(fileURLWithPath: try TemporaryDirectory("cli", removedAfter: self).path)
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testVersionAndHelp() throws {
        let version = try runGradus(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertNotNil(version.stdout.range(of: #"^\d+\.\d+\.\d+\s*$"#, options: .regularExpression), version.stdout)
        let help = try runGradus(["--help"])
        XCTAssertEqual(help.status, 0)
        for sub in ["scan", "tokenize", "bench"] { XCTAssertTrue(help.stdout.contains(sub), "help lists \(sub)") }
    }

    func testTokenizeBytesByHand() throws {
        // "héllo": h=0x68=104, é=U+00E9=C3 A9=195 169, l=108, o=111; "a b": 97 32 98.
        let r = try runGradus(["tokenize", "--tokenizer", "bytes"], stdin: "héllo\na b\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "104 195 169 108 108 111\n97 32 98\n")
        let back = try runGradus(["tokenize", "--tokenizer", "bytes", "--decode"], stdin: r.stdout)
        XCTAssertEqual(back.stdout, "héllo\na b\n")
    }

    func testTokenizeBPERoundTrip() throws {
        let tokenizer = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("corpora/tokenizer.json").path
        let text = "Grüße, мир! 你好 — مرحبا नमस्ते 👩‍👩‍👧\nThe quick brown fox's tail\n"
        let ids = try runGradus(["tokenize", "--tokenizer", tokenizer], stdin: text)
        XCTAssertEqual(ids.status, 0, ids.stderr)
        XCTAssertEqual(ids.stdout.split(separator: "\n").count, 2)
        let back = try runGradus(["tokenize", "--tokenizer", tokenizer, "--decode"], stdin: ids.stdout)
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertEqual(back.stdout, text)
    }

    func testTokenizeRejectsBadIDs() throws {
        let r = try runGradus(["tokenize", "--tokenizer", "bytes", "--decode"], stdin: "1 2\n3 x\n")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("stdin:2:3"), r.stderr)
        let unknown = try runGradus(["tokenize", "--tokenizer", "bytes", "--decode"], stdin: "300\n")
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("300"), unknown.stderr)
    }

    func testMissingTokenizerFile() throws {
        let r = try runGradus(["tokenize", "--tokenizer", "/nonexistent/tok.json"], stdin: "a\n")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("/nonexistent/tok.json"), r.stderr)
    }

    func testScanCountsByHand() throws {
        // Byte tokens = UTF-8 bytes: "ab" 2, "ünï" 5 (ü, ï are 2 bytes each), "x y z" 5.
        let path = try write("c.jsonl", """
        {"id": "a", "text": "ab", "lang": "en"}
        {"id": "b", "text": "ünï", "lang": "de"}
        {"id": 3, "text": "x y z", "lang": "en"}

        """)
        let r = try runGradus(["scan", path, "--tokenizer", "bytes", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let first = try XCTUnwrap(r.stdout.split(separator: "\n").first)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        XCTAssertEqual(obj["documents"] as? Int, 3)
        XCTAssertEqual(obj["tokens"] as? Int, 12)
        XCTAssertEqual(obj["text_bytes"] as? Int, 12)
        XCTAssertEqual(obj["min_tokens"] as? Int, 2)
        XCTAssertEqual(obj["max_tokens"] as? Int, 5)
        XCTAssertEqual(obj["languages"] as? Int, 2)
    }

    func testScanBadRecordStopsWithLocation() throws {
        let path = try write("bad.jsonl", "{\"text\": \"ok\"}\n{\"txt\": \"no text\"}\n{\"text\": \"ok\"}\n")
        let r = try runGradus(["scan", path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("bad.jsonl:2"), r.stderr)
        XCTAssertTrue(r.stderr.contains("text"), r.stderr)

        let skipped = try runGradus(["scan", path, "--skip-bad", "--json"])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        let first = try XCTUnwrap(skipped.stdout.split(separator: "\n").first)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        XCTAssertEqual(obj["documents"] as? Int, 2)
        let reasons = try XCTUnwrap(obj["skipped"] as? [String: Int])
        XCTAssertEqual(reasons.values.reduce(0, +), 1)
        XCTAssertTrue(skipped.stderr.contains("skipped 1"), skipped.stderr)
    }

    func testScanResiduesRejectsTextWithLocation() throws {
        let path = try write("p.fasta", ">p1\nMKTAYIAK\n>p2\nMK1L\n")
        let r = try runGradus(["scan", path, "--tokenizer", "residues"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("p.fasta:4"), r.stderr)
    }

    func testScanTruncatedZstdNamesFile() throws {
        let plain = String(repeating: "{\"text\": \"some document text here\"}\n", count: 2000)
        let zst = dir.appendingPathComponent("t.jsonl.zst").path
        let data = try Zstd.compress(Array(plain.utf8))
        try Data(data.prefix(data.count / 2)).write(to: URL(fileURLWithPath: zst))
        let r = try runGradus(["scan", zst])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("t.jsonl.zst"), r.stderr)
        XCTAssertTrue(r.stderr.contains("truncated"), r.stderr)
    }
}
