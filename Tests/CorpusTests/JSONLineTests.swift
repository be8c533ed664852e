// JSONLineTests.swift — the hand-written JSONL parser (issue 2 item 3): field extraction, escape
// decoding, skipping of other values, and a precise message (with column) for each kind of
// malformed line.

import Foundation
import XCTest
@testable import Corpus
import Support

final class JSONLineTests: XCTestCase {
    private func parse(_ bytes: [UInt8], textField: String = "text", requireText: Bool = true) throws -> JSONLineRecord {
        var parser = JSONLineParser(textField: textField, requireText: requireText)
        return try bytes.withUnsafeBufferPointer { try parser.parse($0) }
    }

    private func parse(_ text: String, textField: String = "text") throws -> JSONLineRecord {
        try parse(Array(text.utf8), textField: textField)
    }

    /// Asserts a parse failure with `reason`, a message containing `message`, and `column`.
    private func assertFails(_ bytes: [UInt8], _ reason: SkipReason, _ message: String, column: Int?,
                             file: StaticString = #filePath, line: UInt = #line) {
        do {
            let record = try parse(bytes)
            XCTFail("expected \(reason), parsed \(record)", file: file, line: line)
        } catch let error as JSONLineError {
            XCTAssertEqual(error.reason, reason, error.message, file: file, line: line)
            XCTAssertTrue(error.message.contains(message), "\"\(error.message)\" lacks \"\(message)\"", file: file, line: line)
            XCTAssertEqual(error.column, column, error.message, file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    private func assertFails(_ text: String, _ reason: SkipReason, _ message: String, column: Int?,
                             file: StaticString = #filePath, line: UInt = #line) {
        assertFails(Array(text.utf8), reason, message, column: column, file: file, line: line)
    }

    func testExtractsKnownFieldsAndSkipsOthers() throws {
        let line = #" { "meta": {"a": [1, 2.5e-3, {"b": null}], "c": "x\"}"}, "id": "doc-1", "lang": "en", "#
            + #""flags": [true, false, null, -0, 1E+9], "source": "pkg 1.0", "text": "Hello" } "#
        let record = try parse(line)
        XCTAssertEqual(record, JSONLineRecord(text: "Hello", id: "doc-1", lang: "en", source: "pkg 1.0"))
    }

    func testNumericIDKeepsItsDecimalText() throws {
        XCTAssertEqual(try parse(#"{"id": 17, "text": "a"}"#).id, "17")
        XCTAssertEqual(try parse(#"{"id": -3.25e2, "text": "a"}"#).id, "-3.25e2")
        XCTAssertEqual(try parse(#"{"id": null, "lang": null, "text": "a"}"#).id, nil)
    }

    func testEscapes() throws {
        let record = try parse(#"{"text": "q\" b\\ s\/ \b\f\n\r\t \u00e9\u4E2D \ud83d\ude00 \u0000end"}"#)
        XCTAssertEqual(record.text, "q\" b\\ s/ \u{8}\u{C}\n\r\t é中 😀 \u{0}end")
    }

    func testRawUnicodeAndKeysWithEscapes() throws {
        XCTAssertEqual(try parse(#"{"te\u0078t": "Ελληνικά 中文 𝄞"}"#).text, "Ελληνικά 中文 𝄞")
        // A long plain run crosses the eight-byte fast path; a quote near the end of a word.
        let long = String(repeating: "abcdefg ", count: 40) + "é"
        XCTAssertEqual(try parse("{\"text\":\"\(long)\"}").text, long)
    }

    /// `--group-field` (issue 17 item 2): a group field's string value, escapes decoded; any other
    /// JSON value is no group (not a bad record), also for `lang`; nested keys of the same name
    /// do not count; the last occurrence wins.
    func testGroupFieldsTakeStringValuesOnly() throws {
        var parser = JSONLineParser(textField: "text", groupFields: ["lang", "domain", "source"])
        func groups(_ line: String) throws -> [String?] {
            try Array(line.utf8).withUnsafeBufferPointer { try parser.parse($0) }.groups
        }
        XCTAssertEqual(try groups(#"{"text": "a", "domain": "web", "lang": "en"}"#), ["en", "web", nil])
        XCTAssertEqual(try groups(#"{"text": "a", "lang": 5, "domain": {"lang": "x"}, "source": null}"#), [nil, nil, nil])
        XCTAssertEqual(try groups(#"{"meta": {"domain": "inner"}, "text": "a", "domain": ["b"], "lang": "fr", "lang": true}"#), [nil, nil, nil])
        XCTAssertEqual(try groups(#"{"text": "a", "source": "s1", "source": "s2"}"#), [nil, nil, "s2"])
        let record = try Array(#"{"text": "a", "lang": "en", "source": "s"}"#.utf8).withUnsafeBufferPointer { try parser.parse($0) }
        XCTAssertEqual(record.lang, "en")
        XCTAssertEqual(record.source, "s")
        // Without group fields, a non-string lang stays a bad record and no groups are returned.
        assertFails(#"{"text": "a", "lang": 5}"#, .wrongType, "lang", column: 23)
        XCTAssertEqual(try parse(#"{"text": "a", "lang": "en"}"#).groups, [])
    }

    func testCustomTextFieldAndDuplicateKeysLastWins() throws {
        let record = try parse(#"{"body": "first", "text": 3, "body": "second"}"#, textField: "body")
        XCTAssertEqual(record.text, "second")
        XCTAssertEqual(try parse(#"{"text": "a", "text": "b"}"#).text, "b")
    }

    func testTokensArray() throws {
        XCTAssertEqual(try parse(#"{"text": "", "tokens": [0, 5 ,4294967295]}"#).tokens, [0, 5, 4_294_967_295])
        XCTAssertEqual(try parse(#"{"text": "", "tokens": []}"#).tokens, [])
        XCTAssertNil(try parse(#"{"text": "", "tokens": null}"#).tokens)
        var parser = JSONLineParser(requireText: false)
        let record = try Array(#"{"tokens": [1,2]}"#.utf8).withUnsafeBufferPointer { try parser.parse($0) }
        XCTAssertEqual(record, JSONLineRecord(tokens: [1, 2]))
    }

    func testBadTokens() {
        assertFails(#"{"text": "", "tokens": [1, 4294967296]}"#, .invalidTokens,
                    "element 1 (4294967296) exceeds 4294967295 at column 28", column: 28)
        assertFails(#"{"text": "", "tokens": [99999999999999999999999999999999999999]}"#, .invalidTokens,
                    "exceeds 4294967295", column: 25)
        assertFails(#"{"text": "", "tokens": [1, -2]}"#, .invalidTokens,
                    "element 1 is not a non-negative integer at column 28", column: 28)
        assertFails(#"{"text": "", "tokens": [1.5]}"#, .invalidTokens, "element 0 is not a non-negative integer", column: 25)
        assertFails(#"{"text": "", "tokens": ["a"]}"#, .invalidTokens, "element 0 is not", column: 25)
        assertFails(#"{"text": "", "tokens": [01]}"#, .invalidTokens, "element 0 is not", column: 25)
        assertFails(#"{"text": "", "tokens": "1 2"}"#, .wrongType,
                    #"field "tokens" is a string, expected an array of non-negative integers"#, column: 24)
    }

    func testMissingAndWrongTypedTextField() {
        assertFails(#"{"id": "a", "txt": "b"}"#, .missingField, #"missing field "text""#, column: nil)
        assertFails(#"{}"#, .missingField, #"missing field "text""#, column: nil)
        assertFails(#"{"id": "a", "text": 42}"#, .wrongType,
                    #"field "text" is a number, expected a string (at column 21)"#, column: 21)
        assertFails(#"{"text": null}"#, .wrongType, #"field "text" is null, expected a string"#, column: 10)
        assertFails(#"{"text": ["a"]}"#, .wrongType, #"field "text" is an array"#, column: 10)
        assertFails(#"{"text": "a", "id": true}"#, .wrongType, #"field "id" is a boolean, expected a string or a number"#, column: 21)
        assertFails(#"{"text": "a", "lang": {}}"#, .wrongType, #"field "lang" is an object, expected a string"#, column: 23)
    }

    func testSyntaxErrors() {
        assertFails(#"["text"]"#, .invalidJSON, "expected '{' (a JSONL line must be a JSON object) at column 1, found '['", column: 1)
        assertFails("", .invalidJSON, "at column 1, found end of line", column: 1)
        assertFails(#"{"text": "a"} x"#, .invalidJSON, "unexpected characters after the JSON object at column 15, found 'x'", column: 15)
        assertFails(#"{"text": "a",}"#, .invalidJSON, "expected a field name in double quotes at column 14, found '}'", column: 14)
        assertFails(#"{"text" "a"}"#, .invalidJSON, "expected ':' after the field name at column 9", column: 9)
        assertFails(#"{"text": "a" "id": 1}"#, .invalidJSON, "expected ',' or '}' after a value at column 14", column: 14)
        assertFails(#"{"text": "a""#, .invalidJSON, "missing '}'", column: 13)
        assertFails(#"{"text": "abc"#, .invalidJSON, "unterminated string starting at column 10", column: 10)
        assertFails(#"{"text": "a", "n": 01}"#, .invalidJSON, "invalid number at column 20", column: 20)
        assertFails(#"{"text": "a", "n": 1.}"#, .invalidJSON, "invalid number at column 20", column: 20)
        assertFails(#"{"text": "a", "n": -}"#, .invalidJSON, "invalid number at column 20", column: 20)
        assertFails(#"{"text": "a", "b": tru}"#, .invalidJSON, "invalid literal (expected true) at column 20", column: 20)
        assertFails(#"{"text": "a", "b": [1 2]}"#, .invalidJSON, "expected ',' or ']' at column 23", column: 23)
        assertFails(#"{"text": "a", "b": {"c" 1}}"#, .invalidJSON, "expected ':' after the field name at column 25", column: 25)
        assertFails(#"{"text": "a", "b": 'x'}"#, .invalidJSON, "expected a value at column 20, found '''", column: 20)
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let deep = #"{"text": "a", "b": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        assertFails(deep, .invalidJSON, "nesting deeper than 256 levels", column: 20 + 255)
        let fine = #"{"text": "a", "b": "# + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "}"
        XCTAssertEqual(try parse(fine).text, "a")
    }

    func testControlCharactersMustBeEscaped() {
        assertFails("{\"text\": \"a\tb\"}", .invalidJSON, "unescaped control character U+0009 in a string at column 12", column: 12)
        assertFails("{\"x\": \"\u{1}\", \"text\": \"\"}", .invalidJSON, "unescaped control character U+0001", column: 8)
    }

    func testBadEscapes() {
        assertFails(#"{"text": "a\x"}"#, .invalidEscape, #"invalid escape \x at column 12"#, column: 12)
        assertFails(#"{"text": "a\u12G4"}"#, .invalidEscape, #"invalid \u escape (expected 4 hex digits) at column 12"#, column: 12)
        assertFails(#"{"text": "\u12"}"#, .invalidEscape, "expected 4 hex digits", column: 11)
        assertFails(#"{"text": "ab\ud800"}"#, .invalidEscape, #"lone surrogate \ud800 at column 13"#, column: 13)
        assertFails(#"{"text": "\uD83Dx"}"#, .invalidEscape, #"lone surrogate \uD83D at column 11"#, column: 11)
        assertFails(#"{"text": "\ud83d\u0041"}"#, .invalidEscape, #"lone surrogate \ud83d at column 11"#, column: 11)
        assertFails(#"{"text": "\udc00\ud800"}"#, .invalidEscape, #"lone surrogate \udc00 at column 11"#, column: 11)
        // Strings of skipped fields are held to the same rules.
        assertFails(#"{"other": "\ud800", "text": "a"}"#, .invalidEscape, "lone surrogate", column: 12)
    }

    func testInvalidUTF8() {
        let prefix = Array(#"{"text": "abcdef"#.utf8)  // 16 bytes: the bad byte is at column 17
        let suffix = Array("\"}".utf8)
        let cases: [([UInt8], String)] = [
            ([0xFF], "byte that never occurs in UTF-8 (byte 0xFF)"),
            ([0x80], "unexpected continuation byte"),
            ([0xC3, 0x28], "missing continuation byte"),
            ([0xC0, 0xAF], "overlong encoding"),            // '/' in two bytes
            ([0xE0, 0x80, 0xAF], "overlong encoding"),      // '/' in three bytes
            ([0xF0, 0x80, 0x80, 0xAF], "overlong encoding"),
            ([0xED, 0xA0, 0x80], "encoded surrogate"),
            ([0xF4, 0x90, 0x80, 0x80], "code point above U+10FFFF"),
        ]
        for (bad, problem) in cases {
            assertFails(prefix + bad + suffix, .invalidUTF8, "invalid UTF-8 at column 17: \(problem)", column: 17)
        }
        assertFails(Array(#"{"text": "ab"#.utf8) + [0xE4, 0xB8], .invalidUTF8, "truncated multi-byte sequence", column: 13)
        // Also in keys and skipped values, and in the middle of a long ASCII run (fast path).
        assertFails(Array(#"{"k"#.utf8) + [0xFF] + Array(#"": 1, "text": ""}"#.utf8), .invalidUTF8, "at column 4", column: 4)
        let run = Array(#"{"text": ""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 37) + [0xC1, 0x81] + suffix
        assertFails(run, .invalidUTF8, "invalid UTF-8 at column 48: overlong encoding", column: 48)
    }

    /// Differential check against an independent encoder: Foundation's `JSONEncoder` writes
    /// seeded random records (control characters, quotes, backslashes, slashes, non-BMP
    /// characters, numeric ids, nested extras); the parser must return the same values.
    func testAgreesWithFoundationEncoder() throws {
        struct Record: Encodable {
            var id: Int
            var extra: [String: [Double]]
            var text: String
            var lang: String
        }
        var rng = SplitMix64(seed: 5)
        let pool: [Unicode.Scalar] = ["a", "b", " ", "\"", "\\", "/", "\u{0}", "\u{1F}", "\n", "\t", "\u{7F}",
                                      "é", "\u{2028}", "中", "\u{FFFF}", "😀", "\u{10FFFF}"]
        func randomString() -> String {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int(rng.next() % 60) { text.append(pool[Int(rng.next() % UInt64(pool.count))]) }
            return String(text)
        }
        let encoder = JSONEncoder()
        for _ in 0..<500 {
            let record = Record(id: Int(truncatingIfNeeded: rng.next() >> 12) - (1 << 50),
                                extra: [randomString(): [1.5, -2e-7]], text: randomString(), lang: randomString())
            let line = Array(try encoder.encode(record))
            let parsed = try parse(line)
            XCTAssertEqual(parsed, JSONLineRecord(text: record.text, id: String(record.id), lang: record.lang),
                           String(decoding: line, as: UTF8.self))
        }
    }

    func testPlainWordClassifier() {
        // Every byte value in every lane: the SWAR test must agree with the byte-wise rule.
        for lane in 0..<8 {
            for value in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                bytes[lane] = UInt8(value)
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                let special = value == 0x22 || value == 0x5C || value < 0x20 || value >= 0x80
                XCTAssertEqual(JSONLineParser.isPlainWord(word), !special, "byte \(value) in lane \(lane)")
            }
        }
    }
}
