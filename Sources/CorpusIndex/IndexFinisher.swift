// IndexFinisher.swift — pass 2 of `gradus index` and of `gradus merge` (issue 3 items 2–4):
// the `counts` table, corpus-level metrics computed from the *stored* tokens (no re-reading of
// the inputs), the `order/<metric>` tables sorted by (value, sample id), and the durable switch
// of the state to `complete` (data synced before the state is written, and again after).

import Corpus
import Foundation
import Storage

enum IndexFinisher {
    /// Finishes an index whose samples are all stored: computes the metrics that need token
    /// counts, writes every metric's order table and marks the index complete. Re-runnable: a
    /// resumed pass 2 redoes it.
    /// - Parameter onPhase: called with `order` before the order tables and `sync` before the
    ///   final sync (for progress and per-phase timings).
    static func finish(store: IndexStore, manifest: IndexManifest, metrics: [any DifficultyMetric],
                       tokenCounts: [UInt64], threads: Int, onPhase: (String) -> Void = { _ in }) throws {
        let corpusMetrics = metrics.filter(\.needsTokenCounts)
        var computed: [String: [Double]] = [:]
        if !corpusMetrics.isEmpty {
            let context = MetricContext(sequenceLength: max(manifest.counts.maxSampleLength, 1),
                                        rarity: try RarityWeights(tokenCounts: tokenCounts),
                                        skipBad: manifest.options["skip_bad"] == "true")
            let values = try corpusValues(corpusMetrics, context: context, store: store, manifest: manifest, threads: threads)
            for (metric, v) in zip(corpusMetrics, values) { computed[metric.name] = v }
        }
        onPhase("order")
        for metric in metrics {
            let db = try store.database(IndexFormat.metricDB(metric.name))
            if let values = computed[metric.name] { try writeValues(values, db: db, store: store) }
            let stored = try computed.removeValue(forKey: metric.name) ?? readValues(db: db, store: store, count: manifest.counts.samples)
            try writeOrder(stored, db: try store.database(IndexFormat.orderDB(metric.name)),
                           values: try store.database(IndexFormat.valuesDB(metric.name)),
                           ranks: try store.database(IndexFormat.ranksDB(metric.name)), store: store)
        }
        onPhase("sync")
        try markComplete(store: store, manifest: manifest)
    }

    /// The values of `metrics` (all needing token counts) for every stored sample, one array per
    /// metric; samples are split over `threads` workers, each with its own token and metric scratch.
    private static func corpusValues(_ metrics: [any DifficultyMetric], context: MetricContext, store: IndexStore,
                                     manifest: IndexManifest, threads: Int) throws -> [[Double]] {
        let n = manifest.counts.samples
        let width = manifest.tokenWidth
        let vocabulary = manifest.tokenizer.vocabularySize
        let samplesDB = try store.database(IndexFormat.samplesDB)
        var flat = [Double](repeating: 0, count: n * metrics.count)
        let parts = splitRange(n, parts: max(1, min(threads, n)))
        var failures = [Error?](repeating: nil, count: parts.count)
        flat.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { fail in
                let shared = UncheckedSendable((out, fail))
                runWorkers(parts.count) { p in
                    let tokens = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: manifest.counts.maxSampleLength)
                    defer { tokens.deallocate() }
                    var scratch = MetricScratch(vocabularySize: vocabulary)
                    do {
                        try scan(store: store, db: samplesDB, range: parts[p]) { id, raw in
                            let sample = MetricSample(tokens: IndexFormat.decodeTokens(raw, width: width, into: tokens))
                            for (m, metric) in metrics.enumerated() {
                                shared.value.0[m * n + id] = try metric.value(of: sample, context: context, scratch: &scratch)
                            }
                        }
                    } catch { shared.value.1[p] = error }
                }
            }
        }
        if let error = failures.compactMap({ $0 }).first { throw error }
        return (0..<metrics.count).map { m in Array(flat[(m * n)..<((m + 1) * n)]) }
    }

    /// Calls `body(id, value)` for each sample id in `range`, in a read transaction of its own.
    static func scan(store: IndexStore, db: LMDBDatabase, range: Range<Int>,
                     _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        guard !range.isEmpty else { return }
        try store.env.read { txn in
            var id = range.lowerBound
            try txn.forEach(in: db, from: IndexFormat.idKey(range.lowerBound).bytes,
                            to: IndexFormat.idKey(range.upperBound).bytes) { _, value in
                try body(id, value)
                id += 1
                return true
            }
            guard id == range.upperBound else {
                throw IndexError.corrupt("\(store.path): \(db) has \(id - range.lowerBound) of the samples \(range)")
            }
        }
    }

    /// Writes `metric/<name>` (id → Float64 LE), replacing what a previous attempt left.
    private static func writeValues(_ values: [Double], db: LMDBDatabase, store: IndexStore) throws {
        try store.env.write { txn in
            try txn.clear(db)
            for (id, v) in values.enumerated() {
                try withUnsafeBytes(of: IndexFormat.encodeValue(v)) {
                    try txn.put(key: IndexFormat.idKey(id), value: $0, in: db, append: true)
                }
            }
        }
    }

    /// Reads `metric/<name>` back, checking that it has one value per sample.
    static func readValues(db: LMDBDatabase, store: IndexStore, count: Int) throws -> [Double] {
        var values = [Double]()
        values.reserveCapacity(count)
        try store.env.read { txn in
            try txn.forEach(in: db) { _, value in values.append(try IndexFormat.decodeValue(value)); return true }
        }
        guard values.count == count else {
            throw IndexError.corrupt("\(store.path): \(db) holds \(values.count) values for \(count) samples")
        }
        return values
    }

    /// Writes `order/<name>`: rank → (id, value), sorted by (value, id), NaN last; and the dense
    /// `values/<name>` (by id) and `ranks/<name>` (ids by rank) chunk tables.
    /// - Complexity: O(n) radix sort; 16 bytes per sample besides `values` (keys, ids, scratch).
    private static func writeOrder(_ values: [Double], db: LMDBDatabase, values valuesDB: LMDBDatabase,
                                   ranks ranksDB: LMDBDatabase, store: IndexStore) throws {
        let ranked = values.withUnsafeBufferPointer { sampleIDsSortedByValue($0) }
        try store.env.write { txn in
            try txn.clear(db)
            try txn.clear(valuesDB)
            try txn.clear(ranksDB)
            try values.withUnsafeBufferPointer { v in
                try ranked.withUnsafeBufferPointer { r in
                    for rank in 0..<r.count {
                        let id = Int(r[rank])
                        try txn.put(key: IndexFormat.idKey(rank), value: IndexFormat.orderValue(id: id, value: v[id]),
                                    in: db, append: true)
                    }
                    var start = 0, chunk = 0
                    while start < v.count {
                        let end = min(v.count, start + IndexFormat.denseChunk)
                        try txn.putReserved(key: IndexFormat.idKey(chunk), count: (end - start) * 8, in: valuesDB, append: true) { raw in
                            for i in start..<end { raw.storeBytes(of: IndexFormat.encodeValue(v[i]), toByteOffset: (i - start) * 8, as: UInt64.self) }
                        }
                        try txn.putReserved(key: IndexFormat.idKey(chunk), count: (end - start) * 16, in: ranksDB, append: true) { raw in
                            for i in start..<end {
                                raw.storeBytes(of: UInt64(r[i]).littleEndian, toByteOffset: (i - start) * 16, as: UInt64.self)
                                raw.storeBytes(of: IndexFormat.encodeValue(v[Int(r[i])]), toByteOffset: (i - start) * 16 + 8, as: UInt64.self)
                            }
                        }
                        start = end
                        chunk += 1
                    }
                }
            }
        }
    }

    /// Syncs the data, then records the final manifest and `complete`, then syncs again.
    private static func markComplete(store: IndexStore, manifest: IndexManifest) throws {
        try store.env.sync()
        try store.env.write { txn in
            try store.writeJSON(manifest, key: IndexFormat.manifestKey, txn: txn)
            _ = try txn.delete(key: Array(IndexFormat.resumeKey.utf8), in: store.meta)
            try store.writeState(.complete, txn: txn)
        }
        try store.env.sync()
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
