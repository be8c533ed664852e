// CurriculumConfig.swift — typed configuration: DeepSpeed's `data_efficiency` block (spec §1.2),
// the legacy top-level `curriculum_learning` block (spec §1.3), the batch-size keys, and the
// top-level `gradus` block for Gradus's own keys (DESIGN.md §4, STYLE.md §8). Parsing and
// validation: CurriculumConfig+Parsing.swift.

import Support

/// How a metric's difficulty is read (spec §1.2).
public enum DifficultyType: String, Codable, Sendable {
    /// An absolute metric value: samples with value ≤ difficulty are admitted.
    case value
    /// A percentile of the sorted sample order, `max_difficulty` being the 100 % mark.
    case percentile
}

/// Whether a metric clusters data (spec §1.2).
public enum ClusteringType: String, Codable, Sendable {
    case scheduleBased = "schedule_based"
    /// The metric only drives post-processing (e.g. `seqlen_truncate`).
    case singleCluster = "single_cluster"
}

/// One entry of `curriculum_metrics`.
public struct CurriculumMetricConfig: Codable, Sendable, Equatable {
    /// The metric name: the key in `curriculum_metrics` and the index's metric name.
    public var name: String
    public var difficultyType: DifficultyType
    public var clusteringType: ClusteringType
    /// The pacing function built from min/max/schedule_type/schedule_config.
    public var pacing: PacingFunction
    /// DeepSpeed's index paths: accepted and recorded, unused (Gradus reads `--index DIR`).
    public var indexToSamplePath: String?
    public var indexToMetricPath: String?

    public init(name: String, difficultyType: DifficultyType, clusteringType: ClusteringType, pacing: PacingFunction,
                indexToSamplePath: String? = nil, indexToMetricPath: String? = nil) {
        self.name = name
        self.difficultyType = difficultyType
        self.clusteringType = clusteringType
        self.pacing = pacing
        self.indexToSamplePath = indexToSamplePath
        self.indexToMetricPath = indexToMetricPath
    }
}

/// `data_efficiency.data_sampling.curriculum_learning`.
public struct CurriculumLearningConfig: Codable, Sendable, Equatable {
    public var enabled: Bool = false
    /// Accepted for compatibility; Gradus writes no cluster files.
    public var dataClusterPath: String?
    /// Metrics in JSON order (the order DeepSpeed processes them in, spec §6.2).
    public var metrics: [CurriculumMetricConfig] = []
}

/// `data_efficiency.data_sampling`.
public struct DataSamplingConfig: Codable, Sendable, Equatable {
    public var enabled: Bool = false
    public var numEpochs: Int = 1000
    public var numWorkers: Int = 0
    public var curriculumLearning = CurriculumLearningConfig()
}

/// `random_ltd.random_ltd_schedule`.
public struct RandomLTDScheduleConfig: Codable, Sendable, Equatable {
    public var minValue: Int
    public var maxValue: Int
    public var scheduleType: String
    public var requireSteps: Int
    public var seqPerStep: Int
}

/// `random_ltd.layer_token_lr_schedule` (implemented by the trainer; DeepSpeed raises).
public struct LayerTokenLRScheduleConfig: Codable, Sendable, Equatable {
    public var enabled: Bool = false
    public var totalLayerTokens: Int?
    public var warmupType: String?
    public var warmupLayerTokens: Int?
}

/// `data_efficiency.data_routing.random_ltd` (spec §1.2), parsed here for the trainer.
public struct RandomLTDConfig: Codable, Sendable, Equatable {
    public var enabled: Bool = false
    public var totalLayerNum: Int = 0
    public var randomLTDLayerNum: Int = 0
    public var randomLTDLayerIDs: [Int] = []
    /// nil means the model takes no attention mask (JSON `null`).
    public var modelMaskName: String?
    public var modelType: String = "decoder"
    public var hiddenStateOrder: String = "batch_seq_dim"
    public var schedule: RandomLTDScheduleConfig?
    public var layerTokenLRSchedule = LayerTokenLRScheduleConfig()

    /// The reserved-length scheduler for a global batch of `globalBatchSize` samples.
    public func scheduler(globalBatchSize: Int) -> RandomLTDScheduler? {
        guard enabled, let s = schedule else { return nil }
        return RandomLTDScheduler(minValue: s.minValue, maxValue: s.maxValue, requireSteps: s.requireSteps,
                                  seqPerStep: s.seqPerStep, totalLayers: totalLayerNum,
                                  droppingLayers: randomLTDLayerNum, globalBatchSize: globalBatchSize)
    }
}

/// `data_efficiency.data_routing`.
public struct DataRoutingConfig: Codable, Sendable, Equatable {
    public var enabled: Bool = false
    public var randomLTD = RandomLTDConfig()
}

/// `data_efficiency`.
public struct DataEfficiencyConfig: Codable, Sendable, Equatable {
    public var enabled: Bool = false
    public var seed: Int = 1234
    public var dataSampling = DataSamplingConfig()
    public var dataRouting = DataRoutingConfig()
}

/// The legacy top-level `curriculum_learning` block (spec §1.3).
public struct LegacyCurriculumConfig: Codable, Sendable, Equatable {
    public var enabled: Bool
    public var curriculumType: String?
    public var pacing: PacingFunction?
}

/// The top-level `gradus` block: Gradus-only keys.
public struct GradusBlock: Codable, Sendable, Equatable {
    /// `gradus.curriculum.step_unit`: what the curriculum pacing functions count.
    public var stepUnit: PacingFunction.StepUnit = .steps
    /// `gradus.index`: default index directory (the command line's `--index` wins).
    public var index: String?
}

/// Another module's keys inside the `gradus` block — the trainer's typed `model` and `train`
/// sections — read in the same pass, with the same `IssueLog`, as the rest of the file, so that
/// one parse reports every problem of the whole file at once (STYLE.md §8). `Curriculum` cannot
/// import the trainer's types (DESIGN.md §2); the trainer passes an extension to
/// `GradusConfig.parse(_:extension:)` instead.
package protocol GradusBlockExtension {
    /// Reads the keys of `gradus` this extension owns (`gradus.finish()` runs afterwards and
    /// reports any key nobody read as unknown).
    mutating func read(gradus: inout ObjectReader)
    /// The global batch size an `"auto"` batch key resolves to (`gradus.train.batch_size`), or
    /// nil when the extension sets none.
    var autoBatchSize: Int? { get }
    /// Records problems that involve the extension's keys and the rest of the file (e.g.
    /// `train_batch_size` against `gradus.train.batch_size`); runs after everything was read.
    func crossCheck(_ config: GradusConfig, log: IssueLog)
}

/// The extension `GradusConfig.parse(_:)` uses: `gradus.model` and `gradus.train` belong to the
/// trainer and are accepted unread (commands that train parse through `Training.RunConfig`, which
/// types and validates them).
package struct TrainerBlocksSkipped: GradusBlockExtension {
    package init() {}
    /// `gradus.train.batch_size` when it is a positive integer (the trainer validates it).
    package private(set) var autoBatchSize: Int?
    package mutating func read(gradus: inout ObjectReader) {
        if case .int(let b)? = gradus.raw("train")?["batch_size"], b > 0, b <= Int64(GradusConfig.maxBatchSize) { autoBatchSize = Int(b) }
        gradus.accept(["model", "train"])
    }
    package func crossCheck(_ config: GradusConfig, log: IssueLog) {}
}

/// A whole config file as Gradus reads it.
public struct GradusConfig: Codable, Sendable, Equatable {
    public var trainBatchSize: Int?
    public var trainMicroBatchSizePerGPU: Int?
    public var gradientAccumulationSteps: Int?
    public var dataEfficiency = DataEfficiencyConfig()
    public var legacyCurriculum: LegacyCurriculumConfig?
    public var gradus = GradusBlock()
    /// DeepSpeed keys outside Gradus's scope (top-level fp16, optimizer, …, and
    /// `data_efficiency.data_sampling.pin_memory` / a disabled `dynamic_batching`): accepted, unused.
    public var ignoredDeepSpeedKeys: [String] = []
    /// The batch keys the file gave as `"auto"` (resolved from `gradus.train.batch_size` or derived
    /// from the other batch keys; see `resolveAutoBatchKeys`).
    public var autoBatchKeys: [String] = []
    /// The enabled DeepSpeed monitor blocks (`tensorboard`, `csv_monitor`, `wandb`, `comet`);
    /// nil when none is enabled (issue 17 item 3).
    public var monitors: MonitorsConfig?

    public init() {}

    /// The curriculum metrics in effect (empty unless curriculum learning is enabled).
    public var curriculumMetrics: [CurriculumMetricConfig] {
        let cl = dataEfficiency.dataSampling.curriculumLearning
        return cl.enabled ? cl.metrics : []
    }
}

/// Micro-batch size, gradient-accumulation steps and global batch size for one world size.
public struct BatchGeometry: Codable, Sendable, Equatable {
    public var microBatchSize: Int
    public var gradientAccumulationSteps: Int
    public var world: Int
    /// mbs · gas · world = `train_batch_size`.
    public var globalBatchSize: Int { microBatchSize * gradientAccumulationSteps * world }

    public init(microBatchSize: Int, gradientAccumulationSteps: Int, world: Int) {
        self.microBatchSize = microBatchSize
        self.gradientAccumulationSteps = gradientAccumulationSteps
        self.world = world
    }
}

extension GradusConfig {
    /// Resolves the three batch keys for `world` ranks as DeepSpeed does: any two determine the
    /// third; all three must satisfy train_batch_size = mbs · gas · world.
    public func batchGeometry(world: Int) throws -> BatchGeometry {
        func fail(_ m: String) -> ConfigError { ConfigError(issues: [ConfigIssue(path: "train_batch_size", message: m)]) }
        guard world > 0 else { throw fail("world size must be > 0") }
        let (t, m, g) = (trainBatchSize, trainMicroBatchSizePerGPU, gradientAccumulationSteps)
        // Products are formed in Double first: Int multiplication of hostile sizes would trap.
        let limit = Double(Self.maxBatchSize)
        for v in [t, m, g, world] where Double(v ?? 0) > limit {
            throw fail("a batch size or the world size (\(v!)) exceeds the limit \(Self.maxBatchSize) (2^24 samples per global batch)")
        }
        var mbs: Int, gas: Int
        switch (t, m, g) {
        case let (t?, m?, g?): (mbs, gas) = (m, g)
            guard Double(t) == Double(m) * Double(g) * Double(world) else { throw fail("\(t) ≠ \(m) (micro batch) × \(g) (accumulation) × \(world) (world)") }
        case let (t?, m?, nil): (mbs, gas) = (m, m * world > 0 ? t / (m * world) : 0)
        case let (t?, nil, g?): (mbs, gas) = (g * world > 0 ? t / (g * world) : 0, g)
        case let (nil, m?, g?): (mbs, gas) = (m, g)
        case let (t?, nil, nil): (mbs, gas) = (t / world, 1)
        case let (nil, m?, nil): (mbs, gas) = (m, 1)
        default: throw fail("set train_batch_size or train_micro_batch_size_per_gpu")
        }
        if Double(mbs) * Double(gas) * Double(world) > limit {
            throw fail("\(mbs) (micro batch) × \(gas) (accumulation) × \(world) (world) exceeds the limit \(Self.maxBatchSize) "
                + "(2^24 samples per global batch)")
        }
        let geometry = BatchGeometry(microBatchSize: mbs, gradientAccumulationSteps: gas, world: world)
        guard mbs > 0, gas > 0, t == nil || geometry.globalBatchSize == t else {
            throw fail("train_batch_size \(t.map(String.init) ?? "?") is not divisible into micro batches of the world size \(world)")
        }
        return geometry
    }
}
