// BertNormalizer.swift — the `BertNormalizer` normalizer of a tokenizer.json (issue 15 item 1), as
// `tokenizers`' `normalizers/bert.rs` runs it, in its order:
//
// 1. `clean_text`: drop U+0000, U+FFFD and control characters, then turn every whitespace
//    character into a space (so U+000B, a control and a space, is dropped);
// 2. `handle_chinese_chars`: put a space before and after each CJK ideograph;
// 3. `strip_accents` (null = follows `lowercase`): NFD (the library's Unicode 9.0 tables), then
//    drop nonspacing marks (its Unicode 8.0 Mn, `BertCharacterTables.nonspacing`);
// 4. `lowercase`: each scalar's full lowercase mapping (Rust's `char::to_lowercase`: `İ` → `i̇`,
//    no final-sigma rule).
//
// ASCII text (most of the work) takes one in-place pass; other text is rebuilt scalar by scalar.

import Support
import TextSupport

/// BERT's basic text cleaning, as one `NormalizerStep`.
struct BertNormalizer: NormalizerStep {
    /// Drop controls, turn whitespace into spaces.
    var cleanText: Bool
    /// Surround CJK ideographs with spaces.
    var handleChineseChars: Bool
    /// Decompose and drop nonspacing marks (already resolved: the file's null means `lowercase`).
    var stripAccents: Bool
    /// Lowercase every scalar.
    var lowercase: Bool

    /// - Parameter stripAccents: the file's value; nil follows `lowercase`, as in `tokenizers`.
    init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    /// Reads a `"type": "BertNormalizer"` object at `keyPath`; an absent flag takes the
    /// library's default (`clean_text`, `handle_chinese_chars`, `lowercase`: true; `strip_accents`: null).
    /// - Throws: `invalidDefinition` naming the key when a flag is not a boolean (or null).
    init(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        let strip: Bool?
        switch json["strip_accents"] {
        case nil, .null?: strip = nil
        case .bool(let flag)?: strip = flag
        default: throw file.problem("`\(keyPath).strip_accents` is not a boolean or null")
        }
        self.init(cleanText: try file.bool(json, "clean_text", at: keyPath, default: true),
                  handleChineseChars: try file.bool(json, "handle_chinese_chars", at: keyPath, default: true),
                  stripAccents: strip, lowercase: try file.bool(json, "lowercase", at: keyPath, default: true))
    }

    func normalize(_ text: inout [UInt8]) {
        if text.allSatisfy({ $0 < 0x80 }) {
            normalizeASCII(&text)
            return
        }
        if cleanText || handleChineseChars { cleanAndSpace(&text) }
        if stripAccents {
            // NFD with the library's Unicode 9.0 decompositions, then its Mn (Unicode 8.0) dropped.
            text = removingNonspacingMarks(UnicodeNormalizer.nfd.normalize(text, assignedThrough: TokenizersUnicode.normalizationTables))
        }
        if lowercase { lowercaseScalars(&text) }
    }

    /// All four steps on ASCII, where NFD changes nothing, no character is CJK and lowercasing
    /// is A–Z → a–z.
    private func normalizeASCII(_ text: inout [UInt8]) {
        guard cleanText || lowercase else { return }
        var kept = 0
        for i in text.indices {
            var b = text[i]
            if cleanText {
                if BertCharacters.isRemovedByCleaning(UInt32(b)) { continue }
                if BertCharacters.isWhitespace(UInt32(b)) { b = 0x20 }
            }
            if lowercase, b &- 0x41 < 26 { b |= 0x20 }
            text[kept] = b
            kept += 1
        }
        text.removeLast(text.count - kept)
    }

    /// Steps 1 and 2 in one pass (they act on disjoint characters: no CJK ideograph is a control
    /// or whitespace).
    private func cleanAndSpace(_ text: inout [UInt8]) {
        var output: [UInt8] = []
        output.reserveCapacity(text.count + text.count / 2)
        text.withUnsafeBufferPointer { bytes in
            var i = 0
            while i < bytes.count {
                let (c, length) = UTF8Scalar.decode(bytes, at: i)
                defer { i += length }
                if cleanText {
                    if c == 0 || c == 0xFFFD || BertCharacters.isRemovedByCleaning(c) { continue }
                    if BertCharacters.isWhitespace(c) { output.append(0x20); continue }
                }
                if handleChineseChars, c >= 0x3400, BertCharacters.isChinese(c) {
                    output.append(0x20)
                    output.append(contentsOf: bytes[i..<i + length])
                    output.append(0x20)
                } else {
                    output.append(contentsOf: bytes[i..<i + length])
                }
            }
        }
        text = output
    }

    /// `text` without its nonspacing marks.
    private func removingNonspacingMarks(_ text: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        text.withUnsafeBufferPointer { bytes in
            var i = 0
            while i < bytes.count {
                let (c, length) = UTF8Scalar.decode(bytes, at: i)
                if !BertCharacters.isNonspacingMark(c) { output.append(contentsOf: bytes[i..<i + length]) }
                i += length
            }
        }
        return output
    }

    /// Replaces every scalar by its full lowercase mapping.
    private func lowercaseScalars(_ text: inout [UInt8]) {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        text.withUnsafeBufferPointer { bytes in
            var i = 0
            while i < bytes.count {
                let (c, length) = UTF8Scalar.decode(bytes, at: i)
                defer { i += length }
                if c < 0x80 {
                    output.append(c &- 0x41 < 26 ? UInt8(c) | 0x20 : UInt8(c))
                    continue
                }
                if let scalar = Unicode.Scalar(c), scalar.properties.changesWhenLowercased {
                    output.append(contentsOf: scalar.properties.lowercaseMapping.utf8)
                } else {
                    output.append(contentsOf: bytes[i..<i + length])
                }
            }
        }
        text = output
    }
}
