// WordPieceDecoder.swift — the `WordPiece` decoder of a tokenizer.json (issue 15 item 1;
// `tokenizers`' `decoders/wordpiece.rs`): every token after the first loses its
// `continuing_subword_prefix` or, without one, gets a space in front; with `cleanup`, each token
// then has BERT's tokenization artefacts undone (" ." → ".", " n't" → "n't", " do not" →
// " don't", ...), replacement by replacement in that order, within the token.

import Support

/// Joins WordPiece tokens back into words.
struct WordPieceDecoder: DecoderStep {
    /// The prefix of continuing pieces (`##`).
    var prefix: [UInt8]
    /// Undo the spaces tokenization put around punctuation and contractions.
    var cleanup: Bool

    init(prefix: [UInt8] = Array("##".utf8), cleanup: Bool = true) {
        self.prefix = prefix
        self.cleanup = cleanup
    }

    /// Reads a `"type": "WordPiece"` decoder object at `keyPath` (`prefix` default `##`, `cleanup`
    /// default true).
    init(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        self.init(prefix: Array((try file.string(json, "prefix", at: keyPath, default: "##") ?? "##").utf8),
                  cleanup: try file.bool(json, "cleanup", at: keyPath, default: true))
    }

    /// `tokenizers`' `cleanup` replacements, applied in this order.
    static let cleanupReplacements: [(pattern: [UInt8], replacement: [UInt8])] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    func decode(_ tokens: [[UInt8]]) -> [[UInt8]] {
        tokens.enumerated().map { index, token in
            var out = token
            if index != 0 {
                if token.starts(with: prefix) { out.removeFirst(prefix.count) } else { out.insert(0x20, at: 0) }
            }
            if cleanup {
                // The standard library's `replacing` is Rust's `str::replace`: non-overlapping, left to right.
                for (pattern, replacement) in WordPieceDecoder.cleanupReplacements { out = out.replacing(pattern, with: replacement) }
            }
            return out
        }
    }
}
