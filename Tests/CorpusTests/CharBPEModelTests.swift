// CharBPEModelTests.swift — the character-level BPE model of Llama-2 / Mistral tokenizer.json files
// (issue 15 item 1) on tiny hand-made vocabularies: byte fallback, unknown characters fused or not
// (and HF's order when the two mix), dropped characters, subword prefix/suffix, `ignore_merges`, and
// the loading errors. Expected ids follow HF's `BPE::merge_word` step by step (worked out in each
// comment) and agree with `tokenizers` 0.23.3's `model.tokenize` on the same vocabularies.

import XCTest
@testable import Corpus

final class CharBPEModelTests: XCTestCase {
    struct Problem: Error, Equatable { var text: String }

    /// `<unk>`0 a1 b2 ab3 `<0xC3>`4 `<0xA9>`5 c6 abc7; merges `a b`, `ab c`. "é" is C3 A9 (both byte
    /// tokens exist); "ü" is C3 BC (`<0xBC>` does not).
    static let vocabulary: [(String, TokenID)] = [("<unk>", 0), ("a", 1), ("b", 2), ("ab", 3), ("<0xC3>", 4),
                                                  ("<0xA9>", 5), ("c", 6), ("abc", 7)]
    static let merges = [("a", "b"), ("ab", "c")]

    func model(_ vocabulary: [(String, TokenID)] = vocabulary, merges: [(String, String)] = merges,
               _ configure: (inout CharBPEModel.Options) -> Void = { _ in }) throws -> CharBPEModel {
        var options = CharBPEModel.Options()
        configure(&options)
        return try CharBPEModel(vocabulary: vocabulary.map { (Array($0.0.utf8), $0.1) },
                                merges: merges.map { (Array($0.0.utf8), Array($0.1.utf8)) },
                                options: options, problem: { Problem(text: $0) })
    }

    func ids(_ model: CharBPEModel, _ text: String) throws -> [TokenID] {
        var output: [TokenID] = []
        try model.makeWorker().tokenize(Array(text.utf8), into: &output)
        return output
    }

    func testMergesAndByteFallbackWithFusedUnknown() throws {
        let m = try model { $0.unknownToken = Array("<unk>".utf8); $0.fuseUnknown = true; $0.byteFallback = true }
        XCTAssertEqual(try ids(m, "abc"), [7])                // a b c → ab c → abc
        XCTAssertEqual(try ids(m, "aéb"), [1, 4, 5, 2])       // é → <0xC3><0xA9>; no merge crosses them
        XCTAssertEqual(try ids(m, "üü"), [0])                 // no <0xBC>: unknown, fused
        // HF appends a byte-fallback character before flushing the pending unknown: ü é → C3 A9 unk.
        XCTAssertEqual(try ids(m, "üé"), [4, 5, 0])
        XCTAssertEqual(try ids(m, "aüüéb"), [1, 4, 5, 0, 2])
    }

    func testUnfusedUnknownsAreOnePerCharacter() throws {
        let m = try model { $0.unknownToken = Array("<unk>".utf8); $0.byteFallback = true }
        XCTAssertEqual(try ids(m, "üü"), [0, 0])
        // ü: pending; é: bytes; ü: the pending one is added, a new one pends; end: added.
        XCTAssertEqual(try ids(m, "üéü"), [4, 5, 0, 0])
        XCTAssertEqual(try ids(m, "aüüéb"), [1, 0, 4, 5, 0, 2])
    }

    func testUnknownCharactersWithoutUnknownTokenAreDroppedAndNeighboursMerge() throws {
        let m = try model()
        XCTAssertEqual(try ids(m, "aüb"), [3])                // ü dropped → a b → ab
        XCTAssertEqual(try ids(m, "üabcü"), [7])
        XCTAssertEqual(try ids(m, "aéb"), [3])                // no byte fallback: é dropped as well
    }

    /// `continuing_subword_prefix` "##" and `end_of_word_suffix` "</w>": a non-first character is
    /// looked up with "##" in front, the last one with "</w>" after; byte fallback then uses the
    /// bytes of that affixed string.
    func testSubwordPrefixAndSuffix() throws {
        let vocabulary: [(String, TokenID)] = [("<unk>", 0), ("a", 1), ("##b", 2), ("##c</w>", 3), ("ab", 4), ("abc</w>", 5),
                                               ("c</w>", 6), ("##b</w>", 7), ("a</w>", 8), ("<0x62>", 9), ("<0x23>", 10)]
        let m = try model(vocabulary, merges: [("a", "##b"), ("ab", "##c</w>")]) {
            $0.unknownToken = Array("<unk>".utf8); $0.byteFallback = true
            $0.prefix = Array("##".utf8); $0.suffix = Array("</w>".utf8)
        }
        XCTAssertEqual(try ids(m, "abc"), [5])                // a ##b ##c</w> → ab ##c</w> → abc</w>
        XCTAssertEqual(try ids(m, "ab"), [1, 7])              // a ##b</w>: the merge is of ##b, not ##b</w>
        XCTAssertEqual(try ids(m, "a"), [8])                  // first and last: a</w>
        XCTAssertEqual(try ids(m, "c"), [6])
        XCTAssertEqual(try ids(m, "abb"), [4, 7])
        XCTAssertEqual(try ids(m, "ba"), [9, 0])              // b → <0x62>; ##a</w> has bytes without tokens → unk
    }

    func testIgnoreMergesTakesWholeVocabularyTokens() throws {
        // "ac" is a token, but no merge makes it from a c.
        let vocabulary = CharBPEModelTests.vocabulary + [("ac", 8)]
        XCTAssertEqual(try ids(try model(vocabulary), "ac"), [1, 6])
        XCTAssertEqual(try ids(try model(vocabulary) { $0.ignoreMerges = true }, "ac"), [8])
        XCTAssertEqual(try ids(try model(vocabulary) { $0.ignoreMerges = true }, "acb"), [1, 6, 2])
    }

    func testWorkerCacheGivesTheSameIds() throws {
        let m = try model { $0.unknownToken = Array("<unk>".utf8); $0.fuseUnknown = true; $0.byteFallback = true }
        let worker = CharBPEWorker(model: m, cacheEntries: 2)
        let texts = ["abc", "aéb", "üé", "abc", "aüüéb", "aéb", String(repeating: "ab", count: 300), "abc"]
        for pass in 0..<3 {
            for text in texts {
                var output: [TokenID] = []
                try worker.tokenize(Array(text.utf8), into: &output)
                XCTAssertEqual(output, try ids(m, text), "pass \(pass): \(text.prefix(20))")
            }
        }
        XCTAssertEqual(try ids(m, String(repeating: "ab", count: 300)), [TokenID](repeating: 3, count: 300))
    }

    func testByteTokenNames() {
        XCTAssertEqual(String(decoding: CharBPEModel.byteToken(0x0A), as: UTF8.self), "<0x0A>")
        XCTAssertEqual(String(decoding: CharBPEModel.byteToken(0xFF), as: UTF8.self), "<0xFF>")
        XCTAssertEqual(String(decoding: CharBPEModel.byteToken(0x00), as: UTF8.self), "<0x00>")
    }

    func testInconsistentDefinitionsAreRefusedByKey() {
        func problem(_ build: () throws -> CharBPEModel) -> String {
            do { _ = try build(); return "no error" } catch { return (error as? Problem)?.text ?? "\(error)" }
        }
        XCTAssertTrue(problem { try model(merges: [("a", "c")]) }.contains("`model.merges[0]` (a c)"))
        XCTAssertTrue(problem { try model(merges: [("a", "x")]) }.contains("not in `model.vocab`"))
        XCTAssertTrue(problem { try model { $0.unknownToken = Array("[UNK]".utf8) } }.contains("`model.unk_token` \"[UNK]\" is not in `model.vocab`"))
        XCTAssertTrue(problem { try model([("a", 0), ("b", 0)], merges: []) }.contains("gives id 0 to more than one token"))
        XCTAssertTrue(problem { try model(merges: [("a", "b")]) { $0.prefix = Array("###".utf8) } }.contains("shorter than `model.continuing_subword_prefix`"))
    }

    func testLookupsByTokenAndID() throws {
        let m = try model()
        XCTAssertEqual(m.vocabularySize, 8)
        XCTAssertEqual(m.id(of: Array("<0xA9>".utf8)), 5)
        XCTAssertNil(m.id(of: Array("ba".utf8)))
        XCTAssertEqual(m.token(of: 7), Array("abc".utf8))
        XCTAssertNil(m.token(of: 8))
    }
}
