// CharBPETokenizerTests.swift — Llama-2 / Mistral style tokenizer.json files (character-level BPE
// with byte fallback, issue 15 item 1) through `TokenizerLoader.load`, against the Python
// `tokenizers` reference (Fixtures/spm-bpe-fixtures.jsonl.zst and Fixtures/tokenizers/llama2-bpe.json,
// made by tools/gen_spm_bpe_fixtures.py; no Python needed here): ids and decoded text of every
// record — >= 2 000 multilingual documents, edge cases, special tokens in text — in the Llama-2
// "legacy" layout, and of the variant records (Metaspace layout, unknown-character options,
// ignore_merges, subword prefix/suffix); decode round trips; the special tokens.

import Foundation
import Support
import TestSupport
import XCTest
@testable import Corpus

final class CharBPETokenizerTests: XCTestCase {
    /// The fixture lines have the byte-level BPE fixture's layout.
    typealias Record = BPETokenizerTests.Record

    static let tokenizerPath = repositoryRoot + "/Tests/CorpusTests/Fixtures/tokenizers/llama2-bpe.json"
    static let fixturePath = repositoryRoot + "/Tests/CorpusTests/Fixtures/spm-bpe-fixtures.jsonl.zst"

    /// Loaded once for all tests.
    nonisolated(unsafe) private static var cached: (header: JSONValue, records: [Record])?

    private func fixture() throws -> (header: JSONValue, records: [Record]) {
        if let cached = Self.cached { return cached }
        let lines = try fixtureLines(Self.fixturePath)
        let header = try JSONValue.parse(String(decoding: lines[0], as: UTF8.self))
        let decoder = JSONDecoder()
        let loaded = (header, try lines.dropFirst().map { try decoder.decode(Record.self, from: $0) })
        Self.cached = loaded
        return loaded
    }

    private func baseTokenizer() throws -> any Tokenizer { try TokenizerLoader.load(Self.tokenizerPath) }

    func testFixtureMatchesTokenizerFile() throws {
        let header = try fixture().header
        XCTAssertEqual(header["format"], .string("gradus-spm-bpe-fixtures"))
        XCTAssertEqual(header["version"], .int(1))
        let tokenizer = try baseTokenizer()
        XCTAssertEqual(.string(tokenizer.fingerprint), header["tokenizer_sha256"],
                       "llama2-bpe.json changed since the fixture was made: run tools/gen_spm_bpe_fixtures.py")
        let documents = try fixture().records.filter { $0.variant == nil && $0.origin != "edge" && $0.origin != "random" }
        XCTAssertGreaterThanOrEqual(documents.count, 2000)
    }

    /// The Llama-2 layout loads as a pipeline, `</s>` (id 2 in Llama's layout) ends documents.
    func testLoadsAsPipelineWithLlamaSpecialTokens() throws {
        let tokenizer = try baseTokenizer()
        XCTAssertTrue(tokenizer is PipelineTokenizer)
        XCTAssertEqual(tokenizer.name, "bpe")
        XCTAssertEqual(tokenizer.vocabularySize, 4096)
        let records = try fixture().records.filter { $0.variant == nil }
        func referenceID(_ text: String) throws -> TokenID {
            let ids = try XCTUnwrap(records.first { $0.text == text }?.ids, "no fixture record for \(text)")
            XCTAssertEqual(ids.count, 1, text)
            return ids[0]
        }
        XCTAssertEqual(tokenizer.endOfDocumentID, try referenceID("</s>"))
        XCTAssertEqual(tokenizer.endOfDocumentID, 2)
        XCTAssertNil(tokenizer.paddingID)
        XCTAssertEqual(tokenizer.specialTokens, ["<unk>": try referenceID("<unk>"), "<s>": try referenceID("<s>"), "</s>": 2])
    }

    /// Also: decode(encode(text)) gives the text back, except where the Llama layout cannot: a
    /// text with `▁` (it decodes to a space) or with a special token (the legacy normalizer
    /// prepends `▁` to the text after it, which decodes to an extra space).
    func testEncodeAndDecodeMatchReferenceForEveryRecord() throws {
        let records = try fixture().records.filter { $0.variant == nil }
        let roundTrips = try assertMatch(records, tokenizer: try baseTokenizer(), label: "llama2-bpe") { text in
            !text.contains("▁") && !["<s>", "</s>", "<unk>"].contains(where: text.contains)
        }
        XCTAssertGreaterThan(roundTrips, 2400)
    }

    func testVariantsMatchReference() throws {
        let (header, records) = try fixture()
        guard case .object(let variants)? = header["variants"] else { return XCTFail("fixture header has no variants") }
        XCTAssertEqual(Set(variants.map(\.key)), ["metaspace", "metaspace_decoder", "metaspace_split", "ignore_merges", "no_fallback",
                                                  "no_fallback_unfused", "no_fallback_no_unk", "partial_fallback",
                                                  "partial_fallback_unfused", "affixes"])
        let directory = try TemporaryDirectory("spm-bpe", removedAfter: self).path
        let base = try JSONValue.parse(try String(contentsOfFile: Self.tokenizerPath, encoding: .utf8))
        for (name, edits) in variants {
            var definition = base
            for edit in try XCTUnwrap(edits.arrayValue) {
                let path = try XCTUnwrap(edit["path"]?.arrayValue).compactMap(\.stringValue)
                definition = definition.setting(path[...], to: edit["delete"] == .bool(true) ? nil : edit["value"] ?? .null)
            }
            let file = directory + "/\(name).json"
            try definition.prettyText.write(toFile: file, atomically: true, encoding: .utf8)
            let selected = records.filter { $0.variant == name }
            XCTAssertGreaterThan(selected.count, 300, name)
            try assertMatch(selected, tokenizer: try TokenizerLoader.load(file), label: "variant \(name)")
        }
    }

    /// Options Gradus cannot honour, and inconsistent files, are refused when the file is loaded,
    /// naming the file and the key.
    func testUnsupportedOrInconsistentModelsAreRefusedByKey() throws {
        let directory = try TemporaryDirectory("spm-bpe-bad", removedAfter: self).path
        let base = try JSONValue.parse(try String(contentsOfFile: Self.tokenizerPath, encoding: .utf8))
        let cases: [([String], JSONValue, String)] = [
            (["model", "dropout"], .double(0.1), "`model.dropout` is 0.1; BPE dropout is random and not supported"),
            (["model", "byte_fallback"], .string("yes"), "`model.byte_fallback` is not a boolean"),
            (["model", "unk_token"], .string("[UNK]"), "`model.unk_token` \"[UNK]\" is not in `model.vocab`"),
            (["model", "merges"], .array([.string("a b c")]), "`model.merges[0]` \"a b c\" is not two tokens separated by one space"),
            (["model", "continuing_subword_prefix"], .string("##"), "`model.merges[0]`"),
        ]
        for (index, (path, value, message)) in cases.enumerated() {
            let file = directory + "/bad\(index).json"
            try base.setting(path[...], to: value).prettyText.write(toFile: file, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try TokenizerLoader.load(file), message) { error in
                guard case let .invalidDefinition(errorPath, problem)? = error as? TokenizerError else {
                    return XCTFail("expected invalidDefinition, got \(error)")
                }
                XCTAssertEqual(errorPath, file)
                XCTAssertTrue(problem.contains(message), "\(problem.debugDescription) does not say \(message.debugDescription)")
            }
        }
        // dropout 0 is no dropout (as in the library).
        let zero = directory + "/zero.json"
        try base.setting(["model", "dropout"], to: .double(0)).prettyText.write(toFile: zero, atomically: true, encoding: .utf8)
        XCTAssertNoThrow(try TokenizerLoader.load(zero))
    }

    /// Fails at the first record whose ids or decoded text differ, naming it and the first
    /// differing position; and at the first text `roundTrips` selects that does not decode back
    /// to itself. Returns how many texts were checked for the round trip.
    @discardableResult
    private func assertMatch(_ records: [Record], tokenizer: any Tokenizer, label: String,
                             roundTrips: (String) -> Bool = { _ in false }) throws -> Int {
        XCTAssertTrue(tokenizer is PipelineTokenizer, label)
        let encoder = tokenizer.makeEncoder()
        var checked = 0
        for (index, record) in records.enumerated() {
            let ids = try encoder.encode(record.text)
            guard ids == record.ids else {
                let at = zip(ids, record.ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ids.count, record.ids.count)
                XCTFail("\(label) record \(index) (\(record.origin)) \(String(record.text.prefix(80)).debugDescription): ids differ from tokenizers at position \(at): expected \(record.ids.dropFirst(at).prefix(8)) got \(ids.dropFirst(at).prefix(8))")
                return 0
            }
            let decoded = try tokenizer.decode(ids)
            guard decoded == record.decoded else {
                XCTFail("\(label) record \(index): decoded \(decoded.debugDescription.prefix(120)) expected \(record.decoded.debugDescription.prefix(120))")
                return 0
            }
            if roundTrips(record.text) {
                guard decoded.utf8.elementsEqual(record.text.utf8) else {
                    XCTFail("\(label) record \(index): round trip changed \(record.text.debugDescription.prefix(120)) into \(decoded.debugDescription.prefix(120))")
                    return 0
                }
                checked += 1
            }
        }
        return checked
    }
}

extension JSONValue {
    /// A copy with the value at `path` (object keys) replaced, added, or removed (`nil`).
    fileprivate func setting(_ path: ArraySlice<String>, to value: JSONValue?) -> JSONValue {
        guard let key = path.first, case .object(var members) = self else { return value ?? self }
        let index = members.firstIndex { $0.key == key }
        let child = path.count == 1 ? value : (index.map { members[$0].value } ?? .object([])).setting(path.dropFirst(), to: value)
        switch (index, child) {
        case let (i?, v?): members[i].value = v
        case let (i?, nil): members.remove(at: i)
        case let (nil, v?): members.append((key, v))
        case (nil, nil): break
        }
        return .object(members)
    }
}
