// ZstdTests.swift — zstd streams in Storage (issue 2): round trips through `ZstdCompressingSink`
// and `openInput` with small and large read buffers, multi-frame and skippable-frame files,
// corrupt and truncated streams (errors name the path and an offset), and plain files of any
// length passing through unchanged.

import Foundation
import XCTest
import Storage
import TestSupport

final class ZstdTests: XCTestCase {
    private var dir: TemporaryDirectory!
    private var directory: String { dir.path }

    override func setUpWithError() throws {
        dir = try TemporaryDirectory("zstd", removedAfter: self)
    }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String { try dir.write(name, bytes) }

    /// ~`count` bytes of seeded pseudo-random words: compressible, but not trivially.
    private func sampleData(_ count: Int, seed: UInt64) -> [UInt8] {
        let words = ["alpha ", "beta ", "gamma ", "delta\n", "épsilon ", "zeta ", "中文 ", "0123 "].map { Array($0.utf8) }
        var state = seed
        var out: [UInt8] = []
        out.reserveCapacity(count + 16)
        while out.count < count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            out += words[Int(state >> 61)]
            if state & 0xFF == 0 { out.append(UInt8(truncatingIfNeeded: state >> 20)) }  // a few random bytes
        }
        return out
    }

    /// Reads all of `path` through `openInput` with reads of `chunk` bytes.
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

    func testRoundTripThroughSinkWithSmallAndLargeReads() throws {
        let data = sampleData(2_000_000, seed: 1)
        let path = directory + "/round.zst"
        let sink = try ZstdCompressingSink(path: path, level: 3)
        var offset = 0
        for size in [1, 100, 70_000, 300_000] where offset < data.count {  // uneven writes
            let end = min(data.count, offset + size)
            try data.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[offset..<end])) }
            offset = end
        }
        try sink.write(Array(data[offset...]))
        try sink.close()
        let compressedSize = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        XCTAssertLessThan(compressedSize, data.count / 2)
        for chunk in [1, 7, 4096, 1 << 20] {
            if chunk == 1 {  // byte-at-a-time over 2 MB is slow in debug builds: check a prefix
                let input = try openInput(path: path)
                var byte = [UInt8](repeating: 0, count: 1)
                for k in 0..<50_000 {
                    XCTAssertEqual(try byte.withUnsafeMutableBytes { try input.source.read(into: $0) }, 1)
                    if byte[0] != data[k] { return XCTFail("byte \(k) differs") }
                }
                continue
            }
            let (bytes, compression) = try readAll(path, chunk: chunk)
            XCTAssertEqual(compression, .zstd)
            XCTAssertEqual(bytes.count, data.count, "chunk \(chunk)")
            XCTAssertTrue(bytes == data, "chunk \(chunk)")
        }
    }

    func testCompressedBytesReadReachesTheFileSize() throws {
        let data = sampleData(500_000, seed: 3)
        let compressed = try Zstd.compress(data)
        let path = try write("count.zst", compressed)
        let source = try ZstdDecompressingSource(path: path)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var total = 0
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            total += n
            XCTAssertLessThanOrEqual(source.compressedBytesRead, compressed.count)
        }
        XCTAssertEqual(total, data.count)
        XCTAssertEqual(source.compressedBytesRead, compressed.count)
    }

    func testMultiFrameFiles() throws {
        let a = sampleData(300_000, seed: 4), b = sampleData(123_457, seed: 5)
        // endFrame between writes, an empty frame in the middle.
        let path = directory + "/frames.zst"
        let sink = try ZstdCompressingSink(path: path)
        try sink.write(a)
        try sink.endFrame()
        try sink.endFrame()
        try sink.write(b)
        try sink.close()
        XCTAssertTrue(try readAll(path, chunk: 10_000).bytes == a + b)
        // Separately compressed frames, concatenated.
        let concatenated = try write("concat.zst", Zstd.compress(a) + Zstd.compress([]) + Zstd.compress(b, level: 1))
        for chunk in [333, 1 << 20] {
            XCTAssertTrue(try readAll(concatenated, chunk: chunk).bytes == a + b)
        }
    }

    func testSkippableFramesAreSkipped() throws {
        // RFC 8878 §3.1.2: magic 0x184D2A5? little-endian, 4-byte size, payload. pzstd starts its
        // files with one, so a file starting with it must still be detected as zstd.
        let skippable: [UInt8] = [0x53, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 0xAA, 0xBB, 0xCC]
        let data = Array("hello, frames\n".utf8)
        let path = try write("skip.zst", skippable + Zstd.compress(data) + skippable)
        let (bytes, compression) = try readAll(path, chunk: 4096)
        XCTAssertEqual(compression, .zstd)
        XCTAssertEqual(bytes, data)
    }

    func testCorruptStreamNamesPathAndOffset() throws {
        let data = sampleData(400_000, seed: 6)
        let compressed = try Zstd.compress(data)
        // 1. A reserved block type in the first block header (bytes 6...8 after a 6-byte header
        //    when the content size takes 1 byte; here we search for the header size instead).
        var corrupt = compressed
        let headerSize = frameHeaderSize(compressed)
        corrupt[headerSize] = 0xFF; corrupt[headerSize + 1] = 0xFF; corrupt[headerSize + 2] = 0xFF
        try assertCorrupt(try write("block.zst", corrupt), maxOffset: compressed.count)
        // 2. Single bit flips throughout the data: the content checksum catches every one.
        for position in stride(from: headerSize + 3, to: compressed.count - 4, by: compressed.count / 9) {
            var flipped = compressed
            flipped[position] ^= 0x10
            try assertCorrupt(try write("flip\(position).zst", flipped), maxOffset: compressed.count)
        }
        // 3. Garbage after a complete frame is not a frame.
        try assertCorrupt(try write("tail.zst", compressed + Array("garbage!".utf8)), maxOffset: compressed.count + 8)
    }

    private func assertCorrupt(_ path: String, maxOffset: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertThrowsError(try readAll(path, chunk: 65_536), file: file, line: line) { error in
            guard case let ZstdError.corrupt(errorPath, offset, message) = error else {
                return XCTFail("expected corrupt, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(errorPath, path, file: file, line: line)
            XCTAssertTrue((0...maxOffset).contains(offset), "offset \(offset)", file: file, line: line)
            XCTAssertFalse(message.isEmpty, file: file, line: line)
            XCTAssertTrue("\(error)".hasPrefix("\(path): corrupt zstd data near compressed byte \(offset): "),
                          "\(error)", file: file, line: line)
        }
    }

    /// Size of a zstd frame header (magic + descriptor + window + dictionary id + content size).
    private func frameHeaderSize(_ frame: [UInt8]) -> Int {
        let descriptor = frame[4]
        let singleSegment = descriptor & 0x20 != 0
        let dictionaryBytes = [0, 1, 2, 4][Int(descriptor & 3)]
        let sizeFlag = Int(descriptor >> 6)
        let contentBytes = [singleSegment ? 1 : 0, 2, 4, 8][sizeFlag]
        return 5 + (singleSegment ? 0 : 1) + dictionaryBytes + contentBytes
    }

    func testTruncatedStreamNamesPath() throws {
        let data = sampleData(200_000, seed: 7)
        let compressed = try Zstd.compress(data)
        let headerSize = frameHeaderSize(compressed)
        for cut in [4, 5, headerSize - 1, headerSize, headerSize + 2, compressed.count / 3, compressed.count - 1] {
            let path = try write("cut\(cut).zst", Array(compressed[0..<cut]))
            XCTAssertThrowsError(try readAll(path, chunk: 8192), "cut at \(cut)") { error in
                switch error {
                case let ZstdError.truncated(errorPath, offset):
                    XCTAssertEqual(errorPath, path)
                    XCTAssertEqual(offset, cut)
                    XCTAssertTrue("\(error)".contains("\(path): zstd stream is truncated"))
                case let ZstdError.corrupt(errorPath, _, _):
                    XCTAssertEqual(errorPath, path)
                default:
                    XCTFail("cut at \(cut): unexpected \(error)")
                }
            }
        }
        // A second frame cut short after a complete first one.
        let two = try write("second.zst", compressed + Array(compressed[0..<(compressed.count / 2)]))
        XCTAssertThrowsError(try readAll(two, chunk: 8192)) { error in
            XCTAssertEqual(error as? ZstdError, .truncated(path: two, offset: compressed.count + compressed.count / 2))
        }
    }

    func testPlainFilesPassThrough() throws {
        let empty = try write("empty", [])
        XCTAssertEqual(try readAll(empty, chunk: 16).bytes, [])
        XCTAssertEqual(try openInput(path: empty).compression, Compression.none)
        XCTAssertEqual(try openInput(path: empty).size, 0)
        for short in [[0x41], [0x41, 0x42], [0x28, 0xB5, 0x2F]] as [[UInt8]] {  // the last: 3 of 4 magic bytes
            let path = try write("short\(short.count)", short)
            for chunk in [1, 2, 64] {
                let (bytes, compression) = try readAll(path, chunk: chunk)
                XCTAssertEqual(bytes, short)
                XCTAssertEqual(compression, Compression.none)
            }
        }
        let data = sampleData(300_001, seed: 8)
        let path = try write("plain.txt", data)
        for chunk in [3, 5000, 1 << 20] {
            XCTAssertTrue(try readAll(path, chunk: chunk).bytes == data)
        }
        XCTAssertEqual(try openInput(path: path).size, data.count)
    }

    func testMissingFile() {
        XCTAssertThrowsError(try openInput(path: directory + "/absent.zst")) { error in
            guard case let FileError.cannotOpen(path, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, directory + "/absent.zst")
            XCTAssertFalse(reason.isEmpty)
        }
    }
}
