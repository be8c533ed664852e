// GzipInputTests.swift — gzip corpora through the CLI (issue 15 item 2): a `.jsonl.gz` written by
// the `gzip` CLI indexes to exactly the `dump --tokens --metrics` of the plain file (from a file,
// as concatenated members, and through a pipe on standard input); `scan` reads it, and `tokenize`
// gives the same ids for gzip on standard input as for the plain text;
// a truncated one fails naming the file. Before the fix a gzip file was read as binary text.

import Foundation
import TestSupport
import XCTest

final class GzipInputTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws { dir = try TemporaryDirectory("gzip-cli", removedAfter: self).path }

    /// Runs `script` with `/bin/sh -c` (arguments `$1`...), failing the test on a non-zero exit.
    private func shell(_ script: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script, "sh"] + arguments
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, script)
    }

    /// The built gradus binary (next to the test bundle, where `runGradus` finds it).
    private var gradus: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("gradus").path
    }

    /// 120 JSONL documents (some non-ASCII) split in two files, their concatenation, and the
    /// reference dump of the plain concatenation.
    private func corpus() throws -> (first: String, second: String, whole: String, reference: String) {
        let lines = (0..<120).map { i in
            "{\"id\":\"d\(i)\",\"text\":\"" + String(repeating: "mot\(i % 11) żółw\(i % 5) ", count: 3 + i % 7) + "\"}\n"
        }
        let first = dir + "/first.jsonl", second = dir + "/second.jsonl", whole = dir + "/whole.jsonl"
        try lines.prefix(70).joined().write(toFile: first, atomically: true, encoding: .utf8)
        try lines.dropFirst(70).joined().write(toFile: second, atomically: true, encoding: .utf8)
        try lines.joined().write(toFile: whole, atomically: true, encoding: .utf8)
        let r = try runGradus(["index", whole, "--tokenizer", "bytes", "--out", dir + "/plain.idx"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("indexed 120 documents"), r.stderr)
        return (first, second, whole, try dumpAll(dir + "/plain.idx"))
    }

    func testGzipFileIndexesLikeThePlainFile() throws {
        let c = try corpus()
        try shell("gzip -c \"$1\" > \"$2\"", [c.whole, dir + "/whole.jsonl.gz"])
        let r = try runGradus(["index", dir + "/whole.jsonl.gz", "--tokenizer", "bytes", "--out", dir + "/gz.idx"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try dumpAll(dir + "/gz.idx"), c.reference)
        let scan = try runGradus(["scan", dir + "/whole.jsonl.gz", "--tokenizer", "bytes", "--json"])
        XCTAssertEqual(scan.status, 0, scan.stderr)
        XCTAssertTrue(scan.stdout.contains("\"compression\":\"gzip\""), scan.stdout)
        XCTAssertTrue(scan.stdout.contains("\"documents\":120"), scan.stdout)
    }

    func testConcatenatedMembersIndexLikeThePlainFile() throws {
        let c = try corpus()
        let gz = dir + "/two.gz"  // no `.jsonl` in the name: the format comes from the content
        try shell("gzip -c \"$1\" > \"$3\" && gzip -c \"$2\" >> \"$3\"", [c.first, c.second, gz])
        let r = try runGradus(["index", gz, "--tokenizer", "bytes", "--out", dir + "/two.idx"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try dumpAll(dir + "/two.idx"), c.reference)
    }

    func testGzipThroughAPipeOnStandardInputIndexesLikeThePlainFile() throws {
        let c = try corpus()
        try shell("gzip -c \"$1\" | \"$2\" index - --tokenizer bytes --out \"$3\" 2>/dev/null",
                  [c.whole, gradus, dir + "/stdin.idx"])
        XCTAssertEqual(try dumpAll(dir + "/stdin.idx"), c.reference)
    }

    func testTokenizeReadsGzipOnStandardInput() throws {
        let c = try corpus()
        let plain = try runGradus(["tokenize", "--tokenizer", "bytes"], stdin: try String(contentsOfFile: c.whole, encoding: .utf8))
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stdout.split(separator: "\n").count, 120)
        try shell("gzip -c \"$1\" | \"$2\" tokenize --tokenizer bytes > \"$3\"", [c.whole, gradus, dir + "/ids.txt"])
        XCTAssertEqual(try String(contentsOfFile: dir + "/ids.txt", encoding: .utf8), plain.stdout)
    }

    func testTruncatedGzipFailsNamingTheFileAndWritesNoIndex() throws {
        let c = try corpus()
        let gz = dir + "/whole.jsonl.gz", cut = dir + "/cut.jsonl.gz"
        try shell("gzip -c \"$1\" > \"$2\" && head -c $(( $(wc -c < \"$2\") - 30 )) \"$2\" > \"$3\"", [c.whole, gz, cut])
        let r = try runGradus(["index", cut, "--tokenizer", "bytes", "--out", dir + "/cut.idx"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains(cut + ": gzip stream is truncated (ends inside a member at compressed byte "), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/cut.idx/data.mdb"))
    }
}
