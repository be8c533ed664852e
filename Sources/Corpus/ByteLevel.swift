// ByteLevel.swift — GPT-2's reversible byte ↔ printable-character table (`bytes_to_unicode` in
// openai/gpt-2 `encoder.py`; `bytes_char` in Hugging Face tokenizers' `pre_tokenizers/byte_level.rs`),
// used by the byte-level BPE tokenizer (issue 2).
//
// A `tokenizer.json` stores every token as the string of these characters, one per byte: the
// printable bytes `!`..`~`, `¡`..`¬`, `®`..`ÿ` stand for themselves and the other 68 bytes map to
// U+0100, U+0101, ... in byte order (so the space 0x20 is `Ġ` U+0120, the newline is `Ċ`). The
// encoder works on byte ids directly; this table is only needed to read the vocabulary and merges.

enum ByteLevel {
    /// `scalars[b]` is the character that stands for byte `b`.
    static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!  // 256..<324: always valid scalars
                next += 1
            }
        }
        return table
    }()

    /// The byte a table character stands for, or nil for any other character.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if (0x21...0x7E).contains(v) || (0xA1...0xAC).contains(v) || (0xAE...0xFF).contains(v) {
            return UInt8(v)
        }
        guard v >= 256, v < 256 + 68 else { return nil }
        return inverseHigh[Int(v - 256)]
    }

    /// Bytes for U+0100..U+0143, in order.
    private static let inverseHigh: [UInt8] = {
        var out: [UInt8] = []
        for byte in 0..<256 where scalars[byte].value >= 256 { out.append(UInt8(byte)) }
        return out
    }()

    /// The bytes a token string stands for, or nil if some character is not in the table.
    static func bytes(ofToken token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let b = byte(for: scalar) else { return nil }
            out.append(b)
        }
        return out
    }

    /// What Hugging Face's ByteLevel decoder produces for one token: the table bytes when every
    /// character is in the table, otherwise the token's own UTF-8 (e.g. an added token `<x y>`).
    static func decodedBytes(ofToken token: String) -> [UInt8] {
        bytes(ofToken: token) ?? Array(token.utf8)
    }
}
