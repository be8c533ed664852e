// IndexReader+DifficultyIndex.swift — the LMDB index seen through Curriculum's `DifficultyIndex`
// protocol (DESIGN.md §2–4): `order/<m>` rows by rank (UInt64 BE key → sample id UInt64 BE +
// Float64 LE value, sorted by (value, id)) and `metric/<m>` values by sample id. All reads go
// through one long-lived `LMDBReadSnapshot` (no transaction per read); rank ranges and the
// sampler's sorted batched reads walk a cursor, stepping with `next` over consecutive keys and
// seeking otherwise. Not thread-safe: use one instance per thread.

import Corpus
import Curriculum
import Foundation
import Storage

/// A complete index opened for the curriculum sampler.
public final class LMDBDifficultyIndex: DifficultyIndex {
    public let reader: IndexReader
    public let sampleCount: Int
    public let metricNames: [String]
    /// FNV-1a of the manifest JSON (sorted keys): inputs, counts, metric definitions, creation.
    public let fingerprint: UInt64
    private let orderDBs: [LMDBDatabase]
    private let metricDBs: [LMDBDatabase]
    /// The read view every lookup uses (a fixed snapshot of the complete index).
    private let snapshot: LMDBReadSnapshot

    /// Opens the index at `path` (it must be complete and hold metrics).
    public init(path: String) throws {
        let r = try IndexReader(path: path)
        let names = r.metricNames
        reader = r
        sampleCount = r.sampleCount
        metricNames = names
        orderDBs = try names.map { try r.store.database(IndexFormat.orderDB($0)) }
        metricDBs = try names.map { try r.store.database(IndexFormat.metricDB($0)) }
        snapshot = try r.store.env.openReadSnapshot()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hash = FNV1a64()
        hash.add(try encoder.encode(r.manifest))
        fingerprint = hash.value
    }

    public func entry(metric: Int, rank: Int) throws -> OrderEntry {
        let found = try snapshot.withValue(key: IndexFormat.idKey(rank), in: orderDBs[metric]) { try IndexFormat.decodeOrderValue($0) }
        guard let found else { throw IndexError.corrupt("order/\(metricNames[metric]) has no rank \(rank)") }
        return OrderEntry(sampleID: UInt64(found.id), value: found.value)
    }

    public func forEachEntry(metric: Int, ranks: Range<Int>, _ body: (Int, OrderEntry) throws -> Void) throws {
        guard !ranks.isEmpty else { return }
        try snapshot.withCursor(in: orderDBs[metric]) { cursor in
            var found = try cursor.seek(atLeast: IndexFormat.idKey(ranks.lowerBound))
            for rank in ranks {
                guard found else { throw IndexError.corrupt("order/\(metricNames[metric]) ends before rank \(rank)") }
                let e = try cursor.withCurrent { _, raw in try IndexFormat.decodeOrderValue(raw) }
                try body(rank, OrderEntry(sampleID: UInt64(e.id), value: e.value))
                found = try cursor.next()
            }
        }
    }

    public func entries(metric: Int, sortedRanks: [Int], into out: inout [OrderEntry]) throws {
        out.removeAll(keepingCapacity: true)
        try walk(orderDBs[metric], keys: sortedRanks, table: "order/\(metricNames[metric])") { raw in
            let e = try IndexFormat.decodeOrderValue(raw)
            out.append(OrderEntry(sampleID: UInt64(e.id), value: e.value))
        }
    }

    public func value(metric: Int, sampleID: UInt64) throws -> Double {
        let v = try snapshot.withValue(key: IndexFormat.idKey(Int(sampleID)), in: metricDBs[metric]) { try IndexFormat.decodeValue($0) }
        guard let v else { throw IndexError.corrupt("metric/\(metricNames[metric]) has no sample \(sampleID)") }
        return v
    }

    public func values(metric: Int, sortedSampleIDs: [UInt64], into out: inout [Double]) throws {
        out.removeAll(keepingCapacity: true)
        try walk(metricDBs[metric], keys: sortedSampleIDs.lazy.map { Int($0) }, table: "metric/\(metricNames[metric])") { raw in
            out.append(try IndexFormat.decodeValue(raw))
        }
    }

    /// Visits the values of the ascending integer `keys` of `db` with one cursor: `next` when a
    /// key follows the previous one, a seek otherwise; throws when a key is missing.
    private func walk(_ db: LMDBDatabase, keys: some Sequence<Int>, table: String,
                      _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try snapshot.withCursor(in: db) { cursor in
            var previous = -2
            for k in keys {
                let found = k == previous + 1 ? try cursor.next() : try cursor.seek(atLeast: IndexFormat.idKey(k))
                guard found else { throw IndexError.corrupt("\(table) has no key \(k)") }
                try cursor.withCurrent { key, value in
                    guard key.count == 8, UInt64(bigEndian: key.loadUnaligned(as: UInt64.self)) == UInt64(k) else {
                        throw IndexError.corrupt("\(table) has no key \(k)")
                    }
                    try body(value)
                }
                previous = k
            }
        }
    }
}

extension LMDBDifficultyIndex {
    /// Opens the benchmark index at `path`, first building it when it is missing, incomplete or
    /// of another size: `samples` generated documents (SyntheticCorpus, Zipf tokens, lengths in
    /// `lengths`) indexed with the default metrics (`seqlen`, `vocabularyrarity`).
    /// - Returns: the index and whether it was built now.
    public static func openOrBuildSynthetic(at path: String, samples: Int, lengths: ClosedRange<Int> = 8...128,
                                            threads: Int = 1) throws -> (index: LMDBDifficultyIndex, built: Bool) {
        if let cached = try? LMDBDifficultyIndex(path: path), cached.sampleCount == samples, cached.metricNames.count >= 2 {
            return (cached, false)
        }
        let fm = FileManager.default
        try? fm.removeItem(atPath: path)
        let scratch = path + ".megatron"
        try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: scratch) }
        _ = try SyntheticCorpus.writeMegatron(prefix: scratch + "/zipf", documents: samples, lengths: lengths)
        var options = IndexBuildOptions(inputs: [scratch + "/zipf.idx"], output: path)
        options.vocabularySize = 50_000
        options.threads = threads
        _ = try IndexBuilder.build(options, openSource: { p, _ in try InputSources.open(path: p, options: ReaderOptions()) })
        return (try LMDBDifficultyIndex(path: path), true)
    }
}
