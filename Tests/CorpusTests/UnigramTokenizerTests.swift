// UnigramTokenizerTests.swift — Unigram tokenizer.json files against the Python `tokenizers`
// reference (Fixtures/unigram-fixtures.jsonl.zst, made by tools/gen_unigram_fixtures.py; no
// Python needed here): a `tokenizers`-trained NFKC + Metaspace model and a real SentencePiece
// model with its `nmt_nfkc` precompiled charsmap in transformers' T5 layout, on >= 2 000
// multilingual documents each, and variants (the Hub's T5 and XLM-R layouts, byte fallback, Nmt,
// no `unk_id`). Every record's ids and decoded text must match; the first mismatch is reported
// with the record, its text and both id lists.

import Foundation
import TestSupport
import XCTest
@testable import Corpus
import Support

final class UnigramTokenizerTests: XCTestCase {
    struct Record: Decodable {
        var tokenizer: String
        var variant: String?
        var text: String
        var ids: [TokenID]?
        var decoded: String?
        var error: String?
    }

    static let fixturePath = repositoryRoot + "/Tests/CorpusTests/Fixtures/unigram-fixtures.jsonl.zst"

    /// Tokenizers by name (`nfkc`, `spm`, or a variant's name) and the records; loaded once.
    nonisolated(unsafe) private static var cached: (tokenizers: [String: any Tokenizer], records: [Record])?

    private func loadFixture() throws -> (tokenizers: [String: any Tokenizer], records: [Record]) {
        if let cached = Self.cached { return cached }
        let lines = try fixtureLines(Self.fixturePath)
        let header = try JSONValue.parse(String(decoding: lines[0], as: UTF8.self))
        XCTAssertEqual(header["format"]?.stringValue, "gradus-unigram-fixtures")
        let directory = try TemporaryDirectory()
        var tokenizers: [String: any Tokenizer] = [:]
        var definitions: [String: JSONValue] = [:]
        guard case .object(let files)? = header["files"] else { throw XCTSkip("fixture header has no files") }
        for (name, file) in files {
            let path = repositoryRoot + "/" + (file["path"]?.stringValue ?? "")
            let tokenizer = try TokenizerLoader.load(path)
            XCTAssertEqual(tokenizer.fingerprint, file["sha256"]?.stringValue,
                           "\(path) changed since the fixture was made: run tools/gen_unigram_fixtures.py")
            definitions[name] = try JSONValue.parse(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self))
            tokenizers[name] = tokenizer
        }
        guard case .object(let variants)? = header["variants"] else { throw XCTSkip("fixture header has no variants") }
        for (name, spec) in variants {
            var definition = try XCTUnwrap(definitions[spec["tokenizer"]?.stringValue ?? ""])
            for edit in spec["edits"]?.arrayValue ?? [] { try Self.apply(edit, to: &definition) }
            let path = directory.path + "/\(name).json"
            try Data(definition.jsonText.utf8).write(to: URL(fileURLWithPath: path))
            tokenizers[name] = try TokenizerLoader.load(path)
        }
        let decoder = JSONDecoder()
        let loaded = (tokenizers, try lines.dropFirst().map { try decoder.decode(Record.self, from: $0) })
        Self.cached = loaded
        return loaded
    }

    /// One edit of tools/gen_unigram_fixtures.py: `{"path", "value"}` sets, `{"path", "delete"}`
    /// removes, `{"path", "splice": [start, count, items]}` replaces part of a list.
    static func apply(_ edit: JSONValue, to value: inout JSONValue) throws {
        let path = try XCTUnwrap(edit["path"]?.arrayValue)
        func update(_ node: inout JSONValue, _ keys: ArraySlice<JSONValue>) throws {
            guard let key = keys.first else {
                if let splice = edit["splice"]?.arrayValue, case .array(var list) = node {
                    let start = try XCTUnwrap(splice[0].intValue), count = try XCTUnwrap(splice[1].intValue)
                    list.replaceSubrange(start..<start + count, with: try XCTUnwrap(splice[2].arrayValue))
                    node = .array(list)
                } else {
                    node = try XCTUnwrap(edit["value"])
                }
                return
            }
            if case .array(var list) = node, let index = key.intValue {
                try update(&list[index], keys.dropFirst())
                node = .array(list)
            } else if case .object(var members) = node, let name = key.stringValue {
                if let index = members.firstIndex(where: { $0.key == name }) {
                    if keys.count == 1, edit["delete"] == .bool(true) { members.remove(at: index) } else { try update(&members[index].value, keys.dropFirst()) }
                } else {
                    var fresh = JSONValue.null
                    try update(&fresh, keys.dropFirst())
                    members.append((name, fresh))
                }
                node = .object(members)
            } else {
                XCTFail("edit path \(path) does not fit the file")
            }
        }
        try update(&value, path[...])
    }

    /// `records` checked against `tokenizers`; fails at the first mismatch with its details.
    private func check(_ records: some Sequence<(offset: Int, element: Record)>, _ tokenizers: [String: any Tokenizer]) throws -> [String: Int] {
        var encoders: [String: any TokenEncoder] = [:]
        var counts: [String: Int] = [:]
        for (index, record) in records {
            let name = record.variant ?? record.tokenizer
            let tokenizer = try XCTUnwrap(tokenizers[name], name)
            XCTAssertTrue(tokenizer is PipelineTokenizer, "\(name) should load as a PipelineTokenizer")
            let encoder = encoders[name] ?? tokenizer.makeEncoder()
            encoders[name] = encoder
            let where_ = "\(name) record \(index + 1) \(String(record.text.prefix(60)).debugDescription)"
            if let error = record.error {
                XCTAssertThrowsError(try encoder.encode(record.text), "\(where_): tokenizers refuses it (\(error))")
                counts[name, default: 0] += 1
                continue
            }
            let expected = try XCTUnwrap(record.ids)
            let ids = try encoder.encode(record.text)
            guard ids == expected else {
                let first = zip(ids, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ids.count, expected.count)
                XCTFail("\(where_): ids differ from tokenizers at position \(first): expected \(expected.dropFirst(first).prefix(8)) got \(ids.dropFirst(first).prefix(8))")
                return counts
            }
            let decoded = try tokenizer.decode(ids)
            // Bytes, not `String ==` (which equates canonically equivalent texts).
            guard Array(decoded.utf8) == record.decoded.map({ Array($0.utf8) }) else {
                XCTFail("\(where_): decoded \(decoded.debugDescription.prefix(120)) expected \(record.decoded.debugDescription.prefix(120))")
                return counts
            }
            counts[name, default: 0] += 1
        }
        return counts
    }

    func testBothFilesMatchTheReferenceOnTheSampledDocumentsAndEdgeCases() throws {
        let (tokenizers, records) = try loadFixture()
        let bases = records.enumerated().filter { $0.element.variant == nil }
        let counts = try check(bases, tokenizers)
        // >= 2 000 documents plus ~500 edge cases and random strings per file.
        XCTAssertGreaterThan(counts["nfkc"] ?? 0, 2400)
        XCTAssertGreaterThan(counts["spm"] ?? 0, 2400)
    }

    func testEveryVariantMatchesTheReference() throws {
        let (tokenizers, records) = try loadFixture()
        let counts = try check(records.enumerated().filter { $0.element.variant != nil }, tokenizers)
        for name in ["t5-hub", "xlmr", "byte-fallback", "nmt-nfkc", "no-unk"] {
            XCTAssertGreaterThan(counts[name] ?? 0, 300, name)
        }
    }

    func testTheFixtureExercisesUnknownsByteFallbackAndTheCharsmap() throws {
        let (tokenizers, records) = try loadFixture()
        let spm = try XCTUnwrap(tokenizers["spm"] as? PipelineTokenizer)
        XCTAssertTrue(spm.normalizers.first is PrecompiledNormalizer)
        let model = try XCTUnwrap(spm.model as? UnigramModel)
        let unknown = try XCTUnwrap(model.unknownID)
        XCTAssertTrue(records.contains { $0.tokenizer == "spm" && $0.variant == nil && $0.ids?.contains(unknown) == true })
        // Byte fallback replaced some unknown characters by their bytes.
        let fallback = try XCTUnwrap((tokenizers["byte-fallback"] as? PipelineTokenizer)?.model as? UnigramModel)
        let byteIDs = Set(fallback.byteIDs.filter { $0 >= 0 }.map { TokenID($0) })
        XCTAssertEqual(byteIDs.count, 256)
        XCTAssertTrue(records.contains { $0.variant == "byte-fallback" && $0.ids?.contains(where: byteIDs.contains) == true })
        XCTAssertTrue(records.contains { $0.variant == "no-unk" && $0.error != nil })
        // The charsmap's NFKC part changed some text: ﬁ → fi, ① → 1, Ｈ → H (then Ω, Å follow).
        XCTAssertTrue(records.contains { $0.tokenizer == "spm" && $0.variant == nil && $0.text == "\u{FB01}\u{2460}\u{FF28}\u{2126}\u{212B}" && $0.decoded?.hasPrefix("fi1H") == true })
    }
}
