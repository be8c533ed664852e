// TokenizerBadInputTests.swift — tokenizer.json files of the bad-input suite (issue 8 item 1):
// each broken file is refused with `TokenizerError.invalidDefinition` naming the file and the
// problem, `gradus index` exits 1 with that message and creates no output; the small valid
// byte-level BPE of the suite loads and round-trips.

import Corpus
import Foundation
import TestSupport
import XCTest

final class TokenizerBadInputTests: XCTestCase {
    private func problem(_ name: String) -> String? {
        let path = badInput("tokenizer/" + name)
        do {
            _ = try BPETokenizer(contentsOf: path)
            return nil
        } catch let TokenizerError.invalidDefinition(named, problem) {
            XCTAssertEqual(named, path)
            return problem
        } catch {
            XCTFail("\(name): unexpected \(type(of: error)): \(error)")
            return nil
        }
    }

    func testBrokenDefinitionsAreRefusedWithTheProblem() {
        let expected: [(String, String)] = [
            ("not-json.json", "not valid JSON"),
            ("truncated.json", "not valid JSON"),
            ("top-level-array.json", "the top level is not a JSON object"),
            ("wordpiece.json", "`model.type` is WordPiece, not BPE; only byte-level BPE tokenizers are supported"),
            ("unigram.json", "`decoder` is missing; a byte-level BPE needs the ByteLevel decoder"),
            ("unknown-merge.json", "`model.merges[1]` (zz q) uses a token that is not in `model.vocab`"),
            ("duplicate-ids.json", "`model.vocab` gives id 118 to more than one token (\"en\", \"t\"); ids must be unique"),
            ("no-vocab.json", "`model.vocab` is missing or not an object"),
            ("vocab-wrong-type.json", "`model.vocab` is missing or not an object"),
            ("no-merges.json", "`model.merges` is missing or not an array"),
            ("no-model.json", "`model` is missing or not an object"),
            ("negative-id.json", "`model.vocab[\"en\"]` is not a token id (an integer in 0..<2^32-1)"),
        ]
        for (name, text) in expected {
            let found = problem(name)
            XCTAssertNotNil(found, "\(name) was accepted")
            XCTAssertTrue(found?.hasPrefix(text) ?? false, "\(name): \(found ?? "nil")")
        }
    }

    func testValidSmallTokenizerRoundTrips() throws {
        let tokenizer = try BPETokenizer(contentsOf: badInput("tokenizer/valid.json"))
        XCTAssertEqual(tokenizer.vocabularySize, 261)  // 2 added + 256 bytes + 3 merges
        XCTAssertEqual(tokenizer.endOfDocumentID, 0)
        let encoder = tokenizer.makeEncoder()
        // "the then": t=0x74→118, h→106, e→103; " then" = Ġth (260) + en (258).
        XCTAssertEqual(try encoder.encode("the then"), [118, 106, 103, 260, 258])
        for text in ["", "héllo wörld\n\t", "a<|endoftext|>b", "\u{1F600} 12 then"] {
            XCTAssertEqual(try tokenizer.decode(try encoder.encode(text)), text)
        }
    }

    func testIndexWithBrokenTokenizerFailsBeforeCreatingOutput() throws {
        let dir = try TemporaryDirectory("tokenizer", removedAfter: self).path
        for name in ["not-json.json", "wordpiece.json", "unknown-merge.json", "duplicate-ids.json", "no-vocab.json"] {
            let out = dir + "/" + name + ".idx"
            let r = try runGradus(["index", repositoryRoot + "/corpora/udhr.sample.jsonl.zst", "--tokenizer",
                                   badInput("tokenizer/" + name), "--out", out])
            XCTAssertEqual(r.status, 1, name)
            XCTAssertTrue(r.stderr.hasPrefix("Error: \(badInput("tokenizer/" + name)): not a usable tokenizer: "), "\(name): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(name): output created")
        }
    }
}
