// RunConfig+Reading.swift — reading a run config file (issue 5 §4, STYLE.md §8). There is one
// parser: `Curriculum.GradusConfig.parse(_:extension:)` owns the whole file (DeepSpeed keys,
// `data_efficiency`, legacy block, `gradus`); the trainer's `gradus.model` and `gradus.train`
// are decoded inside that pass by `TrainerBlocks` (their `Decodable` conformances through the
// strict `ConfigDecoder`, Support) into the same issue log, so a typo in `gradus.train.lr` and a bad curriculum metric are
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
        model = gradus.decode(ModelConfig.self, "model", required: needed)
        train = gradus.decode(TrainingConfig.self, "train", required: needed)
    }

    /// `gradus.train.batch_size`: the trainer's global batch, what `"auto"` batch keys become.
    var autoBatchSize: Int? { train?.batchSize }

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
