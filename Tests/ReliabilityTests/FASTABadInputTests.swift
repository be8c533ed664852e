// FASTABadInputTests.swift — the FASTA and plain-text part of the bad-input suite (issue 8
// item 1): BadInputs/fasta/ and BadInputs/text/, expectations worked out by hand from the bytes
// written by tools/gen_bad_inputs.py.

import Corpus
import XCTest

final class FASTABadInputTests: XCTestCase {
    private let allowed = "allowed: ACDEFGHIKLMNPQRSTVWY, XBZUOJ, '-' and '*' (either case)"

    func testTextBeforeFirstHeader() {
        let p = badInput("fasta/no-header.fasta")
        // Reported once, at the first text line, without a record number; not counted as a record.
        let preamble = "\(p):1: text before the first '>' header (not a FASTA file, or a missing header)"
        assertStrict(p, documents: [], message: preamble, reason: .textBeforeHeader)
        assertSkipping(p, documents: [Doc("MKVL", line: 3, record: 0, id: "p1")],
                       counts: [.textBeforeHeader: 1], examples: [preamble])
        XCTAssertEqual(readOutcome(p, ReaderOptions(skipBad: true)).documents.first?.source, "p1 first")
    }

    func testEmptyRecords() {
        let p = badInput("fasta/empty-records.fasta")
        let e1 = "\(p):1: record 0: record \"e1\" has no sequence"
        assertStrict(p, documents: [], message: e1, reason: .emptySequence)
        // p4's single terminal '*' (a stop codon) is stripped.
        assertSkipping(p, documents: [Doc("ACDE", line: 2, record: 1, id: "p2"), Doc("WY", line: 6, record: 3, id: "p4")],
                       counts: [.emptySequence: 3], examples: [
                           e1,
                           "\(p):4: record 2: record \"e3\" has no sequence",  // only a blank line follows
                           "\(p):8: record 4: record without id has no sequence",  // a bare '>' at the end
                       ])
    }

    func testLowercaseAndNonResidueLetters() {
        let p = badInput("fasta/lowercase-nonresidue.fasta")
        let digit = "\(p):4: record 1: invalid character '1' at column 4 in the sequence of record \"digit\" "
            + "(header at line 3); \(allowed)"
        let low = Doc("MKVLAA", line: 1, record: 0, id: "low")
        assertStrict(p, documents: [low], message: digit, reason: .invalidResidue)
        assertSkipping(p, documents: [low, Doc("MK*VL", line: 9, record: 4, id: "stop")],
                       counts: [.invalidResidue: 3], examples: [
                           digit,
                           "\(p):6: record 2: invalid character ' ' at column 3 in the sequence of record \"space\" "
                               + "(header at line 5); \(allowed)",
                           "\(p):8: record 3: invalid character 'é' (U+00E9) at column 3 in the sequence of record "
                               + "\"uni\" (header at line 7); \(allowed)",
                       ])
    }

    func testWindowsLineEnds() {
        let p = badInput("fasta/windows-line-ends.fasta")
        let expected = [Doc("MKVLLA", line: 1, record: 0, id: "w1"), Doc("AC", line: 4, record: 1, id: "w2")]
        assertStrict(p, documents: expected, message: nil)
        assertSkipping(p, documents: expected, counts: [:], examples: [])
        let outcome = readOutcome(p)
        XCTAssertEqual(outcome.documents.map(\.source), ["w1 desc", "w2"])  // no "\r" kept
        XCTAssertEqual(outcome.documents.map(\.byteOffset), [0, 20])  // ">w1 desc\r\n" 10 + 5 + 5
    }

    func testInvalidUTF8InHeader() {
        let p = badInput("fasta/bad-header.fasta")
        // Column 5 counts the '>' too: '>' 'b' 'a' 'd' 0xFF.
        let bad = "\(p):1: record 0: invalid UTF-8 at column 5: byte that never occurs in UTF-8 in the header"
        assertStrict(p, documents: [], message: bad, reason: .invalidUTF8)
        assertSkipping(p, documents: [Doc("MK", line: 3, record: 1, id: "ok")], counts: [.invalidUTF8: 1], examples: [bad])
    }

    func testPlainTextInvalidUTF8() {
        let p = badInput("text/invalid-utf8.txt")
        let bad = "\(p):2: record 1: invalid UTF-8 at column 1: missing continuation byte (byte 0xC3)"
        assertStrict(p, documents: [Doc("good", line: 1, record: 0)], message: bad, reason: .invalidUTF8)
        assertSkipping(p, documents: [Doc("good", line: 1, record: 0), Doc("fine", line: 3, record: 2)],
                       counts: [.invalidUTF8: 1], examples: [bad])
        // Paragraph mode: the three lines are one paragraph, bad as a whole.
        let paragraph = "\(p):2: record 0: invalid UTF-8 at column 1: missing continuation byte (byte 0xC3)"
        assertStrict(p, ReaderOptions(paragraphs: true), documents: [], message: paragraph, reason: .invalidUTF8)
        assertSkipping(p, ReaderOptions(paragraphs: true), documents: [], counts: [.invalidUTF8: 1], examples: [paragraph])
    }
}
