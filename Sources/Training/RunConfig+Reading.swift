// RunConfig+Reading.swift — reading a run config file (issue 5 §4, STYLE.md §8). There is one
// parser: `Curriculum.GradusConfig.parse(_:extension:)` owns the whole file (DeepSpeed keys,
// `data_efficiency`, legacy block, `gradus`); the trainer's `gradus.model` and `gradus.train`
// are read inside that pass by `TrainerBlocks`, with the same key-path tracking `ObjectReader`
// and the same issue log, so a typo in `gradus.train.lr` and a bad curriculum metric are
// reported together, each with its path, and the file is read once.

import Curriculum
import Foundation
import Model
import Support

/// The trainer's part of the `gradus` block, read during `GradusConfig.parse`.
struct TrainerBlocks: GradusBlockExtension {
    /// Whether `model` and `train` must be present (commands that train).
    let required: Bool
    var model: ModelConfig?
    var train: TrainingConfig?

    mutating func read(gradus: inout ObjectReader) {
        let needed = required || gradus.has("model") || gradus.has("train")
        model = gradus.section("model", required: needed) { ModelConfig.read(from: &$0) }
        train = gradus.section("train", required: needed) { TrainingConfig.read(from: &$0) }
    }

    func crossCheck(_ config: GradusConfig, log: IssueLog) {
        guard let model, let train else { return }
        for issue in RunConfig(model: model, train: train, file: config).problems() { log.add(issue.path, issue.message) }
    }
}

extension RunConfig {
    /// Parses a whole config file that must hold `gradus.model` and `gradus.train`.
    /// - Throws: `JSONSyntaxError`, or one `ConfigError` listing every problem with its key path.
    public static func parse(_ text: String) throws -> RunConfig { try parse(try JSONValue.parse(text)) }

    /// Parses an already-parsed file (an experiment's merged run config) as `parse(_:)`.
    /// - Throws: one `ConfigError` listing every problem with its key path.
    package static func parse(_ json: JSONValue) throws -> RunConfig {
        guard let run = try parseFile(json, requireTraining: true).run else {
            throw ConfigError(issues: [ConfigIssue(path: "gradus", message: "model and train are required")])
        }
        return run
    }

    /// Parses a whole config file for commands that may not train (`schedule`, `batches`): the
    /// curriculum config always; the run config when the file has `gradus.model` / `gradus.train`
    /// (both are then required and validated) or `requireTraining`.
    /// - Throws: `JSONSyntaxError`, or one `ConfigError` listing every problem with its key path.
    public static func parseFile(_ text: String, requireTraining: Bool = false) throws -> (file: GradusConfig, run: RunConfig?) {
        try parseFile(try JSONValue.parse(text), requireTraining: requireTraining)
    }

    static func parseFile(_ json: JSONValue, requireTraining: Bool) throws -> (file: GradusConfig, run: RunConfig?) {
        var blocks = TrainerBlocks(required: requireTraining)
        let file = try GradusConfig.parse(json, extension: &blocks)
        guard let model = blocks.model, let train = blocks.train else { return (file, nil) }
        return (file, RunConfig(model: model, train: train, file: file))
    }

    /// Reads and parses `path` with `parse(_:)`.
    /// - Throws: `ConfigFileError` naming the file and wrapping the reason.
    public static func load(path: String) throws -> RunConfig {
        try ConfigFileError.wrapping(path) { try parse(try readText(path)) }
    }

    /// Reads and parses `path` with `parseFile(_:requireTraining:)`.
    /// - Throws: `ConfigFileError` naming the file and wrapping the reason.
    public static func loadFile(path: String, requireTraining: Bool = false) throws -> (file: GradusConfig, run: RunConfig?) {
        try ConfigFileError.wrapping(path) { try parseFile(try readText(path), requireTraining: requireTraining) }
    }

    private static func readText(_ path: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(issues: [ConfigIssue(path: "", message: "cannot read the file: \(error.localizedDescription)")])
        }
    }

    /// The resolved config as pretty-printed JSON (every default filled in), saved with each run.
    public func resolvedJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// A config file that could not be used: its path and why (a `ConfigError`, a JSON syntax error).
public struct ConfigFileError: Error, CustomStringConvertible {
    public var path: String
    public var underlying: any Error

    public var description: String { "\(path): \(underlying)" }

    /// The result of `body`, or its error wrapped with `path`.
    package static func wrapping<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw ConfigFileError(path: path, underlying: error) }
    }
}

extension ModelConfig {
    /// Reads `gradus.model`: types and required keys here, consistency in `RunConfig.problems`.
    static func read(from r: inout ObjectReader) -> ModelConfig? {
        let layers = r.int("layers", required: true), dModel = r.int("d_model", required: true)
        let heads = r.int("heads", required: true), context = r.int("context", required: true)
        let vocab = r.int("vocab", required: true)
        let mlpRatio = r.int("mlp_ratio") ?? 4
        let epsilon = r.number("layer_norm_epsilon")?.value ?? 1e-5
        let initStd = r.number("init_std")?.value ?? 0.02
        guard let layers, let dModel, let heads, let context, let vocab else { return nil }
        return ModelConfig(layers: layers, dModel: dModel, heads: heads, context: context, vocab: vocab,
                           mlpRatio: mlpRatio, layerNormEpsilon: epsilon, initStd: initStd)
    }
}

extension TrainingConfig {
    /// Reads `gradus.train` (defaults as in `init`); consistency in `RunConfig.problems`.
    static func read(from r: inout ObjectReader) -> TrainingConfig? {
        let batchSize = r.int("batch_size", required: true)
        let sequenceLength = r.int("seq_length")
        let seed = r.uint64("seed") ?? 1
        let steps = r.int("steps", required: true)
        let lr = r.section("lr", required: true) { LearningRateSchedule.read(from: &$0) }
        let optimizer = r.section("optimizer") { AdamWHyperparameters.read(from: &$0) } ?? AdamWHyperparameters()
        let gradClip = r.number("grad_clip")?.value ?? 1
        let evalInterval = r.int("eval_interval") ?? 0
        let evalBatches = r.int("eval_batches") ?? 4
        let checkpointInterval = r.int("checkpoint_interval") ?? 0
        let validationFraction = r.number("validation_fraction")?.value ?? 0.02
        guard let batchSize, let steps, let lr else { return nil }
        return TrainingConfig(batchSize: batchSize, sequenceLength: sequenceLength, seed: seed, steps: steps, lr: lr,
                              optimizer: optimizer, gradClip: gradClip, evalInterval: evalInterval,
                              evalBatches: evalBatches, checkpointInterval: checkpointInterval,
                              validationFraction: validationFraction)
    }
}

extension LearningRateSchedule {
    /// Reads `gradus.train.lr`: `peak` and `warmup` required; `min` 0, `total` 0, `unit` steps,
    /// `decay` cosine by default. Unit and decay names come from the enums' raw values.
    static func read(from r: inout ObjectReader) -> LearningRateSchedule? {
        let peak = r.number("peak", required: true)?.value
        let minimum = r.number("min")?.value ?? 0
        let warmup = r.int("warmup", required: true)
        let total = r.int("total") ?? 0
        // A bad name is recorded and replaced by the default, so the rest is still checked.
        let unit = r.string("unit").map { name -> ScheduleUnit in
            if let u = ScheduleUnit(rawValue: name) { return u }
            r.issue("unit", "\"\(name)\" is not a schedule unit (steps, tokens, layer_tokens)")
            return .steps
        } ?? .steps
        let decay = r.string("decay").map { name -> DecayStyle in
            if let d = DecayStyle(rawValue: name) { return d }
            r.issue("decay", "\"\(name)\" is not a decay style (cosine, linear, constant)")
            return .cosine
        } ?? .cosine
        guard let peak, let warmup else { return nil }
        return LearningRateSchedule(peak: peak, min: minimum, warmup: warmup, total: total, unit: unit, decay: decay)
    }
}

extension AdamWHyperparameters {
    /// Reads `gradus.train.optimizer`; every key optional (defaults of `init`).
    static func read(from r: inout ObjectReader) -> AdamWHyperparameters? {
        let d = AdamWHyperparameters()
        return AdamWHyperparameters(beta1: r.number("beta1")?.value ?? d.beta1, beta2: r.number("beta2")?.value ?? d.beta2,
                                    epsilon: r.number("epsilon")?.value ?? d.epsilon,
                                    weightDecay: r.number("weight_decay")?.value ?? d.weightDecay)
    }
}
