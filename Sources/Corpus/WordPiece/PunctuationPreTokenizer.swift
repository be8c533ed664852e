// PunctuationPreTokenizer.swift — the `Punctuation` pre-tokenizer of a tokenizer.json (issue 15
// item 1; `tokenizers`' `pre_tokenizers/punctuation.rs`): splits on each punctuation character
// (BERT's definition, `BertCharacters.isPunctuation`) with the file's `behavior`.

import Support

/// Splits on punctuation characters.
struct PunctuationPreTokenizer: PreTokenizerStep {
    /// What happens to each punctuation character; `isolated` when the file has no `behavior`.
    var behavior: SplitDelimiterBehavior

    init(behavior: SplitDelimiterBehavior = .isolated) { self.behavior = behavior }

    /// Reads a `"type": "Punctuation"` object at `keyPath` (`behavior`, default `Isolated`).
    /// - Throws: `invalidDefinition` naming `behavior` when it is not one of the five names.
    init(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        self.init(behavior: try SplitDelimiterBehavior(json, file: file, at: keyPath) ?? .isolated)
    }

    func split(_ piece: TextPiece, into output: inout [TextPiece]) {
        piece.split(behavior, into: &output, where: BertCharacters.isPunctuation)
    }
}
