// SampleWriter.swift — the single-threaded, in-order end of pass 1 (issue 3 item 3): turns
// documents, in corpus order, into samples with dense ids (one per document, or packed to L+1
// tokens), stores `samples`, `docs` and the pass-1 metrics with MDB_APPEND, and counts tokens.
// Shared by `gradus index` and `gradus merge`, so both give identical indexes.

import Corpus
#if canImport(Glibc)
import Glibc
#endif
import Storage

/// Writes samples into an index being built.
final class SampleWriter {
    /// What survives a commit (and is saved in the resume cursor).
    struct State {
        var nextSample = 0
        var counts = IndexCounts()
        var carry: [TokenID] = []
        var carryDocs: [CarryDoc] = []
    }

    var state: State
    /// Corpus token counts over every stored sample token, indexed by token id.
    private(set) var tokenCounts: [UInt64]
    private let vocabularySize: Int
    private let width: Int
    private let pack: Int?
    private let endOfDocument: TokenID?
    private let samplesDB: LMDBDatabase
    private let docsDB: LMDBDatabase
    private let seqlenDB: LMDBDatabase?
    private let entropyDB: LMDBDatabase?
    /// Counts of the batch being written; added to `tokenCounts` after its commit.
    private var batchCounts: [UInt64]
    /// Per-sample histogram scratch for entropy (always left all-zero).
    private var entropyScratch: [UInt32]
    private var encoded = [UInt8]()
    private var docBytes = [UInt8]()

    init(store: IndexStore, manifest: IndexManifest, state: State, tokenCounts: [UInt64]) throws {
        self.state = state
        vocabularySize = manifest.tokenizer.vocabularySize
        width = manifest.tokenWidth
        // A shard stores documents as they are; packing and metrics happen when shards are merged.
        let isShard = manifest.kind == IndexKind.shard
        pack = isShard ? nil : manifest.pack
        endOfDocument = manifest.tokenizer.endOfDocumentID
        self.tokenCounts = tokenCounts
        batchCounts = [UInt64](repeating: 0, count: vocabularySize)
        let names = isShard ? [] : Set(manifest.metrics.map(\.name))
        samplesDB = try store.database(IndexFormat.samplesDB)
        docsDB = try store.database(IndexFormat.docsDB)
        seqlenDB = names.contains(MetricName.seqlen) ? try store.database(IndexFormat.metricDB(MetricName.seqlen)) : nil
        entropyDB = names.contains(MetricName.entropy) ? try store.database(IndexFormat.metricDB(MetricName.entropy)) : nil
        entropyScratch = entropyDB == nil ? [] : [UInt32](repeating: 0, count: vocabularySize)
        if manifest.pack != nil && endOfDocument == nil {
            throw IndexError.invalidArgument("--pack needs an end-of-document token, and tokenizer '\(manifest.tokenizer.name)' has none")
        }
    }

    /// Runs `body` (which calls `add`) in one write transaction together with `extra` (e.g. the
    /// resume cursor). Safe against LMDB re-running the closure on map growth: the state is
    /// restored at every attempt and token counts are merged only after the commit.
    func transaction(store: IndexStore, _ body: (LMDBWriteTransaction) throws -> Void) throws {
        let saved = state
        try store.env.write { txn in
            state = saved
            batchCounts.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            try body(txn)
        }
        for t in 0..<vocabularySize { tokenCounts[t] &+= batchCounts[t] }
    }

    /// Adds one document (already in corpus order).
    /// - Throws: `IndexError.badInput` for a token id outside the vocabulary.
    func add(document tokens: UnsafeBufferPointer<TokenID>, doc: DocRecord, txn: LMDBWriteTransaction) throws {
        state.counts.documents += 1
        guard let length = pack, let eod = endOfDocument else {
            try emit(tokens, doc: doc, txn: txn)
            return
        }
        state.carryDocs.append(CarryDoc(offset: state.carry.count, doc: doc))
        state.carry.append(contentsOf: tokens)
        state.carry.append(eod)
        var start = 0
        while state.carry.count - start >= length + 1 {
            let first = state.carryDocs.lastIndex { $0.offset <= start } ?? 0
            try state.carry.withUnsafeBufferPointer { all in
                try emit(UnsafeBufferPointer(rebasing: all[start..<(start + length + 1)]), doc: state.carryDocs[first].doc, txn: txn)
            }
            start += length
        }
        if start > 0 { compactCarry(from: start) }
    }

    /// Drops the first `start` carry tokens, keeping the docs that still own carry tokens.
    private func compactCarry(from start: Int) {
        state.carry.removeFirst(start)
        let keepFrom = state.carryDocs.lastIndex { $0.offset <= start } ?? 0
        state.carryDocs.removeFirst(keepFrom)
        for i in state.carryDocs.indices { state.carryDocs[i].offset = max(0, state.carryDocs[i].offset - start) }
    }

    /// With `--pack`: the carry-over that is too short for a sample is dropped at the end.
    func finishPacking() {
        guard pack != nil else { return }
        state.counts.droppedTokens = max(0, state.carry.count - (state.nextSample > 0 ? 1 : 0))
        state.carry.removeAll()
        state.carryDocs.removeAll()
    }

    /// Stores one sample and its pass-1 metrics.
    private func emit(_ tokens: UnsafeBufferPointer<TokenID>, doc: DocRecord, txn: LMDBWriteTransaction) throws {
        let id = state.nextSample
        try countAndCheck(tokens, doc: doc)
        let key = IndexFormat.idKey(id)
        encoded.removeAll(keepingCapacity: true)
        IndexFormat.encodeTokens(tokens, width: width, into: &encoded)
        try txn.put(key: key, value: encoded, in: samplesDB, append: true)
        docBytes.removeAll(keepingCapacity: true)
        doc.encode(into: &docBytes)
        try txn.put(key: key, value: docBytes, in: docsDB, append: true)
        if let seqlenDB { try putValue(Double(tokens.count), key: key, db: seqlenDB, txn: txn) }
        if let entropyDB { try putValue(entropyBits(tokens), key: key, db: entropyDB, txn: txn) }
        state.nextSample += 1
        state.counts.samples += 1
        state.counts.tokens += tokens.count
        state.counts.maxSampleLength = max(state.counts.maxSampleLength, tokens.count)
    }

    private func putValue(_ value: Double, key: KeyBuilder, db: LMDBDatabase, txn: LMDBWriteTransaction) throws {
        try withUnsafeBytes(of: IndexFormat.encodeValue(value)) { try txn.put(key: key, value: $0, in: db, append: true) }
    }

    /// Adds the tokens to the batch counts, checking each id against the vocabulary.
    private func countAndCheck(_ tokens: UnsafeBufferPointer<TokenID>, doc: DocRecord) throws {
        let limit = TokenID(truncatingIfNeeded: vocabularySize)
        let bad: TokenID? = batchCounts.withUnsafeMutableBufferPointer { counts in
            for t in tokens {
                guard t < limit else { return t }
                counts[Int(t)] &+= 1
            }
            return nil
        }
        if let bad {
            throw IndexError.badInput(path: "input \(doc.input)",
                                      problem: "record \(doc.record): token id \(bad) is outside the vocabulary of \(vocabularySize) (check --vocab-size)")
        }
    }

    /// Shannon entropy of the sample's token distribution, in bits (0 for an empty sample).
    private func entropyBits(_ tokens: UnsafeBufferPointer<TokenID>) -> Double {
        guard !tokens.isEmpty else { return 0 }
        return entropyScratch.withUnsafeMutableBufferPointer { scratch in
            for t in tokens { scratch[Int(t)] &+= 1 }
            let n = Double(tokens.count)
            var h = 0.0
            for t in tokens where scratch[Int(t)] != 0 {
                let p = Double(scratch[Int(t)]) / n
                h -= p * log2(p)
                scratch[Int(t)] = 0
            }
            return h
        }
    }
}
