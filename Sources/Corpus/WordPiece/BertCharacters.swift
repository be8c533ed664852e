// BertCharacters.swift — the character classes of BERT normalisation and pre-tokenization, as the
// Python `tokenizers` library defines them (`normalizers/bert.rs`, `pre_tokenizers/bert.rs`,
// `pre_tokenizers/digits.rs`; issue 15 item 1): Rust's `char::is_whitespace`, the crate-level
// control / punctuation / nonspacing-mark tables (`BertCharacterTables`, Unicode 8.0), BERT's fixed
// "Chinese character" blocks, and Rust's `char::is_numeric`. ASCII is answered from a 128-entry
// table; other scalars by binary search over the generated ranges.

/// Character predicates over Unicode scalar values.
enum BertCharacters {
    private static let whitespaceBit: UInt8 = 1, controlBit: UInt8 = 2, punctuationBit: UInt8 = 4, digitBit: UInt8 = 8

    /// Class bits of the 128 ASCII scalars.
    private static let ascii: [UInt8] = (0..<128).map { (b: Int) -> UInt8 in
        var bits: UInt8 = 0
        if (9...13).contains(b) || b == 32 { bits |= whitespaceBit }
        // Cc except tab, LF and CR (which BERT counts as whitespace); U+000B and U+000C are both.
        if (b < 32 || b == 127) && b != 9 && b != 10 && b != 13 { bits |= controlBit }
        if (33...47).contains(b) || (58...64).contains(b) || (91...96).contains(b) || (123...126).contains(b) {
            bits |= punctuationBit
        }
        if (48...57).contains(b) { bits |= digitBit }
        return bits
    }

    /// Rust's `char::is_whitespace` (the White_Space property, unchanged since Unicode 6.3).
    @inline(__always)
    static func isWhitespace(_ c: UInt32) -> Bool {
        if c < 128 { return ascii[Int(c)] & whitespaceBit != 0 }
        switch c {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// What `clean_text` removes: U+0000, U+FFFD and BERT's `is_control` (not tab, LF, CR).
    @inline(__always)
    static func isRemovedByCleaning(_ c: UInt32) -> Bool {
        if c < 128 { return ascii[Int(c)] & controlBit != 0 }
        return contains(BertCharacterTables.control, c)
    }

    /// HF's `is_bert_punc`: ASCII punctuation or a P* category (Unicode 8.0).
    @inline(__always)
    static func isPunctuation(_ c: UInt32) -> Bool {
        if c < 128 { return ascii[Int(c)] & punctuationBit != 0 }
        return contains(BertCharacterTables.punctuation, c)
    }

    /// A nonspacing mark (Mn, Unicode 8.0), which `strip_accents` drops after NFD.
    @inline(__always)
    static func isNonspacingMark(_ c: UInt32) -> Bool {
        c >= 0x300 && contains(BertCharacterTables.nonspacing, c)
    }

    /// BERT's `is_chinese_char`: the CJK Unified Ideographs blocks and extensions A–E and the
    /// compatibility ideographs (a fixed list in `bert.rs`, not a Unicode property).
    @inline(__always)
    static func isChinese(_ c: UInt32) -> Bool {
        switch c {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// Rust's `char::is_numeric`: general category Nd, Nl or No (Rust's Unicode, which matches
    /// the Swift standard library's for every scalar; the fixture test checks all of them).
    @inline(__always)
    static func isNumeric(_ c: UInt32) -> Bool {
        if c < 128 { return ascii[Int(c)] & digitBit != 0 }
        guard let scalar = Unicode.Scalar(c) else { return false }
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Whether `c` lies in one of `ranges` (sorted, disjoint).
    @inline(__always)
    private static func contains(_ ranges: [ClosedRange<UInt32>], _ c: UInt32) -> Bool {
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) >> 1
            if ranges[mid].upperBound < c { low = mid + 1 } else { high = mid }
        }
        return low < ranges.count && ranges[low].lowerBound <= c
    }
}

/// Decoding and encoding single scalars of valid UTF-8, for the BERT steps' loops.
enum UTF8Scalar {
    /// The scalar starting at `bytes[i]` and its length in bytes (`bytes` is valid UTF-8).
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (scalar: UInt32, length: Int) {
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F), 3)
        }
        return ((b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6
                    | UInt32(bytes[i + 3] & 0x3F), 4)
    }

    /// Appends the UTF-8 encoding of scalar `c` to `output`.
    @inline(__always)
    static func append(_ c: UInt32, to output: inout [UInt8]) {
        if c < 0x80 {
            output.append(UInt8(c))
        } else if c < 0x800 {
            output.append(UInt8(0xC0 | c >> 6)); output.append(UInt8(0x80 | c & 0x3F))
        } else if c < 0x10000 {
            output.append(UInt8(0xE0 | c >> 12)); output.append(UInt8(0x80 | c >> 6 & 0x3F))
            output.append(UInt8(0x80 | c & 0x3F))
        } else {
            output.append(UInt8(0xF0 | c >> 18)); output.append(UInt8(0x80 | c >> 12 & 0x3F))
            output.append(UInt8(0x80 | c >> 6 & 0x3F)); output.append(UInt8(0x80 | c & 0x3F))
        }
    }
}
