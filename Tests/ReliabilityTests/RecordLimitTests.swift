// RecordLimitTests.swift — the record-size limit (issue 14 item 4): a line, paragraph or FASTA
// record longer than `maxRecordBytes` is an error naming the file, line, record and limit (and
// how to raise it), or a counted `record-too-large` skip under `skipBad`; the line buffer never
// grows past the limit, so an endless line (`/dev/zero`, a zstd bomb) ends in that error.

import Corpus
import Foundation
import Storage
import TestSupport
import XCTest

final class RecordLimitTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws { dir = try TemporaryDirectory("limit", removedAfter: self).path }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func tooLarge(_ path: String, line: Int, record: Int, limit: Int) -> String {
        "\(path):\(line): record \(record): record is longer than the limit of \(limit) bytes; if it is genuine, "
            + "raise the limit with --max-record-bytes N, or skip such records with --skip-bad"
    }

    /// A 1 MB line without a line end through a 16-byte initial buffer and a 1 KiB limit: the
    /// error comes once 1 KiB + 1 bytes are buffered, and the buffer never holds more.
    func testLineBufferNeverGrowsPastTheLimit() throws {
        let path = try write("endless.txt", String(repeating: "a", count: 1 << 20))
        let lines = LineReader(source: try openInput(path: path).source, bufferSize: 16, maxLineBytes: 1024)
        XCTAssertThrowsError(try lines.next()) { error in
            let oversized = error as? OversizedLine
            XCTAssertEqual(oversized?.number, 1)
            XCTAssertEqual(oversized?.byteOffset, 0)
            XCTAssertEqual(oversized?.limit, 1024)
            XCTAssertEqual(oversized?.skipped, false)
        }
        XCTAssertLessThanOrEqual(lines.bufferCapacity, 1025)
        XCTAssertLessThan(lines.bytesRead, 4096, "reading stops at the limit")
    }

    /// A line of exactly the limit is accepted; one byte more is not.
    func testLimitIsInclusive() throws {
        let path = try write("edge.txt", String(repeating: "b", count: 1024) + "\n" + String(repeating: "c", count: 1025) + "\n")
        let outcome = readOutcome(path, ReaderOptions(maxRecordBytes: 1024))
        XCTAssertEqual(outcome.documents.map(\.text.count), [1024])
        XCTAssertEqual(outcome.message, tooLarge(path, line: 2, record: 1, limit: 1024))
    }

    func testOversizedJSONLLineIsAnErrorOrACountedSkip() throws {
        let long = "{\"text\": \"" + String(repeating: "x", count: 2000) + "\"}"
        let path = try write("long.jsonl", "{\"text\": \"one\"}\n" + long + "\n{\"text\": \"three\"}\n")
        let options = ReaderOptions(maxRecordBytes: 1024)
        assertStrict(path, options, documents: [Doc("one", line: 1, record: 0)],
                     message: tooLarge(path, line: 2, record: 1, limit: 1024), reason: .recordTooLarge)
        assertSkipping(path, options, documents: [Doc("one", line: 1, record: 0), Doc("three", line: 3, record: 2)],
                       counts: [.recordTooLarge: 1], examples: [tooLarge(path, line: 2, record: 1, limit: 1024)])
    }

    /// FASTA: a sequence over many short lines that adds up to more than the limit, and a header
    /// line longer than the limit; the records after each are read.
    func testOversizedFASTARecordsAreSkippedAndCounted() throws {
        let bigSequence = Array(repeating: String(repeating: "M", count: 60), count: 20).joined(separator: "\n")  // 1200 residues
        let text = ">a\nMKV\n>big\n" + bigSequence + "\n>c\nGG\n>" + String(repeating: "h", count: 1100) + "\nLL\n>e\nAA\n"
        let path = try write("big.fasta", text)
        let options = ReaderOptions(maxRecordBytes: 1024)
        assertSkipping(path, options, documents: [Doc("MKV", line: 1, record: 0, id: "a"), Doc("GG", line: 24, record: 2, id: "c"),
                                                  Doc("AA", line: 28, record: 4, id: "e")],
                       counts: [.recordTooLarge: 2],
                       examples: [tooLarge(path, line: 3, record: 1, limit: 1024), tooLarge(path, line: 26, record: 3, limit: 1024)])
        assertStrict(path, options, documents: [Doc("MKV", line: 1, record: 0, id: "a")],
                     message: tooLarge(path, line: 3, record: 1, limit: 1024), reason: .recordTooLarge)
    }

    func testOversizedParagraphIsSkippedAndCounted() throws {
        let para = Array(repeating: String(repeating: "p", count: 100), count: 12).joined(separator: "\n")  // 1211 bytes
        let path = try write("paras.txt", "first\n\n" + para + "\n\nlast\n")
        var options = ReaderOptions(paragraphs: true, maxRecordBytes: 1024)
        options.format = .text
        assertSkipping(path, options, documents: [Doc("first", line: 1, record: 0), Doc("last", line: 16, record: 2)],
                       counts: [.recordTooLarge: 1], examples: [tooLarge(path, line: 3, record: 1, limit: 1024)])
    }

    /// 4 MB of spaces in one zstd frame (a 400-byte bomb) with a 64 KiB limit: `gradus index`
    /// and `gradus scan` stop with the limit error; under --skip-bad the line is counted.
    func testZstdBombOfOneLineEndsInTheLimitError() throws {
        let bomb = try Zstd.compress([UInt8](repeating: 0x20, count: 4 << 20) + Array("x\n{\"text\":\"ok\"}\n".utf8))
        let path = dir + "/bomb.jsonl.zst"
        FileManager.default.createFile(atPath: path, contents: Data(bomb))
        let index = try runGradus(["index", path, "--out", dir + "/bomb.idx", "--max-record-bytes", "65536"])
        XCTAssertEqual(index.status, 1, index.stderr)
        XCTAssertTrue(index.stderr.contains(tooLarge(path, line: 1, record: 0, limit: 65536)), index.stderr)
        let scan = try runGradus(["scan", path, "--max-record-bytes", "65536", "--skip-bad", "--json"])
        XCTAssertEqual(scan.status, 0, scan.stderr)
        XCTAssertTrue(scan.stdout.contains("\"documents\":1,"), scan.stdout)
        XCTAssertTrue(scan.stdout.contains("\"skipped\":{\"record-too-large\":1}"), scan.stdout)
    }

    /// `/dev/zero` is one endless line: the error comes after the limit, not after memory runs out.
    func testDevZeroEndsInTheLimitError() throws {
        let r = try runGradus(["index", "/dev/zero", "--out", dir + "/zero.idx", "--max-record-bytes", "1024"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("/dev/zero:1: record 0: record is longer than the limit of 1024 bytes"), r.stderr)
    }

    func testMaxRecordBytesMustBePositive() throws {
        let r = try runGradus(["scan", "/dev/null", "--max-record-bytes", "0"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--max-record-bytes must be at least 1"), r.stderr)
    }
}
