// NmtNormalizer.swift — the `Nmt` normalizer of a tokenizer.json (`normalizers/unicode.rs`
// `do_nmt`), SentencePiece's `nmt_nfkc` clean-up without the NFKC part: ASCII control characters
// (U+0001–0008, 000B, 000E–001F, 007F) and U+008F, U+009F are removed; tab, LF, FF, CR, U+1680,
// U+200B–200F, U+2028, U+2029, U+2581 (▁), U+FEFF and U+FFFD become a space. Converted ALBERT-
// and Marian-era files carry it before an `NFKC` step.

/// `Nmt`: removes control characters and turns other separators into spaces.
struct NmtNormalizer: NormalizerStep {
    func normalize(_ text: inout [UInt8]) {
        guard text.contains(where: { Self.asciiAction[Int($0 & 0x7F)] != 0 || $0 >= 0x80 }) else { return }
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var i = 0
        let n = text.count
        while i < n {
            let byte = text[i]
            if byte < 0x80 {
                switch Self.asciiAction[Int(byte)] {
                case 1: break
                case 2: output.append(UInt8(ascii: " "))
                default: output.append(byte)
                }
                i += 1
                continue
            }
            let length = min(UnigramWorker.characterLength(byte), n - i)
            let scalar = Self.decode(text, at: i, length: length)
            switch scalar {
            case 0x8F, 0x9F: break
            case 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD: output.append(UInt8(ascii: " "))
            default: output += text[i..<i + length]
            }
            i += length
        }
        text = output
    }

    /// Per ASCII byte: 0 keep, 1 remove, 2 becomes a space.
    private static let asciiAction: [UInt8] = (0..<128).map { byte in
        switch byte {
        case 0x09, 0x0A, 0x0C, 0x0D: return 2
        case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F: return 1
        default: return 0
        }
    }

    /// The scalar value of the `length`-byte UTF-8 character at `i`.
    private static func decode(_ text: [UInt8], at i: Int, length: Int) -> UInt32 {
        switch length {
        case 2: return UInt32(text[i] & 0x1F) << 6 | UInt32(text[i + 1] & 0x3F)
        case 3: return UInt32(text[i] & 0x0F) << 12 | UInt32(text[i + 1] & 0x3F) << 6 | UInt32(text[i + 2] & 0x3F)
        case 4: return UInt32(text[i] & 0x07) << 18 | UInt32(text[i + 1] & 0x3F) << 12 | UInt32(text[i + 2] & 0x3F) << 6 | UInt32(text[i + 3] & 0x3F)
        default: return UInt32(text[i])
        }
    }
}
