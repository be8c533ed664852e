// UnigramWorker.swift — one thread's Unigram encoder: tokenizers' `Unigram::encode_optimized`
// (SentencePiece's `Model::EncodeOptimized`, unigram_model.cc) and `Unigram::tokenize`.
//
// Viterbi over the pre-token's UTF-8 bytes, one character at a time: every piece that starts at
// the character (a trie prefix walk, shortest first) offers `best[start] + score` to the position
// where it ends, and replaces the best there only when strictly greater (so among equal scores the
// first offered wins, as in the library). When no piece is exactly the one character, an unknown
// node with `min score − 10` is offered for it. Walking the best path back, consecutive unknown
// nodes (any node whose id is `unk_id`, a literal "<unk>" piece included) are fused into one
// piece — the library's `fuse_unk`, which is always on for Unigram. A fused piece that is in the
// vocabulary takes that id; otherwise its bytes' `<0xNN>` pieces when `byte_fallback` is set and
// all exist; otherwise `unk_id`.
//
// Hot path: a per-worker cache of whole pre-tokens (the library keeps one too), scratch arrays
// that keep their capacity, no `String`.

/// Encodes pre-tokens with a `UnigramModel`. Not thread-safe: one per thread.
final class UnigramWorker: SubwordWorker {
    private let model: UnigramModel
    private let cache: ByteKeyedTable
    /// Per byte position of the pre-token (0...n): best score of a path ending there, where
    /// that path's last node starts (-1: no path yet), and its id.
    private var bestScore: [Double] = []
    private var bestStart: [Int32] = []
    private var bestID: [Int32] = []
    /// The best path's pieces, last first: (start, end, id or -1 for fused unknowns).
    private var path: [(start: Int32, end: Int32, id: Int32)] = []
    private var ids: [TokenID] = []
    /// Pre-tokens kept in the cache (the library keeps 10 000 of fewer than 256 bytes).
    static let cacheEntries = 16_384

    init(model: UnigramModel, cacheEntries: Int = UnigramWorker.cacheEntries) {
        self.model = model
        cache = ByteKeyedTable(maxEntries: cacheEntries, maxKeyLength: 255,
                               keyBytes: max(cacheEntries * 16, 1024), valueCount: max(cacheEntries * 4, 256))
    }

    /// - Throws: `TokenizerError.unknownToken` for a character no piece covers when the model has
    ///   no `unk_id` (the library fails with "Encountered an unknown token but `unk_id` is missing").
    func tokenize(_ piece: [UInt8], into output: inout [TokenID]) throws {
        try piece.withUnsafeBufferPointer { buffer in
            guard let p = buffer.baseAddress, !buffer.isEmpty else { return }
            let n = buffer.count
            let hash = ByteKeyedTable.hash(p, n)
            if let cached = cache.lookup(p, n, hash: hash) {
                output.append(contentsOf: cached)
                return
            }
            try search(p, n)
            ids.removeAll(keepingCapacity: true)
            appendPath(p, into: &ids)
            ids.withUnsafeBufferPointer { cache.insert(p, n, hash: hash, ids: $0) }
            output.append(contentsOf: ids)
        }
    }

    /// Fills `bestScore`/`bestStart`/`bestID` for the `n` bytes at `p`.
    private func search(_ p: UnsafePointer<UInt8>, _ n: Int) throws {
        bestScore.removeAll(keepingCapacity: true)
        bestStart.removeAll(keepingCapacity: true)
        bestID.removeAll(keepingCapacity: true)
        bestScore.append(contentsOf: repeatElement(0, count: n + 1))
        bestStart.append(contentsOf: repeatElement(-1, count: n + 1))
        bestID.append(contentsOf: repeatElement(0, count: n + 1))
        let model = self.model
        try bestScore.withUnsafeMutableBufferPointer { score in
            try bestStart.withUnsafeMutableBufferPointer { start in
                try bestID.withUnsafeMutableBufferPointer { node in
                    try model.scores.withUnsafeBufferPointer { scores in
                        var position = 0
                        while position < n {
                            let base = score[position]
                            let length = min(Self.characterLength(p[position]), n - position)
                            var hasSingle = false
                            model.trie.forEachPrefix(of: p + position, count: n - position) { pieceLength, id in
                                let end = position + pieceLength
                                let candidate = scores[Int(id)] + base
                                if start[end] < 0 || candidate > score[end] {
                                    score[end] = candidate
                                    start[end] = Int32(position)
                                    node[end] = id
                                }
                                if pieceLength == length { hasSingle = true }
                            }
                            if !hasSingle {
                                let end = position + length
                                let candidate = model.unknownScore + base
                                if start[end] < 0 || candidate > score[end] {
                                    guard let unknown = model.unknownID else {
                                        throw TokenizerError.unknownToken(String(decoding: UnsafeBufferPointer(start: p + position, count: length), as: UTF8.self),
                                                                          unknownToken: "unk_id")
                                    }
                                    score[end] = candidate
                                    start[end] = Int32(position)
                                    node[end] = Int32(unknown)
                                }
                            }
                            position += length
                        }
                    }
                }
            }
        }
    }

    /// Walks the best path back from the end, fusing unknown runs, and appends its ids in order.
    private func appendPath(_ p: UnsafePointer<UInt8>, into output: inout [TokenID]) {
        path.removeAll(keepingCapacity: true)
        let unknown = model.unknownID.map { Int32($0) } ?? -1
        var end = Int32(bestStart.count - 1)
        var fusedEnd: Int32 = -1
        while end > 0 {
            let start = bestStart[Int(end)]
            let id = bestID[Int(end)]
            if id == unknown {
                if fusedEnd < 0 { fusedEnd = end }
            } else {
                if fusedEnd >= 0 { path.append((end, fusedEnd, -1)); fusedEnd = -1 }
                path.append((start, end, id))
            }
            end = start
        }
        if fusedEnd >= 0 { path.append((0, fusedEnd, -1)) }
        for (start, end, id) in path.reversed() {
            if id >= 0 { output.append(TokenID(id)); continue }
            appendFused(UnsafeBufferPointer(start: p + Int(start), count: Int(end - start)), into: &output)
        }
    }

    /// A fused run of unknown characters: its own id if the vocabulary has it, else byte fallback,
    /// else `unk_id`.
    private func appendFused(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [TokenID]) {
        if let id = model.ids[Array(bytes)] { return output.append(id) }
        if model.byteFallback, bytes.allSatisfy({ model.byteIDs[Int($0)] >= 0 }) {
            for byte in bytes { output.append(TokenID(model.byteIDs[Int(byte)])) }
            return
        }
        // A fused run exists only where an unknown node was placed, so `unknownID` is set.
        if let unknown = model.unknownID { output.append(unknown) }
    }

    /// The byte length of the UTF-8 character whose first byte is `lead` (1 for a stray
    /// continuation byte, which valid text never has).
    @inline(__always)
    static func characterLength(_ lead: UInt8) -> Int {
        lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }
}
