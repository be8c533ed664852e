// ClusterPlanner.swift — which samples a new cluster holds (spec §6.3 `get_new_cluster`), as rank
// ranges instead of id lists. The admitted set (the union of clusters) equals DeepSpeed's at every
// step: same value bounds (a < v ≤ b), same percentile arithmetic (⌊S/P⌋ per percent, remainder
// in the last), same k ≤ 1 overwrite rule and the same k ≥ 2 cumulative intersection minus every
// earlier cluster. Divergence (docs/curriculum.md): in intersection mode an empty first metric
// makes the intersection empty (DeepSpeed silently ignores it, spec §13 item 10).

/// A configured metric resolved against the index.
struct PlannedMetric: Sendable {
    var name: String
    var difficultyType: DifficultyType
    /// The index metric position; nil for `single_cluster` metrics.
    var indexMetric: Int?
    var maxDifficulty: Double
}

/// Resolves configured metrics against `index`; every `schedule_based` metric must exist in it,
/// under its name or, for a DeepSpeed alias (`vocab_rarity`, …), under `MetricAliases.canonical`.
func planMetrics<Index: DifficultyIndex>(_ metrics: [CurriculumMetricConfig], index: Index) throws -> [PlannedMetric] {
    try metrics.map { m in
        var indexMetric: Int?
        if m.clusteringType == .scheduleBased {
            guard let im = MetricAliases.position(of: m.name, in: index.metricNames) else {
                throw CurriculumError.unknownMetric(m.name, available: index.metricNames)
            }
            indexMetric = im
        }
        return PlannedMetric(name: m.name, difficultyType: m.difficultyType, indexMetric: indexMetric,
                             maxDifficulty: m.pacing.maxDifficulty)
    }
}

/// Computes new clusters from difficulties.
struct ClusterPlanner<Index: DifficultyIndex> {
    let index: Index
    let metrics: [PlannedMetric]

    /// Positions (in `metrics`) of the clustering metrics.
    var clustering: [Int] { metrics.indices.filter { metrics[$0].indexMetric != nil } }

    /// The cumulative rank bound of metric i at difficulty d: `by_value(−∞, d]` or `by_pct(0, d)`.
    func rankEnd(_ i: Int, _ d: Double) throws -> Int {
        let m = metrics[i]
        guard let im = m.indexMetric else { return index.sampleCount }
        switch m.difficultyType {
        case .value: return try index.rankCount(metric: im, atMost: d)
        case .percentile: return percentileRankCount(d, maxDifficulty: m.maxDifficulty, sampleCount: index.sampleCount)
        }
    }

    /// The lower rank of a k = 1 cluster from the previous difficulty (nil: −∞ or 0%).
    func rankStart(_ i: Int, _ previous: Double?) throws -> Int {
        guard let a = previous, let im = metrics[i].indexMetric else { return 0 }
        switch metrics[i].difficultyType {
        case .value: return try index.rankCount(metric: im, atMost: a)
        case .percentile:
            let per = (Double(index.sampleCount) / metrics[i].maxDifficulty).rounded(.down)
            return Swift.max(0, Int((per * a).rounded(.towardZero)))
        }
    }

    /// The new cluster when the difficulties change from `previous` to `current` (config order),
    /// given the clusters that exist; nil when it would be empty.
    func newCluster(current: [Double], previous: [Double?], existing: [ClusterSpec]) throws -> ClusterSpec? {
        let k = clustering
        switch k.count {
        case 0:
            guard existing.isEmpty, index.sampleCount > 0 else { return nil }
            return single(ClusterSegment(metric: nil, lower: 0, upper: index.sampleCount), current)
        case 1:
            let i = k[0]
            let lo = try rankStart(i, previous[i]), hi = try rankEnd(i, current[i])
            guard hi > lo else { return nil }
            return single(ClusterSegment(metric: metrics[i].indexMetric, lower: lo, upper: hi), current)
        default:
            return try intersection(current: current, existing: existing)
        }
    }

    private func single(_ segment: ClusterSegment, _ current: [Double]) -> ClusterSpec {
        ClusterSpec(segments: [segment], filterMetrics: [], box: nil, excluded: [], size: segment.count,
                    difficulties: current)
    }

    /// k ≥ 2: the box of the current difficulties minus every existing cluster's box.
    private func intersection(current: [Double], existing: [ClusterSpec]) throws -> ClusterSpec? {
        let k = clustering
        let filterMetrics = k.map { metrics[$0].indexMetric! }
        let box = ClusterBox(bounds: try k.map { try rankEnd($0, current[$0]) })
        guard box.bounds.allSatisfy({ $0 > 0 }) else { return nil }
        // Superset 1: the smallest prefix. Superset 2: the slabs between the last box and this one.
        let smallest = box.bounds.indices.min { box.bounds[$0] < box.bounds[$1] }!
        var segments = [ClusterSegment(metric: filterMetrics[smallest], lower: 0, upper: box.bounds[smallest])]
        if let last = existing.last?.box {
            let slabs = box.bounds.indices.compactMap { j -> ClusterSegment? in
                box.bounds[j] > last.bounds[j]
                    ? ClusterSegment(metric: filterMetrics[j], lower: last.bounds[j], upper: box.bounds[j]) : nil
            }
            if slabs.reduce(0, { $0 + $1.count }) < segments[0].count { segments = slabs }
        }
        guard !segments.isEmpty else { return nil }
        var spec = ClusterSpec(segments: segments, filterMetrics: filterMetrics, box: box,
                               excluded: maximalBoxes(existing.compactMap(\.box)), size: 0, difficulties: current)
        spec.size = try countMembers(spec)
        return spec.size > 0 ? spec : nil
    }

    /// The boxes not contained in another box: excluding them excludes the union of all. With
    /// non-decreasing schedules this is just the last box, so a membership test is O(metrics).
    func maximalBoxes(_ boxes: [ClusterBox]) -> [ClusterBox] {
        func contains(_ a: ClusterBox, _ b: ClusterBox) -> Bool { zip(a.bounds, b.bounds).allSatisfy { $0 >= $1 } }
        var kept: [ClusterBox] = []
        for (i, b) in boxes.enumerated() {
            let dominated = boxes.indices.contains { j in
                j != i && contains(boxes[j], b) && (boxes[j] != b || j > i)
            }
            if !dominated { kept.append(b) }
        }
        return kept
    }

    /// Counts the members of a filtered cluster: its domain in ascending chunks through
    /// `ClusterReader` (rank-contiguous reads, sorted id lookups).
    /// - Complexity: O(domain · metrics) reads, once per cluster creation.
    func countMembers(_ spec: ClusterSpec) throws -> Int {
        let runtime = try ClusterRuntime(spec, key: 0, index: index)
        var reader = ClusterReader()
        var count = 0, start = 0
        while start < runtime.domain {
            let end = min(runtime.domain, start + ClusterReader.maxChunk)
            try reader.resolve(Array(start..<end), of: runtime, index: index)
            count += reader.members.reduce(0) { $0 + ($1 == ClusterReader.rejected ? 0 : 1) }
            start = end
        }
        return count
    }
}
