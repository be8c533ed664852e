// ResidueTokenizer.swift — the `residues` tokenizer for protein sequences (issue 2 item 4,
// DESIGN.md §2 `Corpus`), and the residue alphabet that the FASTA reader checks against.
//
// Ids (vocabulary size 30):
//   0 `<|pad|>`, 1 `<|endoftext|>` (specials first, so padding is id 0 as in most protein LMs);
//   2...21 the 20 standard amino acids in alphabetical one-letter order ACDEFGHIKLMNPQRSTVWY;
//   22...27 X B Z U O J (unknown, Asx, Glx, selenocysteine, pyrrolysine, Leu/Ile);
//   28 `-` (gap), 29 `*` (stop; the FASTA reader strips a terminal one but keeps inner ones).
// Lowercase letters map to the same ids. There is no `<|unk|>`: any other byte is an error.

import Support

/// The residue letters, in id order starting at id 2.
enum ResidueAlphabet {
    static let letters: [UInt8] = Array("ACDEFGHIKLMNPQRSTVWYXBZUOJ-*".utf8)

    /// For messages.
    static let description = "ACDEFGHIKLMNPQRSTVWY, XBZUOJ, '-' and '*' (either case)"

    /// byte → its uppercase residue letter, or 0 when the byte is not in the alphabet.
    static let foldTable: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 256)
        for letter in letters {
            table[Int(letter)] = letter
            if letter >= UInt8(ascii: "A") && letter <= UInt8(ascii: "Z") { table[Int(letter | 0x20)] = letter }
        }
        return table
    }()

    /// Replaces `buffer[from...]` by its uppercase residues; returns the index of the first byte
    /// that is not a residue (the buffer is then partly folded), or nil.
    static func foldInPlace(_ buffer: UnsafeMutableBufferPointer<UInt8>, from: Int) -> Int? {
        foldTable.withUnsafeBufferPointer { table in
            for k in from..<buffer.count {
                let folded = table[Int(buffer[k])]
                if folded == 0 { return k }
                buffer[k] = folded
            }
            return nil
        }
    }
}

/// One token per residue letter, plus padding and end-of-document.
public struct ResidueTokenizer: Tokenizer {
    /// `<|pad|>`.
    public static let padID: TokenID = 0
    /// `<|endoftext|>`.
    public static let endOfTextID: TokenID = 1
    /// The residue letters in id order, starting at id 2.
    public static let alphabet = String(decoding: ResidueAlphabet.letters, as: UTF8.self)

    /// byte → id, 0xFF for bytes outside the alphabet.
    static let idTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, letter) in ResidueAlphabet.letters.enumerated() {
            table[Int(letter)] = UInt8(2 + index)
            if letter >= UInt8(ascii: "A") && letter <= UInt8(ascii: "Z") { table[Int(letter | 0x20)] = UInt8(2 + index) }
        }
        return table
    }()

    public init() {}

    public var name: String { "residues" }
    public var vocabularySize: Int { 2 + ResidueAlphabet.letters.count }
    public var specialTokens: [String: TokenID] {
        ["<|pad|>": ResidueTokenizer.padID, "<|endoftext|>": ResidueTokenizer.endOfTextID]
    }
    public var endOfDocumentID: TokenID? { ResidueTokenizer.endOfTextID }
    public var paddingID: TokenID? { ResidueTokenizer.padID }

    /// FNV-1a/64 of a canonical description of the id assignment.
    public var fingerprint: String {
        FNV1a64("residues-v1; 0=<|pad|>; 1=<|endoftext|>; 2..=\(ResidueTokenizer.alphabet)".utf8).hex
    }

    public func makeEncoder() -> any TokenEncoder { ResidueEncoder() }

    /// The uppercase residue letter; the specials append `<|pad|>` and `<|endoftext|>`.
    public func appendBytes(of id: TokenID, to bytes: inout [UInt8]) -> Bool {
        switch id {
        case ResidueTokenizer.padID: bytes.append(contentsOf: "<|pad|>".utf8)
        case ResidueTokenizer.endOfTextID: bytes.append(contentsOf: "<|endoftext|>".utf8)
        case 2..<TokenID(vocabularySize): bytes.append(ResidueAlphabet.letters[Int(id) - 2])
        default: return false
        }
        return true
    }
}

/// Maps each byte through a 256-entry table; invalid bytes are detected after the loop from an
/// OR of all looked-up ids, so the loop itself has no per-residue branch.
final class ResidueEncoder: TokenEncoder {
    func encode(_ text: UnsafeBufferPointer<UInt8>, into output: inout [TokenID]) throws {
        let old = output.count
        let n = text.count
        guard n > 0, let source = text.baseAddress else { return }
        output.append(contentsOf: repeatElement(0, count: n))
        let seen: UInt8 = output.withUnsafeMutableBufferPointer { ids in
            ResidueTokenizer.idTable.withUnsafeBufferPointer { table in
                let target = ids.baseAddress! + old
                var all: UInt8 = 0
                for k in 0..<n {
                    let id = table[Int(source[k])]
                    all |= id
                    target[k] = TokenID(id)
                }
                return all
            }
        }
        guard seen & 0x80 != 0 else { return }
        output.removeLast(n)
        let bad = ResidueTokenizer.idTable.withUnsafeBufferPointer { table -> Int in
            var k = 0
            while k < n - 1 && table[Int(source[k])] != 0xFF { k += 1 }
            return k
        }
        throw TokenizerError.invalidCharacter(ResidueEncoder.character(text, at: bad), offset: bad,
                                              tokenizer: "residues")
    }

    /// The character starting at `offset` (U+FFFD when the bytes there are not valid UTF-8).
    static func character(_ text: UnsafeBufferPointer<UInt8>, at offset: Int) -> String {
        guard text[offset] >= 0x80, let base = text.baseAddress else {
            return String(Character(Unicode.Scalar(text[offset])))
        }
        let n = UTF8Check.sequenceLength(base, offset, text.count)
        guard n > 0 else { return "\u{FFFD}" }
        return String(decoding: UnsafeBufferPointer(rebasing: text[offset..<(offset + n)]), as: UTF8.self)
    }
}
