// IndexReader.swift — read access to a complete index (issue 3 item 7): samples' tokens, doc
// records, metric values (`values/<m>`), orders by rank (`ranks/<m>`), and the summary `gradus info`
// prints (percentiles read exactly from the order by rank, and a histogram).

import Corpus
import Foundation
import Storage

/// A complete index opened read-only.
public final class IndexReader {
    public let store: IndexStore
    public let manifest: IndexManifest
    /// The samples' tokens (Megatron `.bin/.idx` files).
    public let tokens: TokenStore
    private let docsDB: LMDBDatabase
    /// Checks each chunk a read uses against its checksum, once.
    let verifier: ChunkVerifier

    /// Opens the index at `path` as `options` says, and checks its `meta` documents (format,
    /// manifest, state) against their checksums.
    /// - Throws: `IndexError.notComplete` (saying how to finish it), `.notAnIndex`, `.corrupt`.
    public init(path: String, options: IndexReadOptions = IndexReadOptions()) throws {
        store = try IndexStore.openForReading(path, options: options)
        manifest = try store.manifest()
        docsDB = try store.database(IndexFormat.docsDB)
        verifier = try ChunkVerifier(store: store, manifest: manifest, version: try store.formatVersion())
        let (verifier, meta) = (verifier, store.meta)
        try store.env.read { txn in try verifier.checkAll(IndexFormat.metaDB, db: meta, txn: txn) }
        tokens = try TokenStore(indexPath: path, manifest: manifest)
    }

    public var sampleCount: Int { manifest.counts.samples }
    /// Metrics stored in the index (none in a shard: they are computed by `gradus merge`).
    public var metricNames: [String] { manifest.kind == IndexKind.shard ? [] : manifest.metrics.map(\.name) }

    /// Calls `body` for each sample id in `range` with its tokens, doc record and metric values
    /// (in `metricNames` order), in one read transaction.
    public func forEach(in range: Range<Int>, tokens wantTokens: Bool,
                        _ body: (Int, [TokenID], DocRecord, [Double]) throws -> Void) throws {
        let metricNames = metricNames
        let tables = try metricNames.map { try valuesTable($0) }
        var tokens = [TokenID]()
        var values = [Double](repeating: .nan, count: tables.count)
        try store.env.read { txn in
            for id in range {
                let key = IndexFormat.idKey(id)
                tokens.removeAll(keepingCapacity: true)
                // Token chunks are cut per segment, so they need not start at a multiple of 8 192:
                // each sample's chunk is looked up (a verified chunk costs a lookup).
                if wantTokens { try verifier.checkTokens(entry: id, tokens: self.tokens, txn: txn) }
                if id & (IndexChecksums.chunk - 1) == 0 || id == range.lowerBound {
                    try verifier.check(IndexFormat.docsDB, db: docsDB, entry: id, txn: txn)
                    for t in tables { try verifier.check(t.name, db: t.db, entry: id >> IndexChecksums.chunkShift, txn: txn) }
                }
                if wantTokens { try self.tokens.appendTokens(of: id, to: &tokens) }
                guard let doc = try txn.withValue(key: key, in: docsDB, { try DocRecord.decode($0) }) else {
                    throw IndexError.corrupt("sample \(id) has no docs entry")
                }
                for (m, t) in tables.enumerated() { values[m] = try t.value(id, txn: txn) ?? .nan }
                try body(id, tokens, doc, values)
            }
        }
    }

    /// Appends the tokens of each sample of `ids` to `tokens` and its token count to `lengths`, in
    /// one read transaction and without a per-sample array (batch rows, `CurriculumBatchStream`).
    /// - Throws: `IndexError.corrupt` naming a sample that is not in the index.
    public func appendTokens(of ids: some Sequence<UInt64>, to tokens: inout [TokenID], lengths: inout [Int]) throws {
        try store.env.read { txn in
            for id in ids {
                let before = tokens.count
                guard id < UInt64(sampleCount) else { throw IndexError.corrupt("\(store.path): sample \(id) is missing from the index") }
                try verifier.checkTokens(entry: Int(id), tokens: self.tokens, txn: txn)
                try self.tokens.appendTokens(of: Int(id), to: &tokens)
                lengths.append(tokens.count - before)
            }
        }
    }

    /// The value of `metric` for sample `id` (from `values/<metric>`); nil for an id outside the index.
    public func value(_ metric: String, of id: Int) throws -> Double? {
        let t = try valuesTable(metric)
        return try store.env.read { txn in
            if id >= 0 && id < sampleCount { try verifier.check(t.name, db: t.db, entry: id >> IndexChecksums.chunkShift, txn: txn) }
            return try t.value(id, txn: txn)
        }
    }

    /// The sample at `rank` of `metric`'s order (`ranks/<metric>`; 0 = smallest value, ties by
    /// sample id) and its value; nil for a rank outside the index.
    public func ordered(_ metric: String, rank: Int) throws -> (id: Int, value: Double)? {
        let t = try ranksTable(metric)
        return try store.env.read { txn in
            if rank >= 0 && rank < sampleCount { try verifier.check(t.name, db: t.db, entry: rank >> IndexChecksums.chunkShift, txn: txn) }
            return try t.row(rank, txn: txn)
        }
    }

    /// The `values/<metric>` table.
    func valuesTable(_ metric: String) throws -> DenseTable {
        DenseTable.values(metric, db: try store.database(IndexFormat.valuesDB(metric)), count: sampleCount)
    }

    /// The `ranks/<metric>` table.
    func ranksTable(_ metric: String) throws -> DenseTable {
        DenseTable.ranks(metric, db: try store.database(IndexFormat.ranksDB(metric)), count: sampleCount)
    }

    /// Token counts from the `counts` table, indexed by token id.
    public func tokenCounts() throws -> [UInt64] {
        let db = try store.database(IndexFormat.countsDB)
        try store.env.read { txn in try verifier.checkAll(IndexFormat.countsDB, db: db, txn: txn) }
        return try IndexFinisher.readCounts(store: store, vocabularySize: manifest.tokenizer.vocabularySize)
    }

    /// Summary statistics of `metric` (see `MetricSummary`).
    public func summary(of metric: String, bins: Int = 20) throws -> MetricSummary {
        let n = sampleCount
        let t = try ranksTable(metric)
        var values = [Double]()
        values.reserveCapacity(n)
        try store.env.read { txn in
            try verifier.checkAll(t.name, db: t.db, txn: txn)
            try t.forEach(0..<n, txn: txn) { _, raw in values.append(try DenseTable.decodeRank(raw).value) }
        }
        guard values.count == n, n > 0 else { throw IndexError.corrupt("\(t.name) holds \(values.count) of \(n) samples") }
        return MetricSummary(name: metric, sorted: values, bins: bins)
    }
}

/// Min, max, mean, percentiles and a histogram of one metric.
public struct MetricSummary: Sendable {
    public static let percentileLevels = [1, 5, 25, 50, 75, 95, 99]
    public var name: String
    public var min: Double
    public var max: Double
    public var mean: Double
    /// Values at `percentileLevels`: the value at rank ⌊p/100 · (n − 1)⌋ of the order table
    /// (the "lower" percentile: always a value that occurs).
    public var percentiles: [Double]
    /// Counts in `bins` equal-width bins over [min, max] (the last bin includes max).
    public var histogram: [Int]

    /// Summarises values sorted ascending (NaN values, if any, last and ignored).
    public init(name: String, sorted: [Double], bins: Int) {
        let values = sorted.filter { !$0.isNaN }
        self.name = name
        min = values.first ?? .nan
        max = values.last ?? .nan
        mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        percentiles = Self.percentileLevels.map { p in values.isEmpty ? .nan : values[p * (values.count - 1) / 100] }
        var hist = [Int](repeating: 0, count: Swift.max(1, bins))
        let width = (max - min) / Double(hist.count)
        for v in values {
            let b = width > 0 ? Int((v - min) / width) : 0
            hist[Swift.min(hist.count - 1, Swift.max(0, b))] += 1
        }
        histogram = hist
    }
}
