// DifficultyIndex.swift — what the sampler needs from a difficulty index (DESIGN.md §3–4): for each
// metric an order table sorted by (value, sample id), read by rank or by rank range (a cursor
// walk), and each sample's value by id. A value or percentile threshold is then a rank prefix
// found by binary search (spec §6.3: DeepSpeed's `index_to_sample` rows are ascending values
// with ascending ids inside a row, which is exactly this order). `CorpusIndex`'s LMDB index
// (its dense `ranks/<m>` and `values/<m>` tables) conforms through an adapter; `InMemoryDifficultyIndex` serves tests
// and `gradus bench sampler`.

import Support

/// One row of a metric's order table.
public struct OrderEntry: Sendable, Equatable {
    public var sampleID: UInt64
    public var value: Double
    public init(sampleID: UInt64, value: Double) { self.sampleID = sampleID; self.value = value }
}

/// Read access to per-metric order tables. Metrics are addressed by their position in
/// `metricNames`. Sample ids are dense, 0..<sampleCount.
public protocol DifficultyIndex {
    /// N, the number of samples (every metric has a value for every sample).
    var sampleCount: Int { get }
    /// Metric names, in the index's order.
    var metricNames: [String] { get }
    /// A content fingerprint: changes whenever any order table or value changes.
    var fingerprint: UInt64 { get }
    /// The order-table row at `rank` (0 ≤ rank < sampleCount).
    /// - Complexity: one point read (an LMDB B-tree lookup).
    func entry(metric: Int, rank: Int) throws -> OrderEntry
    /// Calls `body(rank, entry)` for each rank of `ranks` in ascending order (a cursor walk).
    func forEachEntry(metric: Int, ranks: Range<Int>, _ body: (Int, OrderEntry) throws -> Void) throws
    /// The metric value of one sample (the `values/<m>` table of an LMDB index).
    func value(metric: Int, sampleID: UInt64) throws -> Double
    /// The number of samples whose value is ≤ `v` — the rank prefix of a value threshold.
    /// - Complexity: O(log N) point reads (default implementation: binary search over `entry`).
    func rankCount(metric: Int, atMost v: Double) throws -> Int
    /// Replaces `out` with the rows at `sortedRanks` (ascending, possibly with gaps; any order when `readsInAnyOrder`), in order:
    /// the batched read of the sampler's hot path (one call per chunk of candidates).
    /// - Complexity: default: one `entry` per rank; an LMDB index walks one cursor.
    func entries(metric: Int, sortedRanks: [Int], into out: inout [OrderEntry]) throws
    /// Replaces `out` with the values of `sortedSampleIDs` (ascending; any order when `readsInAnyOrder`) in `metric`, in order.
    /// - Complexity: default: one `value` per id.
    func values(metric: Int, sortedSampleIDs: [UInt64], into out: inout [Double]) throws
    /// True when `entries` and `values` accept ranks and ids in any order at the same cost per
    /// read (arrays, dense tables): the sampler's `ClusterReader` then skips its sorts. Default false.
    var readsInAnyOrder: Bool { get }
}

extension DifficultyIndex {
    public var readsInAnyOrder: Bool { false }

    public func rankCount(metric: Int, atMost v: Double) throws -> Int {
        var lo = 0, hi = sampleCount
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if try entry(metric: metric, rank: mid).value <= v { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    public func entries(metric: Int, sortedRanks: [Int], into out: inout [OrderEntry]) throws {
        out.removeAll(keepingCapacity: true)
        for r in sortedRanks { out.append(try entry(metric: metric, rank: r)) }
    }

    public func values(metric: Int, sortedSampleIDs: [UInt64], into out: inout [Double]) throws {
        out.removeAll(keepingCapacity: true)
        for id in sortedSampleIDs { out.append(try value(metric: metric, sampleID: id)) }
    }

    /// The position of `name` in `metricNames`.
    public func metricIndex(named name: String) -> Int? { metricNames.firstIndex(of: name) }
}

/// DeepSpeed's percentile semantics (spec §6.3 `by_pct`): with S samples and P = max_difficulty,
/// each percent is ⌊S/P⌋ samples and the remainder goes to the last; `p == P` means all S.
/// Returns the rank prefix (end position) for percentile `p`.
public func percentileRankCount(_ p: Double, maxDifficulty: Double, sampleCount s: Int) -> Int {
    if p == maxDifficulty { return s }
    guard maxDifficulty > 0 else { return 0 }
    let per = (Double(s) / maxDifficulty).rounded(.down)
    // Clamped as a Double: Int() of a product beyond 2^63 (a discrete difficulty far above
    // max_difficulty) would trap, and NaN selects nothing.
    let count = (per * p).rounded(.towardZero)
    guard count > 0 else { return 0 }
    return count >= Double(s) ? s : Int(count)
}

/// An index held in arrays: for tests, benchmarks and small corpora.
public struct InMemoryDifficultyIndex: DifficultyIndex, Sendable {
    public let sampleCount: Int
    public let metricNames: [String]
    public let fingerprint: UInt64
    /// values[m][id]
    private let values: [[Double]]
    /// order[m][rank]: sorted by (value, id); id and value side by side (one cache line per read).
    private let order: [[OrderEntry]]

    /// Builds the order tables. Every metric must have one value per sample.
    /// - Complexity: O(M · N log N).
    public init(metrics: [(name: String, values: [Double])]) throws {
        let n = metrics.first?.values.count ?? 0
        for m in metrics where m.values.count != n {
            throw CurriculumError.invalidIndex("metric \(m.name) has \(m.values.count) values, expected \(n)")
        }
        if let bad = metrics.first(where: { $0.values.contains { $0.isNaN } }) {
            throw CurriculumError.invalidIndex("metric \(bad.name) has NaN values")
        }
        sampleCount = n
        metricNames = metrics.map(\.name)
        values = metrics.map(\.values)
        var tables: [[OrderEntry]] = []
        var hash = FNV1a64()
        hash.add(UInt64(n))
        for m in metrics {
            let order = (0..<n).sorted { (m.values[$0], $0) < (m.values[$1], $1) }
            tables.append(order.map { OrderEntry(sampleID: UInt64($0), value: m.values[$0]) })
            hash.add(m.name)
            for v in m.values { hash.add(v.bitPattern) }
        }
        order = tables
        fingerprint = hash.value
    }

    public func entry(metric: Int, rank: Int) throws -> OrderEntry {
        order[metric][rank]
    }

    public func forEachEntry(metric: Int, ranks: Range<Int>, _ body: (Int, OrderEntry) throws -> Void) throws {
        let table = order[metric]
        for r in ranks { try body(r, table[r]) }
    }

    public func value(metric: Int, sampleID: UInt64) throws -> Double { values[metric][Int(sampleID)] }

    public var readsInAnyOrder: Bool { true }

    public func entries(metric: Int, sortedRanks: [Int], into out: inout [OrderEntry]) throws {
        resizeForOverwrite(&out, sortedRanks.count, OrderEntry(sampleID: 0, value: 0))
        order[metric].withUnsafeBufferPointer { table in
            sortedRanks.withUnsafeBufferPointer { ranks in
                out.withUnsafeMutableBufferPointer { o in
                    for j in 0..<ranks.count { o[j] = table[ranks[j]] }
                }
            }
        }
    }

    public func values(metric: Int, sortedSampleIDs: [UInt64], into out: inout [Double]) throws {
        resizeForOverwrite(&out, sortedSampleIDs.count, 0)
        values[metric].withUnsafeBufferPointer { table in
            sortedSampleIDs.withUnsafeBufferPointer { ids in
                out.withUnsafeMutableBufferPointer { o in
                    for j in 0..<ids.count { o[j] = table[Int(ids[j])] }
                }
            }
        }
    }
}

/// Errors of the Curriculum module.
public enum CurriculumError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidIndex(String)
    /// A configured clustering metric is not in the index.
    case unknownMetric(String, available: [String])
    /// No sample is admitted at this step (DeepSpeed raises ValueError in `choice`, spec §6.9 Q3).
    case noAdmittedSamples(step: Int)
    /// The saved state belongs to another index or config.
    case fingerprintMismatch(String)
    case invalidState(String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .invalidIndex(let m): return "invalid index: \(m)"
        case let .unknownMetric(name, available):
            return "metric \"\(name)\" is not in the index (it has: \(available.joined(separator: ", ")))"
        case .noAdmittedSamples(let s):
            return "no sample is admitted at curriculum step \(s): the schedule's first difficulty selects nothing "
                + "(raise min_difficulty, or in percentile mode use an index with at least max_difficulty samples)"
        case .fingerprintMismatch(let m): return "cannot resume: \(m) (use --force to resume anyway)"
        case .invalidState(let m): return "invalid sampler state: \(m)"
        case .invalidArgument(let m): return m
        }
    }
}
