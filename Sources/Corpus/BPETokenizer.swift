// BPETokenizer.swift — a Hugging Face `tokenizer.json` byte-level BPE tokenizer (GPT-2 style) that
// gives exactly the ids of the Python `tokenizers` library (issue 2, item 4; DESIGN.md §2 `Corpus`).
//
// Encoding a text = what `Tokenizer.encode(text, add_special_tokens=False).ids` gives in
// tokenizers 0.23.3 (for a ByteLevel or absent post-processor — the trained Gradus file — that is
// also what plain `encode(text)` gives). The pipeline, one file each:
//   AddedTokenSplitter (added/special tokens in the text become their ids) →
//   [NFC, Split pre-tokenizers: Llama-3 / GPT-4o / Qwen2 files, issue 15 item 1] →
//   GPT2PreTokenizer (the GPT-2 regex, hand-written; unless ByteLevel's `use_regex` is false) →
//   byte ids (ByteLevel: each byte is one base token) →
//   BPEMerger (merges by rank, HF's tie rule) with a per-encoder ByteKeyedTable word cache.
// Loading and validation of the file: BPETokenizer+Definition.swift. Checked against
// Tests/CorpusTests/Fixtures/bpe-fixtures.jsonl.zst, made by tools/gen_bpe_fixtures.py.
//
// Deliberate differences from HF, all outside what a Gradus corpus needs: the post-processor,
// `truncation` and `padding` of the file are ignored (Gradus packs and pads itself); decoding an id
// outside the vocabulary throws instead of being skipped; special tokens are decoded to their
// content (HF's `decode(ids, skip_special_tokens=False)`).

import Storage

/// A byte-level BPE tokenizer read from a Hugging Face `tokenizer.json`.
///
/// ```swift
/// let tokenizer = try BPETokenizer(contentsOf: "corpora/tokenizer.json")
/// let encoder = tokenizer.makeEncoder()          // one per thread
/// let ids = try encoder.encode("Hello world")
/// let text = try tokenizer.decode(ids)           // "Hello world"
/// ```
public struct BPETokenizer: Tokenizer {
    /// `bpe`.
    public let name = "bpe"
    public let vocabularySize: Int
    /// Added tokens marked `"special": true`, by content.
    public let specialTokens: [String: TokenID]
    /// The first of `TokenizerSpecials.endOfDocument` (`<|endoftext|>`, `<|end_of_text|>`, `</s>`, `<eos>`, `[SEP]`) the vocabulary has.
    public let endOfDocumentID: TokenID?
    /// The first of `TokenizerSpecials.padding` the file has (`<|pad|>`, `<pad>`, `[PAD]`).
    public let paddingID: TokenID?
    /// SHA-256 (lower-case hex) of the `tokenizer.json` file's bytes; `sha256sum` prints the same.
    public let fingerprint: String
    /// The file this tokenizer was read from.
    public let path: String

    let model: BPEModel

    /// Reads and validates a `tokenizer.json`.
    ///
    /// Accepted: model `BPE` (merges as `"a b"` strings or `["a", "b"]` pairs, `ignore_merges`,
    /// `unk_token`/`fuse_unk`, no `dropout`, no `byte_fallback`, no subword prefix/suffix); a
    /// `ByteLevel` pre-tokenizer, alone or last in a `Sequence` after any number of `Split`s
    /// (Llama-3, GPT-4o, Qwen2; `add_prefix_space` and `use_regex` honoured); no normalizer or
    /// `NFC`; a `ByteLevel` decoder; any post-processor (ignored).
    /// - Throws: `TokenizerError.invalidDefinition` naming `path` and the problem (malformed JSON,
    ///   another model type such as WordPiece or Unigram, an unsupported normalizer or
    ///   pre-tokenizer, a merge of unknown tokens, ...); `FileError` if the file cannot be read.
    public init(contentsOf path: String) throws {
        try self.init(file: try TokenizerFile(path: path))
    }

    /// The tokenizer of an already parsed file (`TokenizerLoader` parses once).
    init(file: TokenizerFile) throws {
        let definition = try BPEDefinition(file: file)
        self.path = file.path
        model = try definition.makeModel()
        vocabularySize = definition.vocabularySize
        specialTokens = definition.specialTokens
        endOfDocumentID = TokenizerSpecials.endOfDocument.lazy.compactMap { definition.id(of: $0) }.first
        paddingID = TokenizerSpecials.padding.lazy.compactMap { definition.id(of: $0) }.first
        fingerprint = file.fingerprint
    }

    /// A fresh encoder with its own word cache and scratch buffers; use one per thread.
    public func makeEncoder() -> any TokenEncoder { BPEEncoder(model: model) }

    /// The token's bytes (a special token's: its content); `decode` then reads them as UTF-8
    /// with invalid sequences replaced by U+FFFD, as HF's ByteLevel decoder does.
    public func appendBytes(of id: TokenID, to bytes: inout [UInt8]) -> Bool {
        guard let range = model.decodeRange(id) else { return false }
        bytes.append(contentsOf: model.decodeBytes[range])
        return true
    }
}
