// FASTATests.swift — the FASTA reader (issue 2 item 3): headers, multi-line and lowercase
// sequences, CRLF, the stop rule, every kind of bad record with and without `skipBad`, and the
// shipped protein sample.

import Foundation
import TestSupport
import XCTest
@testable import Corpus
import Storage

final class FASTATests: XCTestCase {
    func testRecordsHeadersAndSequences() throws {
        let dir = try TemporaryDirectory()
        let content = "\n>sp|P1 first protein [src=x]\r\nMKV\r\nlla\r\n\r\n>p2\nacdefghiklmnpqrstvwy  \nXBZUOJ-*\n>p3 \t desc\nMK*\n>\nAAA"
        for path in try dir.writeBoth("p.fasta", content) {
            let (docs, reader) = try readAll(path)
            XCTAssertEqual(reader.format, .fasta)
            XCTAssertEqual(docs.count, 4)
            XCTAssertEqual(docs[0], Document(id: "sp|P1", text: "MKVLLA", source: "sp|P1 first protein [src=x]",
                                             line: 2, record: 0, byteOffset: 1))
            // A terminal '*' is stripped only at the very end; an inner one is kept.
            XCTAssertEqual(docs[1].text, "ACDEFGHIKLMNPQRSTVWYXBZUOJ-")
            XCTAssertEqual(docs[1].line, 6)
            XCTAssertEqual(docs[2], Document(id: "p3", text: "MK", source: "p3 \t desc", line: 9, record: 2,
                                             byteOffset: content.utf8.count - 20))
            XCTAssertEqual(docs[3], Document(id: nil, text: "AAA", source: nil, line: 11, record: 3,
                                             byteOffset: content.utf8.count - 5))
        }
    }

    func testInnerStopIsKept() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("s.fa", ">a\nMK*L\nQ**\n")
        XCTAssertEqual(try readAll(path).0.map(\.text), ["MK*LQ*"])
    }

    func testBadRecords() throws {
        let dir = try TemporaryDirectory()
        let cases: [(String, SkipReason, [String])] = [
            (">a\nMKV\n>b\n\n>c\nAC\n", .emptySequence, [":3: record 1: record \"b\" has no sequence"]),
            (">a\nMKV\n>b\n*\n", .emptySequence, [":3: record 1: record \"b\" has no sequence"]),
            (">a\nMKV\n>b", .emptySequence, [":3: record 1: record \"b\" has no sequence"]),
            (">a\nMKV\n>b x\nAC\nAC1D\n", .invalidResidue,
             [":5: record 1: invalid character '1' at column 3 in the sequence of record \"b\" (header at line 3)"]),
            (">a\nMK V\n", .invalidResidue, [":2: record 0: invalid character ' ' at column 3"]),
            (">a\n MKV\n", .invalidResidue, [":2: record 0: invalid character ' ' at column 1"]),
            (">a\nMKé\n", .invalidResidue, [":2: record 0: invalid character 'é' (U+00E9) at column 3"]),
            (">a\nMK.\n", .invalidResidue, [":2: record 0: invalid character '.' at column 3", "allowed: ACDEFGHIKLMNPQRSTVWY"]),
            ("junk\nmore\n>a\nMKV\n", .textBeforeHeader, [":1: text before the first '>' header"]),
        ]
        for (index, (content, reason, parts)) in cases.enumerated() {
            for path in try dir.writeBoth("bad\(index).fasta", content) {
                let withPath = [path + parts[0]] + parts.dropFirst()
                assertCorpusError(path, reason: reason, contains: withPath)
            }
        }
        var bytes = Array(">a\nMK".utf8) + [0xFF] + Array("\n".utf8)
        let path = try dir.write("bin.fasta", bytes)
        assertCorpusError(path, reason: .invalidResidue, contains: ["invalid character byte 0xFF (invalid UTF-8) at column 3"])
        bytes = Array(">a ".utf8) + [0xC0, 0xAF] + Array("\nMK\n".utf8)
        let header = try dir.write("header.fasta", bytes)
        assertCorpusError(header, reason: .invalidUTF8, contains: [":1: record 0: invalid UTF-8 at column 4: overlong"])
    }

    func testSkipBadResumesAtTheNextHeader() throws {
        let dir = try TemporaryDirectory()
        let content = "preamble\n>a\nMKV\n>b\nMK1\nAAAA\n>c\n>d\nwy\n>e\nMK#\n>f\nLL\n"
        for path in try dir.writeBoth("mixed.fasta", content) {
            let (docs, reader) = try readAll(path, ReaderOptions(skipBad: true))
            XCTAssertEqual(docs.map(\.id), ["a", "d", "f"])
            XCTAssertEqual(docs.map(\.text), ["MKV", "WY", "LL"])
            XCTAssertEqual(docs.map(\.record), [0, 3, 5])  // the preamble is not a record
            XCTAssertEqual(reader.skipped.counts, [.textBeforeHeader: 1, .invalidResidue: 2, .emptySequence: 1])
            XCTAssertEqual(reader.skipped.examples[0], "\(path):1: text before the first '>' header (not a FASTA file, or a missing header)")
        }
    }

    func testLongSequenceAcrossManyLines() throws {
        let dir = try TemporaryDirectory()
        let letters = Array("ACDEFGHIKLMNPQRSTVWY".utf8)
        var sequence = [UInt8]()
        var content = Array(">long\n".utf8)
        for k in 0..<300_000 {
            let residue = letters[(k * 7 + k / 13) % letters.count]
            sequence.append(residue)
            content.append(k % 3 == 0 ? residue | 0x20 : residue)  // some lowercase
            if k % 60 == 59 { content.append(0x0A) }
        }
        for path in try dir.writeBoth("long.faa", content) {
            let (docs, _) = try readAll(path)
            XCTAssertEqual(docs.count, 1)
            XCTAssertTrue(docs[0].text.utf8.elementsEqual(sequence))
        }
    }

    func testShippedProteinSample() throws {
        let path = repositoryRoot + "/corpora/protein.sample.fasta.zst"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) not present") }
        let (docs, reader) = try readAll(path)
        // corpora/README.md: 11 271 sequences, lengths 12–8 417, 4.48 M residues.
        XCTAssertEqual(docs.count, 11_271)
        let lengths = docs.map(\.text.utf8.count)
        XCTAssertEqual(lengths.min(), 12)
        XCTAssertEqual(lengths.max(), 8_417)
        let residues = lengths.reduce(0, +)
        XCTAssertTrue((4_475_000...4_485_000).contains(residues), "\(residues) residues")
        XCTAssertEqual(reader.skipped.total, 0)
        XCTAssertTrue(docs.allSatisfy { $0.id != nil && $0.source?.contains("[src=") == true })
        // Every shipped sequence tokenizes with the residues tokenizer.
        let encoder = ResidueTokenizer().makeEncoder()
        var ids: [TokenID] = []
        for doc in docs {
            ids.removeAll(keepingCapacity: true)
            var text = doc.text
            try text.withUTF8 { try encoder.encode($0, into: &ids) }
            XCTAssertEqual(ids.count, text.utf8.count)
        }
    }
}
