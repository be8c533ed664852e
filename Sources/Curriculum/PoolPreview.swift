// PoolPreview.swift — the admitted pool per step for `gradus schedule --index DIR` (issue 4 item
// 5): each clustering metric's admitted prefix (the samples its difficulty alone admits), the
// admitted total (the union of the sampler's clusters — the intersection over metrics — exactly
// `CurriculumSampler.admittedCount`), the expected number of passes over the pool so far
// ("coverage", Σ global batch / pool per step) and whether the pool is smaller than one global
// batch (DeepSpeed's starvation case, issue #8520: it repeats samples inside a batch).
// Cluster sizes come from `ClusterPlanner`, as in the sampler; no batch is drawn.

/// The pool at one curriculum step.
public struct PoolRow: Sendable, Equatable {
    public var step: Int
    /// Per configured metric (config order): the samples its own difficulty admits (N for a
    /// `single_cluster` metric).
    public var perMetric: [Int]
    /// Samples admitted by all metrics together (Σ cluster sizes).
    public var total: Int
    /// Σ over steps so far of globalBatchSize / total: expected passes over the pool.
    public var coverage: Double
    /// total < global batch size.
    public var starved: Bool
}

/// Steps a curriculum's pool forward without drawing batches.
public struct PoolPreview<Index: DifficultyIndex> {
    public let globalBatchSize: Int
    let planner: ClusterPlanner<Index>
    private let metrics: [CurriculumMetricConfig]
    private let tokensPerStep: Double?
    private var schedulers: [CurriculumScheduler]
    private var current: [Double?]
    private var clusters: [ClusterSpec] = []
    private var total = 0
    private var coverage = 0.0
    public private(set) var step = 0

    /// - Parameter tokensPerStep: tokens per global batch, for metrics paced by tokens.
    public init(index: Index, metrics: [CurriculumMetricConfig], globalBatchSize: Int, tokensPerStep: Double? = nil) throws {
        guard globalBatchSize > 0 else { throw CurriculumError.invalidArgument("global batch size must be > 0") }
        planner = ClusterPlanner(index: index, metrics: try planMetrics(metrics, index: index))
        self.metrics = metrics
        self.globalBatchSize = globalBatchSize
        self.tokensPerStep = tokensPerStep
        schedulers = metrics.map { CurriculumScheduler(pacing: $0.pacing) }
        current = Array(repeating: nil, count: metrics.count)
    }

    /// Advances to the next step (1 for the first global batch) and returns its pool.
    /// - Complexity: O(log N) reads per metric; a new intersection cluster is counted once
    ///   (O(its domain) reads), as in the sampler.
    public mutating func next() throws -> PoolRow {
        step += 1
        let previous = current
        var changed = false
        for i in metrics.indices {
            let argument = metrics[i].pacing.stepUnit == .tokens ? Double(step - 1) * (tokensPerStep ?? 0) : Double(step)
            let d = schedulers[i].update(step: argument)
            if current[i] != d { changed = true }
            current[i] = d
        }
        let difficulties = current.map { $0! }
        if changed, let spec = try planner.newCluster(current: difficulties, previous: previous, existing: clusters) {
            clusters.append(spec)
            total += spec.size
        }
        let perMetric = try metrics.indices.map { try planner.rankEnd($0, difficulties[$0]) }
        if total > 0 { coverage += Double(globalBatchSize) / Double(total) }
        return PoolRow(step: step, perMetric: perMetric, total: total, coverage: coverage, starved: total < globalBatchSize)
    }
}

extension PoolPreview {
    /// The warning `gradus schedule --index` and `gradus train` print when the admitted pool is
    /// smaller than the global batch at `starvedSteps` (ascending), or nil when there are none.
    public static func starvationWarning(starvedSteps: [Int], globalBatchSize: Int) -> String? {
        guard let first = starvedSteps.first, let last = starvedSteps.last else { return nil }
        return "the admitted pool is smaller than the global batch (\(globalBatchSize)) at \(starvedSteps.count) "
            + "step(s), from step \(first) to \(last): DeepSpeed repeats samples inside those batches (issue #8520); "
            + "Gradus serves full batches by passing over the pool again"
    }

    /// Steps the preview on through step `steps` and returns `starvationWarning` for the starved
    /// steps among them, or nil.
    /// - Complexity: O(steps · metrics · log N) reads, as `next()`.
    public mutating func starvationWarning(through steps: Int) throws -> String? {
        var starved: [Int] = []
        while step < steps {
            let row = try next()
            if row.starved { starved.append(row.step) }
        }
        return Self.starvationWarning(starvedSteps: starved, globalBatchSize: globalBatchSize)
    }
}
