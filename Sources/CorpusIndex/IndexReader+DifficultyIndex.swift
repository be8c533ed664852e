// IndexReader+DifficultyIndex.swift — the LMDB index seen through Curriculum's `DifficultyIndex`
// protocol (DESIGN.md §2–4), over the dense tables of format 4: `values/<m>` (sample id → Float64
// LE value) and `ranks/<m>` (rank → sample id UInt64 LE + Float64 LE value, sorted by (value,
// id)), 8 192 entries a chunk. Every chunk is checked against its checksum and pinned once, when
// the index is opened, in one long-lived `LMDBReadSnapshot`; every read is then pointer
// arithmetic: a value by id is one load, an order row one 16-byte row of `ranks`, in any order.
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
    /// The read view whose pages the dense tables point into (a fixed snapshot of the complete index).
    private let snapshot: LMDBReadSnapshot
    /// Per metric: the pinned dense tables.
    private let dense: [DenseMetricTables]
    /// Reads cost the same in any order (no cursor to walk).
    public var readsInAnyOrder: Bool { true }

    /// Opens the index at `path` (it must be complete and hold metrics), as `options` says.
    /// - Throws: `IndexError.corrupt` when a dense chunk does not match its checksum or has
    ///   another length than N samples need.
    public init(path: String, options: IndexReadOptions = IndexReadOptions()) throws {
        let r = try IndexReader(path: path, options: options)
        let names = r.metricNames
        reader = r
        sampleCount = r.sampleCount
        metricNames = names
        let denseDBs = try names.map { name in
            (try r.store.database(IndexFormat.valuesDB(name)), try r.store.database(IndexFormat.ranksDB(name)))
        }
        let snap = try r.store.env.openReadSnapshot()
        snapshot = snap
        let n = r.sampleCount
        // The chunks pinned below are checked against their checksums once, here.
        try snap.withTransaction { txn in
            for (name, (v, k)) in zip(names, denseDBs) {
                try r.verifier.checkAll(IndexFormat.valuesDB(name), db: v, txn: txn)
                try r.verifier.checkAll(IndexFormat.ranksDB(name), db: k, txn: txn)
            }
        }
        dense = try zip(names, denseDBs).map { name, dbs in
            try DenseMetricTables(values: snap.pinnedValues(in: dbs.0), ranks: snap.pinnedValues(in: dbs.1),
                                  sampleCount: n, name: name)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        fingerprint = FNV1a64(try encoder.encode(r.manifest)).value
    }

    public func entry(metric: Int, rank: Int) throws -> OrderEntry {
        guard rank >= 0, rank < sampleCount else { throw IndexError.corrupt("\(IndexFormat.ranksDB(metricNames[metric])) has no rank \(rank)") }
        return dense[metric].entry(rank: rank)
    }

    public func forEachEntry(metric: Int, ranks: Range<Int>, _ body: (Int, OrderEntry) throws -> Void) throws {
        guard !ranks.isEmpty else { return }
        guard ranks.lowerBound >= 0, ranks.upperBound <= sampleCount else {
            throw IndexError.corrupt("\(IndexFormat.ranksDB(metricNames[metric])) ends before rank \(ranks.upperBound - 1)")
        }
        let d = dense[metric]
        for rank in ranks { try body(rank, d.entry(rank: rank)) }
    }

    public func entries(metric: Int, sortedRanks: [Int], into out: inout [OrderEntry]) throws {
        out.removeAll(keepingCapacity: true)
        let n = sampleCount
        resizeForOverwrite(&out, sortedRanks.count, OrderEntry(sampleID: 0, value: 0))
        let bad: Int? = dense[metric].chunkBases { _, ranks -> Int? in
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
        if let bad { throw IndexError.corrupt("\(IndexFormat.ranksDB(metricNames[metric])) has no rank \(bad)") }
    }

    public func value(metric: Int, sampleID: UInt64) throws -> Double {
        guard sampleID < UInt64(sampleCount) else {
            throw IndexError.corrupt("\(IndexFormat.valuesDB(metricNames[metric])) has no sample \(sampleID)")
        }
        return dense[metric].value(id: Int(sampleID))
    }

    public func values(metric: Int, sortedSampleIDs: [UInt64], into out: inout [Double]) throws {
        out.removeAll(keepingCapacity: true)
        let n = UInt64(sampleCount)
        resizeForOverwrite(&out, sortedSampleIDs.count, 0)
        let bad: UInt64? = dense[metric].chunkBases { values, _ -> UInt64? in
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
        if let bad { throw IndexError.corrupt("\(IndexFormat.valuesDB(metricNames[metric])) has no sample \(bad)") }
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
    /// - Throws: `IndexError.invalidArgument` when `path` exists but is not a complete index (of
    ///   this format) of `samples` samples with two metrics.
    public static func openOrBuildSynthetic(at path: String, samples: Int, lengths: ClosedRange<Int> = 8...128,
                                            threads: Int = 1) throws -> (index: LMDBDifficultyIndex, built: Bool) {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            guard let cached = try? LMDBDifficultyIndex(path: path), cached.sampleCount == samples, cached.metricNames.count >= 2 else {
                throw IndexError.invalidArgument("\(path) exists but is not a benchmark index of \(samples) samples with two metrics "
                    + "(index format \(IndexFormat.version)); nothing there was changed: remove it or choose another directory")
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
        return (try LMDBDifficultyIndex(path: path), true)
    }
}
