// Normalizers.swift — the small normalizers of a tokenizer.json, as `tokenizers` 0.23 defines
// them (`normalizers/unicode.rs`, `utils.rs`, `strip.rs`, `replace.rs`, `prepend.rs`). Larger ones
// (BertNormalizer, Precompiled) have files of their own.

import TextSupport

/// The Unicode version of the normalization and combining-mark tables `tokenizers` 0.23 uses (its
/// `unicode-normalization-alignments` crate): 9.0. Probed: U+08D4 (9.0, Mn) is stripped by
/// `StripAccents`, U+11D31 (10.0, Mn) is not; U+1F16C (12.0) has no NFKC decomposition there.
/// Characters assigned later are left alone by these steps, as they are there.
enum TokenizersUnicode {
    static let normalizationTables: Unicode.Version = (9, 0)

    /// Whether `scalar` was assigned in Unicode 9.0 or before.
    static func isInNormalizationTables(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return age.major < normalizationTables.major
            || (age.major == normalizationTables.major && age.minor <= normalizationTables.minor)
    }
}

/// `NFC`, `NFD`, `NFKC`, `NFKD` with ICU's tables, restricted to the characters of
/// `TokenizersUnicode.normalizationTables`.
struct UnicodeFormNormalizer: NormalizerStep {
    let normalizer: UnicodeNormalizer
    init(_ form: UnicodeNormalizer.Form) {
        switch form {
        case .nfc: normalizer = .nfc
        case .nfd: normalizer = .nfd
        case .nfkc: normalizer = .nfkc
        case .nfkd: normalizer = .nfkd
        }
    }
    func normalize(_ text: inout [UInt8]) {
        text = normalizer.normalize(text, assignedThrough: TokenizersUnicode.normalizationTables)
    }
}

/// `Lowercase`: each character by its full lowercase mapping (Rust's `char::to_lowercase`, which
/// has no final-sigma rule: Σ is always σ).
struct LowercaseNormalizer: NormalizerStep {
    func normalize(_ text: inout [UInt8]) {
        if text.allSatisfy({ $0 < 0x80 }) {
            for i in text.indices where text[i] >= UInt8(ascii: "A") && text[i] <= UInt8(ascii: "Z") { text[i] |= 0x20 }
            return
        }
        var out = String()
        out.reserveCapacity(text.count)
        for scalar in String(decoding: text, as: UTF8.self).unicodeScalars {
            if scalar.isASCII { out.unicodeScalars.append(scalar.properties.isUppercase ? Unicode.Scalar(scalar.value | 0x20)! : scalar) }
            else { out += scalar.properties.lowercaseMapping }
        }
        text = Array(out.utf8)
    }
}

/// `Strip`: removes White_Space characters from the left and/or right end.
struct StripNormalizer: NormalizerStep {
    let left: Bool
    let right: Bool
    func normalize(_ text: inout [UInt8]) {
        let scalars = Array(String(decoding: text, as: UTF8.self).unicodeScalars)
        var lo = 0, hi = scalars.count
        if left { while lo < hi, scalars[lo].properties.isWhitespace { lo += 1 } }
        if right { while hi > lo, scalars[hi - 1].properties.isWhitespace { hi -= 1 } }
        guard lo > 0 || hi < scalars.count else { return }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[lo..<hi])
        text = Array(String(out).utf8)
    }
}

/// `StripAccents`: removes combining marks (General_Category M: Mn, Mc, Me, as of
/// `TokenizersUnicode.normalizationTables`). Meant to follow NFD/NFKD.
struct StripAccentsNormalizer: NormalizerStep {
    func normalize(_ text: inout [UInt8]) {
        guard !text.allSatisfy({ $0 < 0x80 }) else { return }
        var out = String.UnicodeScalarView()
        for scalar in String(decoding: text, as: UTF8.self).unicodeScalars where !Self.isMark(scalar) { out.append(scalar) }
        text = Array(String(out).utf8)
    }

    static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        guard TokenizersUnicode.isInNormalizationTables(scalar) else { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }
}

/// `Replace`: every match of the pattern replaced by `content`.
struct ReplaceNormalizer: NormalizerStep {
    let replacer: PatternReplacer
    init(_ replacer: PatternReplacer) { self.replacer = replacer }
    func normalize(_ text: inout [UInt8]) { text = replacer.replace(text) }
}

/// `Prepend`: puts `prefix` in front of a non-empty text.
struct PrependNormalizer: NormalizerStep {
    let prefix: [UInt8]
    func normalize(_ text: inout [UInt8]) {
        guard !text.isEmpty else { return }
        text.insert(contentsOf: prefix, at: 0)
    }
}
