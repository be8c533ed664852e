// Tokenizer.swift — the tokenizer abstraction shared by the bytes, residues and byte-level BPE
// tokenizers (issue 2, DESIGN.md §2 `Corpus`).
//
// A `Tokenizer` is an immutable, `Sendable` description (vocabulary, merges, special tokens).
// Encoding goes through a `TokenEncoder` made from it, one per thread: an encoder may keep
// scratch buffers and caches, so the hot path allocates nothing per token.

/// Identifies a token. Vocabularies above 2^32 do not occur in practice.
public typealias TokenID = UInt32

public protocol Tokenizer: Sendable {
    /// Short name used in index metadata and messages: `bytes`, `residues`, `bpe`.
    var name: String { get }
    /// Number of ids, special tokens included; every id is `< vocabularySize`.
    var vocabularySize: Int { get }
    /// Special (added) tokens by their content, e.g. `"<|endoftext|>": 8190`.
    var specialTokens: [String: TokenID] { get }
    /// The id that separates documents when packing (`--pack`), if the vocabulary has one.
    var endOfDocumentID: TokenID? { get }
    /// The id used to pad short sequences, if the vocabulary has one.
    var paddingID: TokenID? { get }
    /// A stable hex digest of everything that determines the ids (recorded in index metadata).
    var fingerprint: String { get }

    /// A fresh encoder; use one per thread.
    func makeEncoder() -> any TokenEncoder

    /// Appends the bytes of token `id` (a special token's: its content) to `bytes`; false when
    /// no token has the id.
    func appendBytes(of id: TokenID, to bytes: inout [UInt8]) -> Bool

    /// The text of `ids`, as the tokenizer's decoder gives it (HF's `decode(ids,
    /// skip_special_tokens=False)`). The default concatenates `appendBytes`.
    /// - Throws: `TokenizerError.unknownID` for an id outside the vocabulary.
    func decode(_ ids: [TokenID]) throws -> String
}

extension Tokenizer {
    /// Text for `ids`: their bytes, with sequences that are not valid UTF-8 decoded to U+FFFD.
    /// - Throws: `TokenizerError.unknownID` for an id outside the vocabulary.
    /// - Complexity: O(total bytes).
    public func decode(_ ids: [TokenID]) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count)
        for id in ids {
            guard appendBytes(of: id, to: &bytes) else { throw TokenizerError.unknownID(id, vocabularySize: vocabularySize) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Stateful encoder for one thread.
public protocol TokenEncoder: AnyObject {
    /// Appends the ids of the UTF-8 text `text` to `output` (which is not cleared).
    /// - Throws: `TokenizerError.invalidCharacter` where the tokenizer cannot represent the text
    ///   (only `residues` can fail: bytes and byte-level BPE cover every byte).
    func encode(_ text: UnsafeBufferPointer<UInt8>, into output: inout [TokenID]) throws
}

extension TokenEncoder {
    /// Convenience for tests and small inputs.
    public func encode(_ text: String) throws -> [TokenID] {
        var output: [TokenID] = []
        var copy = text
        try copy.withUTF8 { try encode($0, into: &output) }
        return output
    }
}

public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case unknownID(TokenID, vocabularySize: Int)
    /// `offset` is the byte offset of the character within the encoded text.
    case invalidCharacter(String, offset: Int, tokenizer: String)
    /// A tokenizer file that cannot be used; `path` names it.
    case invalidDefinition(path: String, problem: String)
    /// A piece of text the model has no token for, in a vocabulary without an unknown token.
    case unknownToken(String, unknownToken: String)

    public var description: String {
        switch self {
        case let .unknownID(id, size):
            return "token id \(id) is outside the vocabulary (size \(size))"
        case let .invalidCharacter(char, offset, tokenizer):
            return "character \(char.debugDescription) at byte \(offset) is not in the \(tokenizer) alphabet"
        case let .invalidDefinition(path, problem):
            return "\(path): not a usable tokenizer: \(problem)"
        case let .unknownToken(piece, unknown):
            return "\(piece.debugDescription) is not in the vocabulary, and the vocabulary has no unknown token \(unknown.debugDescription) to stand for it"
        }
    }
}
