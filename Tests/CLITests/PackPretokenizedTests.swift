// PackPretokenizedTests.swift — issue 15 item 3: `--eod-id` packs pre-tokenized inputs (tokens
// JSONL and Megatron .bin/.idx) into exactly the samples that packing the same documents from
// text gives; `--tokenizer FILE` supplies the end-of-document id of pre-tokenized inputs.

import CorpusIndex
import Foundation
import TestSupport
import XCTest

final class PackPretokenizedTests: XCTestCase {
    private let documents = ["The quick brown fox jumps over the lazy dog.", "Hello, world", "a",
                             "Packing joins documents with the end-of-text token between them.", "Last one here"]

    /// The `tokens` of every sample `gradus dump --tokens` prints for `index`, in id order.
    private func samples(_ index: String) throws -> [[Int]] {
        let dump = try runGradus(["dump", index, "--tokens"])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        return try dump.stdout.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return object["tokens"] as! [Int]
        }
    }

    func testPackedPretokenizedSamplesEqualPackedText() throws {
        let dir = try TemporaryDirectory("pack-pretokenized", removedAfter: self).path
        let tokenizer = repositoryRoot + "/corpora/tokenizer.json"
        let (length, vocabulary, eod) = (8, 8192, 0)  // corpora/tokenizer.json: 8192 ids, <|endoftext|> is id 0
        let text = documents.map { "{\"text\":\"\($0)\"}" }.joined(separator: "\n") + "\n"
        try text.write(toFile: dir + "/c.jsonl", atomically: true, encoding: .utf8)
        let fromText = try runGradus(["index", dir + "/c.jsonl", "--tokenizer", tokenizer, "--pack", "\(length)", "--out", dir + "/text"])
        XCTAssertEqual(fromText.status, 0, fromText.stderr)

        let tokenized = try runGradus(["tokenize", "--tokenizer", tokenizer], stdin: documents.joined(separator: "\n") + "\n")
        XCTAssertEqual(tokenized.status, 0, tokenized.stderr)
        let ids = tokenized.stdout.split(separator: "\n").map { $0.split(separator: " ").map { Int($0)! } }
        XCTAssertEqual(ids.count, documents.count)
        try ids.map { "{\"tokens\":[" + $0.map(String.init).joined(separator: ",") + "]}" }.joined(separator: "\n")
            .write(toFile: dir + "/t.jsonl", atomically: true, encoding: .utf8)
        let writer = try MegatronTokenDatasetWriter(prefix: dir + "/m_text_document", vocabularySize: vocabulary)
        for doc in ids { try writer.addDocument(doc.map(UInt32.init)) }
        try writer.finalize()

        // Packing by hand: documents joined with the EOD after each, cut into L+1 tokens that
        // overlap by one; the tail shorter than L+1 is not a sample.
        let stream = ids.flatMap { $0 + [eod] }
        let expected = stride(from: 0, through: stream.count - (length + 1), by: length).map { Array(stream[$0..<($0 + length + 1)]) }
        XCTAssertEqual(try samples(dir + "/text"), expected)

        for (name, input) in [("jsonl", dir + "/t.jsonl"), ("megatron", dir + "/m_text_document.idx")] {
            let run = try runGradus(["index", input, "--vocab-size", "\(vocabulary)", "--eod-id", "\(eod)", "--pack", "\(length)",
                                     "--out", dir + "/" + name])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertEqual(try samples(dir + "/" + name), expected, name)
            let info = try IndexReader(path: dir + "/" + name).manifest
            XCTAssertEqual(info.tokenizer.endOfDocumentID, UInt32(eod), name)
        }
        // The tokenizer that made the ids gives their vocabulary and end-of-document id.
        let viaTokenizer = try runGradus(["index", dir + "/t.jsonl", "--tokenizer", tokenizer, "--pack", "\(length)", "--out", dir + "/tok"])
        XCTAssertEqual(viaTokenizer.status, 0, viaTokenizer.stderr)
        XCTAssertEqual(try samples(dir + "/tok"), expected)
        // --eod-id wins over the tokenizer's: id 1 (<|pad|>) now ends each document.
        let overridden = try runGradus(["index", dir + "/t.jsonl", "--tokenizer", tokenizer, "--eod-id", "1", "--pack", "\(length)",
                                        "--out", dir + "/zero"])
        XCTAssertEqual(overridden.status, 0, overridden.stderr)
        XCTAssertEqual(try samples(dir + "/zero").first, Array(ids.flatMap { $0 + [1] }.prefix(length + 1)))
    }

    func testEodIdOutsideVocabularyIsAUsageError() throws {
        let dir = try TemporaryDirectory("pack-eod-range", removedAfter: self).path
        try "{\"tokens\":[1,2,3]}\n{\"tokens\":[0,1]}\n".write(toFile: dir + "/t.jsonl", atomically: true, encoding: .utf8)
        let beyond = try runGradus(["index", dir + "/t.jsonl", "--vocab-size", "4", "--eod-id", "4", "--pack", "2", "--out", dir + "/a"])
        XCTAssertEqual(beyond.status, 64)
        XCTAssertTrue(beyond.stderr.contains("--eod-id 4"), beyond.stderr)
        let beyondTokenizer = try runGradus(["index", dir + "/t.jsonl", "--tokenizer", "bytes", "--eod-id", "258", "--pack", "2", "--out", dir + "/b"])
        XCTAssertEqual(beyondTokenizer.status, 64)
        XCTAssertTrue(beyondTokenizer.stderr.contains("--eod-id 258"), beyondTokenizer.stderr)
        let noEod = try runGradus(["index", dir + "/t.jsonl", "--vocab-size", "4", "--pack", "2", "--out", dir + "/c"])
        XCTAssertEqual(noEod.status, 1)
        XCTAssertTrue(noEod.stderr.contains("--eod-id"), noEod.stderr)
        // With --eod-id 3 the stream is 1 2 3 3 | 0 1 3: samples of 3 tokens overlapping by one.
        let packed = try runGradus(["index", dir + "/t.jsonl", "--vocab-size", "4", "--eod-id", "3", "--pack", "2", "--out", dir + "/d"])
        XCTAssertEqual(packed.status, 0, packed.stderr)
        XCTAssertEqual(try samples(dir + "/d"), [[1, 2, 3], [3, 3, 0], [0, 1, 3]])
    }
}
