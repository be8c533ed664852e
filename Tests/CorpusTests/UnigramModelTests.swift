// UnigramModelTests.swift — the Unigram model, the Precompiled and Nmt normalizers and their
// refusals, on small hand-checked cases. Expected values come from `tokenizers`' own tests
// (`models/unigram/model.rs`: test_encode, test_encode2, test_unigram_bytefallback), from the
// `spm_precompiled` crate's tests (its `nmt_nfkc` charsmap, the rule set of our SentencePiece
// fixture) and from the Unicode tables by hand; the fixture test (UnigramTokenizerTests) covers the
// rest against the library itself.

import Foundation
import TestSupport
import XCTest
@testable import Corpus
import Support

final class UnigramModelTests: XCTestCase {
    /// The ids `pieces` (with scores, `<unk>` first) give each text, through a tokenizer.json with
    /// no normalizer or pre-tokenizer.
    private func encode(_ pieces: [(String, Double)], unknownID: Int? = 0, byteFallback: Bool = false, _ texts: [String]) throws -> [[TokenID]] {
        let vocab = pieces.map { JSONValue.array([.string($0.0), .double($0.1)]) }
        var model: [(key: String, value: JSONValue)] = [("type", .string("Unigram")), ("vocab", .array(vocab))]
        model.append(("unk_id", unknownID.map { .int(Int64($0)) } ?? .null))
        model.append(("byte_fallback", .bool(byteFallback)))
        let directory = try TemporaryDirectory()
        let path = try directory.write("tokenizer.json", JSONValue.object([("model", .object(model))]).jsonText)
        let encoder = try TokenizerLoader.load(path).makeEncoder()
        return try texts.map { try encoder.encode($0) }
    }

    /// tokenizers' test_encode and the `Unigram::encode` doc example: "abcdacdxx" → abcd a cd xx.
    func testViterbiPicksTheBestScoringPiecesAndFusesUnknownCharacters() throws {
        let pieces: [(String, Double)] = [("<unk>", 0), ("a", 0), ("b", 0), ("c", 0), ("d", 0), ("cd", 1), ("ab", 2), ("abc", 5), ("abcd", 10)]
        XCTAssertEqual(try encode(pieces, ["abcd", "abcdacdxx"]), [[8], [8, 1, 5, 0]])
    }

    /// tokenizers' test_encode2 (fuse_unk on, as it always is for Unigram).
    func testTokenizersEncodeExamples() throws {
        let pieces: [(String, Double)] = [("<unk>", 0), ("ab", 0), ("cd", -0.1), ("abc", -0.2), ("a", -0.3), ("b", -0.4), ("c", -0.5),
                                          ("ABC", -0.5), ("abcdabcd", 20), ("q", 20.5), ("r", 20.5), ("qr", -0.5)]
        let ab = 1, cd = 2, abc = 3, a = 4, c = 6, ABC = 7, abcdabcd = 8, q = 9, r = 10
        let expected: [(String, [Int])] = [
            ("abc", [abc]), ("AB", [0]), ("abcd", [ab, cd]), ("abcc", [abc, c]),
            ("xabcabaabcdd", [0, abc, ab, a, ab, cd, 0]),  // "x" and "d" are unknown ("d" is no piece)
            ("xyz東京", [0]), ("ABC", [ABC]), ("abABCcd", [ab, ABC, cd]), ("ababcdabcdcd", [ab, abcdabcd, cd]),
            ("abqrcd", [ab, q, r, cd]),
        ]
        XCTAssertEqual(try encode(pieces, expected.map(\.0)), expected.map { $0.1.map(TokenID.init) })
    }

    /// tokenizers' test_unigram_bytefallback: "é" → <0xC3> <0xA9>; "?é" has no byte piece for "?",
    /// so the fused unknown run is `<unk>`.
    func testByteFallbackNeedsEveryByteOfTheUnknownRun() throws {
        let pieces: [(String, Double)] = [("<unk>", 0), ("<0xC3>", -0.01), ("<0xA9>", -0.03)]
        XCTAssertEqual(try encode(pieces, byteFallback: true, ["é", "?é"]), [[1, 2], [0]])
        XCTAssertEqual(try encode(pieces, byteFallback: false, ["é"]), [[0]])
    }

    /// Equal totals: the first segmentation offered wins (strictly greater replaces), and a
    /// piece listed twice is found under its last id with that id's score.
    func testTiesKeepTheFirstOfferedPathAndDuplicatePiecesUseTheLastId() throws {
        // "ab" (0) ties with a + b (0 + 0): offers to position 2 come from start 0 ("ab") before
        // start 1 ("b"), so "ab" is kept.
        XCTAssertEqual(try encode([("<unk>", 0), ("a", 0), ("b", 0), ("ab", 0)], ["ab"]), [[3]])
        // "x" twice: id 2 (score -1) wins over id 1 (score -5) for lookup, and "xy" = x + y
        // (-1 + -1 = -2) beats "xy" (-3).
        XCTAssertEqual(try encode([("<unk>", 0), ("x", -5), ("x", -1), ("y", -1), ("xy", -3)], ["xy"]), [[2, 3]])
    }

    func testAnUnknownCharacterWithoutUnkIdFailsAsTokenizersDoes() throws {
        XCTAssertEqual(try encode([("a", 0)], unknownID: nil, ["aa"]), [[0, 0]])
        XCTAssertThrowsError(try encode([("a", 0)], unknownID: nil, ["ab"])) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownToken("b", unknownToken: "unk_id"))
        }
    }

    /// A cache hit returns what the search gave (a tiny cache that is cleared often).
    func testTheWorkerCacheNeverChangesIds() throws {
        let model = UnigramModel(pieces: ["<unk>", "a", "b", "ab"].map { Array($0.utf8) }, scores: [0, -1, -1, -1.5],
                                 unknownID: 0, byteFallback: false)
        let worker = UnigramWorker(model: model, cacheEntries: 2)
        for text in ["ab", "ba", "abab", "ab", "x", "ba", "ab"] {
            var ids: [TokenID] = []
            try worker.tokenize(Array(text.utf8), into: &ids)
            let expected: [TokenID] = ["ab": [3], "ba": [2, 1], "abab": [3, 3], "x": [0]][text]!
            XCTAssertEqual(ids, expected, text)
        }
    }

    // MARK: - Precompiled

    private func charsmapNormalizer() throws -> PrecompiledNormalizer {
        let path = repositoryRoot + "/Tests/CorpusTests/Fixtures/tokenizers/unigram-spm.json"
        let json = try JSONValue.parse(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self))
        let step = try XCTUnwrap(json["normalizer"]?["normalizers"]?.arrayValue?.first)
        return try PrecompiledNormalizer(step, file: TokenizerFile(path: path), at: "normalizer.normalizers[0]")
    }

    /// The normalized text's UTF-8 (compared as bytes: Swift's `String ==` treats canonically
    /// equivalent texts as equal, which would hide a missing composition).
    private func normalize(_ step: some NormalizerStep, _ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        step.normalize(&bytes)
        return bytes
    }

    /// spm_precompiled's tests: ﬁ → fi, 𝔾 → G, 𝕠 → o; Thai and Hindi clusters are decomposed
    /// character by character; "ا" + U+0653 (one cluster of two characters, 4 bytes) becomes "آ"
    /// as a whole. (Its ZWJ → space case is left out: SentencePiece 0.2's nmt_nfkc, which our
    /// fixture carries, keeps ZWJ for emoji sequences.) CR LF is one cluster whose shortest ruled
    /// prefix is CR (→ space), so the whole cluster becomes one space — the library's rule, not
    /// SentencePiece's.
    func testPrecompiledCharsmapFollowsTheSpmPrecompiledCrate() throws {
        let step = try charsmapNormalizer()
        XCTAssertEqual(normalize(step, "\u{FB01}"), Array("fi".utf8))
        XCTAssertEqual(normalize(step, "𝔾𝕠"), Array("Go".utf8))
        XCTAssertEqual(normalize(step, "เขาไม่ได้พูดสักคำ"), Array("เขาไม\u{E48}ได\u{E49}พ\u{E39}ดส\u{E31}กค\u{E4D}า".utf8))
        XCTAssertEqual(normalize(step, "ड़ी दुख"), Array("ड\u{93C}ी द\u{941}ख".utf8))
        XCTAssertEqual(normalize(step, "\u{627}\u{653}"), Array("\u{622}".utf8))
        // ASCII fast path and CR LF (one cluster); plain ASCII is kept.
        XCTAssertEqual(normalize(step, "Hello, world!"), Array("Hello, world!".utf8))
        XCTAssertEqual(normalize(step, "\u{FB01}x\r\ny\u{FB01}\t"), Array("fix yfi ".utf8))
    }

    func testACorruptCharsmapIsRefusedWithTheKeyPath() throws {
        let directory = try TemporaryDirectory()
        func refusal(_ charsmap: String) throws -> String {
            let json = #"{"normalizer": {"type": "Sequence", "normalizers": [{"type": "Precompiled", "precompiled_charsmap": "\#(charsmap)"}]}, "model": {"type": "Unigram", "vocab": [["<unk>", 0]], "unk_id": 0}}"#
            let path = try directory.write("tokenizer.json", json)
            XCTAssertThrowsError(try TokenizerLoader.load(path))
            do { _ = try TokenizerLoader.load(path) } catch { return "\(error)" }
            return ""
        }
        XCTAssertTrue(try refusal("not base64!").contains("`normalizer.normalizers[0].precompiled_charsmap` is not standard padded base64"))
        // Header announces 16 bytes of trie, 4 present: [16, 0, 0, 0, 1, 2, 3, 4] in base64.
        XCTAssertTrue(try refusal("EAAAAAECAwQ=").contains("is 8 bytes but its header announces a 16-byte trie"))
        // An empty trie: header 0 and nothing else.
        XCTAssertTrue(try refusal("AAAAAA==").contains("has an empty trie"))
        // A 98-unit trie (392 bytes), root offset 0: unit 0x61 is "a" (label 0x61, leaf bit 8,
        // offset 1 in bits 10...), so its leaf value is unit 0x61 ^ 1 = 0x60; strings "x\0".
        func blob(leafValue: UInt32) -> [UInt8] {
            var units = [UInt32](repeating: 0, count: 0x62)
            units[0x61] = 1 << 10 | 0x100 | 0x61
            units[0x60] = leafValue
            var bytes: [UInt8] = [0x88, 0x01, 0, 0]
            for unit in units { bytes += withUnsafeBytes(of: unit.littleEndian) { Array($0) } }
            return bytes + [UInt8(ascii: "x"), 0]
        }
        XCTAssertTrue(try refusal(Data(blob(leafValue: 353)).base64EncodedString()).contains("pointing at byte 353 of its 2 bytes"))
        // Pointing at byte 0 it works: "a" → "x"; "b" (0x62) and "n" lie outside the array: kept.
        let step = try PrecompiledNormalizer(charsmap: PrecompiledCharsmap(blob(leafValue: 0)))
        XCTAssertEqual(normalize(step, "banana"), Array("bxnxnx".utf8))
    }

    // MARK: - Nmt

    func testNmtRemovesControlCharactersAndSpacesSeparators() {
        let step = NmtNormalizer()
        XCTAssertEqual(normalize(step, "a\u{1}b\u{8}c\u{B}d\u{E}e\u{1F}f\u{7F}g\u{8F}h\u{9F}i"), Array("abcdefghi".utf8))
        XCTAssertEqual(normalize(step, "a\tb\nc\u{C}d\re\u{1680}f\u{200B}g\u{200F}h\u{2028}i\u{2029}j\u{2581}k\u{FEFF}l\u{FFFD}m"), Array("a b c d e f g h i j k l m".utf8))
        XCTAssertEqual(normalize(step, "\u{0}\u{85}\u{A0}\u{2000}é日"), Array("\u{0}\u{85}\u{A0}\u{2000}é日".utf8))
    }

    // MARK: - Refusals

    func testAMalformedUnigramModelIsRefusedWithTheKeyPath() throws {
        let directory = try TemporaryDirectory()
        func refusal(_ model: String) throws -> String {
            let path = try directory.write("tokenizer.json", #"{"model": {"type": "Unigram", \#(model)}}"#)
            do { _ = try TokenizerLoader.load(path) } catch { return "\(error)" }
            XCTFail("\(model) was accepted")
            return ""
        }
        XCTAssertTrue(try refusal(#""unk_id": 0"#).contains("`model.vocab` is missing or not an array"))
        XCTAssertTrue(try refusal(#""vocab": []"#).contains("`model.vocab` is empty"))
        XCTAssertTrue(try refusal(#""vocab": [["a", 0], ["b"]]"#).contains("`model.vocab[1]` is not a [piece, score] pair"))
        XCTAssertTrue(try refusal(#""vocab": [["a", "x"]]"#).contains("`model.vocab[0]` is not a [piece, score] pair"))
        XCTAssertTrue(try refusal(#""vocab": [["a", 0]], "unk_id": 1"#).contains("`model.unk_id` is 1, not an id of `model.vocab` (0..<1)"))
        XCTAssertTrue(try refusal(#""vocab": [["a", 0]], "byte_fallback": 1"#).contains("`model.byte_fallback` is not a boolean"))
    }
}
