// TokenizerTests.swift — the `bytes` and `residues` tokenizers (issue 2 item 4): id assignment,
// special tokens, encode/decode round trips over seeded random input, errors.

import XCTest
@testable import Corpus
import Support

final class TokenizerTests: XCTestCase {
    // MARK: - bytes

    func testByteTokenizerDescription() {
        let tokenizer = ByteTokenizer()
        XCTAssertEqual(tokenizer.name, "bytes")
        XCTAssertEqual(tokenizer.vocabularySize, 258)
        XCTAssertEqual(tokenizer.specialTokens, ["<|endoftext|>": 256, "<|pad|>": 257])
        XCTAssertEqual(tokenizer.endOfDocumentID, 256)
        XCTAssertEqual(tokenizer.paddingID, 257)
        XCTAssertEqual(tokenizer.fingerprint.count, 16)
        XCTAssertTrue(tokenizer.fingerprint.allSatisfy(\.isHexDigit))
        XCTAssertEqual(tokenizer.fingerprint, ByteTokenizer().fingerprint)
        XCTAssertNotEqual(tokenizer.fingerprint, ResidueTokenizer().fingerprint)
        // FNV-1a/64 reference values (empty string and "a", from the FNV specification).
        XCTAssertEqual(FNV1a64("".utf8).hex, "cbf29ce484222325")
        XCTAssertEqual(FNV1a64("a".utf8).hex, "af63dc4c8601ec8c")
    }

    func testByteEncodeIsTheUTF8Bytes() throws {
        let encoder = ByteTokenizer().makeEncoder()
        XCTAssertEqual(try encoder.encode("Aé中😀"), [65, 0xC3, 0xA9, 0xE4, 0xB8, 0xAD, 0xF0, 0x9F, 0x98, 0x80])
        XCTAssertEqual(try encoder.encode(""), [])
        // Appends to existing output.
        var output: [TokenID] = [256]
        try Array("hi".utf8).withUnsafeBufferPointer { try encoder.encode($0, into: &output) }
        XCTAssertEqual(output, [256, 104, 105])
    }

    func testByteRoundTripOverRandomText() throws {
        let tokenizer = ByteTokenizer()
        let encoder = tokenizer.makeEncoder()
        var rng = SplitMix64(seed: 2)
        let pool: [Character] = ["a", "Z", " ", "\n", "é", "ß", "Ж", "中", "😀", "\u{0}", "\u{7F}"]
        for _ in 0..<200 {
            let text = String((0..<Int(rng.next() % 300)).map { _ in pool[Int(rng.next() % UInt64(pool.count))] })
            let ids = try encoder.encode(text)
            XCTAssertEqual(ids.count, text.utf8.count)
            XCTAssertEqual(try tokenizer.decode(ids), text)
        }
    }

    func testByteDecodeSpecialsLossyAndUnknown() throws {
        let tokenizer = ByteTokenizer()
        XCTAssertEqual(try tokenizer.decode([104, 105, 256, 257]), "hi<|endoftext|><|pad|>")
        XCTAssertEqual(try tokenizer.decode([0x61, 0xFF, 0xC3]), "a\u{FFFD}\u{FFFD}")
        XCTAssertThrowsError(try tokenizer.decode([1, 258])) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownID(258, vocabularySize: 258))
        }
    }

    // MARK: - residues

    func testResidueIDs() throws {
        let tokenizer = ResidueTokenizer()
        XCTAssertEqual(tokenizer.name, "residues")
        XCTAssertEqual(tokenizer.vocabularySize, 30)
        XCTAssertEqual(tokenizer.specialTokens, ["<|pad|>": 0, "<|endoftext|>": 1])
        XCTAssertEqual(tokenizer.paddingID, 0)
        XCTAssertEqual(tokenizer.endOfDocumentID, 1)
        let encoder = tokenizer.makeEncoder()
        // The documented table, spelled out independently of the implementation.
        XCTAssertEqual(try encoder.encode("ACDEFGHIKLMNPQRSTVWY"), Array(2...21))
        XCTAssertEqual(try encoder.encode("XBZUOJ-*"), [22, 23, 24, 25, 26, 27, 28, 29])
        XCTAssertEqual(try encoder.encode("mkwa"), try encoder.encode("MKWA"))
        XCTAssertEqual(try encoder.encode("MKWA"), [12, 10, 20, 2])
        XCTAssertEqual(try tokenizer.decode([0, 12, 10, 1]), "<|pad|>MK<|endoftext|>")
        XCTAssertThrowsError(try tokenizer.decode([30])) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownID(30, vocabularySize: 30))
        }
    }

    func testResidueRoundTrip() throws {
        let tokenizer = ResidueTokenizer()
        let encoder = tokenizer.makeEncoder()
        let letters = Array("ACDEFGHIKLMNPQRSTVWYXBZUOJ-*")
        var rng = SplitMix64(seed: 9)
        for _ in 0..<200 {
            let text = String((0..<Int(rng.next() % 500)).map { _ in letters[Int(rng.next() % UInt64(letters.count))] })
            XCTAssertEqual(try tokenizer.decode(try encoder.encode(text)), text)
            XCTAssertEqual(try tokenizer.decode(try encoder.encode(text.lowercased())), text)
        }
    }

    func testResidueErrors() throws {
        let encoder = ResidueTokenizer().makeEncoder()
        let cases: [(String, String, Int)] = [
            ("Z1", "1", 1), ("1", "1", 0), ("MK V", " ", 2), ("MKV\n", "\n", 3), ("ACé", "é", 2), ("AC😀D", "😀", 2),
        ]
        for (text, character, offset) in cases {
            XCTAssertThrowsError(try encoder.encode(text), text) { error in
                XCTAssertEqual(error as? TokenizerError, .invalidCharacter(character, offset: offset, tokenizer: "residues"))
            }
        }
        // A failed call leaves the output as it was.
        var output: [TokenID] = [1, 2]
        XCTAssertThrowsError(try Array("ACDx1".utf8).withUnsafeBufferPointer { try encoder.encode($0, into: &output) })
        XCTAssertEqual(output, [1, 2])
        XCTAssertEqual("\(TokenizerError.invalidCharacter("1", offset: 1, tokenizer: "residues"))",
                       "character \"1\" at byte 1 is not in the residues alphabet")
        // Every byte outside the alphabet fails; every byte inside maps to the right letter.
        let allowed = Set("ACDEFGHIKLMNPQRSTVWYXBZUOJ-*".utf8).union("acdefghiklmnpqrstvwyxbzuoj".utf8)
        for byte in 0...255 {
            var ids: [TokenID] = []
            let result = Result { try [UInt8(byte)].withUnsafeBufferPointer { try encoder.encode($0, into: &ids) } }
            XCTAssertEqual((try? result.get()) != nil, allowed.contains(UInt8(byte)), "byte \(byte)")
        }
    }
}
