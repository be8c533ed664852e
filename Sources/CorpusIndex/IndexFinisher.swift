// IndexFinisher.swift — pass 2 of `gradus index` and of `gradus merge` (issue 3 items 2–4):
// the `counts` table, corpus-level metrics computed from the *stored* tokens (no re-reading of
// the inputs), the `order/<metric>` tables sorted by (value, sample id), and the durable switch
// of the state to `complete` (data synced before the state is written, and again after).

import Corpus
import Foundation
import Storage

enum IndexFinisher {
    /// Finishes an index whose samples are all stored. Re-runnable: a resumed pass 2 redoes it.
    static func finish(store: IndexStore, manifest: IndexManifest, specs: [MetricSpec], tokenCounts: [UInt64],
                       threads: Int) throws {
        let samples = manifest.counts.samples
        let weights = rarityWeights(tokenCounts)
        var corpusValues: [String: [Double]] = [:]
        if specs.contains(where: { $0 == .vocabularyRarity || $0 == .seqlenVocabularyRarity }) {
            let (rarity, lengths) = try rarityAndLengths(store: store, manifest: manifest, weights: weights, threads: threads)
            if specs.contains(.vocabularyRarity) { corpusValues[MetricName.vocabularyRarity] = rarity }
            if specs.contains(.seqlenVocabularyRarity) {
                let c = seqlenCoefficient(longest: manifest.counts.maxSampleLength, weights: weights)
                corpusValues[MetricName.seqlenVocabularyRarity] = (0..<samples).map { Double(lengths[$0]) * c + rarity[$0] }
            }
        }
        for case let .file(name, path) in specs {
            corpusValues[name] = try FileScores.join(path: path, store: store, samples: samples, skipBad: manifest.options["skip_bad"] == "true")
        }
        for spec in specs {
            let db = try store.database(IndexFormat.metricDB(spec.name))
            if let values = corpusValues[spec.name] { try writeValues(values, db: db, store: store) }
            let stored = try corpusValues[spec.name] ?? readValues(db: db, store: store, count: samples)
            try writeOrder(stored, db: try store.database(IndexFormat.orderDB(spec.name)), store: store)
        }
        try markComplete(store: store, manifest: manifest)
    }

    /// w_k = −ln(f'_k / Σ f'), f' = f with zeros replaced by 1 (spec §5.2), float64.
    static func rarityWeights(_ counts: [UInt64]) -> [Double] {
        let fixed = counts.map { $0 == 0 ? 1.0 : Double($0) }
        let total = fixed.reduce(0, +)
        return fixed.map { -log($0 / total) }
    }

    /// C = 10^(⌈log10(S · max w)⌉ + 1) with S the longest sample (spec §5.2 `seqlen_vocab_rarity`).
    static func seqlenCoefficient(longest: Int, weights: [Double]) -> Double {
        let top = Double(max(longest, 1)) * (weights.max() ?? 1)
        return pow(10, (log(top) / log(10)).rounded(.up) + 1)
    }

    /// Σ w[t] over each sample's stored tokens, and each sample's length; samples split over threads.
    private static func rarityAndLengths(store: IndexStore, manifest: IndexManifest, weights: [Double],
                                         threads: Int) throws -> ([Double], [Int]) {
        let n = manifest.counts.samples
        let width = manifest.tokenWidth
        let samplesDB = try store.database(IndexFormat.samplesDB)
        var rarity = [Double](repeating: 0, count: n)
        var lengths = [Int](repeating: 0, count: n)
        let parts = splitRange(n, parts: max(1, min(threads, n)))
        var failures = [Error?](repeating: nil, count: parts.count)
        rarity.withUnsafeMutableBufferPointer { r in
            lengths.withUnsafeMutableBufferPointer { l in
                weights.withUnsafeBufferPointer { w in
                    let out = UncheckedSendable((r, l, w))
                    let fail = UncheckedSendable(failures.withUnsafeMutableBufferPointer { $0 })
                    runWorkers(parts.count) { p in
                        do {
                            try scan(store: store, db: samplesDB, range: parts[p]) { id, raw in
                                out.value.1[id] = raw.count / width
                                out.value.0[id] = width == 2 ? sumWeights(raw, UInt16.self, out.value.2)
                                                             : sumWeights(raw, UInt32.self, out.value.2)
                            }
                        } catch { fail.value[p] = error }
                    }
                }
            }
        }
        if let error = failures.compactMap({ $0 }).first { throw error }
        return (rarity, lengths)
    }

    /// Sum of `w[t]` over the little-endian tokens of `raw`, in token order.
    @inline(__always)
    private static func sumWeights<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _: T.Type,
                                                         _ w: UnsafeBufferPointer<Double>) -> Double {
        let n = raw.count / MemoryLayout<T>.size
        var sum = 0.0
        for i in 0..<n {
            let t = T(littleEndian: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
            sum += w[Int(t)]
        }
        return sum
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

    /// Writes `order/<name>`: rank → (id, value), sorted by (value, id).
    /// - Complexity: O(n log n) time, 16 bytes per sample of memory.
    private static func writeOrder(_ values: [Double], db: LMDBDatabase, store: IndexStore) throws {
        var ranked = Array(0..<values.count)
        values.withUnsafeBufferPointer { v in
            // NaN (a missing external score under --skip-bad) ranks after every number.
            ranked.sort { a, b in
                let x = v[a], y = v[b]
                if x.isNaN || y.isNaN { return x.isNaN == y.isNaN ? a < b : y.isNaN }
                return x < y || (x == y && a < b)
            }
        }
        try store.env.write { txn in
            try txn.clear(db)
            for (rank, id) in ranked.enumerated() {
                try txn.put(key: IndexFormat.idKey(rank), value: IndexFormat.orderValue(id: id, value: values[id]),
                            in: db, append: true)
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
