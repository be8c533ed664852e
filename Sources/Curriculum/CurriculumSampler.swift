// CurriculumSampler.swift — the curriculum data sampler (spec §6.2–6.6, DESIGN.md §4).
//
// Per global batch: advance the curriculum step, update every metric's scheduler (with the freeze
// rule), create a cluster of newly admitted samples when a difficulty changed (ClusterPlanner,
// same admitted set as DeepSpeed), choose for each of the `train_batch_size` slots a cluster with
// probability proportional to its size, take that many samples from each cluster's current pass
// (a keyed permutation; a new pass with a new key when exhausted), and shuffle the batch.
// Divergences from DeepSpeed (docs/curriculum.md): draw order is not numpy's; batches are always
// full (a cluster smaller than its share is passed over again instead of giving a short batch);
// the saved state is the one used, so resuming equals not stopping; no cluster files.
// Speed: a cluster's next candidates are resolved a chunk at a time by `ClusterReader` (sorted,
// batched index reads), which serves exactly the members a one-by-one walk would.

import Support

/// Draws curriculum global batches from a `DifficultyIndex`.
public struct CurriculumSampler<Index: DifficultyIndex> {
    public let index: Index
    public let metrics: [CurriculumMetricConfig]
    public let seed: UInt64
    public let globalBatchSize: Int
    /// N · num_epochs; the data ends one micro-batch after this many samples, as in DeepSpeed
    /// (`CurriculumBatchStream.epochLimitMicroBatches`).
    public let totalSamples: Int
    public let configFingerprint: String
    let planner: ClusterPlanner<Index>
    private var schedulers: [CurriculumScheduler]
    private var current: [Double?]
    private var rng: SplitMix64
    public private(set) var step = 0
    public private(set) var consumedSamples = 0
    public private(set) var clusters: [ClusterSpec] = []
    private var cursors: [ClusterCursor] = []
    /// Per cluster: members resolved ahead of the cursor (a cache, see `ClusterLookahead`).
    private var lookahead: [ClusterLookahead] = []
    private var runtime: [ClusterRuntime] = []
    /// Running sum of cluster sizes, for the proportional cluster choice.
    private var cumulativeSizes: [Int] = []
    /// Chunk buffers of the draw (not state).
    private var reader = ClusterReader()
    private var positions: [Int] = []

    /// - Parameters:
    ///   - metrics: the enabled curriculum metrics, in config order; every `schedule_based`
    ///     metric must exist in `index`.
    ///   - globalBatchSize: `train_batch_size` (mbs · gas · world).
    public init(index: Index, metrics: [CurriculumMetricConfig], seed: UInt64, globalBatchSize: Int,
                numEpochs: Int = 1000) throws {
        guard !metrics.isEmpty else { throw CurriculumError.invalidArgument("curriculum learning needs at least one metric") }
        guard index.sampleCount < 1 << 40 else { throw CurriculumError.invalidIndex("more than 2^40 samples") }
        guard globalBatchSize > 0, numEpochs > 0 else {
            throw CurriculumError.invalidArgument("global batch size and num_epochs must be > 0")
        }
        let planned = try planMetrics(metrics, index: index)
        self.index = index
        self.metrics = metrics
        self.seed = seed
        self.globalBatchSize = globalBatchSize
        totalSamples = index.sampleCount * numEpochs
        configFingerprint = try Curriculum.configFingerprint(metrics: metrics, seed: seed, numEpochs: numEpochs,
                                                             globalBatchSize: globalBatchSize)
        planner = ClusterPlanner(index: index, metrics: planned)
        schedulers = metrics.map { CurriculumScheduler(pacing: $0.pacing) }
        current = Array(repeating: nil, count: metrics.count)
        rng = SplitMix64(seed: mix64(seed ^ 0x6772_6164_7573_2d73))
    }

    /// A sampler for the enabled curriculum of `config`.
    public init(index: Index, config: GradusConfig, globalBatchSize: Int) throws {
        let de = config.dataEfficiency
        try self.init(index: index, metrics: config.curriculumMetrics, seed: UInt64(max(0, de.seed)),
                      globalBatchSize: globalBatchSize, numEpochs: de.dataSampling.numEpochs)
    }

    /// The number of admitted samples: Σ cluster sizes.
    public var admittedCount: Int { cumulativeSizes.last ?? 0 }

    /// Each metric's current difficulty (nil before the first batch), config order.
    public var currentDifficulties: [Double?] { current }

    /// Draws the next global batch. `consumedTokens` (tokens served before this batch) is the
    /// pacing argument of metrics whose `stepUnit` is `.tokens`; other metrics use the step.
    /// After a thrown error the sampler must not be used further.
    /// - Complexity: O(globalBatchSize · (log clusters + permutation cost)) index reads.
    public mutating func nextGlobalBatch(consumedTokens: Double = 0) throws -> GlobalBatch {
        step += 1
        let previous = current
        var changed = false
        for i in metrics.indices {
            let argument = metrics[i].pacing.stepUnit == .tokens ? consumedTokens : Double(step)
            let d = schedulers[i].update(step: argument)
            if current[i] != d { changed = true }
            current[i] = d
        }
        let difficulties = current.map { $0! }
        if changed, let spec = try planner.newCluster(current: difficulties, previous: previous, existing: clusters) {
            try append(spec, cursor: ClusterCursor())
        }
        guard admittedCount > 0 else { throw CurriculumError.noAdmittedSamples(step: step) }
        let counts = drawClusterCounts()
        var ids: [UInt64] = []
        ids.reserveCapacity(globalBatchSize)
        for c in clusters.indices where counts[c] > 0 { try take(c, counts[c], into: &ids) }
        rng.shuffle(&ids)
        consumedSamples += globalBatchSize
        return GlobalBatch(step: step, difficulties: difficulties, sampleIDs: ids)
    }

    /// For each cluster, how many of the batch's slots chose it (probability ∝ size). Works on
    /// locals: calling a method of the generic `self` per slot would copy the whole sampler.
    /// The chosen cluster of a uniform r in 0..<admittedCount is the first c with
    /// cumulativeSizes[c] > r. A guide table (Chen & Asau, 1974) finds it without a binary search:
    /// bucket b = ⌊r·G/total⌋ starts the scan at the first cluster that can hold any r of the bucket.
    /// A cache of `cumulativeSizes`, rebuilt when a cluster is added (not state).
    private mutating func drawClusterCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: clusters.count)
        var generator = rng
        let total = UInt64(admittedCount)
        if guideClusters != cumulativeSizes.count { rebuildGuide() }
        let g = UInt64(guide.count)
        cumulativeSizes.withUnsafeBufferPointer { sizes in
            guide.withUnsafeBufferPointer { guide in
                counts.withUnsafeMutableBufferPointer { counts in
                    for _ in 0..<globalBatchSize {
                        let r = generator.nextInt(below: total)
                        var c = guide[Int(r &* g / total)]
                        while UInt64(sizes[c]) <= r { c += 1 }
                        counts[c] += 1
                    }
                }
            }
        }
        rng = generator
        return counts
    }

    private var guide: [Int] = []
    private var guideClusters = -1

    private mutating func rebuildGuide() {
        let sizes = cumulativeSizes, total = UInt64(sizes.last ?? 0)
        let g = max(1, min(1 << 16, 2 * sizes.count))
        guide.removeAll(keepingCapacity: true)
        var c = 0
        for b in 0..<g {
            let lowest = (UInt64(b) * total + UInt64(g) - 1) / UInt64(g)  // the smallest r of bucket b
            while c < sizes.count - 1, UInt64(sizes[c]) <= lowest { c += 1 }
            guide.append(c)
        }
        guideClusters = sizes.count
    }

    private mutating func append(_ spec: ClusterSpec, cursor: ClusterCursor) throws {
        let c = clusters.count
        let rt = try ClusterRuntime(spec, key: permutationKey(cluster: c, pass: cursor.pass), index: index)
        clusters.append(spec)
        cursors.append(cursor)
        runtime.append(rt)
        lookahead.append(ClusterLookahead(resolvedEnd: cursor.position))
        cumulativeSizes.append((cumulativeSizes.last ?? 0) + spec.size)
        guideClusters = -1
    }

    /// The permutation key of pass `pass` of cluster `cluster`.
    func permutationKey(cluster: Int, pass: UInt64) -> UInt64 {
        mix64(mix64(seed ^ 0x636c_7573_7465_7273) &+ mix64(UInt64(cluster) &+ 1) ^ mix64(pass &* 0x9e37_79b9_7f4a_7c15 &+ 7))
    }

    /// Appends `n` members of cluster `c` from its current pass, starting new passes as needed.
    /// Members come from the cluster's lookahead, refilled a chunk of candidates at a time
    /// (sized from the member density, at least `minimumChunk`); the cursor advances to just
    /// past each served member's position, so the served sequence and the saved state equal
    /// those of a one-by-one walk.
    private mutating func take(_ c: Int, _ n: Int, into out: inout [UInt64]) throws {
        var cursor = cursors[c]
        if !isKnownUniquelyReferenced(&lookahead[c]) { lookahead[c] = lookahead[c].copy() }  // a copied sampler
        let ahead = lookahead[c]
        let domain = runtime[c].domain
        var need = n
        // A restored state may claim members its filter never admits: a whole pass without a
        // member is an error, not an endless loop (fuzz target `state`, timeout-2d4172b1).
        var passStartedEmpty = false
        while need > 0 {
            if !ahead.isEmpty {
                let k = min(need, ahead.ids.count - ahead.next)
                out.append(contentsOf: ahead.ids[ahead.next..<(ahead.next + k)])
                ahead.next += k
                need -= k
                cursor.position = ahead.positions[ahead.next - 1] + 1
                passStartedEmpty = false
                continue
            }
            if ahead.resolvedEnd == domain {
                if passStartedEmpty {
                    throw CurriculumError.invalidState("cluster \(c) has no member in a whole pass although its size is "
                        + "\(clusters[c].size) (the state does not belong to this index)")
                }
                passStartedEmpty = true
                cursor.position = 0
                cursor.pass += 1
                runtime[c].permutation = KeyedPermutation(count: UInt64(domain), key: permutationKey(cluster: c, pass: cursor.pass))
                ahead.restart(at: 0)
            }
            try refill(c, ahead, need: need)
        }
        cursors[c] = cursor
    }

    /// Smallest refill of a lookahead, to amortise the batched reads over several batches.
    static var minimumChunk: Int { 256 }

    /// Resolves the next chunk of cluster `c`'s pass into `ahead`.
    private mutating func refill(_ c: Int, _ ahead: ClusterLookahead, need: Int) throws {
        let rt = runtime[c]
        let density = Double(clusters[c].size) / Double(rt.domain)
        let estimate = rt.filter == nil ? need : Int(Double(need) / density * 1.1) + 1
        let chunk = min(rt.domain - ahead.resolvedEnd, ClusterReader.maxChunk, max(estimate, Self.minimumChunk))
        let permutation = rt.permutation, base = ahead.resolvedEnd
        if positions.count < chunk {
            positions.append(contentsOf: repeatElement(0, count: chunk - positions.count))
        } else if positions.count > chunk {
            positions.removeLast(positions.count - chunk)
        }
        positions.withUnsafeMutableBufferPointer { p in
            for i in 0..<chunk { p[i] = Int(truncatingIfNeeded: permutation.apply(UInt64(base &+ i))) }
        }
        try reader.resolve(positions, of: rt, index: index)
        // Local arrays: no exclusivity or uniqueness checks on the class's properties per element.
        var ids: [UInt64] = [], served: [Int] = []
        swap(&ids, &ahead.ids)
        swap(&served, &ahead.positions)
        ids.removeAll(keepingCapacity: true)
        served.removeAll(keepingCapacity: true)
        ids.reserveCapacity(chunk)
        served.reserveCapacity(chunk)
        reader.members.withUnsafeBufferPointer { members in
            for i in 0..<members.count where members[i] != ClusterReader.rejected {
                ids.append(members[i])
                served.append(base &+ i)
            }
        }
        swap(&ids, &ahead.ids)
        swap(&served, &ahead.positions)
        ahead.next = 0
        ahead.resolvedEnd += chunk
    }

    /// The members of cluster `c` whose domain positions come from `position(i)`, i in domain order.
    private func resolveAll(_ c: Int, _ position: (Int) -> Int) throws -> [UInt64] {
        var reader = ClusterReader()
        var out: [UInt64] = []
        var start = 0
        while start < runtime[c].domain {
            let end = min(runtime[c].domain, start + ClusterReader.maxChunk)
            try reader.resolve((start..<end).map(position), of: runtime[c], index: index)
            out.append(contentsOf: reader.members.lazy.filter { $0 != ClusterReader.rejected })
            start = end
        }
        return out
    }

    /// All members of cluster `c` in domain order (for tests and inspection).
    /// - Complexity: O(cluster domain) reads.
    public func members(ofCluster c: Int) throws -> [UInt64] {
        try resolveAll(c) { $0 }
    }

    /// The members of cluster `c` in the order its pass `pass` serves them.
    /// - Complexity: O(cluster domain) reads.
    public func passOrder(ofCluster c: Int, pass: UInt64) throws -> [UInt64] {
        let permutation = KeyedPermutation(count: UInt64(runtime[c].domain), key: permutationKey(cluster: c, pass: pass))
        return try resolveAll(c) { Int(permutation.apply(UInt64($0))) }
    }

    /// The resumable state (O(clusters · metrics)).
    public func state() -> SamplerState {
        SamplerState(indexFingerprint: FNV1a64.hex(index.fingerprint), configFingerprint: configFingerprint,
                     globalBatchSize: globalBatchSize, step: step, consumedSamples: consumedSamples, rng: rng,
                     currentDifficulties: current, schedulerDifficulties: schedulers.map(\.currentDifficulty),
                     clusters: clusters, cursors: cursors)
    }

    /// Continues from `state`. Refuses a state of another index or config unless `force`.
    public mutating func restore(_ state: SamplerState, force: Bool = false) throws {
        if !force {
            if state.indexFingerprint != FNV1a64.hex(index.fingerprint) {
                throw CurriculumError.fingerprintMismatch("the state was saved with another index (fingerprint \(state.indexFingerprint), this index \(FNV1a64.hex(index.fingerprint)))")
            }
            if state.configFingerprint != configFingerprint {
                throw CurriculumError.fingerprintMismatch("the state was saved with another curriculum config, seed or global batch size")
            }
        }
        guard state.currentDifficulties.count == metrics.count, state.schedulerDifficulties.count == metrics.count,
              state.clusters.count == state.cursors.count else {
            throw CurriculumError.invalidState("metric or cluster counts do not match the config")
        }
        let problems = state.rangeProblems(metrics: metrics, index: index)
        if !problems.isEmpty { throw CurriculumError.invalidState(problems.joined(separator: "; ")) }
        schedulers = zip(metrics, state.schedulerDifficulties).map { CurriculumScheduler(pacing: $0.pacing, currentDifficulty: $1) }
        current = state.currentDifficulties
        rng = state.rng
        step = state.step
        consumedSamples = state.consumedSamples
        clusters = []; cursors = []; runtime = []; lookahead = []; cumulativeSizes = []
        for (spec, cursor) in zip(state.clusters, state.cursors) {
            guard cursor.position >= 0, cursor.position <= spec.domainSize, spec.size > 0 else {
                throw CurriculumError.invalidState("cluster cursor out of range")
            }
            try append(spec, cursor: cursor)
        }
    }
}

/// What a cluster needs at draw time, rebuilt from its spec and cursor.
struct ClusterRuntime {
    let segments: [ClusterSegment]
    let domain: Int
    let filter: ClusterFilter?
    var permutation: KeyedPermutation

    init<Index: DifficultyIndex>(_ spec: ClusterSpec, key: UInt64, index: Index) throws {
        segments = spec.segments
        domain = spec.domainSize
        guard domain > 0 else { throw CurriculumError.invalidState("empty cluster") }
        guard segments.count < 256 else { throw CurriculumError.invalidState("too many cluster segments") }
        for s in segments where s.lower < 0 || s.upper > index.sampleCount || s.lower > s.upper {
            throw CurriculumError.invalidState("cluster segment \(s.lower)..<\(s.upper) outside the index")
        }
        filter = spec.box == nil ? nil : try ClusterFilter(spec, index: index)
        permutation = KeyedPermutation(count: UInt64(domain), key: key)
    }
}
