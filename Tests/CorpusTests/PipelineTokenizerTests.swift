// PipelineTokenizerTests.swift — the generic tokenizer.json pipeline against the Python
// `tokenizers` reference (Fixtures/pipeline-fixtures.jsonl.zst, made by
// tools/gen_pipeline_fixtures.py; no Python needed here): five WordLevel tokenizers trained on the
// shipped corpora under different normalizer / pre-tokenizer / decoder chains, ids and decoded text
// for every record; and the loader's refusals, which must name the step and the key path.

import Foundation
import TestSupport
import XCTest
@testable import Corpus

final class PipelineTokenizerTests: XCTestCase {
    struct Header: Decodable {
        var format: String
        var version: Int
        var tokenizers: [String: String]
    }

    struct Record: Decodable {
        var tokenizer: String
        var text: String
        var ids: [TokenID]
        var decoded: String
    }

    static let fixturePath = repositoryRoot + "/Tests/CorpusTests/Fixtures/pipeline-fixtures.jsonl.zst"

    /// Loaded once for all tests.
    nonisolated(unsafe) private static var cached: (tokenizers: [String: any Tokenizer], records: [Record])?

    /// Each chain's tokenizer.json, written to a temporary file and loaded through `TokenizerLoader`.
    private func loadFixture() throws -> (tokenizers: [String: any Tokenizer], records: [Record]) {
        if let cached = Self.cached { return cached }
        let lines = try fixtureLines(Self.fixturePath)
        let decoder = JSONDecoder()
        let header = try decoder.decode(Header.self, from: lines[0])
        XCTAssertEqual(header.format, "gradus-pipeline-fixtures")
        let directory = try TemporaryDirectory()
        var tokenizers: [String: any Tokenizer] = [:]
        for (name, json) in header.tokenizers {
            let path = directory.path + "/\(name).json"
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            tokenizers[name] = try TokenizerLoader.load(path)
        }
        let loaded = (tokenizers, try lines.dropFirst().map { try decoder.decode(Record.self, from: $0) })
        Self.cached = loaded
        return loaded
    }

    func testEveryChainMatchesTheReferenceIdsAndDecoding() throws {
        let (tokenizers, records) = try loadFixture()
        XCTAssertEqual(tokenizers.count, 5)
        var encoders: [String: any TokenEncoder] = [:]
        var counts: [String: Int] = [:]
        for (index, record) in records.enumerated() {
            let tokenizer = try XCTUnwrap(tokenizers[record.tokenizer])
            XCTAssertTrue(tokenizer is PipelineTokenizer, "\(record.tokenizer) should load as a PipelineTokenizer")
            let encoder = encoders[record.tokenizer] ?? tokenizer.makeEncoder()
            encoders[record.tokenizer] = encoder
            let ids = try encoder.encode(record.text)
            guard ids == record.ids else {
                let firstDifference = zip(ids, record.ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ids.count, record.ids.count)
                return XCTFail("\(record.tokenizer) record \(index) \(String(record.text.prefix(80)).debugDescription): ids differ from tokenizers at position \(firstDifference): expected \(record.ids.dropFirst(firstDifference).prefix(8)) got \(ids.dropFirst(firstDifference).prefix(8))")
            }
            let decoded = try tokenizer.decode(ids)
            guard decoded == record.decoded else {
                return XCTFail("\(record.tokenizer) record \(index): decoded \(decoded.debugDescription.prefix(120)) expected \(record.decoded.debugDescription.prefix(120))")
            }
            counts[record.tokenizer, default: 0] += 1
        }
        for (name, count) in counts { XCTAssertGreaterThan(count, 1400, name) }
    }

    func testTheFixtureExercisesEveryStep() throws {
        let (tokenizers, records) = try loadFixture()
        let legacy = try XCTUnwrap(tokenizers["llama-legacy-normalizer"] as? PipelineTokenizer)
        XCTAssertEqual(legacy.normalizers.count, 2)
        XCTAssertEqual(legacy.decoders?.count, 4)
        XCTAssertEqual(legacy.endOfDocumentID, legacy.model.id(of: Array("</s>".utf8)))
        XCTAssertEqual(legacy.paddingID, legacy.model.id(of: Array("<pad>".utf8)))
        // Unknown words, added tokens in the middle of words and a normalized added token occur.
        let mask = try XCTUnwrap(legacy.specialTokens["<mask>"])
        XCTAssertTrue(records.contains { $0.tokenizer == "llama-legacy-normalizer" && $0.ids.contains(mask) && $0.text.hasPrefix("a<mask>") })
        XCTAssertTrue(records.contains { $0.tokenizer == "nfkc-lower-metaspace" && $0.ids.contains(0) })
    }

    // MARK: - Refusals name what is not supported

    private func refusal(_ edit: (inout [String: Any]) -> Void) throws -> String {
        var json: [String: Any] = [
            "version": "1.0", "added_tokens": [], "normalizer": NSNull(),
            "pre_tokenizer": ["type": "WhitespaceSplit"], "post_processor": NSNull(), "decoder": NSNull(),
            "model": ["type": "WordLevel", "vocab": ["<unk>": 0, "a": 1], "unk_token": "<unk>"],
        ]
        edit(&json)
        let directory = try TemporaryDirectory()
        let path = directory.path + "/tokenizer.json"
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        XCTAssertNoThrow(try? TokenizerLoader.load(path))
        do {
            _ = try TokenizerLoader.load(path)
            return ""
        } catch {
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(path + ": not a usable tokenizer: "), text)
            return text
        }
    }

    func testStepsGradusDoesNotImplementAreRefusedByNameAndKeyPath() throws {
        var text = try refusal { $0["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFC"], ["type": "Nmt2"]]] }
        XCTAssertTrue(text.contains("`normalizer.normalizers[1]` is \"Nmt2\", a normalizer Gradus does not implement"), text)
        text = try refusal { $0["pre_tokenizer"] = ["type": "UnicodeScripts"] }
        XCTAssertTrue(text.contains("`pre_tokenizer` is \"UnicodeScripts\""), text)
        text = try refusal { $0["decoder"] = ["type": "CTC"] }
        XCTAssertTrue(text.contains("`decoder` is \"CTC\""), text)
        text = try refusal { $0["model"] = ["type": "Mystery"] }
        XCTAssertTrue(text.contains("`model.type` is \"Mystery\""), text)
        text = try refusal { $0["normalizer"] = ["type": "Replace", "pattern": ["Regex": "(unclosed"], "content": ""] }
        XCTAssertTrue(text.contains("`normalizer.pattern`: regular expression \"(unclosed\" does not compile"), text)
        text = try refusal { $0["pre_tokenizer"] = ["type": "Metaspace", "replacement": "__", "prepend_scheme": "always"] }
        XCTAssertTrue(text.contains("`pre_tokenizer.replacement` is \"__\", not one character"), text)
        text = try refusal { $0["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁", "add_prefix_space": false] }
        XCTAssertTrue(text.contains("add_prefix_space"), text)
        text = try refusal { $0["model"] = ["type": "WordLevel", "vocab": ["a": 0, "b": 0]] }
        XCTAssertTrue(text.contains("gives id 0 to more than one token"), text)
    }

    func testAWordLevelVocabularyWithoutUnknownTokenFailsOnAnUnknownWordAsTokenizersDoes() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/tokenizer.json"
        let json = #"{"pre_tokenizer": {"type": "WhitespaceSplit"}, "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "<unk>"}}"#
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let encoder = try TokenizerLoader.load(path).makeEncoder()
        XCTAssertEqual(try encoder.encode("a a"), [0, 0])
        XCTAssertThrowsError(try encoder.encode("a b")) { error in
            XCTAssertEqual("\(error)", #""b" is not in the vocabulary, and the vocabulary has no unknown token "<unk>" to stand for it"#)
        }
    }
}
