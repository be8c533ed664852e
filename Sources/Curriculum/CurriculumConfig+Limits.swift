// CurriculumConfig+Limits.swift — range checks of a parsed config that go beyond types (issue 14
// items 15 and 21): sizes the sampler allocates or multiplies are capped before anything is
// allocated (`key.path: value exceeds the limit N (why)`), and values DeepSpeed would accept but
// cannot mean anything — a negative percentile, custom points outside [min, max] — are refused
// with their key path. Limits are documented in configs/README.md.

import Support

extension GradusConfig {
    /// The largest `train_batch_size`, `train_micro_batch_size_per_gpu` and
    /// `gradient_accumulation_steps`: 2^24. The sampler holds one id per sample of a global
    /// batch, and mbs · gas · world must stay far from integer overflow.
    public static let maxBatchSize = 1 << 24
    /// The largest `num_epochs`: 2^20, so that samples · epochs (< 2^40 · 2^20) fits in an Int.
    public static let maxEpochs = 1 << 20
    /// The largest layer count or layer id of `random_ltd` (the model's own limit).
    public static let maxLayers = 1 << 12

    /// Sizes above their limits, each as `key.path: value exceeds the limit N (why)`.
    func collectLimitProblems(into log: IssueLog) {
        for (key, v) in [("train_batch_size", trainBatchSize), ("train_micro_batch_size_per_gpu", trainMicroBatchSizePerGPU),
                         ("gradient_accumulation_steps", gradientAccumulationSteps)] {
            if let v, v > Self.maxBatchSize {
                log.add(key, "\(v) exceeds the limit \(Self.maxBatchSize) (2^24 samples per global batch; the sampler holds one id per sample)")
            }
        }
        let epochs = dataEfficiency.dataSampling.numEpochs
        if epochs > Self.maxEpochs {
            log.add("data_efficiency.data_sampling.num_epochs",
                    "\(epochs) exceeds the limit \(Self.maxEpochs) (2^20 passes; samples × epochs must fit in a 64-bit count)")
        }
        let ltd = dataEfficiency.dataRouting.randomLTD, path = "data_efficiency.data_routing.random_ltd"
        for (key, v) in [("total_layer_num", ltd.totalLayerNum), ("random_ltd_layer_num", ltd.randomLTDLayerNum)] where v > Self.maxLayers {
            log.add("\(path).\(key)", "\(v) exceeds the limit \(Self.maxLayers) (2^12 transformer layers)")
        }
    }
}

extension CurriculumMetricConfig {
    /// Values of one metric that no schedule can mean, recorded at their key paths under `path`
    /// (`…curriculum_metrics.NAME`): a percentile `min_difficulty` below 0 or a percentile
    /// `max_difficulty` ≤ 0 (DeepSpeed divides the sample count by it, spec §6.3), and `custom`
    /// points outside min_difficulty...max_difficulty (the scheduler freezes at the maximum).
    func collectRangeProblems(path: String, into log: IssueLog) {
        let p = pacing
        func show(_ v: Double) -> String { formatDifficulty(v, integral: p.isIntegral) }
        if difficultyType == .percentile {
            if p.minDifficulty < 0 {
                log.add("\(path).min_difficulty", "\(show(p.minDifficulty)) is below 0: a percentile difficulty counts samples "
                    + "from 0 up to max_difficulty (the 100 % mark); use 0 or more")
            }
            if p.maxDifficulty <= 0 {
                log.add("\(path).max_difficulty", "\(show(p.maxDifficulty)) must be > 0: in percentile mode it is the 100 % mark "
                    + "and the sample count is divided by it")
            }
        }
        guard p.kind == .custom else { return }
        for (i, point) in p.points.enumerated() where !(point.difficulty >= p.minDifficulty && point.difficulty <= p.maxDifficulty) {
            log.add("\(path).schedule_config.points[\(i)]", "difficulty \(show(point.difficulty)) is outside min_difficulty..."
                + "max_difficulty (\(show(p.minDifficulty))...\(show(p.maxDifficulty))); move the point inside or widen the range")
        }
    }
}
