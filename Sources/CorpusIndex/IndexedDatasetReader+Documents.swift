// IndexedDatasetReader+Documents.swift — reading a pre-tokenized Megatron token dataset
// (`<prefix>.idx/.bin`, spec §3.1, §5.1) as documents of token ids: document d is the
// concatenation of items doc_idx[d] ..< doc_idx[d+1] (Megatron's preprocess_data writes one item
// per sentence, usually one per document, and calls end_document after each document).
//
// Token ids are handed out as UInt32 (`Corpus.TokenID`) through one reused buffer, so iterating a
// corpus allocates only when a document is longer than every one before it.

extension IndexedDatasetReader {
    /// Replaces the contents of `tokens` with the token ids of document `d`.
    /// - Throws: `tokenOutOfRange` (naming the `.bin`, item and element) for a negative id or one
    ///   above UInt32.max.
    /// - Complexity: O(tokens in the document); no allocation once `tokens` has the capacity.
    public func documentTokens(_ d: Int, into tokens: inout [UInt32]) throws {
        tokens.removeAll(keepingCapacity: true)
        for i in items(ofDocument: d) {
            try appendTokens(ofItem: i, to: &tokens)
        }
    }

    /// Appends the elements of item `i` to `tokens` as token ids.
    /// - Throws: `tokenOutOfRange` for a negative id or one above UInt32.max.
    /// - Complexity: O(size of the item).
    public func appendTokens(ofItem i: Int, to tokens: inout [UInt32]) throws {
        try withItemBytes(i) { raw, dtype in
            // Unsigned types up to 32 bits always fit: widen in one tight loop, no per-token check.
            switch dtype {
            case .uint8: return Self.widen(raw, UInt8.self, into: &tokens)
            case .uint16: return Self.widen(raw, UInt16.self, into: &tokens)
            case .uint32: return Self.widen(raw, UInt32.self, into: &tokens)
            default: break
            }
            var appender = TokenAppender(path: dataPath, item: i, bytes: raw, tokens: tokens)
            tokens = []  // hand the storage to the appender without a copy-on-write copy
            defer { tokens = appender.tokens }
            try dtype.dispatch(&appender)
        }
    }

    /// Appends the little-endian elements of `raw` (mapped, so naturally aligned) widened to UInt32.
    @inline(__always)
    private static func widen<T: UnsignedInteger & FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _: T.Type,
                                                                      into tokens: inout [UInt32]) {
        let n = raw.count / MemoryLayout<T>.size
        guard n > 0 else { return }
        let start = tokens.count
        tokens.append(contentsOf: repeatElement(0, count: n))
        tokens.withUnsafeMutableBufferPointer { dst in
            raw.withMemoryRebound(to: T.self) { src in
                for j in 0..<n { dst[start + j] = UInt32(truncatingIfNeeded: T(littleEndian: src[j])) }
            }
        }
    }

    /// Calls `body(d, tokens)` for every document in order, with one reused buffer. Empty
    /// documents (e.g. a duplicated doc_idx tail) are passed too, with an empty buffer.
    /// - Throws: what `documentTokens` or `body` throws.
    /// - Complexity: O(total tokens).
    public func forEachDocument(_ body: (Int, UnsafeBufferPointer<UInt32>) throws -> Void) throws {
        var tokens: [UInt32] = []
        for d in 0..<documentCount {
            try documentTokens(d, into: &tokens)
            try tokens.withUnsafeBufferPointer { try body(d, $0) }
        }
    }
}

/// Appends the elements of one item to a token buffer, checking each fits UInt32.
struct TokenAppender: IntegerVisitor {
    let path: String
    let item: Int
    let bytes: UnsafeRawBufferPointer
    var tokens: [UInt32]

    mutating func visit<T: FixedWidthInteger>(_: T.Type) throws {
        let n = bytes.count / MemoryLayout<T>.size
        for j in 0..<n {
            let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: j * MemoryLayout<T>.size, as: T.self))
            guard let id = UInt32(exactly: v) else {
                throw IndexedDatasetError.tokenOutOfRange(path: path, item: item, element: j, value: "\(v)")
            }
            tokens.append(id)
        }
    }
}
