// Cluster.swift — a curriculum cluster without its member list (spec §6.3, DESIGN.md §4).
//
// DeepSpeed materialises every cluster as a shuffled id file. Here a cluster is described by
// O(metrics) numbers:
// - one or more *segments*, each a rank range of one metric's order table (or a range of sample
//   ids when no metric clusters), whose concatenation is the cluster's *domain*;
// - for intersection clusters (two or more clustering metrics), a *filter*: the cluster's box (a
//   rank bound per clustering metric) and the boxes of all earlier clusters, which it excludes.
//
// A pass over the cluster walks a keyed permutation of the domain and keeps the members that
// pass the filter, so every member appears exactly once per pass (segments of an intersection
// cluster are made disjoint by assigning a sample to the first segment that contains it).
// Single-metric clusters have one segment and no filter: every domain position is a member.

/// A range of positions: ranks of `metric`'s order table, or sample ids when `metric` is nil.
public struct ClusterSegment: Codable, Sendable, Equatable {
    public var metric: Int?
    public var lower: Int
    public var upper: Int
    public var count: Int { upper - lower }
    public init(metric: Int?, lower: Int, upper: Int) { self.metric = metric; self.lower = lower; self.upper = upper }
}

/// The samples whose rank is below `bounds[i]` in metric `metrics[i]`, for every i.
public struct ClusterBox: Codable, Sendable, Equatable {
    public var bounds: [Int]
    public init(bounds: [Int]) { self.bounds = bounds }
}

/// One cluster, as saved in the sampler state.
public struct ClusterSpec: Codable, Sendable, Equatable {
    /// Segments whose concatenation is the domain the permutation walks.
    public var segments: [ClusterSegment]
    /// Index metric positions of the filter's boxes (intersection clusters only).
    public var filterMetrics: [Int]
    /// The cluster's own box (nil: no filter, every domain position is a member).
    public var box: ClusterBox?
    /// Boxes of the clusters created before this one; their members are excluded.
    public var excluded: [ClusterBox]
    /// The number of members.
    public var size: Int
    /// Each configured metric's difficulty when the cluster was created (config order).
    public var difficulties: [Double]

    /// Σ segment lengths.
    public var domainSize: Int { segments.reduce(0) { $0 + $1.count } }
}

/// (value, sample id): the sort key of the order tables. A rank bound R corresponds to the key at
/// rank R (rank N is +∞), and a sample has rank < R exactly when its key is below that key.
struct RankKey: Comparable {
    var value: Double
    var id: UInt64
    static let infinity = RankKey(value: .infinity, id: .max)
    static let negativeInfinity = RankKey(value: -.infinity, id: 0)
    static func < (a: RankKey, b: RankKey) -> Bool { (a.value, a.id) < (b.value, b.id) }
}

/// A cluster's filter with its rank bounds turned into keys, ready for membership tests.
struct ClusterFilter {
    /// Index metric positions; the `values` of `rejectNonMembers` follow this order.
    let metrics: [Int]
    let box: [RankKey]
    let excluded: [[RankKey]]
    /// For each segment: the slot of its metric in `metrics`, and its lower/upper keys.
    let segmentSlot: [Int]
    let segmentLower: [RankKey]
    let segmentUpper: [RankKey]

    init<Index: DifficultyIndex>(_ spec: ClusterSpec, index: Index) throws {
        guard let box = spec.box else { throw CurriculumError.invalidState("filter of an unfiltered cluster") }
        func key(_ m: Int, _ r: Int) throws -> RankKey {
            if r >= index.sampleCount { return .infinity }
            if r <= 0 { return .negativeInfinity }
            let e = try index.entry(metric: m, rank: r)
            return RankKey(value: e.value, id: e.sampleID)
        }
        let ms = spec.filterMetrics
        guard box.bounds.count == ms.count, spec.excluded.allSatisfy({ $0.bounds.count == ms.count }) else {
            throw CurriculumError.invalidState("cluster box has the wrong number of metrics")
        }
        metrics = ms
        self.box = try zip(ms, box.bounds).map { try key($0, $1) }
        excluded = try spec.excluded.map { b in try zip(ms, b.bounds).map { try key($0, $1) } }
        var slots: [Int] = [], lows: [RankKey] = [], highs: [RankKey] = []
        for s in spec.segments {
            guard let m = s.metric, let slot = ms.firstIndex(of: m) else {
                throw CurriculumError.invalidState("intersection segment without a filter metric")
            }
            slots.append(slot)
            lows.append(try key(m, s.lower))
            highs.append(try key(m, s.upper))
        }
        segmentSlot = slots
        segmentLower = lows
        segmentUpper = highs
    }

    /// Marks with `ClusterReader.rejected` the slots of a chunk whose candidate is not a member
    /// counted in its segment: a member lies below the box on every metric (keys compared as
    /// (value, id)), in no earlier segment's [lower, upper) on that segment's metric, and inside
    /// no excluded box. `values` is slot-major (slot · metrics + i, i following `metrics`);
    /// `segmentOf[slot]` is the candidate's segment. The boxes are flattened into one buffer
    /// first, so the loop has no per-element array checks.
    func rejectNonMembers(_ members: UnsafeMutableBufferPointer<UInt64>, segmentOf: UnsafeBufferPointer<Int>,
                          values: UnsafeBufferPointer<Double>) {
        let m = metrics.count, nExcluded = excluded.count, nSegments = segmentSlot.count
        // Flat keys: box (m), then excluded boxes (m each), then segment lower/upper pairs.
        var keyValues: [Double] = [], keyIDs: [UInt64] = []
        for k in box { keyValues.append(k.value); keyIDs.append(k.id) }
        for e in excluded { for k in e { keyValues.append(k.value); keyIDs.append(k.id) } }
        for k in 0..<nSegments {
            keyValues.append(segmentLower[k].value); keyIDs.append(segmentLower[k].id)
            keyValues.append(segmentUpper[k].value); keyIDs.append(segmentUpper[k].id)
        }
        keyValues.withUnsafeBufferPointer { kv in
            keyIDs.withUnsafeBufferPointer { ki in
                segmentSlot.withUnsafeBufferPointer { slots in
                    @inline(__always) func below(_ v: Double, _ id: UInt64, _ j: Int) -> Bool {
                        v < kv[j] || (v == kv[j] && id < ki[j])
                    }
                    let segmentBase = m * (1 + nExcluded)
                    for slot in 0..<members.count {
                        let id = members[slot]
                        let row = slot * m
                        var ok = true
                        for i in 0..<m where !below(values[row + i], id, i) { ok = false; break }
                        if ok {
                            let segment = segmentOf[slot]
                            var k = 0
                            while k < segment {
                                let v = values[row + slots[k]], j = segmentBase + 2 * k
                                if !below(v, id, j), below(v, id, j + 1) { ok = false; break }
                                k += 1
                            }
                        }
                        if ok {
                            var e = 0
                            while e < nExcluded {
                                let base = m * (1 + e)
                                var inside = true
                                for i in 0..<m where !below(values[row + i], id, base + i) { inside = false; break }
                                if inside { ok = false; break }
                                e += 1
                            }
                        }
                        if !ok { members[slot] = ClusterReader.rejected }
                    }
                }
            }
        }
    }
}
