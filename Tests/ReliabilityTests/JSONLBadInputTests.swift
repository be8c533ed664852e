// JSONLBadInputTests.swift — the JSONL part of the bad-input suite (issue 8 item 1). For each
// file in BadInputs/jsonl/ the expected documents, error message (file, line, record, column,
// problem) and skip tally were worked out by hand from the bytes written by
// tools/gen_bad_inputs.py; columns are 1-based byte columns.

import Corpus
import Foundation
import Storage
import TestSupport
import XCTest

final class JSONLBadInputTests: XCTestCase {
    func testBrokenLines() {
        let p = badInput("jsonl/broken-lines.jsonl")
        // Line 2 `{"text": "two"` is 14 bytes: the object is still open at column 15.
        let line2 = "\(p):2: record 1: unexpected end of line inside the object (missing '}') at column 15"
        assertStrict(p, documents: [Doc("one", line: 1, record: 0)], message: line2, reason: .invalidJSON)
        assertSkipping(p, documents: [Doc("one", line: 1, record: 0), Doc("four", line: 5, record: 4)],
                       counts: [.invalidJSON: 3], examples: [
                           line2,
                           "\(p):3: record 2: expected '{' (a JSONL line must be a JSON object) at column 1, found 'n'",
                           // `{"text": "three"}` is 17 bytes, then a space.
                           "\(p):4: record 3: unexpected characters after the JSON object at column 19, found 't'",
                       ])
    }

    func testWrongTypes() throws {
        let p = badInput("jsonl/wrong-types.jsonl")
        let first = "\(p):1: record 0: field \"text\" is a number, expected a string (at column 10)"
        assertStrict(p, documents: [], message: first, reason: .wrongType)
        assertSkipping(p, documents: [Doc("fine", line: 6, record: 5, id: "17")],
                       counts: [.wrongType: 5, .invalidTokens: 2], examples: [
                           first,
                           "\(p):2: record 1: field \"text\" is null, expected a string (at column 10)",
                           "\(p):3: record 2: field \"text\" is an array, expected a string (at column 10)",
                           "\(p):4: record 3: field \"id\" is a boolean, expected a string or a number (at column 22)",
                           "\(p):5: record 4: field \"lang\" is a number, expected a string (at column 25)",
                       ])
        let outcome = readOutcome(p, ReaderOptions(skipBad: true))
        XCTAssertEqual(outcome.tokens, [[1, 2]])
        // Lines 7 and 8 are past the five kept examples: check their messages on the parser.
        var parser = JSONLineParser()
        for (text, message) in [
            (#"{"text": "bad tokens", "tokens": [1, -2]}"#,
             #"field "tokens": element 1 is not a non-negative integer at column 38"#),
            (#"{"text": "big token", "tokens": [4294967296]}"#,
             #"field "tokens": element 0 (4294967296) exceeds 4294967295 at column 34"#),
        ] {
            let bytes = Array(text.utf8)
            XCTAssertThrowsError(try bytes.withUnsafeBufferPointer { try parser.parse($0) }) { error in
                XCTAssertEqual((error as? JSONLineError)?.message, message)
                XCTAssertEqual((error as? JSONLineError)?.reason, .invalidTokens)
            }
        }
    }

    func testMissingAndEmptyText() {
        let p = badInput("jsonl/missing-empty-text.jsonl")
        assertStrict(p, documents: [], message: "\(p):1: record 0: missing field \"text\"", reason: .missingField)
        // An empty text is a document (of no tokens), not a bad record.
        assertSkipping(p, documents: [Doc("", line: 2, record: 1), Doc("", line: 5, record: 4, id: "b")],
                       counts: [.missingField: 3], examples: [
                           "\(p):1: record 0: missing field \"text\"",
                           "\(p):3: record 2: missing field \"text\"",
                           "\(p):4: record 3: missing field \"text\"",
                       ])
        // With --text-field content only line 4 has the field.
        assertSkipping(p, ReaderOptions(textField: "content"), documents: [Doc("x", line: 4, record: 3)],
                       counts: [.missingField: 4], examples: ["\(p):1: record 0: missing field \"content\""])
    }

    func testNULBytes() {
        let p = badInput("jsonl/nul-bytes.jsonl")
        // An escaped NUL is text; a raw one is a control character inside or outside a string.
        let escaped = Doc("a\u{0}b", line: 1, record: 0)
        let raw = "\(p):2: record 1: unescaped control character U+0000 in a string at column 12"
        assertStrict(p, documents: [escaped], message: raw, reason: .invalidJSON)
        assertSkipping(p, documents: [escaped, Doc("e", line: 5, record: 4)], counts: [.invalidJSON: 3], examples: [
            raw,
            "\(p):3: record 2: expected '{' (a JSONL line must be a JSON object) at column 1, found U+0000",
            "\(p):4: record 3: unexpected characters after the JSON object at column 14, found U+0000",
        ])
    }

    func testInvalidUTF8() {
        let p = badInput("jsonl/invalid-utf8.jsonl")
        let latin1 = "\(p):2: record 1: invalid UTF-8 at column 14: missing continuation byte (byte 0xE9)"
        assertStrict(p, documents: [Doc("café", line: 1, record: 0)], message: latin1, reason: .invalidUTF8)
        assertSkipping(p, documents: [Doc("café", line: 1, record: 0), Doc("ok", line: 6, record: 5)],
                       counts: [.invalidUTF8: 4], examples: [
                           latin1,
                           "\(p):3: record 2: invalid UTF-8 at column 12: byte that never occurs in UTF-8 (byte 0xFF)",
                           "\(p):4: record 3: invalid UTF-8 at column 11: unexpected continuation byte (byte 0x80)",
                           // In a field name, not only in the text.
                           "\(p):5: record 4: invalid UTF-8 at column 4: byte that never occurs in UTF-8 (byte 0xFE)",
                       ])
    }

    func testOverlongAndOutOfRangeUTF8() {
        let p = badInput("jsonl/overlong-utf8.jsonl")
        let prefix = "invalid UTF-8 at column 11: "
        assertStrict(p, documents: [], message: "\(p):1: record 0: \(prefix)overlong encoding (byte 0xC0)",
                     reason: .invalidUTF8)
        assertSkipping(p, documents: [Doc("€", line: 6, record: 5)], counts: [.invalidUTF8: 5], examples: [
            "\(p):1: record 0: \(prefix)overlong encoding (byte 0xC0)",                  // C0 AF = '/'
            "\(p):2: record 1: \(prefix)overlong encoding (byte 0xE0)",                  // E0 80 AF = '/'
            "\(p):3: record 2: \(prefix)overlong encoding (byte 0xF0)",                  // F0 82 82 AC = '€'
            "\(p):4: record 3: \(prefix)encoded surrogate (U+D800...U+DFFF) (byte 0xED)",  // ED A0 80 = U+D800
            "\(p):5: record 4: \(prefix)code point above U+10FFFF (byte 0xF4)",          // F4 90 80 80
        ])
    }

    func testLoneSurrogatesAndBadEscapes() {
        let p = badInput("jsonl/lone-surrogates.jsonl")
        let pair = Doc("😀", line: 1, record: 0)
        let lone = "\(p):2: record 1: lone surrogate \\ud83d at column 11"
        assertStrict(p, documents: [pair], message: lone, reason: .invalidEscape)
        assertSkipping(p, documents: [pair, Doc("😀 ok", line: 7, record: 6)], counts: [.invalidEscape: 5], examples: [
            lone,
            "\(p):3: record 2: lone surrogate \\ude00 at column 11",
            "\(p):4: record 3: lone surrogate \\ud83d at column 11",  // high surrogate, then \u0041
            "\(p):5: record 4: invalid \\u escape (expected 4 hex digits) at column 11",
            "\(p):6: record 5: invalid escape \\q at column 11",
        ])
    }

    func testCRLFWithoutFinalNewline() {
        let p = badInput("jsonl/crlf-no-final-newline.jsonl")
        // The blank CRLF line 3 is no record; the last line has no newline.
        let expected = [Doc("a", line: 1, record: 0), Doc("b", line: 2, record: 1), Doc("c", line: 4, record: 2)]
        assertStrict(p, documents: expected, message: nil)
        assertSkipping(p, documents: expected, counts: [:], examples: [])
        // Each `{"text": "x"}` is 13 bytes plus "\r\n": lines start at 0, 15, 30 (the blank one), 32.
        XCTAssertEqual(readOutcome(p).documents.map(\.byteOffset), [0, 15, 32])
    }

    /// A 10 MB single document (plain and zstd), and a 10 MB line whose string never closes
    /// followed by a good line; generated here rather than committed.
    func testTenMegabyteDocument() throws {
        let dir = try TemporaryDirectory("reliability-10mb", removedAfter: self).path
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 10_000_000)
        let good = Array(#"{"text": ""#.utf8) + body + Array("\"}\n{\"text\": \"after\"}\n".utf8)
        for (name, bytes) in [("big.jsonl", good), ("big.jsonl.zst", try Zstd.compress(good, level: 1))] {
            let path = dir + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let outcome = readOutcome(path)
            XCTAssertNil(outcome.error, name)
            XCTAssertEqual(outcome.documents.map(\.text.utf8.count), [10_000_000, 5], name)
            XCTAssertEqual(outcome.documents.last?.line, 2, name)
        }
        let broken = Array(#"{"text": ""#.utf8) + body + Array("\n{\"text\": \"after\"}\n".utf8)
        let path = dir + "/broken.jsonl"
        try Data(broken).write(to: URL(fileURLWithPath: path))
        let unterminated = "\(path):1: record 0: unterminated string starting at column 10"
        assertStrict(path, documents: [], message: unterminated, reason: .invalidJSON)
        assertSkipping(path, documents: [Doc("after", line: 2, record: 1)], counts: [.invalidJSON: 1],
                       examples: [unterminated])
    }
}
