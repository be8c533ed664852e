// DigitsPreTokenizer.swift — the `Digits` pre-tokenizer of a tokenizer.json (issue 15 item 1;
// `tokenizers`' `pre_tokenizers/digits.rs`): numeric characters (Rust's `char::is_numeric`:
// Nd, Nl, No — so `½` and `Ⅻ` count) split from the rest, each alone (`individual_digits`) or
// as runs.

import Support

/// Splits numbers from the text around them.
struct DigitsPreTokenizer: PreTokenizerStep {
    /// One piece per numeric character instead of one per run.
    var individualDigits: Bool

    init(individualDigits: Bool = false) { self.individualDigits = individualDigits }

    /// Reads a `"type": "Digits"` object at `keyPath` (`individual_digits`, default false).
    init(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        self.init(individualDigits: try file.bool(json, "individual_digits", at: keyPath, default: false))
    }

    func split(_ piece: TextPiece, into output: inout [TextPiece]) {
        piece.split(individualDigits ? .isolated : .contiguous, into: &output, where: BertCharacters.isNumeric)
    }
}
