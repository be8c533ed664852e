// TokenizerFixtureSupport.swift — helpers shared by the tests that check a tokenizer against a
// fixture of the Python `tokenizers` library (BPETokenizerTests, Llama3TokenizerTests): the first
// mismatching record with both id lists, variant files made by editing a tokenizer.json, and the
// loader's rejections.

import Foundation
import TestSupport
import XCTest
@testable import Corpus

extension XCTestCase {
    /// `assertIDsMatch(_:encoderFactory:label:)` with one encoder for all records.
    func assertIDsMatch(_ records: [BPETokenizerTests.Record], encoder: any TokenEncoder, label: String) throws {
        try assertIDsMatch(records, encoderFactory: { encoder }, label: label)
    }

    /// Fails with the first record whose ids differ, showing the text and both id lists.
    func assertIDsMatch(_ records: [BPETokenizerTests.Record], encoderFactory: () -> any TokenEncoder, label: String) throws {
        var mismatches = 0
        var first: String?
        for (index, record) in records.enumerated() {
            let ids = try encoderFactory().encode(record.text)
            if ids != record.ids {
                mismatches += 1
                if first == nil {
                    first = "record \(index) (\(record.origin)) text \(record.text.prefix(200).debugDescription)\n  swift:     \(ids)\n  reference: \(record.ids)"
                }
            }
        }
        if let first {
            XCTFail("\(label): \(mismatches) of \(records.count) records differ; first: \(first)")
        }
    }

    /// Asserts that `BPETokenizer` refuses the tokenizer.json `json` with a problem naming its path and `word`.
    func assertInvalidDefinition(_ json: String, mentioning word: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = try TemporaryDirectory("bpe", removedAfter: self).path
        let path = directory + "/tokenizer.json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try BPETokenizer(contentsOf: path), file: file, line: line) { error in
            guard case let .invalidDefinition(errorPath, problem)? = error as? TokenizerError else {
                return XCTFail("expected invalidDefinition, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(errorPath, path, file: file, line: line)
            XCTAssertTrue(problem.contains(word), "problem \(problem.debugDescription) does not mention \(word)", file: file, line: line)
        }
    }

    /// Applies a variant's edits (`{"path", "value"}` sets, `{"path", "delete": true}` removes) to
    /// `base` (corpora/tokenizer.json unless given) and writes the result.
    func writeVariant(name: String, edits: [[String: Any]], in directory: String,
                      base: String = BPETokenizerTests.tokenizerPath) throws -> String {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: base))
        var root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        for edit in edits {
            let keys = try XCTUnwrap(edit["path"] as? [String])
            let delete = edit["delete"] as? Bool ?? false
            root = try setting(root, keys[...], to: delete ? nil : try XCTUnwrap(edit["value"]))
        }
        let path = directory + "/\(name).json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `object` with the value at `keys` replaced by `value` (removed when nil).
    func setting(_ object: [String: Any], _ keys: ArraySlice<String>, to value: Any?) throws -> [String: Any] {
        var copy = object
        let key = try XCTUnwrap(keys.first)
        if keys.count == 1 {
            copy[key] = value
        } else {
            copy[key] = try setting(try XCTUnwrap(object[key] as? [String: Any]), keys.dropFirst(), to: value)
        }
        return copy
    }
}
