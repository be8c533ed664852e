// FuzzRegressionTests.swift — inputs found by the libFuzzer targets in tools/fuzz/ (issue 8
// item 4), kept as regression tests with their outcome worked out by hand. Each test names the
// target and what the finding was; library bugs fixed because of a finding say so.

import Corpus
import Foundation
import Storage
import TestSupport
import XCTest

final class FuzzRegressionTests: XCTestCase {
    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = try TemporaryDirectory("fuzz-regression", removedAfter: self).file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Target `fasta`, crash-4e806b95: not a library bug but a wrong invariant in the target (it
    /// assumed no document ends in '*'). Only one terminal stop is stripped, so a record whose
    /// lines are "WY*" and "*" reads as "WY*"; the empty records around it are counted.
    func testDoubleTerminalStopKeepsOne() throws {
        let p = try write("double-stop.fasta", Array("CD\n>+D\n>+6\n\n>p4\n>\n\n>p4*YW\nWY*\n*\n".utf8))
        assertStrict(p, documents: [], message: "\(p):1: text before the first '>' header (not a FASTA file, or a missing header)",
                     reason: .textBeforeHeader)
        assertSkipping(p, documents: [Doc("WY*", line: 8, record: 4, id: "p4*YW")],
                       counts: [.textBeforeHeader: 1, .emptySequence: 4], examples: [
                           "\(p):1: text before the first '>' header (not a FASTA file, or a missing header)",
                           "\(p):2: record 0: record \"+D\" has no sequence",
                           "\(p):3: record 1: record \"+6\" has no sequence",
                           "\(p):5: record 2: record \"p4\" has no sequence",
                           "\(p):6: record 3: record without id has no sequence",
                       ])
    }

    /// Target `zstd`, crash-c64cff16: not a Gradus bug. `27 B5 2F FD` is the magic of legacy zstd
    /// v0.7 frames, which libzstd decodes when it sees 5+ bytes at once but rejects ("Unknown
    /// frame descriptor") when they arrive one at a time. Gradus does not take such a file for
    /// zstd (only the current and skippable magics start a zstd input), and decoding it directly
    /// fails either way: here as a truncated frame.
    func testLegacyMagicIsNotZstdAndFailsToDecode() throws {
        let input: [UInt8] = [0x27, 0xB5, 0x2F, 0xFD, 0x20, 0x10]
        let p = try write("legacy.zst", input)
        let opened = try openInput(path: p)
        XCTAssertEqual(opened.compression, .none)
        var buffer = [UInt8](repeating: 0, count: 64)
        var plain: [UInt8] = []
        while case let n = try buffer.withUnsafeMutableBytes({ try opened.source.read(into: $0) }), n > 0 {
            plain += buffer[0..<n]  // the 4 sniffed bytes are replayed first, then the rest
        }
        XCTAssertEqual(plain, input)
        let direct = try ZstdDecompressingSource(path: p)
        XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try direct.read(into: $0) }) { error in
            XCTAssertEqual(error as? ZstdError, .truncated(path: p, offset: 6))
        }
    }
}
