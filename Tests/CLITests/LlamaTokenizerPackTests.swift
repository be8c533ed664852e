// LlamaTokenizerPackTests.swift — issue 15 item 1: `gradus index --tokenizer` with a Llama-2 style
// tokenizer.json (character-level BPE with byte fallback) encodes as the Python `tokenizers`
// library does and `--pack` puts `</s>` (id 2 in Llama's layout) after every document.

import CorpusIndex
import Foundation
import TestSupport
import XCTest

final class LlamaTokenizerPackTests: XCTestCase {
    func testPackingWithALlamaTokenizerPutsTheEndOfSentenceTokenBetweenDocuments() throws {
        let dir = try TemporaryDirectory("llama-pack", removedAfter: self).path
        let tokenizer = repositoryRoot + "/Tests/CorpusTests/Fixtures/tokenizers/llama2-bpe.json"
        try "{\"text\":\"Hello world 👋\"}\n{\"text\":\"The end.\"}\n".write(toFile: dir + "/c.jsonl", atomically: true, encoding: .utf8)
        let run = try runGradus(["index", dir + "/c.jsonl", "--tokenizer", tokenizer, "--pack", "4", "--out", dir + "/packed"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try IndexReader(path: dir + "/packed").manifest.tokenizer.endOfDocumentID, 2)

        // tokenizers 0.23.3, encode(text, add_special_tokens=False).ids. 👋 (F0 9F 91 8B) is not in
        // the vocabulary: its byte tokens <0xF0> <0x9F> <0x91> <0x8B> have ids 3 + byte.
        let hello: [Int] = [1204, 1087, 331, 2716, 1588, 664, 3 + 0xF0, 3 + 0x9F, 3 + 0x91, 3 + 0x8B]
        let theEnd: [Int] = [2466, 944, 320, 271]
        // Documents joined with </s> after each, cut into 5 tokens that overlap by one.
        let stream = hello + [2] + theEnd + [2]
        let expected = stride(from: 0, through: stream.count - 5, by: 4).map { Array(stream[$0..<($0 + 5)]) }
        let dump = try runGradus(["dump", dir + "/packed", "--tokens"])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        let samples = try dump.stdout.split(separator: "\n").map { line in
            try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["tokens"] as? [Int])
        }
        XCTAssertEqual(samples, expected)
    }
}
