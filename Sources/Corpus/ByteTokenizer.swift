// ByteTokenizer.swift — the `bytes` tokenizer (issue 2 item 4, DESIGN.md §2 `Corpus`): one token
// per UTF-8 byte, so it covers every input and needs no vocabulary file.
//
// Ids: 0...255 are the byte values, 256 is `<|endoftext|>` (end of document, used when packing)
// and 257 is `<|pad|>`; the vocabulary size is 258.

import Support

/// One token per byte, plus end-of-document and padding.
public struct ByteTokenizer: Tokenizer {
    /// `<|endoftext|>`.
    public static let endOfTextID: TokenID = 256
    /// `<|pad|>`.
    public static let padID: TokenID = 257

    public init() {}

    public var name: String { "bytes" }
    public var vocabularySize: Int { 258 }
    public var specialTokens: [String: TokenID] {
        ["<|endoftext|>": ByteTokenizer.endOfTextID, "<|pad|>": ByteTokenizer.padID]
    }
    public var endOfDocumentID: TokenID? { ByteTokenizer.endOfTextID }
    public var paddingID: TokenID? { ByteTokenizer.padID }

    /// FNV-1a/64 of a canonical description of the id assignment (`bytes-v1; ...`); it changes
    /// only if the ids ever change.
    public var fingerprint: String {
        FNV1a64("bytes-v1; 0-255=byte; 256=<|endoftext|>; 257=<|pad|>".utf8).hex
    }

    public func makeEncoder() -> any TokenEncoder { ByteEncoder() }

    /// The byte itself; the special tokens append their text, `<|endoftext|>` and `<|pad|>`.
    public func appendBytes(of id: TokenID, to bytes: inout [UInt8]) -> Bool {
        switch id {
        case 0...255: bytes.append(UInt8(id))
        case ByteTokenizer.endOfTextID: bytes.append(contentsOf: "<|endoftext|>".utf8)
        case ByteTokenizer.padID: bytes.append(contentsOf: "<|pad|>".utf8)
        default: return false
        }
        return true
    }
}

/// Widens bytes to ids; never fails.
final class ByteEncoder: TokenEncoder {
    /// - Complexity: O(n), one growth of `output` at most, vectorisable.
    func encode(_ text: UnsafeBufferPointer<UInt8>, into output: inout [TokenID]) throws {
        let old = output.count
        let n = text.count
        guard n > 0, let source = text.baseAddress else { return }
        output.append(contentsOf: repeatElement(0, count: n))
        output.withUnsafeMutableBufferPointer { ids in
            let target = ids.baseAddress! + old
            for k in 0..<n { target[k] = TokenID(source[k]) }
        }
    }
}
