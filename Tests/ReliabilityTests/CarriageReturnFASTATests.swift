// CarriageReturnFASTATests.swift — FASTA with classic Mac OS line ends (issue 14 item 22): a lone
// `\r` ends a line, so such a file reads like its `\n` twin (same records, ids and line numbers)
// instead of one long header line with "no sequence"; `\r\n` is still one line end, also when it
// is split across two reads.

import Corpus
import Foundation
import Storage
import TestSupport
import XCTest

final class CarriageReturnFASTATests: XCTestCase {
    func testCROnlyFASTAReadsLikeLF() throws {
        let dir = try TemporaryDirectory("crfasta", removedAfter: self).path
        let lf = ">sp|a first protein\nMKV\nLLA*\n\n>b\nGG\n"
        let expected = [Doc("MKVLLA", line: 1, record: 0, id: "sp|a"), Doc("GG", line: 5, record: 1, id: "b")]
        for (name, text) in [("lf", lf), ("cr", lf.replacingOccurrences(of: "\n", with: "\r")),
                             ("crlf", lf.replacingOccurrences(of: "\n", with: "\r\n"))] {
            let path = dir + "/\(name).fasta"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            assertStrict(path, documents: expected, message: nil)
            // Sniffed rather than named: the same.
            let unnamed = dir + "/\(name).seq"
            try text.write(toFile: unnamed, atomically: true, encoding: .utf8)
            assertStrict(unnamed, documents: expected, message: nil)
        }
    }

    /// Every split of `\r\n` and `\r` across reads (buffer sizes 16 to 40) gives the same lines.
    func testLineEndsSplitAcrossReads() throws {
        let dir = try TemporaryDirectory("crsplit", removedAfter: self).path
        let text = "abcdefghijklmno\r\nsecond line here\rthird\r\n\rfifth\n"
        let path = dir + "/lines"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        for bufferSize in 16...40 {
            let lines = LineReader(source: try openInput(path: path).source, bufferSize: bufferSize)
            lines.carriageReturnEndsLines = true
            var got: [String] = []
            while let line = try lines.next() { got.append(String(decoding: line.bytes, as: UTF8.self) + "@\(line.number)") }
            XCTAssertEqual(got, ["abcdefghijklmno@1", "second line here@2", "third@3", "@4", "fifth@5"], "buffer \(bufferSize)")
        }
    }
}
