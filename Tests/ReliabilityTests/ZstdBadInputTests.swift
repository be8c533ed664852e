// ZstdBadInputTests.swift — the zstd part of the bad-input suite (issue 8 item 1). The files in
// BadInputs/zstd/ are hand-built frames of raw blocks (tools/gen_bad_inputs.py), so every byte
// offset below follows from the frame layout: 4 magic + 1 descriptor + 1 content size + 3 block
// header = 9 bytes before the content. Damaged compression is never skipped, with or without
// `skipBad`: the reader throws `ZstdError` after the documents that were intact.

import Corpus
import Storage
import XCTest

final class ZstdBadInputTests: XCTestCase {
    /// Asserts the same outcome with and without `skipBad` (nothing here is a skippable record).
    private func assertBoth(_ path: String, documents: [Doc], error: ZstdError?,
                            file: StaticString = #filePath, line: UInt = #line) {
        for skipBad in [false, true] {
            let outcome = readOutcome(path, ReaderOptions(skipBad: skipBad))
            XCTAssertEqual(outcome.compression, .zstd, file: file, line: line)
            XCTAssertEqual(docs(outcome), documents, "skipBad \(skipBad)", file: file, line: line)
            XCTAssertEqual(outcome.error as? ZstdError, error, "skipBad \(skipBad): \(outcome.message ?? "no error")",
                           file: file, line: line)
            if error == nil { XCTAssertNil(outcome.error, file: file, line: line) }
            XCTAssertEqual(outcome.skipped.total, 0, file: file, line: line)
        }
    }

    func testConcatenatedFramesContinueLineNumbers() {
        let p = badInput("zstd/two-frames.jsonl.zst")
        let one = Doc("one", line: 1, record: 0), two = Doc("two", line: 2, record: 1)
        // Line 3 is the second line of the second frame.
        let third = "\(p):3: record 2: field \"text\" is a number, expected a string (at column 10)"
        assertStrict(p, documents: [one, two], message: third, reason: .wrongType)
        assertSkipping(p, documents: [one, two], counts: [.wrongType: 1], examples: [third])
    }

    func testSkippableFrames() {
        // A skippable frame first (so the file must still be detected as zstd) and one between.
        assertBoth(badInput("zstd/skippable.jsonl.zst"),
                   documents: [Doc("one", line: 1, record: 0), Doc("two", line: 2, record: 1)], error: nil)
    }

    func testEmptyFrames() {
        assertBoth(badInput("zstd/empty-frame.jsonl.zst"), documents: [], error: nil)
        assertBoth(badInput("zstd/empty-then-data.jsonl.zst"), documents: [Doc("one", line: 1, record: 0)], error: nil)
    }

    func testTruncatedMidBlock() {
        // 29 of 41 bytes: the first 20 content bytes hold line 1 (17 bytes), which is read; then
        // the stream ends inside the block.
        let p = badInput("zstd/truncated-mid-block.jsonl.zst")
        let error = ZstdError.truncated(path: p, offset: 29)
        assertBoth(p, documents: [Doc("one", line: 1, record: 0)], error: error)
        XCTAssertEqual(error.description, "\(p): zstd stream is truncated (ends inside a frame at compressed byte 29); "
            + "the file is incomplete — re-download or re-compress it")
    }

    func testTruncatedInFrameHeader() {
        let p = badInput("zstd/truncated-header.jsonl.zst")
        assertBoth(p, documents: [], error: .truncated(path: p, offset: 6))
    }

    func testGarbageAfterLastFrame() {
        // The 25-byte frame decodes; the bytes after it are no frame.
        let p = badInput("zstd/garbage-after.jsonl.zst")
        let error = ZstdError.corrupt(path: p, offset: 25, message: "Unknown frame descriptor")
        assertBoth(p, documents: [Doc("one", line: 1, record: 0)], error: error)
        XCTAssertEqual(error.description, "\(p): corrupt zstd data near compressed byte 25: Unknown frame descriptor")
    }

    func testDecompressingSourceDirectly() throws {
        // The byte source alone, in 1-byte reads: same bytes as the reader saw.
        let source = try ZstdDecompressingSource(path: badInput("zstd/skippable.jsonl.zst"))
        var out: [UInt8] = []
        var byte: UInt8 = 0
        while try withUnsafeMutableBytes(of: &byte, { try source.read(into: $0) }) == 1 { out.append(byte) }
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "{\"text\": \"one\"}\n{\"text\": \"two\"}\n")
        XCTAssertEqual(source.compressedBytesRead, 8 + 8 + 25 + 8 + 25)
    }

    /// Regression (found while writing this suite): when the caller's buffer was filled exactly by
    /// the last byte of a frame, the next read called libzstd with no input, which starts a new
    /// frame and answers a non-zero hint; a stream ending there was reported as truncated.
    func testBufferFilledExactlyAtFrameEnd() throws {
        // Each data frame of skippable.jsonl.zst holds one 16-byte line.
        let source = try ZstdDecompressingSource(path: badInput("zstd/skippable.jsonl.zst"))
        var buffer = [UInt8](repeating: 0, count: 16)
        var reads: [Int] = []
        for _ in 0..<3 { reads.append(try buffer.withUnsafeMutableBytes { try source.read(into: $0) }) }
        XCTAssertEqual(reads, [16, 16, 0])
        // The same through a LineReader whose 16-byte buffer the one frame fills exactly.
        let lines = LineReader(source: try ZstdDecompressingSource(path: badInput("zstd/empty-then-data.jsonl.zst")),
                               bufferSize: 16)
        XCTAssertEqual(try lines.next().map { String(decoding: $0.bytes, as: UTF8.self) }, #"{"text": "one"}"#)
        XCTAssertNil(try lines.next())
    }
}
