// SamplerBenchmark.swift — the measurement behind `gradus bench sampler` (issue 4 item 7): a
// synthetic index of N samples with two correlated metrics (a sequence length and a
// rarity-like score), and timed runs of the curriculum sampler on any `DifficultyIndex` (that one,
// or a real LMDB index) in percentile and value modes, with one and two clustering metrics, over
// a schedule that completes midway (so cluster creation is included in the time).

import Support

/// One timed run.
public struct SamplerBenchmarkResult: Sendable {
    public var mode: String
    public var samples: Int
    public var globalBatchSize: Int
    public var batches: Int
    public var clusters: Int
    /// Σ cluster domains / Σ cluster sizes: candidate reads per served id in a fresh pass
    /// (1 for single-metric clusters; > 1 where intersection clusters reject candidates).
    public var domainPerMember: Double
    public var seconds: Double
    public var batchesPerSecond: Double { Double(batches) / seconds }
    public var idsPerSecond: Double { Double(batches * globalBatchSize) / seconds }
}

public enum SamplerBenchmark {
    /// A synthetic two-metric index: `seqlen` uniform in 16…2048 (integers) and `rarity` =
    /// seqlen · (4 + noise) (floats), so the metrics are correlated but not identical.
    public static func syntheticIndex(samples n: Int, seed: UInt64 = 1) throws -> InMemoryDifficultyIndex {
        var rng = SplitMix64(seed: seed)
        var seqlen = [Double](repeating: 0, count: n), rarity = [Double](repeating: 0, count: n)
        for i in 0..<n {
            seqlen[i] = Double(16 + rng.nextInt(below: 2033))
            rarity[i] = seqlen[i] * (4 + 2 * rng.nextDouble())
        }
        return try InMemoryDifficultyIndex(metrics: [("seqlen", seqlen), ("rarity", rarity)])
    }

    /// The metric configs of a benchmark mode over the first two metrics of `index`:
    /// `percentile` and `value` (both two metrics) or `percentile-1` (the first only). Value
    /// schedules run linearly from each metric's 1st-percentile value to its maximum in 256
    /// difficulty steps (whole steps for integral metrics), so they suit any index.
    public static func metrics<Index: DifficultyIndex>(mode: String, steps: Int, index: Index) throws -> [CurriculumMetricConfig] {
        guard index.metricNames.count >= 2, index.sampleCount >= 100 else {
            throw CurriculumError.invalidArgument("the benchmark needs an index with two metrics and ≥ 100 samples")
        }
        let names = Array(index.metricNames.prefix(2))
        let t = Double(max(1, steps / 2))
        let pct = PacingFunction.root(min: 1, max: 100, totalSteps: t, difficultyStep: 1, rootDegree: 2)
        func percentile(_ name: String) -> CurriculumMetricConfig {
            CurriculumMetricConfig(name: name, difficultyType: .percentile, clusteringType: .scheduleBased, pacing: pct)
        }
        func value(_ m: Int) throws -> CurriculumMetricConfig {
            let lo = try index.entry(metric: m, rank: index.sampleCount / 100).value
            let hi = try index.entry(metric: m, rank: index.sampleCount - 1).value
            let integral = lo.rounded() == lo && hi.rounded() == hi
            let step = integral ? max(1, ((hi - lo) / 256).rounded(.down)) : max((hi - lo) / 256, .leastNormalMagnitude)
            return CurriculumMetricConfig(name: names[m], difficultyType: .value, clusteringType: .scheduleBased,
                                          pacing: .linear(min: lo, max: hi, totalSteps: t, difficultyStep: step))
        }
        switch mode {
        case "percentile": return names.map(percentile)
        case "value": return [try value(0), try value(1)]
        case "percentile-1": return [percentile(names[0])]
        default:
            throw CurriculumError.invalidArgument("unknown benchmark mode \(mode) (percentile, value, percentile-1)")
        }
    }

    /// Draws `steps` global batches of `globalBatchSize` and times them on this thread.
    public static func run<Index: DifficultyIndex>(index: Index, mode: String, steps: Int,
                                                   globalBatchSize: Int) throws -> SamplerBenchmarkResult {
        var sampler = try CurriculumSampler(index: index, metrics: try metrics(mode: mode, steps: steps, index: index), seed: 1234,
                                            globalBatchSize: globalBatchSize)
        var checksum: UInt64 = 0
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<steps {
            let batch = try sampler.nextGlobalBatch()
            checksum &+= batch.sampleIDs[0]
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        if checksum == .max { throw CurriculumError.invalidArgument("unreachable checksum") }  // keeps the loop observable
        return SamplerBenchmarkResult(mode: mode, samples: index.sampleCount, globalBatchSize: globalBatchSize,
                                      batches: steps, clusters: sampler.clusters.count,
                                      domainPerMember: Double(sampler.clusters.reduce(0) { $0 + $1.domainSize })
                                          / Double(max(1, sampler.admittedCount)),
                                      seconds: seconds)
    }
}
