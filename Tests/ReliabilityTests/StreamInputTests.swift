// StreamInputTests.swift — inputs that can be read only once (issue 14 item 1): standard input
// `-` and a named FIFO are indexed exactly like the same bytes in a regular file (same document
// count, same samples). Before the fix `gradus index` opened every input twice (once to detect
// its format, once to read it): a pipe lost the bytes the first open had buffered and a FIFO
// blocked forever in the second open.

import Foundation
import TestSupport
import XCTest

final class StreamInputTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws { dir = try TemporaryDirectory("stream", removedAfter: self).path }

    /// 300 JSONL documents (~150 KB, more than one 64 KiB pipe buffer), and the reference index
    /// of that regular file.
    private func corpusAndReference() throws -> (corpus: String, reference: String) {
        let lines = (0..<300).map { i in
            "{\"id\":\"d\(i)\",\"text\":\"" + String(repeating: "word\(i % 13) other\(i % 7) ", count: 20 + i % 9) + "\"}"
        }
        let corpus = dir + "/corpus.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: corpus, atomically: true, encoding: .utf8)
        let direct = try runGradus(["index", corpus, "--out", dir + "/direct", "--threads", "2"])
        XCTAssertEqual(direct.status, 0, direct.stderr)
        XCTAssertTrue(direct.stderr.contains("indexed 300 documents"), direct.stderr)
        return (corpus, try dumpAll(dir + "/direct"))
    }

    func testIndexFromStandardInputEqualsTheFile() throws {
        let (corpus, reference) = try corpusAndReference()
        let text = try String(contentsOfFile: corpus, encoding: .utf8)
        let r = try runGradus(["index", "-", "--out", dir + "/stdin", "--threads", "2"], stdin: text)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("indexed 300 documents"), r.stderr)
        XCTAssertEqual(try dumpAll(dir + "/stdin"), reference)
    }

    func testIndexFromNamedFIFOEqualsTheFile() throws {
        let (corpus, reference) = try corpusAndReference()
        let fifo = dir + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "cat \"$1\" > \"$2\"", "sh", corpus, fifo]
        try writer.run()
        let index = try GradusProcess(["index", fifo, "--out", dir + "/fifo.idx", "--threads", "2"])
        // Before the fix the second open of the FIFO waited for a writer forever.
        let deadline = Date().addingTimeInterval(60)
        while index.process.isRunning && Date() < deadline { usleep(50_000) }
        if index.process.isRunning {
            kill(index.pid, SIGKILL)
            kill(writer.processIdentifier, SIGKILL)
            XCTFail("gradus index of a FIFO did not finish within 60 s")
        }
        let r = index.wait()
        writer.waitUntilExit()
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("indexed 300 documents"), r.stderr)
        if r.status == 0 { XCTAssertEqual(try dumpAll(dir + "/fifo.idx"), reference) }
    }
}
