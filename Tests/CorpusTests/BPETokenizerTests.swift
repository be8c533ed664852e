// BPETokenizerTests.swift — the Swift byte-level BPE tokenizer against the Python `tokenizers`
// reference (Fixtures/bpe-fixtures.jsonl.zst, made by tools/gen_bpe_fixtures.py; no Python needed
// here): ids for every record, decoding, round trips, the GPT-2 regex character classes of every
// code point, the two merge algorithms against each other, and the loader's rejections.

import Foundation
import TestSupport
import XCTest
import Storage
@testable import Corpus

final class BPETokenizerTests: XCTestCase {
    /// One fixture line after the header.
    struct Record: Decodable {
        var text: String
        var ids: [TokenID]
        var decoded: String
        var origin: String
        var variant: String?
    }

    struct Fixture {
        var header: [String: Any]
        var records: [Record]
    }

    static let tokenizerPath = repositoryRoot + "/corpora/tokenizer.json"
    static let fixturePath = repositoryRoot + "/Tests/CorpusTests/Fixtures/bpe-fixtures.jsonl.zst"
    static let regenerate = "regenerate fixtures with tools/gen_bpe_fixtures.py"

    /// Loaded once for all tests (4.6 MB of JSON).
    nonisolated(unsafe) static var cachedFixture: Fixture?

    func fixture() throws -> Fixture {
        if let cached = BPETokenizerTests.cachedFixture { return cached }
        let loaded = try BPETokenizerTests.readFixture(BPETokenizerTests.fixturePath)
        BPETokenizerTests.cachedFixture = loaded
        return loaded
    }

    /// Reads a zstd JSONL fixture: a header object, then one `Record` per line (shared with
    /// `Llama3TokenizerTests`, whose fixture has the same layout).
    static func readFixture(_ path: String) throws -> Fixture {
        let lines = try fixtureLines(path)
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: lines[0]) as? [String: Any])
        // JSONDecoder, not JSONSerialization: the latter drops a leading U+FEFF from strings on Linux.
        let decoder = JSONDecoder()
        let records = try lines.dropFirst().map { try decoder.decode(Record.self, from: $0) }
        return Fixture(header: header, records: records)
    }

    func baseTokenizer() throws -> BPETokenizer { try BPETokenizer(contentsOf: BPETokenizerTests.tokenizerPath) }

    // MARK: - Fixture identity

    func testFixtureMatchesTokenizerFile() throws {
        let header = try fixture().header
        XCTAssertEqual(header["format"] as? String, "gradus-bpe-fixtures")
        XCTAssertEqual(header["version"] as? Int, 1)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: BPETokenizerTests.tokenizerPath))
        let actual = SHA256.hexDigest(Array(bytes))
        let recorded = header["tokenizer_sha256"] as? String
        XCTAssertEqual(actual, recorded, "corpora/tokenizer.json changed since the fixture was made: \(BPETokenizerTests.regenerate)")
        XCTAssertEqual(try baseTokenizer().fingerprint, recorded, "fingerprint is the SHA-256 of the file")
    }

    func testFixtureCoversEnoughDocuments() throws {
        let records = try fixture().records
        XCTAssertGreaterThanOrEqual(records.filter { $0.variant == nil && $0.origin != "edge" && $0.origin != "random" }.count, 2000)
        XCTAssertGreaterThan(records.filter { $0.origin == "edge" }.count, 100)
    }

    // MARK: - Encoding and decoding against the reference

    func testEncodeMatchesReferenceForEveryRecord() throws {
        let fixture = try fixture()
        let base = fixture.records.filter { $0.variant == nil }
        let tokenizer = try baseTokenizer()
        let encoder = tokenizer.makeEncoder()
        // Twice with one encoder: the second pass is served from the word cache.
        for pass in 1...2 {
            try assertIDsMatch(base, encoder: encoder, label: "pass \(pass)")
        }
        // A 64-word cache, cleared (entry limit or arena full) every few words.
        try assertIDsMatch(base, encoder: BPEEncoder(model: tokenizer.model, cacheEntries: 64), label: "tiny cache")
        // And a fresh encoder per record (cold cache).
        try assertIDsMatch(Array(base.prefix(300)), encoderFactory: { tokenizer.makeEncoder() }, label: "fresh encoders")
    }

    func testVariantsMatchReference() throws {
        let fixture = try fixture()
        let variants = try XCTUnwrap(fixture.header["variants"] as? [String: Any])
        XCTAssertEqual(Set(variants.keys), ["flags", "prefix", "noregex", "ignore_merges", "unknown_dropped", "unknown", "unknown_fused"])
        let directory = try TemporaryDirectory("bpe", removedAfter: self).path
        for (name, edits) in variants.sorted(by: { $0.key < $1.key }) {
            let path = try writeVariant(name: name, edits: try XCTUnwrap(edits as? [[String: Any]]), in: directory)
            let tokenizer = try BPETokenizer(contentsOf: path)
            let records = fixture.records.filter { $0.variant == name }
            XCTAssertGreaterThan(records.count, 10, name)
            try assertIDsMatch(records, encoder: tokenizer.makeEncoder(), label: "variant \(name)")
            for record in records {
                XCTAssertEqual(try tokenizer.decode(record.ids), record.decoded, "variant \(name): decode of \(record.text.debugDescription)")
            }
        }
    }

    func testDecodeOfReferenceIDsMatchesReference() throws {
        let tokenizer = try baseTokenizer()
        for record in try fixture().records where record.variant == nil {
            let decoded = try tokenizer.decode(record.ids)
            guard decoded == record.decoded else {
                return XCTFail("decode(\(record.ids)) = \(decoded.debugDescription), reference \(record.decoded.debugDescription)")
            }
        }
    }

    func testDecodeOfEncodeIsIdentity() throws {
        let tokenizer = try baseTokenizer()
        let encoder = tokenizer.makeEncoder()
        for record in try fixture().records where record.variant == nil {
            let back = try tokenizer.decode(try encoder.encode(record.text))
            guard back.utf8.elementsEqual(record.text.utf8) else {
                return XCTFail("round trip changed \(record.text.debugDescription) into \(back.debugDescription)")
            }
        }
    }

    func testMetadataMatchesReference() throws {
        let tokenizer = try baseTokenizer()
        let records = try fixture().records.filter { $0.variant == nil }
        func referenceID(_ text: String) throws -> TokenID {
            let ids = try XCTUnwrap(records.first { $0.text == text }?.ids, "no fixture record for \(text)")
            XCTAssertEqual(ids.count, 1)
            return ids[0]
        }
        XCTAssertEqual(tokenizer.name, "bpe")
        XCTAssertEqual(tokenizer.vocabularySize, 8192)
        XCTAssertEqual(tokenizer.endOfDocumentID, try referenceID("<|endoftext|>"))
        XCTAssertEqual(tokenizer.paddingID, try referenceID("<|pad|>"))
        XCTAssertEqual(tokenizer.specialTokens, ["<|endoftext|>": try referenceID("<|endoftext|>"), "<|pad|>": try referenceID("<|pad|>")])
    }

    // MARK: - Components

    /// Every code point's GPT-2 regex class, against the reference's (probed by the generator).
    func testScalarClassesMatchReference() throws {
        let runs = try XCTUnwrap(try fixture().header["scalar_classes"] as? [[Any]])
        let codes: [String: UInt8] = ["L": GPT2CharacterClass.letter, "N": GPT2CharacterClass.number,
                                      "W": GPT2CharacterClass.whitespace, "O": GPT2CharacterClass.other]
        var mismatches: [String] = []
        for (index, run) in runs.enumerated() {
            let first = try XCTUnwrap(run[0] as? Int)
            let expected = try XCTUnwrap(codes[try XCTUnwrap(run[1] as? String)])
            let end = index + 1 < runs.count ? try XCTUnwrap(runs[index + 1][0] as? Int) : 0x110000
            for v in first..<end where !(0xD800...0xDFFF).contains(v) {
                if GPT2ScalarClassifier.classify(UInt32(v)) != expected, mismatches.count < 10 {
                    mismatches.append(String(format: "U+%04X", v))
                }
            }
        }
        XCTAssertEqual(mismatches, [], "scalars classed differently from tokenizers")
    }

    /// The scan and the priority-queue merge algorithms agree on every word of the fixture texts.
    func testMergeAlgorithmsAgree() throws {
        let tokenizer = try baseTokenizer()
        let model = tokenizer.model
        let preTokenizer = GPT2PreTokenizer(classifier: GPT2ScalarClassifier())
        var merger = BPEMerger()
        var checked = 0
        for record in try fixture().records.prefix(400) {
            let bytes = Array(record.text.utf8)
            try bytes.withUnsafeBufferPointer { buffer in
                guard let p = buffer.baseAddress else { return }
                var i = 0
                while i < buffer.count {
                    let end = preTokenizer.tokenEnd(p, from: i, count: buffer.count)
                    var scan = bytes[i..<end].map { model.byteIDs[Int($0)] }
                    var queue = scan
                    merger.mergeByScan(&scan, table: model.merges)
                    merger.mergeByQueue(&queue, table: model.merges)
                    XCTAssertEqual(scan, queue, "word \(String(decoding: bytes[i..<end], as: UTF8.self).debugDescription)")
                    if scan != queue { throw XCTSkip("stopping after the first disagreement") }
                    checked += 1
                    i = end
                }
            }
        }
        XCTAssertGreaterThan(checked, 10_000)
    }

    func testMergesWrittenAsStringsGiveTheSameIDs() throws {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: BPETokenizerTests.tokenizerPath))
        var root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        var model = try XCTUnwrap(root["model"] as? [String: Any])
        let pairs = try XCTUnwrap(model["merges"] as? [[String]])
        model["merges"] = pairs.map { "\($0[0]) \($0[1])" }
        root["model"] = model
        let directory = try TemporaryDirectory("bpe", removedAfter: self).path
        let path = directory + "/legacy.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        let records = try fixture().records.filter { $0.variant == nil }.prefix(200)
        try assertIDsMatch(Array(records), encoder: try BPETokenizer(contentsOf: path).makeEncoder(), label: "string merges")
    }

    /// Bytes that are not UTF-8 (HF never sees them: Python passes `str`) still encode, byte for byte.
    func testInvalidUTF8IsEncodedByteForByte() throws {
        let tokenizer = try baseTokenizer()
        let bytes: [UInt8] = [0x41, 0xFF, 0xC3, 0x28, 0x20, 0xE2, 0x82, 0x20, 0xF0, 0x9F, 0x98, 0xED, 0xA0, 0x80, 0x27, 0x73, 0xC0]
        var ids: [TokenID] = []
        try bytes.withUnsafeBufferPointer { try tokenizer.makeEncoder().encode($0, into: &ids) }
        let back = try ids.flatMap { id in tokenizer.model.decodeBytes[try XCTUnwrap(tokenizer.model.decodeRange(id))] }
        XCTAssertEqual(back, bytes)
        XCTAssertEqual(try tokenizer.decode(ids), String(decoding: bytes, as: UTF8.self))
    }

    // MARK: - Errors

    func testWordPieceDefinitionIsRejected() throws {
        let json = """
        {"version": "1.0", "added_tokens": [], "normalizer": null,
         "pre_tokenizer": {"type": "BertPreTokenizer"}, "decoder": {"type": "WordPiece", "prefix": "##"},
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                   "max_input_chars_per_word": 100, "vocab": {"[UNK]": 0, "a": 1, "##b": 2}}}
        """
        try assertInvalidDefinition(json, mentioning: "pre_tokenizer")
        let byteLevelWordPiece = json.replacingOccurrences(of: "{\"type\": \"BertPreTokenizer\"}", with: "{\"type\": \"ByteLevel\"}")
            .replacingOccurrences(of: "{\"type\": \"WordPiece\", \"prefix\": \"##\"}", with: "{\"type\": \"ByteLevel\"}")
        try assertInvalidDefinition(byteLevelWordPiece, mentioning: "WordPiece")
    }

    func testUnsupportedPartsAreRejected() throws {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: BPETokenizerTests.tokenizerPath))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        func edited(_ edit: (inout [String: Any]) -> Void) throws -> String {
            var copy = root
            edit(&copy)
            return String(decoding: try JSONSerialization.data(withJSONObject: copy), as: UTF8.self)
        }
        // NFC is supported since issue 15 item 1 (Qwen2); the other normalizers are still refused by name.
        try assertInvalidDefinition(try edited { $0["normalizer"] = ["type": "NFKC"] }, mentioning: "NFKC")
        try assertInvalidDefinition(try edited { $0["pre_tokenizer"] = ["type": "Whitespace"] }, mentioning: "Whitespace")
        try assertInvalidDefinition(try edited {
            var model = $0["model"] as! [String: Any]
            model["byte_fallback"] = true
            $0["model"] = model
        }, mentioning: "byte_fallback")
        try assertInvalidDefinition(try edited {
            var model = $0["model"] as! [String: Any]
            model["merges"] = [["Ġ", "nonexistent-token"]]
            $0["model"] = model
        }, mentioning: "merges[0]")
        try assertInvalidDefinition(try edited {
            var model = $0["model"] as! [String: Any]
            model["type"] = "Unigram"
            $0["model"] = model
        }, mentioning: "Unigram")
    }

    func testMalformedJSONThrowsWithPath() throws {
        try assertInvalidDefinition("{\"model\": {\"type\": \"BPE\", ", mentioning: "JSON")
    }

    func testMissingFileThrowsWithPath() {
        let path = "/nonexistent/gradus/tokenizer.json"
        XCTAssertThrowsError(try BPETokenizer(contentsOf: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }

    func testUnknownIDDecodeThrows() throws {
        let tokenizer = try baseTokenizer()
        XCTAssertThrowsError(try tokenizer.decode([5, TokenID(tokenizer.vocabularySize)])) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownID(TokenID(tokenizer.vocabularySize), vocabularySize: tokenizer.vocabularySize))
        }
    }
}
