// ZstdLongWindowTests.swift — zstd frames that need a window beyond libzstd's default limit of
// 2^27 bytes (issue 14 item 16). `zstd --long=31` fed through a pipe (content size unknown)
// writes a frame whose header asks for a 2^31-byte window: reading it is refused with a message
// that names the window and the option that allows it, never "corrupt", and with
// `--zstd-window-log 31` it reads.

import Foundation
import Storage
import TestSupport
import XCTest

final class ZstdLongWindowTests: XCTestCase {
    /// Compresses `text` through standard input with `zstd --long=31` into `path`.
    private func compressLong(_ text: String, to path: String) throws {
        let source = path + ".plain"
        try text.write(toFile: source, atomically: true, encoding: .utf8)
        let zstd = Process()
        zstd.executableURL = URL(fileURLWithPath: "/bin/sh")
        zstd.arguments = ["-c", "zstd -q --long=31 -c < \"$1\" > \"$2\"", "sh", source, path]
        try zstd.run()
        zstd.waitUntilExit()
        XCTAssertEqual(zstd.terminationStatus, 0, "zstd --long=31 failed")
    }

    func testLongWindowFrameNamesTheWindowAndReadsWithTheOption() throws {
        let dir = try TemporaryDirectory("zlong", removedAfter: self).path
        let path = dir + "/long.jsonl.zst"
        try compressLong((0..<50).map { "{\"text\":\"document \($0)\"}\n" }.joined(), to: path)
        // The frame header's Window_Descriptor (RFC 8878 §3.1.1.1.2): exponent 21 → 2^(10+21).
        let header = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual(header[5] >> 3, 21, "zstd wrote the 2^31 window this test needs")

        let refused = try runGradus(["scan", path, "--json"])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertFalse(refused.stderr.contains("corrupt zstd data"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("\(path): the zstd frame at compressed byte 0 needs a window of 2^31 bytes (2 GiB, as `zstd --long=31` writes), more than the 128 MiB allowed by default"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("allow the window with --zstd-window-log 31"), refused.stderr)

        let read = try runGradus(["scan", path, "--json", "--zstd-window-log", "31"])
        XCTAssertEqual(read.status, 0, read.stderr)
        XCTAssertTrue(read.stdout.contains("\"documents\":50,"), read.stdout)

        let indexed = try runGradus(["index", path, "--out", dir + "/long.idx", "--zstd-window-log", "31"])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        XCTAssertTrue(indexed.stderr.contains("indexed 50 documents"), indexed.stderr)
    }

    func testWindowLogOutOfRangeIsAUsageError() throws {
        let r = try runGradus(["scan", "/dev/null", "--zstd-window-log", "32"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--zstd-window-log must be between 27 and 31"), r.stderr)
    }
}
