// WordPieceTokenizerTests.swift — the WordPiece (BERT) family against the Python `tokenizers`
// reference (Fixtures/wordpiece-fixtures.jsonl.zst and Fixtures/tokenizers/bert-wordpiece*.json,
// made by tools/gen_wordpiece_fixtures.py; no Python needed here): ids and decoded text for every
// record of the uncased and cased files and of thirteen option variants; BERT's character classes
// for every Unicode scalar; and what the fixture cannot show (a vocabulary without [UNK], the
// split behaviours on the library's documented example, refusals, the word cache, packing ids).

import Foundation
import TestSupport
import XCTest
@testable import Corpus

final class WordPieceTokenizerTests: XCTestCase {
    struct Header: Decodable {
        var format: String
        var version: Int
        var files: [String: String]
        var sha256: [String: String]
        var variants: [String: String]
        var characters: Characters
    }

    /// The reference's class of every scalar (ranges inclusive) and its strip/lowercase outputs.
    struct Characters: Decodable {
        var control: [[UInt32]]
        var whitespace: [[UInt32]]
        var punctuation: [[UInt32]]
        var chinese: [[UInt32]]
        var numeric: [[UInt32]]
        var strip_accents: [String: String]
        var lowercase: [String: String]
    }

    struct Record: Decodable {
        var tokenizer: String
        var text: String
        var ids: [TokenID]
        var decoded: String
        var origin: String
    }

    static let fixturePath = repositoryRoot + "/Tests/CorpusTests/Fixtures/wordpiece-fixtures.jsonl.zst"
    static let regenerate = "regenerate with tools/gen_wordpiece_fixtures.py"

    nonisolated(unsafe) private static var cached: (header: Header, tokenizers: [String: any Tokenizer], records: [Record])?

    /// The header, the two files and every variant loaded through `TokenizerLoader`, and the records.
    private func fixture() throws -> (header: Header, tokenizers: [String: any Tokenizer], records: [Record]) {
        if let cached = Self.cached { return cached }
        let lines = try fixtureLines(Self.fixturePath)
        let decoder = JSONDecoder()
        let header = try decoder.decode(Header.self, from: lines[0])
        XCTAssertEqual(header.format, "gradus-wordpiece-fixtures")
        XCTAssertEqual(header.version, 1)
        var tokenizers: [String: any Tokenizer] = [:]
        for (name, file) in header.files { tokenizers[name] = try TokenizerLoader.load(repositoryRoot + "/" + file) }
        let directory = try TemporaryDirectory()
        for (name, json) in header.variants {
            let path = directory.path + "/\(name).json"
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            tokenizers[name] = try TokenizerLoader.load(path)
        }
        let loaded = (header, tokenizers, try lines.dropFirst().map { try decoder.decode(Record.self, from: $0) })
        Self.cached = loaded
        return loaded
    }

    /// Every scalar value except planes 4–13, where no Unicode version has assigned anything
    /// (their answers are those of any other unassigned code point, checked in planes 2, 3 and 14).
    static let scalarValues: [UInt32] = Array(0...0xD7FF) + Array(0xE000...0x3FFFF) + Array(0xE0000...0x10FFFF)

    // MARK: - Against the reference

    func testFixtureMatchesTheTokenizerFilesAndCoversEnoughDocuments() throws {
        let (header, tokenizers, records) = try fixture()
        for (name, file) in header.files {
            let bytes = try XCTUnwrap(FileManager.default.contents(atPath: repositoryRoot + "/" + file))
            XCTAssertEqual(SHA256.hexDigest(Array(bytes)), header.sha256[name], "\(file) changed: \(Self.regenerate)")
            XCTAssertEqual(tokenizers[name]?.fingerprint, header.sha256[name])
            XCTAssertTrue(tokenizers[name] is PipelineTokenizer)
            XCTAssertEqual(tokenizers[name]?.name, "wordpiece")
            XCTAssertEqual(tokenizers[name]?.vocabularySize, 6000)
            let documents = records.filter { $0.tokenizer == name && $0.origin.contains(":") }
            XCTAssertGreaterThanOrEqual(documents.count, 2000, name)
        }
        XCTAssertEqual(header.variants.count, 13)
    }

    /// A debug build checks every 20th record (every kind of record and every tokenizer still
    /// occurs); all 8 648 with `GRADUS_FULL_FIXTURES=1` (about 3 minutes) or in a release build.
    func testEveryRecordMatchesTheReferenceIdsAndDecoding() throws {
        let (_, tokenizers, records) = try fixture()
        var encoders: [String: any TokenEncoder] = [:]
        #if DEBUG
        let step = ProcessInfo.processInfo.environment["GRADUS_FULL_FIXTURES"] == "1" ? 1 : 20
        #else
        let step = 1
        #endif
        for index in stride(from: 0, to: records.count, by: step) {
            let record = records[index]
            let tokenizer = try XCTUnwrap(tokenizers[record.tokenizer], record.tokenizer)
            let encoder = encoders[record.tokenizer] ?? tokenizer.makeEncoder()
            encoders[record.tokenizer] = encoder
            let ids = try encoder.encode(record.text)
            if ids != record.ids {
                let first = (0..<min(ids.count, record.ids.count)).first { ids[$0] != record.ids[$0] } ?? min(ids.count, record.ids.count)
                return XCTFail("record \(index + 1) (\(record.tokenizer), \(record.origin)) \(String(record.text.prefix(80)).debugDescription): "
                    + "first difference at id \(first): expected \(record.ids[first...].prefix(8)) got \(ids[first...].prefix(8)) "
                    + "(\(record.ids.count) vs \(ids.count) ids)")
            }
            let decoded = try tokenizer.decode(record.ids)
            if decoded != record.decoded {
                return XCTFail("record \(index + 1) (\(record.tokenizer)) decodes to \(decoded.prefix(120).debugDescription), expected \(record.decoded.prefix(120).debugDescription)")
            }
        }
    }

    /// Every scalar's control / whitespace / punctuation / CJK / numeric class as the reference
    /// probed it (its Unicode 8.0 categories, not Swift's).
    func testCharacterClassesMatchTheReferenceForEveryScalar() throws {
        let characters = try fixture().header.characters
        let classes: [(String, [[UInt32]], (UInt32) -> Bool)] = [
            ("clean_text removes", characters.control, { $0 == 0 || $0 == 0xFFFD || BertCharacters.isRemovedByCleaning($0) }),
            ("clean_text spaces", characters.whitespace,
             { !($0 == 0 || $0 == 0xFFFD || BertCharacters.isRemovedByCleaning($0)) && BertCharacters.isWhitespace($0) }),
            ("punctuation", characters.punctuation, { BertCharacters.isPunctuation($0) && !BertCharacters.isWhitespace($0) }),
            ("chinese", characters.chinese, BertCharacters.isChinese),
            ("numeric", characters.numeric, BertCharacters.isNumeric),
        ]
        for (name, ranges, predicate) in classes {
            XCTAssertFalse(ranges.isEmpty, name)
            var expected = [Bool](repeating: false, count: 0x110000)
            for range in ranges { for c in range[0]...range[1] { expected[Int(c)] = true } }
            var mismatches: [String] = []
            for c in Self.scalarValues where predicate(c) != expected[Int(c)] {
                mismatches.append("U+\(String(c, radix: 16, uppercase: true)) expected \(expected[Int(c)])")
                if mismatches.count == 10 { break }
            }
            XCTAssertEqual(mismatches, [], "\(name): \(Self.regenerate) or tools/gen_bert_tables.py")
        }
    }

    /// `strip_accents` alone and `lowercase` alone on every scalar, against the reference's output
    /// (scalars not listed are unchanged). Scalars are separated by "a" (combining class 0, no
    /// decomposition), so nothing reorders across them and one call covers thousands.
    func testStripAccentsAndLowercaseMatchTheReferenceForEveryScalar() throws {
        let characters = try fixture().header.characters
        let steps: [(String, BertNormalizer, [String: String])] = [
            ("strip_accents", BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false), characters.strip_accents),
            ("lowercase", BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: true), characters.lowercase),
        ]
        let scalars = Self.scalarValues.compactMap(Unicode.Scalar.init)
        for (name, step, changedByName) in steps {
            XCTAssertGreaterThan(changedByName.count, 1000, name)
            var changed = [[UInt8]?](repeating: nil, count: 0x110000)
            for (key, value) in changedByName { changed[try XCTUnwrap(Int(key))] = Array(value.utf8) }
            for chunk in stride(from: 0, to: scalars.count, by: 16_384) {
                let part = scalars[chunk..<min(chunk + 16_384, scalars.count)]
                var text: [UInt8] = [], expected: [UInt8] = []
                for scalar in part {
                    text.append(0x61)
                    text.append(contentsOf: scalar.utf8)
                    expected.append(0x61)
                    if let output = changed[Int(scalar.value)] { expected.append(contentsOf: output) } else { expected.append(contentsOf: scalar.utf8) }
                }
                step.normalize(&text)
                if text != expected {
                    let got = String(decoding: text, as: UTF8.self).split(separator: "a", omittingEmptySubsequences: false)
                    let want = String(decoding: expected, as: UTF8.self).split(separator: "a", omittingEmptySubsequences: false)
                    let first = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
                    return XCTFail("\(name) from U+\(String(part.first!.value, radix: 16)): first difference near piece \(first): "
                        + "got \(String(got[min(first, got.count - 1)]).unicodeScalars.map { String($0.value, radix: 16) }) "
                        + "expected \(String(want[min(first, want.count - 1)]).unicodeScalars.map { String($0.value, radix: 16) })")
                }
            }
        }
    }
}
