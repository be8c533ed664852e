// PreTokenizers.swift — the small pre-tokenizers of a tokenizer.json, as `tokenizers` 0.23 defines
// them (`pre_tokenizers/whitespace.rs`, `metaspace.rs`). Split, BertPreTokenizer, Punctuation and
// Digits have files of their own.

import Support

/// `WhitespaceSplit`: the runs of non-White_Space characters.
struct WhitespaceSplitPreTokenizer: PreTokenizerStep {
    func split(_ piece: TextPiece, into output: inout [TextPiece]) {
        forEachRun(of: piece, into: &output) { $0.properties.isWhitespace ? nil : 0 }
    }
}

/// `Whitespace`: the matches of `\w+|[^\w\s]+` (the Rust `regex` crate's Unicode `\w` and `\s`),
/// i.e. runs of word characters and runs of other non-space characters.
struct WhitespacePreTokenizer: PreTokenizerStep {
    func split(_ piece: TextPiece, into output: inout [TextPiece]) {
        forEachRun(of: piece, into: &output) { scalar in
            if UTF8Scan.isWordCharacter(scalar) { return 1 }
            return scalar.properties.isWhitespace ? nil : 2
        }
    }
}

/// Appends the maximal runs of characters of one class (`classOf` nil = dropped) as pieces; a
/// run keeps `atStart` only if it starts at byte 0 of a piece that had it.
private func forEachRun(of piece: TextPiece, into output: inout [TextPiece], classOf: (Unicode.Scalar) -> Int?) {
    var start = 0, offset = 0
    var current: Int? = nil
    var run: [UInt8] = []
    func flush() {
        if current != nil, !run.isEmpty { output.append(TextPiece(bytes: run, atStart: piece.atStart && start == 0)) }
        run.removeAll(keepingCapacity: true)
    }
    for scalar in String(decoding: piece.bytes, as: UTF8.self).unicodeScalars {
        let kind = classOf(scalar)
        if kind != current {
            flush()
            current = kind
            start = offset
        }
        if kind != nil { run.append(contentsOf: UTF8.encode(scalar)!) }
        offset += UTF8.width(scalar)
    }
    flush()
}

/// `Metaspace`: spaces (U+0020 only) become `replacement` (usually `▁`); `replacement` is put in
/// front of the piece by `prepend_scheme` (`always`; `first`: only for the piece where the text
/// begins; `never`) unless it already starts with it; with `split`, each `replacement` starts a
/// new piece (HF's `MergedWithNext`).
struct MetaspacePreTokenizer: PreTokenizerStep {
    enum PrependScheme: String, Sendable { case always, first, never }

    let replacement: [UInt8]
    let prependScheme: PrependScheme
    let split: Bool

    init(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool) {
        self.replacement = Array(String(replacement).utf8)
        self.prependScheme = prependScheme
        self.split = split
    }

    /// Reads `replacement`, `prepend_scheme` (default `always`), `split` (default true) and the
    /// older `add_prefix_space` (false means `never`; HF refuses it with another explicit scheme).
    init(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        let replacement = try file.character(json, "replacement", at: keyPath, default: "\u{2581}")!
        let schemeName = try file.string(json, "prepend_scheme", at: keyPath, default: "always")!
        guard var scheme = PrependScheme(rawValue: schemeName) else {
            throw file.problem("`\(keyPath).prepend_scheme` is \(schemeName.debugDescription); expected always, first or never")
        }
        if json["add_prefix_space"] == .bool(false) {
            guard scheme == .never || json["prepend_scheme"] == nil else {
                throw file.problem("`\(keyPath).add_prefix_space` is false but `prepend_scheme` is \(schemeName); they contradict each other")
            }
            scheme = .never
        }
        if json["add_prefix_space"] == .bool(false), json["prepend_scheme"] == nil {
            // HF's default scheme is `always`, which contradicts add_prefix_space: false; it refuses the file.
            throw file.problem("`\(keyPath).add_prefix_space` is false without `prepend_scheme: \"never\"`; tokenizers refuses this file too")
        }
        self.init(replacement: replacement, prependScheme: scheme, split: try file.bool(json, "split", at: keyPath, default: true))
    }

    func split(_ piece: TextPiece, into output: inout [TextPiece]) {
        var text: [UInt8] = []
        text.reserveCapacity(piece.bytes.count + replacement.count)
        for byte in piece.bytes {
            if byte == UInt8(ascii: " ") { text += replacement } else { text.append(byte) }
        }
        let prepend = prependScheme == .always || (prependScheme == .first && piece.atStart)
        if prepend, !text.starts(with: replacement) { text.insert(contentsOf: replacement, at: 0) }
        guard split else {
            if !text.isEmpty { output.append(TextPiece(bytes: text, atStart: piece.atStart)) }
            return
        }
        var start = 0, i = 0
        while i < text.count {
            if i > start, text[i] == replacement[0], text[i...].starts(with: replacement) {
                output.append(TextPiece(bytes: Array(text[start..<i]), atStart: piece.atStart && start == 0))
                start = i
            }
            i += 1
        }
        if start < text.count { output.append(TextPiece(bytes: Array(text[start...]), atStart: piece.atStart && start == 0)) }
    }
}
