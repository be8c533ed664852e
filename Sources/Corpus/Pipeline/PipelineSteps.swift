// PipelineSteps.swift — the four kinds of step a Hugging Face `tokenizer.json` chains, as Swift
// protocols over UTF-8 bytes (issue 15 item 1). `PipelineTokenizer` runs them in the library's
// order: added tokens → `normalizer` → `pre_tokenizer` → `model` per pre-token; decoding runs
// `decoder` over the tokens' strings. Each step of the file (`NFKC`, `Metaspace`, `WordPiece`, ...)
// is one type conforming to one of these, in a file of its own; `TokenizerFile` reads them.
//
// Offsets and alignments, which `tokenizers` tracks through every step, are not kept: Gradus
// needs ids and text, never character offsets, and dropping them is most of why it is faster.

/// One normalization step (`normalizer` or a member of its `Sequence`).
protocol NormalizerStep: Sendable {
    /// Replaces `text` (valid UTF-8) by its normalized form (valid UTF-8).
    func normalize(_ text: inout [UInt8])
}

/// A piece of normalized text during pre-tokenization.
struct TextPiece: Equatable {
    /// UTF-8.
    var bytes: [UInt8]
    /// Whether the piece begins where the input text begins (HF: `offsets_original().0 == 0`);
    /// Metaspace's `prepend_scheme: "first"` prepends `▁` only to such a piece. True for the text
    /// before the first added token when that text is at offset 0, and for the first piece split
    /// off at byte 0 of such a piece.
    var atStart: Bool
}

/// One pre-tokenization step (`pre_tokenizer` or a member of its `Sequence`): splits a piece of
/// normalized text into smaller pieces, and may rewrite them (Metaspace turns spaces into `▁`).
protocol PreTokenizerStep: Sendable {
    /// Appends the pieces `piece` splits into, in order, to `output`; no empty pieces.
    func split(_ piece: TextPiece, into output: inout [TextPiece])
}

/// A `model` (BPE, WordPiece, Unigram): the vocabulary and how one pre-token becomes ids.
protocol SubwordModel: Sendable {
    /// The id of a vocabulary token (by its UTF-8 bytes), if there is one.
    func id(of token: [UInt8]) -> TokenID?
    /// The vocabulary token (UTF-8 bytes) of `id`, if there is one.
    func token(of id: TokenID) -> [UInt8]?
    /// Largest vocabulary id + 1 (0 for an empty vocabulary).
    var vocabularySize: Int { get }
    /// A fresh tokenizer of pre-tokens with its own scratch buffers and caches; one per thread.
    func makeWorker() -> any SubwordWorker
}

/// Turns pre-tokens into ids for one thread.
protocol SubwordWorker: AnyObject {
    /// Appends the ids of the pre-token `piece` (UTF-8, non-empty) to `output`.
    /// - Throws: `TokenizerError.unknownToken` where the model cannot represent the piece and has
    ///   no unknown token (models that always can need not throw).
    func tokenize(_ piece: [UInt8], into output: inout [TokenID]) throws
}

/// One decoding step (`decoder` or a member of its `Sequence`), HF's `decode_chain`: takes the
/// token strings and returns new strings; `PipelineTokenizer.decode` concatenates the final ones.
protocol DecoderStep: Sendable {
    func decode(_ tokens: [[UInt8]]) -> [[UInt8]]
}
