// Llama3TokenizerTests.swift — byte-level BPE with Split pre-tokenizers (Llama-3 / GPT-4o / Qwen2
// layout, issue 15 item 1) against the Python `tokenizers` reference: the fixture
// Fixtures/llama3-fixtures.jsonl.zst and the tokenizer Fixtures/tokenizers/llama3-bpe.json, both made
// by tools/gen_llama3_fixtures.py (no Python needed here); `SplitPreTokenizer` on the test vectors
// of tokenizers' own Rust tests; the loader's refusals.

import Foundation
import TestSupport
import XCTest
@testable import Corpus

final class Llama3TokenizerTests: XCTestCase {
    static let tokenizerPath = repositoryRoot + "/Tests/CorpusTests/Fixtures/tokenizers/llama3-bpe.json"
    static let fixturePath = repositoryRoot + "/Tests/CorpusTests/Fixtures/llama3-fixtures.jsonl.zst"
    static let regenerate = "regenerate with tools/gen_llama3_fixtures.py"

    nonisolated(unsafe) static var cachedFixture: BPETokenizerTests.Fixture?

    func fixture() throws -> BPETokenizerTests.Fixture {
        if let cached = Llama3TokenizerTests.cachedFixture { return cached }
        let loaded = try BPETokenizerTests.readFixture(Llama3TokenizerTests.fixturePath)
        Llama3TokenizerTests.cachedFixture = loaded
        return loaded
    }

    func baseTokenizer() throws -> BPETokenizer { try BPETokenizer(contentsOf: Llama3TokenizerTests.tokenizerPath) }

    // MARK: - Against the reference

    func testFixtureMatchesTokenizerFile() throws {
        let header = try fixture().header
        XCTAssertEqual(header["format"] as? String, "gradus-llama3-fixtures")
        XCTAssertEqual(header["version"] as? Int, 1)
        XCTAssertEqual(header["tokenizers"] as? String, "0.23.3")
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: Llama3TokenizerTests.tokenizerPath))
        XCTAssertEqual(SHA256.hexDigest(Array(bytes)), header["tokenizer_sha256"] as? String,
                       "llama3-bpe.json changed since the fixture was made: \(Llama3TokenizerTests.regenerate)")
        XCTAssertLessThan(bytes.count, 400_000, "the committed tokenizer stays small")
    }

    /// ≥ 2 000 sampled documents over every language, the scripts the brief names among them.
    func testFixtureCoversEnoughDocumentsAndScripts() throws {
        let records = try fixture().records.filter { $0.variant == nil }
        let documents = records.filter { $0.origin != "edge" && $0.origin != "random" }
        XCTAssertGreaterThanOrEqual(documents.count, 2000)
        for script in ["-Khmr", "-Tibt", "-Arab", "zh-", "-Hani", "-Deva", "-Cyrl"] {
            XCTAssertTrue(documents.contains { $0.origin.contains(script) }, "no sampled document in \(script)")
        }
        let edges = records.filter { $0.origin == "edge" }.map(\.text)
        XCTAssertTrue(edges.contains { $0.unicodeScalars.contains { $0.properties.isEmojiPresentation } }, "emoji")
        XCTAssertTrue(edges.contains { $0.count >= 1000 }, "long runs")
        XCTAssertTrue(edges.contains("<|end_of_text|>"), "special tokens in text")
    }

    func testEncodeMatchesReferenceForEveryRecord() throws {
        let records = try fixture().records.filter { $0.variant == nil }
        let tokenizer = try baseTokenizer()
        let encoder = tokenizer.makeEncoder()
        // Twice with one encoder: the second pass is served from the word cache.
        for pass in 1...2 { try assertIDsMatch(records, encoder: encoder, label: "pass \(pass)") }
        try assertIDsMatch(Array(records.prefix(200)), encoder: BPEEncoder(model: tokenizer.model, cacheEntries: 64),
                           label: "tiny cache")
    }

    func testDecodeMatchesReferenceAndRoundTrips() throws {
        let tokenizer = try baseTokenizer()
        let encoder = tokenizer.makeEncoder()
        for (index, record) in try fixture().records.enumerated() where record.variant == nil {
            let decoded = try tokenizer.decode(record.ids)
            guard decoded == record.decoded else {
                return XCTFail("record \(index): decode(\(record.ids)) = \(decoded.debugDescription), reference \(record.decoded.debugDescription)")
            }
            let back = try tokenizer.decode(try encoder.encode(record.text))
            guard back.utf8.elementsEqual(record.text.utf8) else {
                return XCTFail("record \(index): round trip changed \(record.text.debugDescription) into \(back.debugDescription)")
            }
        }
    }

    /// The o200k pattern, `invert`, every behaviour on a literal pattern, empty matches, two
    /// Splits, ByteLevel's `use_regex` and `add_prefix_space` after a Split, and NFC.
    func testVariantsMatchReference() throws {
        let fixture = try fixture()
        let variants = try XCTUnwrap(fixture.header["variants"] as? [String: Any])
        let behaviours = SplitPreTokenizer.Behavior.allCases.map { "literal_" + $0.rawValue }
        XCTAssertTrue(Set(variants.keys).isSuperset(of: ["o200k", "nfc", "nfc_added_tokens", "invert_removed", "empty_matches", "two_splits",
                                                         "bytelevel_regex", "prefix_space"] + behaviours))
        let directory = try TemporaryDirectory("llama3", removedAfter: self).path
        for (name, edits) in variants.sorted(by: { $0.key < $1.key }) {
            let path = try writeVariant(name: name, edits: try XCTUnwrap(edits as? [[String: Any]]), in: directory,
                                        base: Llama3TokenizerTests.tokenizerPath)
            let tokenizer = try BPETokenizer(contentsOf: path)
            let records = fixture.records.filter { $0.variant == name }
            XCTAssertGreaterThan(records.count, 100, name)
            try assertIDsMatch(records, encoder: tokenizer.makeEncoder(), label: "variant \(name)")
            for (index, record) in records.enumerated() {
                let decoded = try tokenizer.decode(record.ids)
                guard decoded == record.decoded else {
                    return XCTFail("variant \(name) record \(index): decode = \(decoded.debugDescription), reference \(record.decoded.debugDescription)")
                }
            }
        }
    }

    /// Debian's Oniguruma has Unicode 14.0 tables, the library's 16.0: U+1C89 (16.0) and U+11F04
    /// (15.0) are letters there (probed in Python: `Split(Regex("\\p{L}"), "removed")` leaves nothing
    /// of either), so Gradus searches general-category patterns on stand-ins. A script property
    /// is searched as it is (no stand-in is exact for it).
    func testCharactersOfUnicode15And16AreClassedAsTokenizersClassesThem() throws {
        let letters = try SplitPreTokenizer(pattern: .regex(#"\p{L}"#), behavior: .removed, invert: false)
        XCTAssertEqual(pieces(letters, "\u{0889}"), [], "U+0889 (Unicode 14.0) is a letter")
        XCTAssertEqual(pieces(letters, "\u{1C89}"), [], "U+1C89 (16.0) is a letter")
        XCTAssertEqual(pieces(letters, "\u{11F04}"), [], "U+11F04 (15.0) is a letter")
        XCTAssertEqual(pieces(letters, "a\u{1C89}1"), ["1"])
        let llama3 = try SplitPreTokenizer(pattern: .regex(#"[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#),
                                           behavior: .isolated, invert: false)
        XCTAssertEqual(pieces(llama3, "x\u{1C89}y 12"), ["x\u{1C89}y", " ", "12"])
    }

    func testMetadataMatchesReference() throws {
        let tokenizer = try baseTokenizer()
        let records = try fixture().records.filter { $0.variant == nil }
        func referenceID(_ text: String) throws -> TokenID {
            let ids = try XCTUnwrap(records.first { $0.text == text }?.ids, "no fixture record for \(text)")
            XCTAssertEqual(ids.count, 1)
            return ids[0]
        }
        XCTAssertEqual(tokenizer.vocabularySize, 4096)
        XCTAssertEqual(tokenizer.endOfDocumentID, try referenceID("<|end_of_text|>"), "Llama-3's end of document")
        XCTAssertEqual(tokenizer.specialTokens["<|begin_of_text|>"], try referenceID("<|begin_of_text|>"))
        XCTAssertEqual(tokenizer.specialTokens.count, 4)
        XCTAssertNil(tokenizer.paddingID)
    }

    // MARK: - SplitPreTokenizer on tokenizers' own test vectors

    func pieces(_ split: SplitPreTokenizer, _ text: String) -> [String] {
        var output: [TextPiece] = []
        split.split(TextPiece(bytes: Array(text.utf8), atStart: true), into: &output)
        return output.map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// `normalizer.rs` test `split`: "The-final--countdown" on the literal "-".
    func testLiteralSplitBehavioursMatchTokenizersTestVectors() throws {
        let expected: [SplitPreTokenizer.Behavior: [String]] = [
            .removed: ["The", "final", "countdown"],
            .isolated: ["The", "-", "final", "-", "-", "countdown"],
            .mergedWithPrevious: ["The-", "final-", "-", "countdown"],
            .mergedWithNext: ["The", "-final", "-", "-countdown"],
            .contiguous: ["The", "-", "final", "--", "countdown"],
        ]
        for (behavior, pieces) in expected {
            let split = try SplitPreTokenizer(pattern: .string("-"), behavior: behavior, invert: false)
            XCTAssertEqual(self.pieces(split, "The-final--countdown"), pieces, behavior.rawValue)
        }
    }

    /// `split.rs` test `basic`: the regex `\w+|[^\w\s]+` inverted, on "How are you doing?".
    func testInvertedRegexSplitMatchesTokenizersTestVectors() throws {
        let expected: [SplitPreTokenizer.Behavior: [String]] = [
            .removed: ["How", "are", "you", "doing", "?"],
            .isolated: ["How", " ", "are", " ", "you", " ", "doing", "?"],
            .mergedWithPrevious: ["How ", "are ", "you ", "doing", "?"],
            .mergedWithNext: ["How", " are", " you", " doing", "?"],
            .contiguous: ["How", " ", "are", " ", "you", " ", "doing?"],
        ]
        for (behavior, pieces) in expected {
            let split = try SplitPreTokenizer(pattern: .regex(#"\w+|[^\w\s]+"#), behavior: behavior, invert: true)
            XCTAssertEqual(self.pieces(split, "How are you doing?"), pieces, behavior.rawValue)
        }
        // `split.rs` tests `regex_string` and `invert`: equal splits two ways.
        let spaces = try SplitPreTokenizer(pattern: .regex(#"\s+"#), behavior: .removed, invert: false)
        let space = try SplitPreTokenizer(pattern: .string(" "), behavior: .removed, invert: false)
        XCTAssertEqual(pieces(spaces, "Hey, man!"), ["Hey,", "man!"])
        XCTAssertEqual(pieces(space, "Hey, man!"), ["Hey,", "man!"])
        let hello = try SplitPreTokenizer(pattern: .string("Hello"), behavior: .removed, invert: true)
        XCTAssertEqual(pieces(hello, "Hello Hello Hello"), pieces(space, "Hello Hello Hello"))
    }

    /// A literal pattern is escaped as Rust's `regex::escape` does, so metacharacters match themselves.
    func testLiteralPatternMatchesMetacharactersLiterally() throws {
        XCTAssertEqual(PatternReplacer.escaped(##"a.b*c(d)|[e]{f}^$#&-~\"##), ##"a\.b\*c\(d\)\|\[e\]\{f\}\^\$\#\&\-\~\\"##)
        let split = try SplitPreTokenizer(pattern: .string(".*"), behavior: .isolated, invert: false)
        XCTAssertEqual(pieces(split, "a.*b..c"), ["a", ".*", "b..c"])
        // Where the piece starts in the text (Metaspace's `prepend_scheme: first` needs it).
        var output: [TextPiece] = []
        split.split(TextPiece(bytes: Array(".*x".utf8), atStart: true), into: &output)
        XCTAssertEqual(output.map(\.atStart), [true, false])
    }

    // MARK: - Through the loader

    /// `TokenizerLoader` sends a Sequence[Split, ByteLevel] file to the byte-level BPE engine.
    func testLoaderRunsLlama3FileOnTheByteLevelEngine() throws {
        let tokenizer = try TokenizerLoader.load(Llama3TokenizerTests.tokenizerPath)
        XCTAssertTrue(tokenizer is BPETokenizer)
        let record = try XCTUnwrap(try fixture().records.first { $0.variant == nil && $0.origin.contains("-Khmr") })
        XCTAssertEqual(try tokenizer.makeEncoder().encode(record.text), record.ids)
    }

    /// The pipeline engine runs the same Split: a WordLevel file whose pre-tokenizer is
    /// Split(" ", Removed) then Split("-", MergedWithNext). By hand: "a b-c  d-" → "a", "b", "-c",
    /// "d", "-" → ids 1, 2, 3, 0 (unknown), 4.
    func testPipelineTokenizerRunsSplit() throws {
        let json = """
        {"version": "1.0", "added_tokens": [], "normalizer": null,
         "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
             {"type": "Split", "pattern": {"String": " "}, "behavior": "Removed", "invert": false},
             {"type": "Split", "pattern": {"Regex": "-"}, "behavior": "MergedWithNext", "invert": false}]},
         "model": {"type": "WordLevel", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1, "b": 2, "-c": 3, "-": 4}}}
        """
        let path = try TemporaryDirectory("llama3", removedAfter: self).path + "/wordlevel-split.json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let tokenizer = try TokenizerLoader.load(path)
        XCTAssertTrue(tokenizer is PipelineTokenizer)
        XCTAssertEqual(try tokenizer.makeEncoder().encode("a b-c  d-"), [1, 2, 3, 0, 4])
        let bad = json.replacingOccurrences(of: "\"Removed\"", with: "\"removed\"")
        try Data(bad.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TokenizerLoader.load(path)) { error in
            XCTAssertTrue("\(error)".contains("`pre_tokenizer.pretokenizers[0].behavior` is \"removed\"; supported: Removed"), "\(error)")
        }
    }

    // MARK: - Refusals

    func llama3JSON(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: Llama3TokenizerTests.tokenizerPath))
        var root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        edit(&root)
        return String(decoding: try JSONSerialization.data(withJSONObject: root), as: UTF8.self)
    }

    func withSplit(_ split: [String: Any]) throws -> String {
        try llama3JSON { $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [split, ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false]]] }
    }

    func testUnsupportedSplitsAndStepsAreRefusedByName() throws {
        let llama3 = ["Regex": #"\p{L}+"#]
        try assertInvalidDefinition(try withSplit(["type": "Split", "pattern": llama3, "behavior": "Merged", "invert": false]),
                                    mentioning: "`pre_tokenizer.pretokenizers[0].behavior` is \"Merged\"; supported: Removed, Isolated")
        try assertInvalidDefinition(try withSplit(["type": "Split", "pattern": llama3, "behavior": "Isolated"]),
                                    mentioning: "`pre_tokenizer.pretokenizers[0].invert` is missing")
        try assertInvalidDefinition(try withSplit(["type": "Split", "pattern": ["Glob": "*"], "behavior": "Isolated", "invert": false]),
                                    mentioning: "`pre_tokenizer.pretokenizers[0].pattern` is `Glob`")
        try assertInvalidDefinition(try withSplit(["type": "Split", "pattern": ["Regex": "(unclosed"], "behavior": "Isolated", "invert": false]),
                                    mentioning: "`pre_tokenizer.pretokenizers[0].pattern`: regular expression \"(unclosed\" does not compile")
        try assertInvalidDefinition(try withSplit(["type": "Digits", "individual_digits": true]),
                                    mentioning: "`pre_tokenizer.pretokenizers[0]` is Digits")
        try assertInvalidDefinition(try llama3JSON {
            $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [["type": "ByteLevel"], ["type": "Split", "pattern": llama3, "behavior": "Isolated", "invert": false]]]
        }, mentioning: "`pre_tokenizer.pretokenizers[0]` is ByteLevel; a byte-level BPE supports ByteLevel, alone or last in a Sequence after any number of Split")
        try assertInvalidDefinition(try llama3JSON { $0["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFKC"]]] },
                                    mentioning: "`normalizer.normalizers[0]` is NFKC")
    }

    /// Text that is not UTF-8 cannot go through a regex or NFC: an error naming the byte, not a crash.
    func testInvalidUTF8IsRefusedWithItsOffset() throws {
        let encoder = try baseTokenizer().makeEncoder()
        var output: [TokenID] = []
        let bytes: [UInt8] = Array("ok ".utf8) + [0xC3, 0x28]
        XCTAssertThrowsError(try bytes.withUnsafeBufferPointer { try encoder.encode($0, into: &output) }) { error in
            guard case let .invalidUTF8(offset, _)? = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(offset, 3)
            XCTAssertTrue("\(error)".contains("invalid UTF-8 at byte 3"), "\(error)")
        }
    }
}
