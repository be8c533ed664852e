// PipelineTokenizer.swift — a Hugging Face `tokenizer.json` run as `tokenizers` runs it (issue 15
// item 1): added tokens with `normalized: false` are found in the raw text; every other piece is
// normalized, searched for the added tokens with `normalized: true`, pre-tokenized, and each
// pre-token is given ids by the model. Decoding maps ids to token strings (an added token's
// content first, as HF's `id_to_token`) and runs the decoder steps; without a decoder the tokens
// are joined with spaces, as HF does.
//
// Byte-level BPE files (GPT-2, Llama-3) take the specialised `BPETokenizer` path instead; the
// loader chooses (`TokenizerLoader`). The post-processor, `truncation` and `padding` of a file are
// ignored: Gradus encodes without special tokens (HF's `add_special_tokens=False`) and packs and
// pads itself.

import Support

/// A tokenizer.json whose model is WordPiece, Unigram, WordLevel or character-level BPE.
///
/// ```swift
/// let tokenizer = try PipelineTokenizer(contentsOf: "bert-wordpiece.json")
/// let ids = try tokenizer.makeEncoder().encode("Hello world")
/// let text = try tokenizer.decode(ids)
/// ```
public struct PipelineTokenizer: Tokenizer {
    /// The model type, lower-cased: `wordpiece`, `unigram`, `wordlevel`, `bpe`.
    public let name: String
    public let vocabularySize: Int
    /// Added tokens marked `"special": true`, by content.
    public let specialTokens: [String: TokenID]
    public let endOfDocumentID: TokenID?
    public let paddingID: TokenID?
    /// SHA-256 (lower-case hex) of the file's bytes.
    public let fingerprint: String
    /// The file this tokenizer was read from.
    public let path: String

    let normalizers: [any NormalizerStep]
    let preTokenizers: [any PreTokenizerStep]
    let model: any SubwordModel
    /// nil: join the tokens with spaces.
    let decoders: [any DecoderStep]?
    let addedTokens: AddedTokenSplitter
    /// Added tokens' contents by id (they take precedence over the model's tokens in decoding).
    let addedContent: [TokenID: [UInt8]]

    /// Reads and validates a `tokenizer.json`.
    /// - Throws: `TokenizerError.invalidDefinition` naming `path`, the key path and the problem (a
    ///   step type Gradus does not implement is named); `FileError` if the file cannot be read.
    public init(contentsOf path: String) throws {
        try self.init(file: try TokenizerFile(path: path))
    }

    init(file: TokenizerFile) throws {
        path = file.path
        fingerprint = file.fingerprint
        name = (file.typeName(file.root["model"]) ?? "model").lowercased()
        normalizers = try file.normalizers()
        preTokenizers = try file.preTokenizers()
        model = try file.model()
        decoders = try file.decoders()
        let added = try file.addedTokens()
        addedTokens = AddedTokenSplitter(tokens: added)
        var content: [TokenID: [UInt8]] = [:]
        var special: [String: TokenID] = [:]
        for token in added {
            content[token.id] = Array(token.content.utf8)
            if token.special { special[token.content] = token.id }
        }
        addedContent = content
        specialTokens = special
        vocabularySize = max(model.vocabularySize, (added.map { Int($0.id) + 1 }).max() ?? 0)
        let model = self.model
        func id(_ text: String) -> TokenID? {
            added.first { Array($0.content.utf8) == Array(text.utf8) }?.id ?? model.id(of: Array(text.utf8))
        }
        endOfDocumentID = TokenizerSpecials.endOfDocument.lazy.compactMap(id).first
        paddingID = TokenizerSpecials.padding.lazy.compactMap(id).first
    }

    /// A fresh encoder with the model's per-thread worker; use one per thread.
    public func makeEncoder() -> any TokenEncoder { PipelineEncoder(tokenizer: self) }

    /// The token string of `id` (an added token's content, else the model's token).
    public func appendBytes(of id: TokenID, to bytes: inout [UInt8]) -> Bool {
        guard let token = tokenBytes(id) else { return false }
        bytes += token
        return true
    }

    /// The decoder's text for `ids`; invalid UTF-8 becomes U+FFFD.
    public func decode(_ ids: [TokenID]) throws -> String {
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = tokenBytes(id) else { throw TokenizerError.unknownID(id, vocabularySize: vocabularySize) }
            tokens.append(token)
        }
        guard let decoders else {
            return tokens.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        }
        for step in decoders { tokens = step.decode(tokens) }
        return String(decoding: tokens.flatMap { $0 }, as: UTF8.self)
    }

    private func tokenBytes(_ id: TokenID) -> [UInt8]? { addedContent[id] ?? model.token(of: id) }
}

/// The conventional names of the end-of-document and padding tokens, first match wins; shared by
/// every tokenizer family so packing picks the same token whatever the file's model.
enum TokenizerSpecials {
    static let endOfDocument = ["<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>", "[SEP]"]
    static let padding = ["<|pad|>", "<pad>", "[PAD]"]
}

/// The per-thread encoder of a `PipelineTokenizer`.
final class PipelineEncoder: TokenEncoder {
    private let tokenizer: PipelineTokenizer
    private let worker: any SubwordWorker
    private var pieces: [TextPiece] = []
    private var next: [TextPiece] = []

    init(tokenizer: PipelineTokenizer) {
        self.tokenizer = tokenizer
        worker = tokenizer.model.makeWorker()
    }

    func encode(_ text: UnsafeBufferPointer<UInt8>, into output: inout [TokenID]) throws {
        guard let base = text.baseAddress, !text.isEmpty else { return }
        if tokenizer.addedTokens.isEmpty { return try encodeRaw(text, atStart: true, into: &output) }
        try tokenizer.addedTokens.splitRaw(base, text.count, onText: { lo, hi in
            try encodeRaw(UnsafeBufferPointer(rebasing: text[lo..<hi]), atStart: lo == 0, into: &output)
        }, onToken: { output.append($0) })
    }

    /// A piece between raw-matched added tokens: normalize, then find the normalized added tokens.
    private func encodeRaw(_ piece: UnsafeBufferPointer<UInt8>, atStart: Bool, into output: inout [TokenID]) throws {
        var normalized = Array(piece)
        for step in tokenizer.normalizers { step.normalize(&normalized) }
        guard !normalized.isEmpty else { return }
        if tokenizer.addedTokens.isEmpty { return try encodeNormalized(normalized, atStart: atStart, into: &output) }
        try normalized.withUnsafeBufferPointer { buffer in
            try tokenizer.addedTokens.splitNormalized(buffer.baseAddress!, buffer.count, onText: { lo, hi in
                try encodeNormalized(Array(buffer[lo..<hi]), atStart: atStart && lo == 0, into: &output)
            }, onToken: { output.append($0) })
        }
    }

    /// Pre-tokenize, then the model on each pre-token.
    private func encodeNormalized(_ text: [UInt8], atStart: Bool, into output: inout [TokenID]) throws {
        pieces.removeAll(keepingCapacity: true)
        pieces.append(TextPiece(bytes: text, atStart: atStart))
        for step in tokenizer.preTokenizers {
            next.removeAll(keepingCapacity: true)
            for piece in pieces { step.split(piece, into: &next) }
            swap(&pieces, &next)
        }
        for piece in pieces where !piece.bytes.isEmpty { try worker.tokenize(piece.bytes, into: &output) }
    }
}
