// IndexReader+DifficultyIndex.swift — the LMDB index seen through Curriculum's `DifficultyIndex`
// protocol (DESIGN.md §2–4): `order/<m>` rows by rank (UInt64 BE key → sample id UInt64 BE +
// Float64 LE value, sorted by (value, id)) and `metric/<m>` values by sample id. All reads go
// through one long-lived `LMDBReadSnapshot` (no transaction per read); rank ranges and the
// sampler's sorted batched reads walk a cursor, stepping with `next` over consecutive keys and
// seeking otherwise. When the index has the dense chunk tables (`values/<m>`, `ranks/<m>`), their
// chunks are pinned once in the snapshot and every read is pointer arithmetic instead: a value by
// id is one load, an order row one 16-byte row of `ranks`.
// Not thread-safe: use one instance per thread.

import Corpus
import Curriculum
import Foundation
import Storage
import Support

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
    /// Per metric: the pinned dense tables, or nil when the index lacks them (older builds).
    private let dense: [DenseMetricTables?]
    /// Whether every metric has the dense `values/<m>` and `ranks/<m>` tables (O(1) reads).
    public var hasDenseTables: Bool { dense.allSatisfy { $0 != nil } }
    /// With the dense tables a read costs the same in any order (no cursor to walk).
    public var readsInAnyOrder: Bool { hasDenseTables }

    /// Opens the index at `path` (it must be complete and hold metrics). With `denseTables`
    /// false the dense tables are ignored and every read is a B-tree lookup (for comparisons).
    /// `options`: how to open it (`IndexReadOptions`).
    public init(path: String, denseTables: Bool = true, options: IndexReadOptions = IndexReadOptions()) throws {
        let r = try IndexReader(path: path, options: options)
        let names = r.metricNames
        reader = r
        sampleCount = r.sampleCount
        metricNames = names
        orderDBs = try names.map { try r.store.database(IndexFormat.orderDB($0)) }
        metricDBs = try names.map { try r.store.database(IndexFormat.metricDB($0)) }
        let denseDBs: [(LMDBDatabase, LMDBDatabase)?] = names.map { name in
            guard denseTables, let v = try? r.store.database(IndexFormat.valuesDB(name)),
                  let k = try? r.store.database(IndexFormat.ranksDB(name)) else { return nil }
            return (v, k)
        }
        let snap = try r.store.env.openReadSnapshot()
        snapshot = snap
        let n = r.sampleCount
        // The chunks pinned below are checked against their checksums once, here.
        try snap.withTransaction { txn in
            for (name, dbs) in zip(names, denseDBs) {
                guard let (v, k) = dbs else { continue }
                try r.verifier.checkAll(IndexFormat.valuesDB(name), db: v, txn: txn)
                try r.verifier.checkAll(IndexFormat.ranksDB(name), db: k, txn: txn)
            }
        }
        dense = try zip(names, denseDBs).map { name, dbs in
            guard let (v, k) = dbs else { return nil }
            return try DenseMetricTables(values: snap.pinnedValues(in: v), ranks: snap.pinnedValues(in: k),
                                         sampleCount: n, name: name)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        fingerprint = FNV1a64(try encoder.encode(r.manifest)).value
    }

    public func entry(metric: Int, rank: Int) throws -> OrderEntry {
        if let d = dense[metric] {
            guard rank >= 0, rank < sampleCount else { throw IndexError.corrupt("order/\(metricNames[metric]) has no rank \(rank)") }
            return d.entry(rank: rank)
        }
        try verify(IndexFormat.orderDB(metricNames[metric]), orderDBs[metric], rank)
        let found = try snapshot.withValue(key: IndexFormat.idKey(rank), in: orderDBs[metric]) { try IndexFormat.decodeOrderValue($0) }
        guard let found else { throw IndexError.corrupt("order/\(metricNames[metric]) has no rank \(rank)") }
        return OrderEntry(sampleID: UInt64(found.id), value: found.value)
    }

    public func forEachEntry(metric: Int, ranks: Range<Int>, _ body: (Int, OrderEntry) throws -> Void) throws {
        guard !ranks.isEmpty else { return }
        if let d = dense[metric] {
            guard ranks.lowerBound >= 0, ranks.upperBound <= sampleCount else {
                throw IndexError.corrupt("order/\(metricNames[metric]) ends before rank \(ranks.upperBound - 1)")
            }
            for rank in ranks { try body(rank, d.entry(rank: rank)) }
            return
        }
        try verify(IndexFormat.orderDB(metricNames[metric]), orderDBs[metric], ranks.lowerBound, ranks.upperBound - 1)
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
        if let d = dense[metric] {
            let n = sampleCount
            resizeForOverwrite(&out, sortedRanks.count, OrderEntry(sampleID: 0, value: 0))
            let bad: Int? = d.chunkBases { _, ranks -> Int? in
                sortedRanks.withUnsafeBufferPointer { rs -> Int? in
                    out.withUnsafeMutableBufferPointer { o -> Int? in
                        for j in 0..<rs.count {
                            let r = rs[j]
                            guard r >= 0, r < n else { return r }
                            o[j] = DenseMetricTables.entry(ranks, rank: r)
                        }
                        return nil
                    }
                }
            }
            if let bad { throw IndexError.corrupt("order/\(metricNames[metric]) has no key \(bad)") }
            return
        }
        if let first = sortedRanks.first, let last = sortedRanks.last {
            try verify(IndexFormat.orderDB(metricNames[metric]), orderDBs[metric], first, last)
        }
        try walk(orderDBs[metric], keys: sortedRanks, table: "order/\(metricNames[metric])") { raw in
            let e = try IndexFormat.decodeOrderValue(raw)
            out.append(OrderEntry(sampleID: UInt64(e.id), value: e.value))
        }
    }

    public func value(metric: Int, sampleID: UInt64) throws -> Double {
        if let d = dense[metric] {
            guard sampleID < UInt64(sampleCount) else { throw IndexError.corrupt("metric/\(metricNames[metric]) has no sample \(sampleID)") }
            return d.value(id: Int(sampleID))
        }
        try verify(IndexFormat.metricDB(metricNames[metric]), metricDBs[metric], Int(clamping: sampleID))
        let v = try snapshot.withValue(key: IndexFormat.idKey(Int(sampleID)), in: metricDBs[metric]) { try IndexFormat.decodeValue($0) }
        guard let v else { throw IndexError.corrupt("metric/\(metricNames[metric]) has no sample \(sampleID)") }
        return v
    }

    public func values(metric: Int, sortedSampleIDs: [UInt64], into out: inout [Double]) throws {
        out.removeAll(keepingCapacity: true)
        if let d = dense[metric] {
            let n = UInt64(sampleCount)
            resizeForOverwrite(&out, sortedSampleIDs.count, 0)
            let bad: UInt64? = d.chunkBases { values, _ -> UInt64? in
                sortedSampleIDs.withUnsafeBufferPointer { ids -> UInt64? in
                    out.withUnsafeMutableBufferPointer { o -> UInt64? in
                        for j in 0..<ids.count {
                            let id = ids[j]
                            guard id < n else { return id }
                            o[j] = DenseMetricTables.value(values, id: Int(id))
                        }
                        return nil
                    }
                }
            }
            if let bad { throw IndexError.corrupt("metric/\(metricNames[metric]) has no key \(bad)") }
            return
        }
        if let first = sortedSampleIDs.first, let last = sortedSampleIDs.last {
            try verify(IndexFormat.metricDB(metricNames[metric]), metricDBs[metric], Int(clamping: first), Int(clamping: last))
        }
        try walk(metricDBs[metric], keys: sortedSampleIDs.lazy.map { Int($0) }, table: "metric/\(metricNames[metric])") { raw in
            out.append(try IndexFormat.decodeValue(raw))
        }
    }

    /// B-tree reads (no dense tables): checks the chunks holding keys `first...last` of `table`
    /// against their checksums (once each); keys outside 0..<N are left to the read to refuse.
    private func verify(_ table: String, _ db: LMDBDatabase, _ first: Int, _ last: Int? = nil) throws {
        let last = min(last ?? first, sampleCount - 1)
        guard first >= 0, first <= last else { return }
        try snapshot.withTransaction { txn in
            try reader.verifier.check(table, db: db, chunks: (first >> IndexChecksums.chunkShift)..<((last >> IndexChecksums.chunkShift) + 1),
                                      txn: txn)
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

/// One metric's `values/<m>` and `ranks/<m>` chunks, pinned in a live read snapshot (valid while
/// the owning `LMDBDifficultyIndex` lives; it never resets its snapshot).
struct DenseMetricTables {
    /// Base address of each chunk: Float64 LE values by sample id; (UInt64 LE id, Float64 LE
    /// value) rows by rank.
    private let values: [UnsafeRawPointer]
    private let ranks: [UnsafeRawPointer]

    /// Checks the chunk layout: ⌈N / denseChunk⌉ chunks per table, each full but the last.
    init(values v: [UnsafeRawBufferPointer], ranks k: [UnsafeRawBufferPointer], sampleCount n: Int, name: String) throws {
        let chunks = (n + IndexFormat.denseChunk - 1) >> IndexFormat.denseChunkShift
        func check(_ table: [UnsafeRawBufferPointer], width: Int, db: String) throws -> [UnsafeRawPointer] {
            guard table.count == chunks else { throw IndexError.corrupt("\(db) has \(table.count) chunks, expected \(chunks)") }
            return try table.enumerated().map { c, raw in
                let expected = min(IndexFormat.denseChunk, n - c * IndexFormat.denseChunk) * width
                guard raw.count == expected, let base = raw.baseAddress else {
                    throw IndexError.corrupt("\(db) chunk \(c) has \(raw.count) bytes, expected \(expected)")
                }
                return base
            }
        }
        values = try check(v, width: 8, db: IndexFormat.valuesDB(name))
        ranks = try check(k, width: 16, db: IndexFormat.ranksDB(name))
        // Every id in `ranks` must be a sample (reads then need no per-call id check).
        for (c, base) in ranks.enumerated() {
            let count = min(IndexFormat.denseChunk, n - c * IndexFormat.denseChunk)
            for i in 0..<count where UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 16 * i, as: UInt64.self)) >= UInt64(n) {
                throw IndexError.corrupt("\(IndexFormat.ranksDB(name)) holds a sample id outside 0..<\(n)")
            }
        }
    }

    /// The value of sample `id` (0 ≤ id < N, checked by the caller).
    @inline(__always)
    func value(id: Int) -> Double { values.withUnsafeBufferPointer { Self.value($0, id: id) } }

    /// Calls `body` with the chunk base tables (values, ranks) as unsafe buffers, for batched reads
    /// through the static `value(_:id:)` and `entry(_:rank:)` (no per-read array checks).
    @inline(__always)
    func chunkBases<R>(_ body: (UnsafeBufferPointer<UnsafeRawPointer>, UnsafeBufferPointer<UnsafeRawPointer>) -> R) -> R {
        values.withUnsafeBufferPointer { v in ranks.withUnsafeBufferPointer { k in body(v, k) } }
    }

    @inline(__always)
    static func value(_ values: UnsafeBufferPointer<UnsafeRawPointer>, id: Int) -> Double {
        let chunk = values[id >> IndexFormat.denseChunkShift]
        let bits = chunk.loadUnaligned(fromByteOffset: (id & (IndexFormat.denseChunk - 1)) << 3, as: UInt64.self)
        return Double(bitPattern: UInt64(littleEndian: bits))
    }

    @inline(__always)
    static func entry(_ ranks: UnsafeBufferPointer<UnsafeRawPointer>, rank: Int) -> OrderEntry {
        let chunk = ranks[rank >> IndexFormat.denseChunkShift]
        let offset = (rank & (IndexFormat.denseChunk - 1)) << 4
        let id = UInt64(littleEndian: chunk.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        let bits = UInt64(littleEndian: chunk.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        return OrderEntry(sampleID: id, value: Double(bitPattern: bits))
    }

    /// The order row at `rank` (0 ≤ rank < N, checked by the caller).
    @inline(__always)
    func entry(rank: Int) -> OrderEntry { ranks.withUnsafeBufferPointer { Self.entry($0, rank: rank) } }
}

extension LMDBDifficultyIndex {
    /// Opens the benchmark index at `path`, or builds it there when nothing is at `path`:
    /// `samples` generated documents (SyntheticCorpus, Zipf tokens, lengths in `lengths`) indexed
    /// with the default metrics (`seqlen`, `vocabularyrarity`). Never deletes what it did not
    /// create: anything else at `path` is refused, untouched.
    /// - Returns: the index and whether it was built now.
    /// - Throws: `IndexError.invalidArgument` when `path` exists but is not a complete index of
    ///   `samples` samples with two metrics (and, with `denseTables`, the dense tables).
    public static func openOrBuildSynthetic(at path: String, samples: Int, lengths: ClosedRange<Int> = 8...128,
                                            threads: Int = 1, denseTables: Bool = true) throws -> (index: LMDBDifficultyIndex, built: Bool) {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            guard let cached = try? LMDBDifficultyIndex(path: path, denseTables: denseTables), cached.sampleCount == samples,
                  cached.metricNames.count >= 2, cached.hasDenseTables || !denseTables else {
                throw IndexError.invalidArgument("\(path) exists but is not a benchmark index of \(samples) samples with two metrics"
                    + (denseTables ? " and the dense tables" : "") + "; nothing there was changed: remove it or choose another directory")
            }
            return (cached, false)
        }
        let scratch = path + "/synthetic-corpus"  // inside the directory created here for the index
        do {
            try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            defer { try? fm.removeItem(atPath: scratch) }
            _ = try SyntheticCorpus.writeMegatron(prefix: scratch + "/zipf", documents: samples, lengths: lengths)
            var options = IndexBuildOptions(inputs: [scratch + "/zipf.idx"], output: path)
            options.vocabularySize = 50_000
            options.threads = threads
            options.copyTokens = true  // the generated corpus is removed below
            _ = try IndexBuilder.build(options, openSource: { p, _ in try InputSources.open(path: p, options: ReaderOptions()) })
        } catch {
            try? fm.removeItem(atPath: path)  // created here, so ours to remove
            throw error
        }
        return (try LMDBDifficultyIndex(path: path, denseTables: denseTables), true)
    }
}
