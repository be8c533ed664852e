// RunLog.swift — the run's `log.jsonl` (issue 5 §4): one JSON object per training step and per
// evaluation, appended and flushed as they happen so a crashed run keeps its history.

import Foundation

/// What one optimiser step did.
public struct StepRecord: Codable, Equatable, Sendable {
    public var step: Int
    /// Training samples (rows) consumed so far, including this step.
    public var samples: Int
    /// Tokens consumed so far (B·T summed), including this step.
    public var tokens: Int
    /// Σ over layers of tokens processed so far (dense: layers · tokens).
    public var layerTokens: Int
    public var loss: Double
    public var lr: Double
    /// Global gradient norm before clipping.
    public var gradNorm: Double
    public var seqLength: Int
    public var tokensPerSecond: Double
    /// Wall-clock seconds since the trainer started (this process).
    public var elapsed: Double
    /// Tokens of this step's batch (rows · T; shorter under a sequence curriculum).
    public var stepTokens: Int? = nil
    /// Rows of this step's batch (more than B under `seqlen_reshape`).
    public var rows: Int? = nil
    /// The curriculum sampler's step (ahead of `step` by the held-out skips); nil without curriculum.
    public var curriculumStep: Int? = nil
    /// Each curriculum metric's difficulty by name; nil without curriculum.
    public var difficulty: [String: Double]? = nil
    /// random-LTD's reserved length r this step (issue 6); nil (omitted) when random-LTD is off.
    /// Tokens were dropped only if r < `seqLength`.
    public var reserved: Int? = nil
    /// Matmul FLOPs actually spent by this step's forward + backward (`StepCost.flops`).
    public var flops: Double = 0

    enum CodingKeys: String, CodingKey {
        case step, samples, tokens, layerTokens = "layer_tokens", loss, lr, gradNorm = "grad_norm"
        case seqLength = "seq_length", tokensPerSecond = "tokens_per_s", elapsed
        case stepTokens = "step_tokens", rows, curriculumStep = "curriculum_step", difficulty, reserved, flops
    }
}

/// A held-out evaluation.
public struct EvalRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var tokens: Int
    public var valLoss: Double
    public var elapsed: Double

    enum CodingKeys: String, CodingKey {
        case step, tokens, valLoss = "val_loss", elapsed
    }
}

/// Appends JSON lines to a file.
public final class RunLog {
    private let handle: FileHandle
    public let path: String

    /// Opens `path` for appending, creating it when missing.
    /// - Throws: `TrainingError.io` when the file cannot be opened.
    public init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw TrainingError.io(path: path, reason: "cannot create the log")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw TrainingError.io(path: path, reason: "cannot open the log for writing")
        }
        self.handle = handle
        do { try handle.seekToEnd() } catch { throw TrainingError.io(path: path, reason: "\(error)") }
    }

    deinit { try? handle.close() }

    /// Appends `record` as one line.
    /// - Throws: `TrainingError.io` on a write failure.
    public func append<R: Encodable>(_ record: R) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            var line = try encoder.encode(record)
            line.append(0x0A)
            try handle.write(contentsOf: line)
        } catch {
            throw TrainingError.io(path: path, reason: "\(error)")
        }
    }
}
