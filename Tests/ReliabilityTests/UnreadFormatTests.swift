// UnreadFormatTests.swift — formats recognised but not read (issue 15 item 2): Parquet, Arrow IPC,
// bzip2 and xz inputs fail with exit 1 and a message naming the file and saying how to convert or
// decompress it, from a file or a pipe; before the fix they were indexed as (binary) text. Text
// that merely begins with the same letters is still read as text.

import Foundation
import TestSupport
import XCTest

final class UnreadFormatTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws { dir = try TemporaryDirectory("unread", removedAfter: self).path }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `text` (one JSONL document) compressed by `tool -c` (bzip2 or xz, independent encoders).
    private func compressed(_ tool: String, _ name: String) throws -> String {
        let plain = try write(Array("{\"text\":\"hello world\"}\n".utf8), name + ".plain")
        let out = dir + "/" + name
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "\(tool) -c \"$1\" > \"$2\"", "sh", plain, out]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, tool)
        return out
    }

    private func assertRefused(_ path: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for command in ["index", "scan"] {
            var arguments = [command, path, "--tokenizer", "bytes"]
            if command == "index" { arguments += ["--out", dir + "/out.idx"] }
            let r = try runGradus(arguments)
            XCTAssertEqual(r.status, 1, "\(command): \(r.stderr)", file: file, line: line)
            XCTAssertTrue(r.stderr.contains(path + ": " + expected), "\(command): \(r.stderr)", file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.idx/data.mdb"), file: file, line: line)
        }
    }

    func testParquetIsRefusedWithTheConverterCommand() throws {
        // Parquet format spec: "PAR1", then the first column chunk's first page header, a Thrift
        // compact struct whose field 1 (`type`, i32) starts with the field header 0x15; the
        // DATA_PAGE type 0 is the zigzag varint 0x00.
        let path = try write(Array("PAR1".utf8) + [0x15, 0x00, 0x15, 0x90, 0x01] + Array(repeating: 0x41, count: 40) + Array("PAR1".utf8),
                             "data.parquet")
        try assertRefused(path, "Parquet is not read directly; convert it to JSONL with `python -m gradus.convert parquet FILE...")
    }

    func testArrowIPCFileIsRefusedWithTheConverterCommand() throws {
        // Arrow columnar format, IPC file format: "ARROW1" padded with two zero bytes to 8.
        let path = try write(Array("ARROW1".utf8) + [0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x10, 0, 0, 0], "data.arrow")
        try assertRefused(path, "Arrow IPC is not read directly; convert it to JSONL with `python -m gradus.convert arrow FILE...")
    }

    func testArrowIPCStreamIsRefusedWithTheConverterCommand() throws {
        // Arrow columnar format, IPC streaming format (a datasets cache file): each message starts
        // with the continuation marker 0xFFFFFFFF and an int32 metadata length (here 0x70, as
        // pyarrow writes for a one-column schema), then the flatbuffer.
        let path = try write([0xFF, 0xFF, 0xFF, 0xFF, 0x70, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0x0A, 0], "data-00000-of-00001.arrow")
        try assertRefused(path, "Arrow IPC stream (a Hugging Face datasets cache file?) is not read directly; convert it to JSONL with `python -m gradus.convert arrow FILE...")
    }

    func testBzip2AndXzAreRefusedWithDecompressAdvice() throws {
        try assertRefused(try compressed("bzip2", "c.jsonl.bz2"), "bzip2-compressed input is not read; decompress it first")
        try assertRefused(try compressed("xz", "c.jsonl.xz"), "xz-compressed input is not read; decompress it first")
        // An empty bzip2 stream has no block: "BZh9" then the end-of-stream magic.
        let empty = try write([], "empty")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "bzip2 -c \"$1\" > \"$1.bz2\"", "sh", empty]
        try p.run()
        p.waitUntilExit()
        try assertRefused(empty + ".bz2", "bzip2-compressed input is not read; decompress it first")
    }

    func testRefusedThroughAPipeOnStandardInput() throws {
        let path = try compressed("xz", "pipe.xz")
        let gradus = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("gradus").path
        let p = Process()
        let err = Pipe()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "cat \"$1\" | \"$2\" index - --tokenizer bytes --out \"$3\"", "sh", path, gradus, dir + "/pipe.idx"]
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 1, message)
        XCTAssertTrue(message.contains("-: xz-compressed input is not read; decompress it first"), message)
    }

    func testTextBeginningWithTheSameLettersIsStillText() throws {
        for (n, text) in ["PAR1 is a line\nand another\n", "BZh9 is a line\nand another\n", "ARROW1 is a line\nand another\n"].enumerated() {
            let path = try write(Array(text.utf8), "looks\(n).txt")
            let r = try runGradus(["index", path, "--tokenizer", "bytes", "--out", dir + "/text\(n).idx"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("indexed 2 documents"), r.stderr)
        }
    }
}
