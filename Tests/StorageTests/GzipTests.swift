// GzipTests.swift — gzip input (issue 15 item 2): files written by the `gzip` CLI (an independent
// encoder) decompress through `openInput` to exactly their original bytes, whatever the read
// size; every member of a concatenated file is read; every truncation and a flipped byte are
// errors naming the file, never a silent short read; non-gzip files are returned unchanged.

import Foundation
import Storage
import TestSupport
import XCTest

final class GzipTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("gzip", removedAfter: self) }

    /// `bytes` written to `name` and compressed there by `gzip -c` (appending with `>>` when
    /// `append`, which makes a multi-member file); returns the path of the `.gz` file.
    @discardableResult
    private func gzip(_ bytes: [UInt8], into name: String, append: Bool = false) throws -> String {
        let plain = dir.file(name + ".plain")
        try Data(bytes).write(to: URL(fileURLWithPath: plain))
        let out = dir.file(name)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -c \"$1\" \(append ? ">>" : ">") \"$2\"", "sh", plain, out]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "gzip failed")
        return out
    }

    /// Everything `openInput(path)` yields, read `chunk` bytes at a time.
    private func readAll(_ path: String, chunk: Int) throws -> (bytes: [UInt8], compression: Compression) {
        let input = try openInput(path: path)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try input.source.read(into: $0) }
            if n == 0 { break }
            out += buffer[0..<n]
        }
        return (out, input.compression)
    }

    /// 200 KB of varied, poorly compressible lines (more than one 128 KiB input buffer compressed).
    private func sample(_ seed: UInt64) -> [UInt8] {
        var state = seed
        var bytes: [UInt8] = []
        while bytes.count < 200_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes += Array("{\"text\":\"w\(state >> 40) é\(state % 977)\"}\n".utf8)
        }
        return bytes
    }

    func testGzipFileDecompressesToTheOriginalBytesAtAnyReadSize() throws {
        let original = sample(1)
        let path = try gzip(original, into: "a.jsonl.gz")
        for chunk in [1 << 20, 4096, 7, 1] {
            let (bytes, compression) = try readAll(path, chunk: chunk)
            XCTAssertEqual(compression, .gzip)
            XCTAssertEqual(bytes.count, original.count, "chunk \(chunk)")
            XCTAssertTrue(bytes == original, "chunk \(chunk)")
        }
    }

    func testConcatenatedMembersAreAllRead() throws {
        let first = sample(2), second = Array("{\"text\":\"second member\"}\n".utf8), third = sample(3)
        let path = try gzip(first, into: "multi.gz")
        try gzip([], into: "multi.gz", append: true)  // an empty member between two others
        try gzip(second, into: "multi.gz", append: true)
        try gzip(third, into: "multi.gz", append: true)
        for chunk in [65536, 13] {
            let (bytes, _) = try readAll(path, chunk: chunk)
            XCTAssertTrue(bytes == first + second + third, "chunk \(chunk): \(bytes.count) bytes")
        }
    }

    func testEveryTruncationIsAnErrorNamingTheFile() throws {
        let path = try gzip(Array("{\"text\":\"a short document that gzip compresses\"}\n".utf8), into: "t.gz")
        let whole = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        // Cut anywhere from just after the magic to one byte before the end of the trailer (the
        // last 8 bytes are the CRC-32 and the size: losing only them must be noticed too).
        for length in 2..<whole.count {
            let cut = dir.file("cut.gz")
            try Data(whole.prefix(length)).write(to: URL(fileURLWithPath: cut))
            XCTAssertThrowsError(try readAll(cut, chunk: 4096), "cut at \(length)") { error in
                XCTAssertTrue("\(error)".hasPrefix(cut + ": gzip stream is truncated"), "cut at \(length): \(error)")
            }
        }
    }

    func testCorruptDataAndTrailingGarbageAreErrorsWithTheOffset() throws {
        let path = try gzip(sample(4), into: "c.gz")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let size = bytes.count
        // A flipped byte in the CRC-32 trailer (RFC 1952 §2.3.1: the 8 bytes before the end).
        bytes[size - 6] ^= 0xFF
        let flipped = dir.file("flipped.gz")
        try Data(bytes).write(to: URL(fileURLWithPath: flipped))
        XCTAssertThrowsError(try readAll(flipped, chunk: 4096)) { error in
            XCTAssertTrue("\(error)".hasPrefix(flipped + ": corrupt gzip data near compressed byte "), "\(error)")
        }
        // Bytes after the last member that are not a member.
        bytes[size - 6] ^= 0xFF
        let garbage = dir.file("garbage.gz")
        try Data(bytes + Array("not gzip".utf8)).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try readAll(garbage, chunk: 4096)) { error in
            XCTAssertTrue("\(error)".hasPrefix(garbage + ": corrupt gzip data near compressed byte \(size): "), "\(error)")
            XCTAssertTrue("\(error)".contains("bytes after the last gzip member"), "\(error)")
        }
    }

    func testPlainFileStartingWithOneMagicByteIsReadUnchanged() throws {
        let path = dir.file("plain.bin")
        let bytes: [UInt8] = [0x1F, 0x41, 0x42, 0x0A]
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (read, compression) = try readAll(path, chunk: 3)
        XCTAssertEqual(compression, .none)
        XCTAssertEqual(read, bytes)
    }
}
