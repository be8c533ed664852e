// CharBPEWorker.swift — one thread's tokenizer of pre-tokens for `CharBPEModel` (issue 15 item 1):
// HF's `BPE::tokenize_with_cache` and `merge_word` (`models/bpe/model.rs`) over UTF-8 bytes.
//
// Hot path: an ASCII character is a table read; any other character (or one with a prefix or
// suffix) is one probe of the vocabulary's `ByteKeyedTable`; merging is `BPEMerger`. A pre-token
// of at most 255 bytes is kept in a per-worker word cache (HF keeps 10 000 words per thread). Both
// Llama layouts make the whole text one pre-token, so long pre-tokens are the common case and go
// through `BPEMerger`'s priority queue, as in HF.

/// Tokenizes pre-tokens with a `CharBPEModel`. Not thread-safe: one per thread.
final class CharBPEWorker: SubwordWorker {
    private let model: CharBPEModel
    private let cache: ByteKeyedTable
    private var merger = BPEMerger()
    /// Symbols of the word being merged.
    private var symbols: [TokenID] = []
    /// Scratch: a character with its prefix and suffix.
    private var key: [UInt8] = []
    /// Words kept in the cache; as `BPEEncoder.cacheEntries` but fewer, since whole texts of at
    /// most 255 bytes are rarer keys than words.
    static let cacheEntries = 16_384

    /// - Parameter cacheEntries: words the cache keeps (tests use a tiny cache to exercise clearing).
    init(model: CharBPEModel, cacheEntries: Int = CharBPEWorker.cacheEntries) {
        self.model = model
        cache = ByteKeyedTable(maxEntries: cacheEntries, maxKeyLength: 255,
                               keyBytes: max(cacheEntries * 32, 1024), valueCount: max(cacheEntries * 8, 256))
        symbols.reserveCapacity(256)
    }

    func tokenize(_ piece: [UInt8], into output: inout [TokenID]) throws {
        piece.withUnsafeBufferPointer { buffer in
            guard let p = buffer.baseAddress, !buffer.isEmpty else { return }
            tokenize(p, buffer.count, into: &output)
        }
    }

    /// HF's `tokenize_with_cache`: the whole pre-token when `ignore_merges` finds it, else the
    /// cache, else `mergeWord`.
    private func tokenize(_ p: UnsafePointer<UInt8>, _ n: Int, into output: inout [TokenID]) {
        let h = ByteKeyedTable.hash(p, n)
        if model.ignoreMerges, let ids = model.vocabulary.lookup(p, n, hash: h) {
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

    /// Fills `symbols` with the pre-token's character symbols (see `CharBPEModel`) and merges them.
    private func mergeWord(_ p: UnsafePointer<UInt8>, _ n: Int) {
        // Work on locals: each access to a class's `var` is an exclusivity check at run time.
        var word: [TokenID] = []
        swap(&word, &symbols)
        word.removeAll(keepingCapacity: true)
        var scratch: [UInt8] = []
        swap(&scratch, &key)
        let plain = model.prefix.isEmpty && model.suffix.isEmpty
        var pendingUnknown = false
        var i = 0
        while i < n {
            let length = min(CharBPEWorker.sequenceLength(p[i]), n - i)
            let isLast = i + length == n
            var id = CharBPEModel.missing
            if plain {
                id = length == 1 && p[i] < 0x80 ? model.asciiIDs[Int(p[i])] : model.lookup(p + i, length) ?? CharBPEModel.missing
            } else {
                scratch.removeAll(keepingCapacity: true)
                if i > 0 { scratch.append(contentsOf: model.prefix) }
                scratch.append(contentsOf: UnsafeBufferPointer(start: p + i, count: length))
                if isLast { scratch.append(contentsOf: model.suffix) }
                id = scratch.withUnsafeBufferPointer { model.lookup($0.baseAddress!, $0.count) } ?? CharBPEModel.missing
            }
            if id != CharBPEModel.missing {
                if pendingUnknown, let unknownID = model.unknownID { word.append(unknownID) }
                pendingUnknown = false
                word.append(id)
            } else {
                // HF's byte fallback appends the bytes (of the character with its affixes) without
                // emitting a pending unknown first.
                let fellBack = plain ? appendByteFallback(UnsafeBufferPointer(start: p + i, count: length), to: &word)
                                     : scratch.withUnsafeBufferPointer { appendByteFallback($0, to: &word) }
                if !fellBack, let unknownID = model.unknownID {
                    if pendingUnknown && !model.fuseUnknown { word.append(unknownID) }
                    pendingUnknown = true
                }
            }
            i += length
        }
        if pendingUnknown, let unknownID = model.unknownID { word.append(unknownID) }
        merger.merge(&word, table: model.merges)
        swap(&word, &symbols)
        swap(&scratch, &key)
    }

    /// Appends the `<0xNN>` ids of `bytes` and returns true when byte fallback is on and every
    /// byte has one; else appends nothing and returns false.
    @inline(__always)
    private func appendByteFallback(_ bytes: UnsafeBufferPointer<UInt8>, to word: inout [TokenID]) -> Bool {
        guard model.byteFallback else { return false }
        for byte in bytes where model.byteFallbackIDs[Int(byte)] == CharBPEModel.missing { return false }
        for byte in bytes { word.append(model.byteFallbackIDs[Int(byte)]) }
        return true
    }

    /// Bytes of the UTF-8 sequence that starts with `lead` (1 for a stray continuation byte,
    /// which valid text never has).
    @inline(__always)
    static func sequenceLength(_ lead: UInt8) -> Int {
        lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }
}
