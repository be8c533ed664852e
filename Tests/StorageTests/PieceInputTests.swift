// PieceInputTests.swift — reading one piece of a file (issue 16 item 2): the zstd frame table
// against frames whose sizes are known from writing them separately, byte-range reads that touch
// only the range, a tracker that hashes only the piece's bytes, and a run of frames less its
// first bytes plus the start of the next frame.

import Foundation
import XCTest
@testable import Storage
import TestSupport

final class PieceInputTests: XCTestCase {
    private var dir: TemporaryDirectory!
    private var directory: String { dir.path }

    override func setUpWithError() throws {
        dir = try TemporaryDirectory("piece", removedAfter: self)
    }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String { try dir.write(name, bytes) }

    private func readAll(_ source: ByteSource, chunk: Int = 7) throws -> [UInt8] {
        var out: [UInt8] = [], buffer = [UInt8](repeating: 0, count: chunk)
        while case let n = try buffer.withUnsafeMutableBytes({ try source.read(into: $0) }), n > 0 { out += buffer[0..<n] }
        return out
    }

    /// Frames of three kinds — one-shot (single segment, content size), streamed (window
    /// descriptor, no content size) and skippable — concatenated: the table gives each one's
    /// offset and size as the lengths of the separately written frames say.
    func testZstdFrameTableFindsEveryFrameOfConcatenatedFiles() throws {
        let oneShot = try Zstd.compress(Array(String(repeating: "alpha beta\n", count: 500).utf8))
        let streamedPath = directory + "/streamed.zst"
        let sink = try ZstdCompressingSink(path: streamedPath)
        try sink.write(Array(String(repeating: "gamma delta\n", count: 40_000).utf8))  // several blocks
        try sink.close()
        let streamed = [UInt8](FileManager.default.contents(atPath: streamedPath)!)
        let skippable: [UInt8] = [0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 9, 9, 9, 9]
        // By hand (RFC 8878): single-segment frame of content size 5, one last RLE block of 5
        // bytes (header 1 | 1 << 1 | 5 << 3 = 43), which stores its byte once; no checksum.
        let rle: [UInt8] = zstdMagic + [0x20, 5, 43, 0, 0, 0x41]
        let rlePath = try write("rle.zst", rle)
        XCTAssertEqual(try readAll(openInput(path: rlePath).source), Array("AAAAA".utf8))  // libzstd accepts it
        let path = try write("multi.zst", skippable + oneShot + streamed + rle)
        let frames = try ZstdFrameTable.read(path: path)
        let sizes = [skippable.count, oneShot.count, streamed.count, rle.count]
        XCTAssertEqual(frames.map(\.size), sizes)
        XCTAssertEqual(frames.map(\.offset), [0, 12, 12 + oneShot.count, 12 + oneShot.count + streamed.count])
        XCTAssertEqual(frames.map(\.isSkippable), [true, false, false, false])

        let cut = try write("cut.zst", oneShot + streamed.dropLast(2))
        XCTAssertThrowsError(try ZstdFrameTable.read(path: cut)) { error in
            XCTAssertEqual(error as? ZstdError, .truncated(path: cut, offset: oneShot.count))
        }
    }

    /// `pzstd`-style size frames (magic 0x184D2A50, 4-byte payload: the next frame's size) are
    /// taken when they land on the next frame, and ignored when they do not (a wrong size).
    func testPzstdSizeFramesAreCheckedBeforeUse() throws {
        let a = try Zstd.compress(Array(String(repeating: "alpha\n", count: 300).utf8))
        let b = try Zstd.compress(Array("beta\n".utf8))
        func sizeFrame(_ n: Int) -> [UInt8] { [0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0] + withUnsafeBytes(of: UInt32(n).littleEndian) { Array($0) } }
        let good = try write("good.zst", sizeFrame(a.count) + a + sizeFrame(b.count) + b)
        XCTAssertEqual(try ZstdFrameTable.read(path: good).map(\.size), [12, a.count, 12, b.count])
        let wrong = try write("wrong.zst", sizeFrame(a.count - 5) + a + sizeFrame(b.count + 1) + b)
        XCTAssertEqual(try ZstdFrameTable.read(path: wrong).map(\.size), [12, a.count, 12, b.count])
    }

    /// A range source hands out exactly the bytes of its range and counts them.
    func testFileRangeSourceReadsOnlyItsRange() throws {
        let bytes = (0..<256).map { UInt8($0) }
        let path = try write("range.bin", bytes)
        let source = FileRangeSource(file: try PosixFile(path: path, mode: .read), range: 10..<100, maximumRead: 4)
        XCTAssertEqual(try readAll(source), Array(bytes[10..<100]))
        XCTAssertEqual(source.bytesRead, 90)
    }

    /// A tracker over a range counts and hashes only the range, accepts its end, and reports a
    /// file that grew while the piece was read.
    func testTrackerOverRangeHashesOnlyThePieceBytes() throws {
        let bytes = Array("first line\nsecond line\nthird line\n".utf8)
        let path = try write("t.txt", bytes)
        let tracker = InputTracker(file: try PosixFile(path: path, mode: .read), range: 11..<23)
        XCTAssertEqual(try readAll(tracker), Array("second line\n".utf8))
        XCTAssertEqual(tracker.bytesRead, 12)
        XCTAssertEqual(tracker.digest, XXH3.hash64(Array("second line\n".utf8)))
        XCTAssertEqual(tracker.range, 11..<23)

        let growing = InputTracker(file: try PosixFile(path: path, mode: .read), range: 0..<11)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile(); handle.write(Data("more\n".utf8)); handle.closeFile()
        XCTAssertThrowsError(try readAll(growing)) { error in
            XCTAssertTrue("\(error)".contains("changed while being indexed"), "\(error)")
        }
    }

    /// A run of frames gives its frames' bytes less `skip`, then `tail` bytes of the next frame;
    /// the tracker counts exactly the run's on-disk bytes.
    func testFrameRunSkipsItsHeadAndReadsTheNextFrameStart() throws {
        let a = try Zstd.compress(Array("ab\ncd".utf8)), b = try Zstd.compress(Array("ef\ngh\n".utf8))
        let c = try Zstd.compress(Array("ij\nkl\n".utf8))
        let path = try write("run.zst", a + b + c)
        let run = a.count..<(a.count + b.count)
        let piece = try PieceInput(path: path, bytes: .frames(run, skip: 3, tail: 3))
        XCTAssertEqual(String(decoding: try readAll(piece.source), as: UTF8.self), "gh\nij\n")
        XCTAssertEqual(piece.tracker.bytesRead, b.count)
        XCTAssertEqual(piece.tracker.digest, XXH3.hash64(b))
        XCTAssertGreaterThan(piece.tailBytesRead, 0)
        XCTAssertLessThanOrEqual(piece.tailBytesRead, c.count)

        let first = try PieceInput(path: path, bytes: .frames(0..<a.count, skip: 0, tail: 3))
        XCTAssertEqual(String(decoding: try readAll(first.source), as: UTF8.self), "ab\ncdef\n")
        let plain = try write("plain.txt", Array("0123456789".utf8))
        let range = try PieceInput(path: plain, bytes: .range(3..<7))
        XCTAssertEqual(String(decoding: try readAll(range.source), as: UTF8.self), "3456")
        XCTAssertEqual(range.compression, .none)
    }
}
