// TrainingConfig.swift — the trainer's part of a run config (issue 5 §4): `gradus.train`
// (`TrainingConfig`: batch, budget, optimiser, schedule, intervals, seed) and `RunConfig`, the
// whole file as one run sees it — the curriculum module's `GradusConfig` (DeepSpeed keys,
// `data_efficiency`, the `gradus` block) plus the typed `gradus.model` / `gradus.train`. Files are
// read by one parser (`GradusConfig.parse` with the trainer's `GradusBlockExtension`,
// RunConfig+Reading.swift): unknown keys rejected with their path, every problem at once
// (STYLE.md §8). Each type's keys (`CodingKeys`) and defaults (`init`) are written once: its
// `Codable` conformance reads config files (through Support's strict `ConfigDecoder`), checkpoint
// headers and the saved resolved config alike.

import Curriculum
import Foundation
import Model
import Support

/// The `gradus.train` block. JSON example (every key shown; all but `steps` and `lr` optional):
///
///     {"batch_size": 8, "seq_length": 256, "seed": 1, "steps": 2000,
///      "lr": {"peak": 6e-4, "min": 6e-5, "warmup": 100, "total": 2000, "unit": "steps", "decay": "cosine"},
///      "optimizer": {"beta1": 0.9, "beta2": 0.95, "epsilon": 1e-8, "weight_decay": 0.1},
///      "grad_clip": 1.0, "eval_interval": 100, "eval_batches": 8, "checkpoint_interval": 500,
///      "validation_fraction": 0.02, "validation_split_seed": 0}
public struct TrainingConfig: Codable, Equatable, Sendable {
    /// Rows per batch (B).
    public var batchSize: Int
    /// Tokens per row (T); nil means the model's context.
    public var sequenceLength: Int?
    /// Seeds parameter initialisation and the trainer's generator.
    public var seed: UInt64
    /// Training budget in optimiser steps.
    public var steps: Int
    /// Learning-rate schedule.
    public var lr: LearningRateSchedule
    /// AdamW hyper-parameters.
    public var optimizer: AdamWHyperparameters
    /// Global-norm clipping threshold; 0 disables.
    public var gradClip: Double
    /// Steps between evaluations on the held-out source; 0 disables.
    public var evalInterval: Int
    /// Held-out batches per evaluation.
    public var evalBatches: Int
    /// Steps between checkpoints; 0 disables (a final one is still written by `train`).
    public var checkpointInterval: Int
    /// Fraction of an index's samples held out for validation (chosen by sample-id hash).
    public var validationFraction: Double
    /// Seeds which samples are held out (`HeldOutSplit.rank`); 0, the default, is the split every
    /// run had before the key existed. Another seed holds out an independent set of the same
    /// fraction (`gradus tune` confirms its winner on one, issue 18 §3).
    public var validationSplitSeed: UInt64 = 0

    public init(batchSize: Int, sequenceLength: Int? = nil, seed: UInt64 = 1, steps: Int, lr: LearningRateSchedule,
                optimizer: AdamWHyperparameters = AdamWHyperparameters(), gradClip: Double = 1,
                evalInterval: Int = 0, evalBatches: Int = 4, checkpointInterval: Int = 0,
                validationFraction: Double = 0.02) {
        (self.batchSize, self.sequenceLength, self.seed, self.steps, self.lr) = (batchSize, sequenceLength, seed, steps, lr)
        (self.optimizer, self.gradClip, self.evalInterval) = (optimizer, gradClip, evalInterval)
        (self.evalBatches, self.checkpointInterval) = (evalBatches, checkpointInterval)
        self.validationFraction = validationFraction
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case batchSize = "batch_size", sequenceLength = "seq_length", seed, steps, lr, optimizer
        case gradClip = "grad_clip", evalInterval = "eval_interval", evalBatches = "eval_batches"
        case checkpointInterval = "checkpoint_interval", validationFraction = "validation_fraction"
        case validationSplitSeed = "validation_split_seed"
    }

    /// Encodes every key but `validation_split_seed` when it is 0, so configs and checkpoint
    /// headers written without a split seed stay byte-identical.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encodeIfPresent(sequenceLength, forKey: .sequenceLength)
        try c.encode(seed, forKey: .seed)
        try c.encode(steps, forKey: .steps)
        try c.encode(lr, forKey: .lr)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(gradClip, forKey: .gradClip)
        try c.encode(evalInterval, forKey: .evalInterval)
        try c.encode(evalBatches, forKey: .evalBatches)
        try c.encode(checkpointInterval, forKey: .checkpointInterval)
        try c.encode(validationFraction, forKey: .validationFraction)
        if validationSplitSeed != 0 { try c.encode(validationSplitSeed, forKey: .validationSplitSeed) }
    }

    /// Decodes: `batch_size`, `steps` and `lr` required, the rest take the defaults of `init`
    /// (config files: `ConfigDecoder`, which also reports unknown keys with their path).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfig(batchSize: 0, steps: 0, lr: LearningRateSchedule(peak: 0, warmup: 0, total: 0))
        self.init(
            batchSize: try c.decode(Int.self, forKey: .batchSize),
            sequenceLength: try c.decodeIfPresent(Int.self, forKey: .sequenceLength),
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed,
            steps: try c.decode(Int.self, forKey: .steps),
            lr: try c.decode(LearningRateSchedule.self, forKey: .lr),
            optimizer: try c.decodeIfPresent(AdamWHyperparameters.self, forKey: .optimizer) ?? d.optimizer,
            gradClip: try c.decodeIfPresent(Double.self, forKey: .gradClip) ?? d.gradClip,
            evalInterval: try c.decodeIfPresent(Int.self, forKey: .evalInterval) ?? d.evalInterval,
            evalBatches: try c.decodeIfPresent(Int.self, forKey: .evalBatches) ?? d.evalBatches,
            checkpointInterval: try c.decodeIfPresent(Int.self, forKey: .checkpointInterval) ?? d.checkpointInterval,
            validationFraction: try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? d.validationFraction)
        validationSplitSeed = try c.decodeIfPresent(UInt64.self, forKey: .validationSplitSeed) ?? 0
    }
}

/// One run's resolved configuration: the whole config file.
public struct RunConfig: Codable, Equatable, Sendable {
    /// `gradus.model`.
    public var model: ModelConfig
    /// `gradus.train`.
    public var train: TrainingConfig
    /// The rest of the file as the curriculum module reads it: batch keys, `data_efficiency`
    /// (curriculum metrics, random-LTD), the legacy block, `gradus.curriculum` / `gradus.index`.
    public var file: GradusConfig

    /// A run without curriculum or data routing (`file` all defaults) unless `file` is given.
    public init(model: ModelConfig, train: TrainingConfig, file: GradusConfig = GradusConfig()) {
        (self.model, self.train, self.file) = (model, train, file)
    }

    /// The sequence length batches have before any sequence curriculum (T of the held-out split).
    public var sequenceLength: Int { train.sequenceLength ?? model.context }

    /// The enabled curriculum metrics (empty: uniform shuffling).
    public var curriculumMetrics: [CurriculumMetricConfig] { file.curriculumMetrics }

    /// The largest number of rows a training batch can have: B, or more under `seqlen_reshape`,
    /// which cuts each row into several shorter ones (at its smallest difficulty).
    public var maxBatchRows: Int {
        guard SequencePostProcess.kind(of: curriculumMetrics.map(\.name)) == .reshape,
              let m = curriculumMetrics.first(where: { $0.name == SequenceCurriculumKind.reshape.rawValue }) else {
            return train.batchSize
        }
        let smallest = max(1, Int(m.pacing.minDifficulty.rounded(.down)))
        return SequencePostProcess.layout(batch: train.batchSize, sequenceLength: sequenceLength,
                                          kind: .reshape, difficulty: smallest).rows
    }

    /// Every problem of the model, the loop settings and their agreement with the rest of the
    /// file, each with its key path; empty when valid.
    package func problems() -> [ConfigIssue] {
        var out = model.consistencyProblems().map { ConfigIssue(path: "gradus.model", message: $0) }
        let limits = model.limitProblems()
        out += limits.map { ConfigIssue(path: $0.key.isEmpty ? "gradus.model" : "gradus.model." + $0.key, message: $0.message) }
        func add(_ key: String, _ message: String) { out.append(ConfigIssue(path: "gradus.train." + key, message: message)) }
        let t = train
        if t.batchSize < 1 { add("batch_size", "must be >= 1 (got \(t.batchSize))") }
        if t.batchSize > GradusConfig.maxBatchSize {
            add("batch_size", "\(t.batchSize) exceeds the limit \(GradusConfig.maxBatchSize) (2^24 rows per batch)")
        }
        if let T = t.sequenceLength, T < 1 || T > model.context {
            add("seq_length", "must be in 1...context (\(model.context)); got \(T)")
        }
        if t.steps < 0 { add("steps", "must be >= 0 (got \(t.steps))") }
        out += t.lr.problems().map { ConfigIssue(path: "gradus.train.lr", message: $0) }
        out += t.optimizer.problems().map { ConfigIssue(path: "gradus.train.optimizer", message: $0) }
        if !(t.gradClip >= 0) { add("grad_clip", "must be >= 0 (got \(t.gradClip))") }
        if t.evalInterval < 0 { add("eval_interval", "must be >= 0") }
        if t.evalBatches < 1 { add("eval_batches", "must be >= 1") }
        if t.checkpointInterval < 0 { add("checkpoint_interval", "must be >= 0") }
        if !(t.validationFraction >= 0 && t.validationFraction < 1) {
            add("validation_fraction", "must be in [0, 1) (got \(t.validationFraction))")
        }
        // Activations only once every size is in range (their product is then meaningful).
        if model.problems().isEmpty, (1...GradusConfig.maxBatchSize).contains(t.batchSize), (1...model.context).contains(sequenceLength),
           let a = model.activationLimitProblem(batch: maxBatchRows, length: sequenceLength) {
            add("batch_size", a)
        }
        return out + fileProblems()
    }

    /// Agreement of the DeepSpeed keys with the trainer: one process, no gradient accumulation,
    /// so `train_batch_size` and the micro batch must equal `gradus.train.batch_size`; the legacy
    /// curriculum block is preview-only; a sequence curriculum needs a difficulty of at least 1.
    private func fileProblems() -> [ConfigIssue] {
        var out: [ConfigIssue] = []
        let b = train.batchSize
        for (key, value) in [("train_batch_size", file.trainBatchSize), ("train_micro_batch_size_per_gpu", file.trainMicroBatchSizePerGPU)] {
            if let value, value != b {
                out.append(ConfigIssue(path: key, message: "is \(value) but gradus.train.batch_size is \(b); the trainer runs "
                    + "one process without accumulation, so they must be equal"))
            }
        }
        if let g = file.gradientAccumulationSteps, g != 1 {
            out.append(ConfigIssue(path: "gradient_accumulation_steps", message: "must be 1 for gradus train (got \(g))"))
        }
        if file.legacyCurriculum?.enabled == true {
            out.append(ConfigIssue(path: "curriculum_learning", message: "the legacy block is not trained on; use "
                + "data_efficiency.data_sampling.curriculum_learning.curriculum_metrics.seqlen_truncate"))
        }
        let de = file.dataEfficiency
        if de.enabled && de.dataRouting.enabled && de.dataRouting.randomLTD.enabled && de.dataRouting.randomLTD.modelType == "encoder" {
            out.append(ConfigIssue(path: "data_efficiency.data_routing.random_ltd.model_type", message: "encoder is not "
                + "supported: the trainer is a causal decoder (random-LTD for encoders is not implemented)"))
        }
        for m in curriculumMetrics where SequenceCurriculumKind(rawValue: m.name) != nil && m.pacing.minDifficulty < 1 {
            out.append(ConfigIssue(path: "data_efficiency.data_sampling.curriculum_learning.curriculum_metrics.\(m.name).min_difficulty",
                                   message: "must be >= 1 (a sequence of \(m.pacing.minDifficulty) tokens has no target)"))
        }
        return out
    }

    /// Throws a `ConfigError` listing every problem.
    public func validate() throws {
        let found = problems()
        if !found.isEmpty { throw ConfigError(issues: found) }
    }
}

/// A decoding error as one line naming the JSON path.
func describe(_ error: any Error) -> String {
    guard let e = error as? DecodingError else { return "\(error)" }
    func path(_ c: DecodingError.Context) -> String {
        c.codingPath.map(\.stringValue).joined(separator: ".")
    }
    switch e {
    case .keyNotFound(let key, let c): return "missing key \(key.stringValue) in \(path(c).isEmpty ? "gradus" : path(c))"
    case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
        return "\(path(c)): \(c.debugDescription)"
    @unknown default: return "\(error)"
    }
}
