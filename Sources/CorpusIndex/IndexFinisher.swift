// IndexFinisher.swift — pass 2 of `gradus index` and of `gradus merge` (issue 3 items 2–4):
// the `counts` table, corpus-level metrics computed from the *stored* tokens (no re-reading of
// the inputs), the dense `ranks/<metric>` tables sorted by (value, sample id), and the durable switch
// of the state to `complete` (data synced before the state is written, and again after).

import Corpus
import Foundation
import Storage
import Support

enum IndexFinisher {
    /// Finishes an index whose samples are all stored: computes the metrics that need token
    /// counts, writes every metric's order table and marks the index complete. Re-runnable: a
    /// resumed pass 2 redoes it.
    ///
    /// Works in chunks of `runLength` consecutive samples, each its own write transaction (LMDB
    /// holds a transaction's dirty pages in memory): the values of every metric for the chunk
    /// (computed over `threads` workers and written to `values/<m>`, or read back from the
    /// `values/<m>` chunks pass 1 wrote), then sorted into one run per metric; then the runs are
    /// merged into `ranks/<m>` (ExternalRankSort), again a chunk per transaction.
    /// - Parameter onPhase: called with `order` before the order tables and `sync` before the
    ///   final sync (for progress and per-phase timings).
    /// - Parameters:
    ///   - tokenSums: the token chunks' checksums when already known (a merge: its shards'), so
    ///     completing reads no token. Otherwise the chunks are hashed as the metrics read them
    ///     (each chunk a worker reads whole; the rest, and all when no metric reads tokens, at completion).
    ///   - precomputed: when given (a merge), the value of metric m for a range of ids, filled into
    ///     the buffer: no metric is computed here and every metric's `values/<m>` is written.
    ///   - openReaders: token files (by `tokenStore.files` index) pass 1 already has open, read
    ///     through those readers instead of mapping them again (`TokenStore.init`).
    /// - Returns: the manifest as completed: its token files sealed (sizes and fingerprints).
    @discardableResult
    static func finish(store: IndexStore, manifest: IndexManifest, metrics: [any DifficultyMetric],
                       tokenCounts: [UInt64], threads: Int, runLength: Int = IndexBuildOptions.defaultRunSamples,
                       onPhase: (String) -> Void = { _ in }, tokenSums: [UInt64]? = nil,
                       precomputed: ((Int, Range<Int>, UnsafeMutableBufferPointer<Double>) throws -> Void)? = nil,
                       openReaders: [Int: IndexedDatasetReader] = [:]) throws -> IndexManifest {
        try validate(runSamples: runLength)
        // Pass 1's pages reach the disk while pass 2 computes; `markComplete` waits for it.
        let pass1Sync = store.env.startBackgroundSync()
        defer { pass1Sync.wait() }
        let n = manifest.counts.samples
        let tokenStore = try TokenStore(indexPath: store.path, manifest: manifest, checkFingerprints: false, openReaders: openReaders)
        let tables = try metrics.map { metric in
            MetricTables(metric: metric,
                         dense: DenseTable.values(metric.name, db: try store.database(IndexFormat.valuesDB(metric.name)), count: n),
                         ranks: try store.database(IndexFormat.ranksDB(metric.name)))
        }
        try store.env.write { txn in
            for t in tables {
                if t.metric.needsTokenCounts || precomputed != nil { try txn.clear(t.dense.db) }
                try txn.clear(t.ranks)
            }
        }
        let context = MetricContext(sequenceLength: max(manifest.counts.maxSampleLength, 1),
                                    rarity: precomputed == nil && metrics.contains(where: \.needsTokenCounts)
                                        ? try RarityWeights(tokenCounts: tokenCounts) : nil,
                                    skipBad: manifest.options["skip_bad"] == "true")
        let sorters = tables.indices.map { m in
            ExternalRankSort(runLength: runLength, scratchPath: store.path + "/sort-\(m).tmp")
        }
        let stride = min(n, runLength)
        var values = [Double](repeating: 0, count: tables.count * stride)
        // Tokens that fit the budget stay mapped; beyond it, workers drop what they read every
        // budget/threads bytes, and what is left of a chunk is dropped at its end. Beyond it, the
        // pages pass 1 left mapped (the end of the last input, up to its reader's 256 MiB + 64 MiB)
        // are dropped first: pass 2 starts at the beginning and would drop them before reaching
        // them, and kept they added to pass 2's budget (peak RSS 869 instead of 603 MiB for 2·10⁶
        // samples, 4.1 GB of tokens).
        let releasesPages = manifest.counts.tokens * manifest.tokenWidth > residentBudget
        if releasesPages { tokenStore.releaseMappedPages() }
        var hashedSums = [UInt64?](repeating: nil, count: tokenSums == nil ? tokenStore.chunkCount : 0)
        for first in Swift.stride(from: 0, to: n, by: runLength) {
            let ids = first..<min(n, first + runLength)
            if let precomputed {
                try values.withUnsafeMutableBufferPointer { all in
                    for m in tables.indices {
                        try precomputed(m, ids, UnsafeMutableBufferPointer(rebasing: all[(m * stride)..<(m * stride + ids.count)]))
                    }
                }
            } else {
                try chunkValues(tables, ids: ids, into: &values, tokenSums: &hashedSums, context: context, store: store,
                                tokens: tokenStore, manifest: manifest, threads: threads)
            }
            try values.withUnsafeBufferPointer { all in
                let perMetric = tables.indices.map { m in UnsafeBufferPointer(rebasing: all[(m * stride)..<(m * stride + ids.count)]) }
                try store.env.write { txn in
                    for (t, v) in zip(tables, perMetric) where t.metric.needsTokenCounts || precomputed != nil {
                        try writeDense(count: v.count, firstIndex: first, entryBytes: 8, db: t.dense.db, txn: txn) { i, raw, offset in
                            raw.storeBytes(of: IndexFormat.encodeValue(v[i]), toByteOffset: offset, as: UInt64.self)
                        }
                    }
                }
                for (sorter, v) in zip(sorters, perMetric) { try sorter.addRun(v, firstID: first) }
            }
            if releasesPages { tokenStore.releaseMappedPages() }
        }
        values = []
        onPhase("order")
        for (t, sorter) in zip(tables, sorters) {
            var rank = 0
            try sorter.merge { block in
                try store.env.write { txn in try writeOrder(block, firstRank: rank, table: t, txn: txn) }
                rank += block.count
            }
        }
        onPhase("sync")
        // The token checksums pass 2 hashed, completed by the chunks it read in parts (none
        // when no metric read the tokens: then completion hashes them all).
        var sums = tokenSums
        if sums == nil && hashedSums.contains(where: { $0 != nil }) {
            var hashedHere = 0
            sums = try hashedSums.enumerated().map { c, sum in
                if let sum { return sum }
                hashedHere += 1
                // Each chunk is at most 8 192 of the longest samples: releasing every 16 keeps RSS flat.
                if hashedHere % 16 == 0 { tokenStore.releaseMappedPages() }
                return try IndexChecksums.computeTokens(tokenStore, chunks: c..<(c + 1))[0]
            }
        }
        return try markComplete(store: store, manifest: manifest, tokens: tokenStore, tokenSums: sums)
    }

    /// Throws unless `runSamples` is a positive multiple of `IndexFormat.denseChunk`.
    static func validate(runSamples: Int) throws {
        guard runSamples > 0 && runSamples % IndexFormat.denseChunk == 0 else {
            throw IndexError.invalidArgument("runSamples must be a positive multiple of \(IndexFormat.denseChunk), not \(runSamples)")
        }
    }

    /// Bytes of stored tokens pass 2 may keep mapped in the resident set; past that, the token
    /// files' pages are dropped at the end of each chunk (they stay in the page cache).
    /// Dropping costs ~0.1 ms per MiB of page-table teardown, so tokens within the budget pay nothing.
    private static let residentBudget = 512 << 20

    /// The LMDB tables of one metric: its values by sample id and its order.
    private struct MetricTables {
        let metric: any DifficultyMetric
        let dense: DenseTable, ranks: LMDBDatabase
    }

    /// Fills `values[m * stride + (id - ids.lowerBound)]` (stride = values.count / metrics) for
    /// every metric m and id in `ids`: metrics needing token counts are computed from the stored
    /// tokens over `threads` workers, each with its own token and metric scratch; the others are
    /// read back from the `values/<m>` chunks pass 1 wrote. While it reads the tokens it sets `tokenSums[c]` to
    /// the token checksum of each checksum chunk c it reads whole (`IndexChecksums.computeTokens`),
    /// so completing the index need not read every token a third time.
    private static func chunkValues(_ tables: [MetricTables], ids: Range<Int>, into values: inout [Double],
                                    tokenSums: inout [UInt64?], context: MetricContext, store: IndexStore,
                                    tokens tokenStore: TokenStore, manifest: IndexManifest, threads: Int) throws {
        let stride = values.count / max(tables.count, 1)
        let computed = tables.indices.filter { tables[$0].metric.needsTokenCounts }
        try values.withUnsafeMutableBufferPointer { out in
          try tokenSums.withUnsafeMutableBufferPointer { sums in
            for m in tables.indices where !tables[m].metric.needsTokenCounts {
                let base = m * stride - ids.lowerBound
                try store.env.read { txn in
                    try tables[m].dense.forEach(ids, txn: txn) { id, raw in out[base + id] = try IndexFormat.decodeValue(raw) }
                }
            }
            guard !computed.isEmpty else { return }
            // When every computed metric reads stored uint16 items, samples of uint16 files are
            // scored in place (no widening copy); other files are decoded as before.
            let stored = computed.compactMap { tables[$0].metric as? any StoredTokenMetric }
            let storedMetrics = stored.count == computed.count ? Array(zip(computed, stored)) : []
            let vocabulary = manifest.tokenizer.vocabularySize
            let parts = splitRange(ids.count, parts: max(1, min(threads, ids.count)))
            var failures = [Error?](repeating: nil, count: parts.count)
            failures.withUnsafeMutableBufferPointer { fail in
                // Worker p writes only its own failure slot, its samples' values and the token
                // checksums of the chunks wholly inside its range.
                let shared = UncheckedSendable((out, fail, sums))
                parallelFor(parts.count) { p in
                    let tokens = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(manifest.counts.maxSampleLength, 1))
                    defer { tokens.deallocate() }
                    var scratch = MetricScratch(vocabularySize: vocabulary)
                    let range = (ids.lowerBound + parts[p].lowerBound)..<(ids.lowerBound + parts[p].upperBound)
                    var unreleased = 0
                    // The token checksum of every checksum chunk wholly inside `range`, hashed
                    // from the bytes scored here (a chunk cut by the range is left to completion).
                    let hasher = XXH3Hasher()
                    var chunk = 0, chunkEnd = range.lowerBound, whole = false
                    do {
                        for id in range {
                            if id >= chunkEnd {
                                chunk = tokenStore.chunk(of: id)
                                let members = tokenStore.samples(ofChunk: chunk)
                                whole = members.lowerBound == id && members.upperBound <= range.upperBound && chunk < sums.count
                                chunkEnd = members.upperBound
                                hasher.reset()
                            }
                            // Read without a closure per sample (`rawTokens`); the store outlives this loop.
                            let (raw, dtype) = try tokenStore.rawTokens(id)
                            if whole { hasher.update(raw) }
                            unreleased += raw.count
                            if !storedMetrics.isEmpty && dtype == .uint16 && Int(bitPattern: raw.baseAddress) % 2 == 0 {
                                let items = raw.assumingMemoryBound(to: UInt16.self)
                                for (m, metric) in storedMetrics {
                                    shared.value.0[m * stride + id - ids.lowerBound] = try metric.value(ofStored: items, context: context)
                                }
                            } else {
                                let sample = MetricSample(tokens: TokenStore.decode(raw, dtype: dtype, into: tokens))
                                for m in computed {
                                    shared.value.0[m * stride + id - ids.lowerBound] =
                                        try tables[m].metric.value(of: sample, context: context, scratch: &scratch)
                                }
                            }
                            if whole && id + 1 == chunkEnd { shared.value.2[chunk] = hasher.digest }
                            if unreleased >= residentBudget / parts.count {  // keep RSS flat
                                tokenStore.releaseMappedPages()
                                unreleased = 0
                            }
                        }
                    } catch { shared.value.1[p] = error }
                }
            }
            if let error = failures.compactMap({ $0 }).first { throw error }
          }
        }
    }

    /// Reads `values/<metric>` back, checking that it has one value per sample.
    static func readValues(_ metric: String, store: IndexStore, count: Int) throws -> [Double] {
        let table = DenseTable.values(metric, db: try store.database(IndexFormat.valuesDB(metric)), count: count)
        return try store.env.read { txn in try table.allValues(txn: txn) }
    }

    /// Appends the ranks firstRank ..< firstRank + block.count (rank → sample id, value) to the
    /// dense `ranks/<name>` chunks.
    private static func writeOrder(_ block: UnsafeBufferPointer<RankedSample>, firstRank: Int, table: MetricTables,
                                   txn: LMDBWriteTransaction) throws {
        try writeDense(count: block.count, firstIndex: firstRank, entryBytes: 16, db: table.ranks, txn: txn) { i, raw, offset in
            raw.storeBytes(of: block[i].id.littleEndian, toByteOffset: offset, as: UInt64.self)
            raw.storeBytes(of: IndexFormat.encodeValue(block[i].value), toByteOffset: offset + 8, as: UInt64.self)
        }
    }

    /// Appends the dense chunks (`IndexFormat.denseChunk` entries of `entryBytes` each, keyed by
    /// chunk number) holding entries firstIndex ..< firstIndex + count; `store(i, raw, offset)`
    /// writes entry firstIndex + i at `offset`. firstIndex is a multiple of denseChunk.
    static func writeDense(count: Int, firstIndex: Int, entryBytes: Int, db: LMDBDatabase, txn: LMDBWriteTransaction,
                                   _ store: (Int, UnsafeMutableRawBufferPointer, Int) -> Void) throws {
        precondition(firstIndex % IndexFormat.denseChunk == 0)
        var start = 0
        while start < count {
            let end = min(count, start + IndexFormat.denseChunk)
            try txn.putReserved(key: IndexFormat.idKey((firstIndex + start) >> IndexFormat.denseChunkShift),
                                count: (end - start) * entryBytes, in: db, append: true) { raw in
                for i in start..<end { store(i, raw, (i - start) * entryBytes) }
            }
            start = end
        }
    }

    /// Syncs the data, then records the final manifest, the format tag of this gradus, the
    /// checksums of every table (`IndexChecksums`, computed from the synced data) and `complete`
    /// in one transaction, then syncs again.
    private static func markComplete(store: IndexStore, manifest unsealed: IndexManifest, tokens: TokenStore,
                                     tokenSums: [UInt64]?) throws -> IndexManifest {
        let manifest = try sealTokenFiles(unsealed, indexPath: store.path)
        try store.env.sync()
        let sumsDB = try store.database(IndexFormat.checksumsDB)
        var databases: [String: LMDBDatabase] = [:]
        for (name, layout, _) in IndexChecksums.tables(manifest) where layout != .meta && layout != .tokens {
            databases[name] = try store.database(name)
        }
        let metaValues = [try IndexStore.encodeJSON(IndexFormatTag()), try IndexStore.encodeJSON(manifest),
                          Array(IndexState.complete.rawValue.utf8)]
        try store.env.write { txn in
            for (key, value) in zip(IndexChecksums.metaKeys, metaValues) { try txn.put(key: Array(key.utf8), value: value, in: store.meta) }
            _ = try txn.delete(key: Array(IndexFormat.resumeKey.utf8), in: store.meta)
            try IndexChecksums.write(store: store, manifest: manifest, metaValues: metaValues, txn: txn, sumsDB: sumsDB,
                                     databases: databases, tokens: tokens, tokenSums: tokenSums)
        }
        try store.env.sync()
        PosixFile.remove(store.path + "/" + TokenStoreInfo.ownPrefix + ".sizes")
        return manifest
    }

    /// Records the sizes and fingerprint of the index's own token files (written and synced when
    /// pass 1 ended), and checks that every referenced input still has those it had when the
    /// build started.
    /// - Throws: `InputChangedError` for a referenced input that changed during the build.
    static func sealTokenFiles(_ manifest: IndexManifest, indexPath: String) throws -> IndexManifest {
        guard var info = manifest.tokenStore else { throw IndexError.corrupt("\(indexPath): the manifest has no token store") }
        for k in info.files.indices {
            let prefix = info.files[k].path(in: indexPath)
            if info.files[k].owned {
                try info.files[k].seal(prefix: prefix)
            } else if info.files[k].fingerprint != nil {
                let recorded = info.files[k]
                var now = recorded
                try now.seal(prefix: prefix)
                guard now == recorded else {
                    throw InputChangedError(path: prefix + ".bin", detail: "its .bin/.idx sizes or fingerprint changed (\(recorded.fingerprint ?? "-") "
                        + "→ \(now.fingerprint ?? "-"))", onResume: false)
                }
            }
        }
        var m = manifest
        m.tokenStore = info
        return m
    }

    /// Writes the `counts` table (token id UInt32 BE → count UInt64 LE, ids with a non-zero count).
    /// Open `db` (`store.database(IndexFormat.countsDB)`) before the transaction.
    static func writeCounts(_ counts: [UInt64], db: LMDBDatabase, txn: LMDBWriteTransaction) throws {
        try txn.clear(db)
        for (id, c) in counts.enumerated() where c > 0 {
            try txn.put(key: KeyBuilder().appending(UInt32(id)), value: IndexFormat.countValue(c), in: db, append: true)
        }
    }

    /// Reads the `counts` table into a dense array of `vocabularySize` entries.
    static func readCounts(store: IndexStore, vocabularySize: Int) throws -> [UInt64] {
        var counts = [UInt64](repeating: 0, count: vocabularySize)
        let db = try store.database(IndexFormat.countsDB)
        try store.env.read { txn in
            try txn.forEach(in: db) { key, value in
                let id = Int(try KeyCoding.decodeUInt32(key))
                guard id < vocabularySize, value.count == 8 else { throw IndexError.corrupt("counts entry for id \(id)") }
                counts[id] = UInt64(littleEndian: value.loadUnaligned(as: UInt64.self))
                return true
            }
        }
        return counts
    }
}
