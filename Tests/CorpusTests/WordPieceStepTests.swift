// WordPieceStepTests.swift — the WordPiece family's steps on cases the reference fixture cannot
// show, with expected values from the `tokenizers` documentation and source, worked by hand: the
// five split behaviours on the library's own example, a vocabulary without its unk token, a word
// cache that clears itself, the decoder's cleanup, refusals that name the key path, and the
// packing ids of a BERT file.

import Foundation
import TestSupport
import XCTest
@testable import Corpus

final class WordPieceStepTests: XCTestCase {
    /// A minimal BERT-layout tokenizer.json with `vocab` (ids in order) and the given model fields.
    private func writeFile(_ directory: TemporaryDirectory, _ name: String = "tokenizer.json", vocab: [String], model extra: String = "",
                           preTokenizer: String = #"{"type": "BertPreTokenizer"}"#, decoder: String = ###"{"type": "WordPiece", "prefix": "##", "cleanup": true}"###,
                           normalizer: String = #"{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true}"#) throws -> String {
        let entries = vocab.enumerated().map { "\(String(reflecting: $0.element)): \($0.offset)" }.joined(separator: ", ")
        let json = """
        {"version": "1.0", "added_tokens": [], "normalizer": \(normalizer), "pre_tokenizer": \(preTokenizer),
         "post_processor": null, "decoder": \(decoder),
         "model": {"type": "WordPiece", \(extra) "vocab": {\(entries)}}}
        """
        return try directory.write(name, json)
    }

    private func pieces(_ text: String, _ step: any PreTokenizerStep) -> [String] {
        var out: [TextPiece] = []
        step.split(TextPiece(bytes: Array(text.utf8), atStart: true), into: &out)
        return out.map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// The example of `SplitDelimiterBehavior`'s documentation in `tokenizers`
    /// (`normalizer.rs`): "the-final--countdown" split on '-'.
    func testPunctuationBehavioursFollowTheLibrarysDocumentedExample() {
        let text = "the-final--countdown"
        XCTAssertEqual(pieces(text, PunctuationPreTokenizer(behavior: .removed)), ["the", "final", "countdown"])
        XCTAssertEqual(pieces(text, PunctuationPreTokenizer(behavior: .isolated)), ["the", "-", "final", "-", "-", "countdown"])
        XCTAssertEqual(pieces(text, PunctuationPreTokenizer(behavior: .mergedWithPrevious)), ["the-", "final-", "-", "countdown"])
        XCTAssertEqual(pieces(text, PunctuationPreTokenizer(behavior: .mergedWithNext)), ["the", "-final", "-", "-countdown"])
        XCTAssertEqual(pieces(text, PunctuationPreTokenizer(behavior: .contiguous)), ["the", "-", "final", "--", "countdown"])
        // `pre_tokenizers/bert.rs`'s own test: whitespace removed, each punctuation character alone.
        XCTAssertEqual(pieces("Hey friend!     How are you?!?", BertPreTokenizer()),
                       ["Hey", "friend", "!", "How", "are", "you", "?", "!", "?"])
        // `digits.rs`'s test: "Hey 123 friend!" → runs, or one digit each.
        XCTAssertEqual(pieces("Hey 123 friend!", DigitsPreTokenizer()), ["Hey ", "123", " friend!"])
        XCTAssertEqual(pieces("Hey 123 friend!", DigitsPreTokenizer(individualDigits: true)), ["Hey ", "1", "2", "3", " friend!"])
    }

    /// Greedy longest match first, worked by hand: "unaffable" with un, ##aff, ##able → 3 ids; a
    /// word with an unmatched rest, and one over `max_input_chars_per_word`, is one [UNK].
    func testGreedyLongestMatchAndUnknownWords() throws {
        let directory = try TemporaryDirectory()
        let path = try writeFile(directory, vocab: ["[UNK]", "un", "##aff", "##able", "u", "##n", "##a", "##ff", "é"],
                                 model: ###""unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 9,"###)
        let tokenizer = try TokenizerLoader.load(path)
        let encoder = tokenizer.makeEncoder()
        XCTAssertEqual(try encoder.encode("unaffable"), [1, 2, 3])
        XCTAssertEqual(try encoder.encode("unaffablex"), [0], "over 9 characters")
        XCTAssertEqual(try encoder.encode("unaffx un"), [0, 1], "##x is not in the vocabulary: the whole word is [UNK]")
        // É: NFD → E + U+0301, the mark stripped, lowercased → "e", not in the vocabulary.
        XCTAssertEqual(try encoder.encode("É"), [0])
        XCTAssertEqual(try encoder.encode("UNAFF, un"), [1, 2, 0, 1], "the comma is [UNK]: punctuation is its own word")
    }

    /// `tokenizers` fails only when a word needs the missing unk token ("Missing [UNK] token").
    func testVocabularyWithoutItsUnknownTokenFailsOnlyForUnknownWords() throws {
        let directory = try TemporaryDirectory()
        let path = try writeFile(directory, vocab: ["un", "##aff", "##able"])
        let encoder = try TokenizerLoader.load(path).makeEncoder()
        XCTAssertEqual(try encoder.encode("unaffable un"), [0, 1, 2, 0])
        XCTAssertThrowsError(try encoder.encode("unaffable xyz")) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownToken("xyz", unknownToken: "[UNK]"))
            XCTAssertTrue("\(error)".contains("[UNK]"), "\(error)")
        }
    }

    /// A cache of two words, cleared over and over, gives the ids of an uncached model.
    func testWordCacheThatClearsItselfChangesNoIds() throws {
        let tokenizer = try XCTUnwrap(try TokenizerLoader.load(repositoryRoot + "/Tests/CorpusTests/Fixtures/tokenizers/bert-wordpiece.json") as? PipelineTokenizer)
        let model = try XCTUnwrap(tokenizer.model as? WordPieceModel)
        let worker = WordPieceWorker(model: model, cacheEntries: 2)
        let words = "the quick brown fox jumps over the lazy dog again and again the fox unaffable ünïcödé 日本 x".split(separator: " ")
        for _ in 0..<3 {
            for word in words {
                var cached: [TokenID] = [], direct: [TokenID] = []
                try worker.tokenize(Array(word.utf8), into: &cached)
                try Array(word.utf8).withUnsafeBufferPointer { try model.tokenize($0, into: &direct) }
                XCTAssertEqual(cached, direct, String(word))
                XCTAssertFalse(direct.isEmpty)
            }
        }
    }

    /// `decoders/wordpiece.rs`: "##" pieces join, others get a space, then `cleanup` (worked by hand).
    func testDecoderJoinsPiecesAndCleansUp() {
        let tokens = ["hello", "##world", ".", "do", "n't", "I", "do not", "##x"].map { Array($0.utf8) }
        let joined = { (step: WordPieceDecoder) in String(decoding: step.decode(tokens).flatMap { $0 }, as: UTF8.self) }
        // "do" keeps its space (" do"); " n't" → "n't" only within the next token.
        XCTAssertEqual(joined(WordPieceDecoder()), "helloworld. don't I don'tx")
        XCTAssertEqual(joined(WordPieceDecoder(cleanup: false)), "helloworld . do n't I do notx")
        XCTAssertEqual(joined(WordPieceDecoder(prefix: Array("@@".utf8), cleanup: false)), "hello ##world . do n't I do not ##x")
    }

    /// Malformed options are refused with the file, the key path and what is allowed.
    func testRefusalsNameTheKeyPath() throws {
        let directory = try TemporaryDirectory()
        let cases: [(String, [String])] = [
            (try writeFile(directory, "bad0.json", vocab: ["[UNK]"], preTokenizer: #"{"type": "Punctuation", "behavior": "Sideways"}"#),
             ["`pre_tokenizer.behavior`", "\"Sideways\"", "MergedWithPrevious"]),
            (try writeFile(directory, "bad1.json", vocab: ["[UNK]"], normalizer: #"{"type": "BertNormalizer", "strip_accents": "yes"}"#),
             ["`normalizer.strip_accents`", "boolean or null"]),
            (try writeFile(directory, "bad2.json", vocab: ["[UNK]"], model: #""max_input_chars_per_word": -1,"#),
             ["`model.max_input_chars_per_word`", "negative"]),
            (try writeFile(directory, "bad3.json", vocab: ["[UNK]"], decoder: #"{"type": "WordPiece", "cleanup": "yes"}"#),
             ["`decoder.cleanup`", "not a boolean"]),
            (try writeFile(directory, "bad4.json", vocab: ["[UNK]"], preTokenizer: #"{"type": "Digits", "individual_digits": 1}"#),
             ["`pre_tokenizer.individual_digits`", "not a boolean"]),
        ]
        for (path, parts) in cases {
            XCTAssertThrowsError(try TokenizerLoader.load(path)) { error in
                let message = "\(error)"
                for part in parts + [path] { XCTAssertTrue(message.contains(part), "\"\(message)\" lacks \(part)") }
            }
        }
    }

    /// BERT files have no <|endoftext|> or </s>: packing separates documents with [SEP] and pads
    /// with [PAD] (ids 3 and 0 in the trained files, as in bert-base-uncased's vocabulary order).
    func testBertFilesPackWithSEPAndPadWithPAD() throws {
        for name in ["bert-wordpiece.json", "bert-wordpiece-cased.json"] {
            let tokenizer = try TokenizerLoader.load(repositoryRoot + "/Tests/CorpusTests/Fixtures/tokenizers/" + name)
            XCTAssertEqual(tokenizer.endOfDocumentID, 3, name)
            XCTAssertEqual(tokenizer.paddingID, 0, name)
            XCTAssertEqual(try tokenizer.decode([3, 0]), "[SEP] [PAD]")
        }
    }
}
