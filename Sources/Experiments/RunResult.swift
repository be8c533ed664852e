// RunResult.swift — one line of `results.jsonl` (issue 7 §2): what a finished (variant, seed) run
// spent and reached — final validation loss, tokens, layer-tokens, FLOPs, training wall-clock, the
// validation curve as [tokens, wall, loss] points and a sample of the schedules each step trained
// under (LR, sequence length, difficulty per metric, random-LTD r), read off the run log.

import Foundation
import Training

/// A point of a validation curve.
public struct CurvePoint: Codable, Equatable, Sendable {
    /// Training tokens consumed when the evaluation ran.
    public var tokens: Double
    /// Training wall-clock seconds (evaluations excluded) when the evaluation ran.
    public var wall: Double
    /// Mean held-out loss.
    public var loss: Double

    public init(tokens: Double, wall: Double, loss: Double) {
        (self.tokens, self.wall, self.loss) = (tokens, wall, loss)
    }

    /// Encoded as `[tokens, wall, loss]`.
    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        (tokens, wall, loss) = (try c.decode(Double.self), try c.decode(Double.self), try c.decode(Double.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(tokens)
        try c.encode(wall)
        try c.encode(loss)
    }
}

/// One sample of the schedules at a training step.
public struct SchedulePoint: Codable, Equatable, Sendable {
    public var tokens: Double
    /// Learning rate used by the step.
    public var lr: Double
    /// Sequence length of the step's batch (the seqlen curriculum's effect, once applied).
    public var seqLength: Int
    /// Difficulty per curriculum metric the step's batch was drawn at (empty without curriculum).
    public var difficulties: [String: Double]
    /// Random-LTD reserved length r of the step, when random-LTD was applied.
    public var reservedLength: Int?
    /// True when random-LTD was applied at this step (results.jsonl written before experiments
    /// applied it could hold the config's prescribed r with this false).
    public var appliedRandomLTD = false

    enum CodingKeys: String, CodingKey {
        case tokens, lr, seqLength = "seq_length", difficulties, reservedLength = "r", appliedRandomLTD = "r_applied"
    }
}

/// A finished run, as written to `RUN/result.json` and one line of `results.jsonl`.
public struct RunResult: Codable, Equatable, Sendable {
    public var variant: String
    public var seed: UInt64
    public var finalValidationLoss: Double
    public var steps: Int
    public var tokens: Int
    /// Σ over layers of tokens processed (DeepSpeed's `consumed_layer_tokens`).
    public var layerTokens: Int
    /// Matmul FLOPs of training, forward + backward: Σ of the run log's step `flops` (`StepCost`).
    public var flops: Double
    /// Training wall-clock seconds, evaluations excluded, summed over resumed segments.
    public var wallSeconds: Double
    public var curve: [CurvePoint]
    public var schedule: [SchedulePoint]
    /// What the trainer actually applied: "uniform" or "curriculum" sampling; random-LTD on/off.
    public var sampler: String
    public var randomLTDApplied: Bool
    /// What the config asked for (so the report can flag a config the trainer did not apply).
    public var curriculumRequested: Bool
    public var randomLTDRequested: Bool
    /// The step after which the curriculum data ended (`data_sampling.num_epochs`, DeepSpeed's end
    /// of data) before the budget was spent: the run stopped there. Nil when the budget ended it.
    public var dataEndedAtStep: Int? = nil
    /// The held-out loss of the context-free unigram model on the same evaluation batches
    /// (`UnigramReference`): the bar a trained model must get clearly below. Nil in results
    /// written before it was recorded.
    public var unigramValidationLoss: Double? = nil
    /// On an index with sample groups: per field, per group, the group's validation curve (the
    /// evaluations' `val_groups`, as [tokens, wall, loss] points); nil (omitted) without groups.
    public var groupCurves: [String: [String: [CurvePoint]]]? = nil

    enum CodingKeys: String, CodingKey {
        case variant, seed, finalValidationLoss = "final_val_loss", steps, tokens, layerTokens = "layer_tokens"
        case flops, wallSeconds = "wall_seconds", curve, schedule, sampler, randomLTDApplied = "random_ltd_applied"
        case curriculumRequested = "curriculum_requested", randomLTDRequested = "random_ltd_requested"
        case dataEndedAtStep = "data_ended_at_step", unigramValidationLoss = "unigram_val_loss", groupCurves = "val_group_curves"
    }

    /// One compact JSON line (no newline).
    public func jsonLine() throws -> Data { try sortedKeysEncoder().encode(self) }

    /// Reads `results.jsonl`. A line that does not parse, or holds a value no run can have
    /// (`problem`), refuses the whole file: the report never averages a damaged line in.
    /// - Throws: `ExperimentError.invalidResults` naming the line and the problem.
    public static func readLines(path: String) throws -> [RunResult] {
        let data = try readFile(path)
        var results: [RunResult] = []
        var number = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            if line.isEmpty { continue }
            let result: RunResult
            do { result = try JSONDecoder().decode(RunResult.self, from: Data(line)) } catch {
                throw ExperimentError.invalidResults(path: path, reason: "line \(number): \(error)")
            }
            if let problem = result.problem {
                throw ExperimentError.invalidResults(path: path, reason: "line \(number): \(problem); fix or remove the line, "
                    + "or rerun the run (`gradus experiment --resume`) to rewrite it")
            }
            results.append(result)
        }
        return results
    }
}
