// BPEEncoder.swift — the per-thread encoder of `BPETokenizer` (issue 2, item 4): added-token split
// → [NFC] → [Split pre-tokenizers] → GPT-2 pre-tokens → word cache or BPE merges → ids.
//
// GPT-2-style files (ByteLevel alone, no normalizer) take the hand-written path unchanged. Files
// with `Split` pre-tokenizers before ByteLevel (Llama-3, GPT-4o, Qwen2; issue 15 item 1) run each
// Split on the pieces of the one before, then ByteLevel (prefix space, GPT-2 regex if `use_regex`)
// on each final piece; the word cache is keyed by the pre-token's bytes as before. Those files read
// the text as Unicode (Oniguruma, ICU), so their text must be valid UTF-8: anything else throws
// `invalidUTF8` (the corpus readers already refuse such documents).
//
// Hot path (a cached pre-token): classify bytes (ASCII table), hash the pre-token's bytes, probe
// the open-addressing cache, append the cached ids. No allocation, no `String`, no dictionary keyed
// by `String`; the only heap growth is `output` itself and, on a miss, scratch arrays that keep
// their capacity. The cache holds 65 536 words of at most 255 bytes (HF: 10 000 words, see
// `cacheEntries`) and is emptied when full (HF stops inserting instead); either way a cache only
// changes speed, never ids.

/// Encodes UTF-8 text with a `BPETokenizer`'s tables. Not thread-safe: one per thread.
final class BPEEncoder: TokenEncoder {
    private let model: BPEModel
    private let preTokenizer: GPT2PreTokenizer
    private let cache: ByteKeyedTable
    private var merger = BPEMerger()
    /// Symbols of the word being merged.
    private var symbols: [TokenID] = []
    /// Scratch copy of a text piece with the space `add_prefix_space` puts in front.
    private var prefixed: [UInt8] = []
    /// `byteIDs` of the model, copied for unchecked access.
    private let byteIDs: UnsafeMutablePointer<TokenID>
    /// Words kept in the cache. HF keeps 10 000; on the sample corpora (344 000 distinct words
    /// in 4.4 M) 65 536 cuts cache misses by a third and encoding time by ~10 %, for ~4 MB per
    /// encoder (2 MB of 16-byte slots, 1 MB of keys, 1 MB of ids).
    static let cacheEntries = 65_536
    /// Whether the model reads the text as Unicode (a Split regex or a normalizer), so that it must be UTF-8.
    private let readsUnicode: Bool

    /// - Parameter cacheEntries: words the cache keeps (tests use a tiny cache to exercise clearing).
    init(model: BPEModel, cacheEntries: Int = BPEEncoder.cacheEntries) {
        self.model = model
        readsUnicode = !model.splits.isEmpty || model.normalizer != nil
        preTokenizer = GPT2PreTokenizer(classifier: GPT2ScalarClassifier())
        cache = ByteKeyedTable(maxEntries: cacheEntries, maxKeyLength: 255,
                               keyBytes: max(cacheEntries * 16, 1024), valueCount: max(cacheEntries * 4, 256))
        byteIDs = .allocate(capacity: 256)
        for i in 0..<256 { byteIDs[i] = model.byteIDs[i] }
        symbols.reserveCapacity(256)
    }

    deinit { byteIDs.deallocate() }

    func encode(_ text: UnsafeBufferPointer<UInt8>, into output: inout [TokenID]) throws {
        guard let base = text.baseAddress, !text.isEmpty else { return }
        if readsUnicode, let bad = UTF8Check.firstInvalid(text) {
            throw TokenizerError.invalidUTF8(offset: bad.offset, problem: bad.problem)
        }
        if model.addedTokens.isEmpty {
            encodePiece(base, text.count, into: &output)
        } else if model.normalizer == nil {
            // Without a normalizer, normalized text is the raw text: both phases in one pass.
            model.addedTokens.split(base, text.count, onText: { lo, hi in
                splitPiece(0, base + lo, hi - lo, into: &output)
            }, onToken: { id in
                output.append(id)
            })
        } else {
            model.addedTokens.splitRaw(base, text.count, onText: { lo, hi in
                encodePiece(base + lo, hi - lo, into: &output)
            }, onToken: { id in
                output.append(id)
            })
        }
    }

    /// A piece of raw text (between `normalized: false` added tokens): the normalizer, then the
    /// `normalized: true` added tokens on the normalized text (HF's `extract_and_normalize`), then
    /// the Split pre-tokenizers.
    private func encodePiece(_ p: UnsafePointer<UInt8>, _ n: Int, into output: inout [TokenID]) {
        guard let normalizer = model.normalizer, !UnsafeBufferPointer(start: p, count: n).allSatisfy({ $0 < 0x80 }) else {
            // No normalizer, or ASCII (which NFC leaves unchanged).
            return encodeNormalized(p, n, into: &output)
        }
        // Normalized into a fresh array: not hot for the corpora NFC files are used with (mostly
        // ASCII, or text already in NFC).
        let normalized = normalizer.normalize(UnsafeBufferPointer(start: p, count: n))
        normalized.withUnsafeBufferPointer { encodeNormalized($0.baseAddress!, $0.count, into: &output) }
    }

    /// Normalized text: the `normalized: true` added tokens, then the Split pre-tokenizers.
    private func encodeNormalized(_ p: UnsafePointer<UInt8>, _ n: Int, into output: inout [TokenID]) {
        guard !model.addedTokens.isEmpty, n > 0 else { return splitPiece(0, p, n, into: &output) }
        model.addedTokens.splitNormalized(p, n, onText: { lo, hi in
            splitPiece(0, p + lo, hi - lo, into: &output)
        }, onToken: { id in
            output.append(id)
        })
    }

    /// Runs `model.splits[level...]` over a piece, then ByteLevel and BPE on each final piece.
    private func splitPiece(_ level: Int, _ p: UnsafePointer<UInt8>, _ n: Int, into output: inout [TokenID]) {
        guard level < model.splits.count else { return encodeByteLevel(p, n, into: &output) }
        model.splits[level].forEachPiece(in: UnsafeBufferPointer(start: p, count: n)) { range in
            splitPiece(level + 1, p + range.lowerBound, range.count, into: &output)
        }
    }

    /// One piece for ByteLevel: the prefix space, the GPT-2 regex if `use_regex`, then BPE per pre-token.
    private func encodeByteLevel(_ p: UnsafePointer<UInt8>, _ n: Int, into output: inout [TokenID]) {
        guard n > 0 else { return }
        if model.addPrefixSpace && p[0] != UInt8(ascii: " ") {
            prefixed.removeAll(keepingCapacity: true)
            prefixed.append(UInt8(ascii: " "))
            prefixed.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
            prefixed.withUnsafeBufferPointer { encodeWords($0.baseAddress!, $0.count, into: &output) }
        } else {
            encodeWords(p, n, into: &output)
        }
    }

    private func encodeWords(_ p: UnsafePointer<UInt8>, _ n: Int, into output: inout [TokenID]) {
        guard model.useRegex else { return encodeWord(p, n, into: &output) }
        var i = 0
        while i < n {
            let end = preTokenizer.tokenEnd(p, from: i, count: n)
            encodeWord(p + i, end - i, into: &output)
            i = end
        }
    }

    /// The ids of one pre-token (HF's `BPE::tokenize_with_cache`).
    @inline(__always)
    private func encodeWord(_ p: UnsafePointer<UInt8>, _ n: Int, into output: inout [TokenID]) {
        if n == 1 {
            let id = byteIDs[Int(p[0])]
            if id != BPEModel.missing { output.append(id); return }
        }
        let h = ByteKeyedTable.hash(p, n)
        if model.ignoreMerges, let vocabulary = model.vocabularyByBytes, let ids = vocabulary.lookup(p, n, hash: h) {
            output.append(contentsOf: ids)
            return
        }
        if let ids = cache.lookup(p, n, hash: h) {
            output.append(contentsOf: ids)
            return
        }
        mergeWord(p, n)
        output.append(contentsOf: symbols)
        symbols.withUnsafeBufferPointer { cache.insert(p, n, hash: h, ids: $0) }
    }

    /// Fills `symbols` with the byte ids of the word (HF's `merge_word`: unknown bytes become the
    /// unknown token, fused when `fuse_unk`, or are dropped without one) and merges them.
    private func mergeWord(_ p: UnsafePointer<UInt8>, _ n: Int) {
        // Work on locals: each access to a class's `var` is an exclusivity check at run time.
        var word: [TokenID] = []
        swap(&word, &symbols)
        word.removeAll(keepingCapacity: true)
        let unknownID = model.unknownID
        var pendingUnknown = false
        for i in 0..<n {
            let id = byteIDs[Int(p[i])]
            if id != BPEModel.missing {
                if pendingUnknown, let unknownID { word.append(unknownID) }
                pendingUnknown = false
                word.append(id)
            } else if let unknownID {
                if model.fuseUnknown { pendingUnknown = true } else { word.append(unknownID) }
            }
        }
        if pendingUnknown, let unknownID { word.append(unknownID) }
        merger.merge(&word, table: model.merges)
        swap(&word, &symbols)
    }
}
