// TrainingConfig.swift — the `gradus` block of a run config (issue 5 §4): `gradus.model` (the
// `ModelConfig`) and `gradus.train` (batch, budget, optimiser, schedule, intervals, seed). Typed
// `Codable`, unknown keys rejected with their path, one `problems()` listing everything wrong
// (STYLE.md §8). Other top-level keys of the file are DeepSpeed's `data_efficiency` blocks, read by
// the curriculum module, and are left alone here.

import Foundation
import Model

/// The `gradus.train` block. JSON example (every key shown; all but `steps` and `lr` optional):
///
///     {"batch_size": 8, "seq_length": 256, "seed": 1, "steps": 2000,
///      "lr": {"peak": 6e-4, "min": 6e-5, "warmup": 100, "total": 2000, "unit": "steps", "decay": "cosine"},
///      "optimizer": {"beta1": 0.9, "beta2": 0.95, "epsilon": 1e-8, "weight_decay": 0.1},
///      "grad_clip": 1.0, "eval_interval": 100, "eval_batches": 8, "checkpoint_interval": 500,
///      "validation_fraction": 0.02}
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
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            batchSize: try c.decode(Int.self, forKey: .batchSize),
            sequenceLength: try c.decodeIfPresent(Int.self, forKey: .sequenceLength),
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1,
            steps: try c.decode(Int.self, forKey: .steps),
            lr: try c.decode(LearningRateSchedule.self, forKey: .lr),
            optimizer: try c.decodeIfPresent(AdamWHyperparameters.self, forKey: .optimizer) ?? AdamWHyperparameters(),
            gradClip: try c.decodeIfPresent(Double.self, forKey: .gradClip) ?? 1,
            evalInterval: try c.decodeIfPresent(Int.self, forKey: .evalInterval) ?? 0,
            evalBatches: try c.decodeIfPresent(Int.self, forKey: .evalBatches) ?? 4,
            checkpointInterval: try c.decodeIfPresent(Int.self, forKey: .checkpointInterval) ?? 0,
            validationFraction: try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? 0.02)
    }
}

/// The whole `gradus` block: model and training.
public struct GradusConfig: Codable, Equatable, Sendable {
    public var model: ModelConfig
    public var train: TrainingConfig

    public init(model: ModelConfig, train: TrainingConfig) {
        (self.model, self.train) = (model, train)
    }

    /// The sequence length batches will have.
    public var sequenceLength: Int { train.sequenceLength ?? model.context }

    enum CodingKeys: String, CodingKey, CaseIterable { case model, train }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(model: try c.decode(ModelConfig.self, forKey: .model),
                  train: try c.decode(TrainingConfig.self, forKey: .train))
    }

    /// Every problem of the model, schedule, optimiser and loop settings, all at once.
    public func problems() -> [String] {
        var out = model.problems().map { "model: " + $0 }
        let t = train
        if t.batchSize < 1 { out.append("train: batch_size must be >= 1 (got \(t.batchSize))") }
        if let T = t.sequenceLength, T < 1 || T > model.context {
            out.append("train: seq_length must be in 1...context (\(model.context)); got \(T)")
        }
        if t.steps < 0 { out.append("train: steps must be >= 0 (got \(t.steps))") }
        out += t.lr.problems().map { "train.lr: " + $0 }
        out += t.optimizer.problems().map { "train.optimizer: " + $0 }
        if !(t.gradClip >= 0) { out.append("train: grad_clip must be >= 0 (got \(t.gradClip))") }
        if t.evalInterval < 0 { out.append("train: eval_interval must be >= 0") }
        if t.evalBatches < 1 { out.append("train: eval_batches must be >= 1") }
        if t.checkpointInterval < 0 { out.append("train: checkpoint_interval must be >= 0") }
        if !(t.validationFraction >= 0 && t.validationFraction < 1) {
            out.append("train: validation_fraction must be in [0, 1) (got \(t.validationFraction))")
        }
        return out
    }

    /// Throws `TrainingError.invalidConfig` listing every problem.
    public func validate() throws {
        let found = problems()
        if !found.isEmpty { throw TrainingError.invalidConfig(found) }
    }

    /// Reads the `gradus` block of a run-config file (other top-level keys are ignored here).
    /// - Throws: `TrainingError.invalidConfig` for unreadable JSON, a missing block, unknown keys
    ///   or inconsistent values (all listed).
    public static func load(path: String) throws -> GradusConfig {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TrainingError.invalidConfig(["cannot read \(path): \(error.localizedDescription)"])
        }
        struct File: Decodable { let gradus: GradusConfig }
        let config: GradusConfig
        do { config = try JSONDecoder().decode(File.self, from: data).gradus } catch let error as ModelError {
            throw TrainingError.invalidConfig(["\(path): \(error)"])
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.invalidConfig(["\(path): \(describe(error))"])
        }
        try config.validate()
        return config
    }
}

/// Throws when the JSON object being decoded holds keys outside `known`, naming them and the path.
func rejectUnknownKeys(_ decoder: any Decoder, known: [String]) throws {
    let container = try decoder.container(keyedBy: AnyCodingKey.self)
    let unknown = container.allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
    if !unknown.isEmpty {
        let path = decoder.codingPath.map(\.stringValue).joined(separator: ".")
        throw TrainingError.invalidConfig(["unknown key(s) in \(path.isEmpty ? "gradus" : "gradus." + path): "
            + unknown.joined(separator: ", ") + " (known: \(known.joined(separator: ", ")))"])
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
