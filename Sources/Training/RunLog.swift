// RunLog.swift — the run's `log.jsonl` (issue 5 §4): one JSON object per training step and per
// evaluation, appended (O_APPEND) as they happen so a crashed run keeps its history. On resume the
// trainer cuts the log back to its checkpoint's step, so a resumed log equals an uninterrupted one
// and the log alone rebuilds a run's curve, wall-clock and FLOPs (issue 12).

import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
    /// Training wall-clock seconds so far, this step included: steps only (evaluations and
    /// checkpoints excluded), summed over resumed segments.
    public var trainingSeconds: Double = 0

    enum CodingKeys: String, CodingKey {
        case step, samples, tokens, layerTokens = "layer_tokens", loss, lr, gradNorm = "grad_norm"
        case seqLength = "seq_length", tokensPerSecond = "tokens_per_s", elapsed
        case stepTokens = "step_tokens", rows, curriculumStep = "curriculum_step", difficulty, reserved, flops
        case trainingSeconds = "train_s"
    }
}

/// A held-out evaluation.
public struct EvalRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var tokens: Int
    public var valLoss: Double
    public var elapsed: Double
    /// Training wall-clock seconds when the evaluation ran (`StepRecord.trainingSeconds`).
    public var trainingSeconds: Double
    /// On an index with sample groups: per field, per group, the loss over the evaluated rows of
    /// that group (`val_groups`); nil (omitted) without groups. A group none of whose rows was
    /// evaluated (or counted a position) is absent.
    public var valGroups: [String: [String: GroupLoss]]? = nil

    enum CodingKeys: String, CodingKey {
        case step, tokens, valLoss = "val_loss", elapsed, trainingSeconds = "train_s", valGroups = "val_groups"
    }
}

/// The held-out loss of one group of samples in one evaluation.
public struct GroupLoss: Codable, Equatable, Sendable {
    /// Σ of the group's rows' loss sums / `positions` (nats).
    public var loss: Double
    /// Positions the loss counts over the group's evaluated rows.
    public var positions: Int

    public init(loss: Double, positions: Int) { (self.loss, self.positions) = (loss, positions) }
}

/// Appends JSON lines to a file.
public final class RunLog {
    private let handle: FileHandle
    public let path: String

    /// Opens `path` for appending (O_APPEND), creating it when missing; a symbolic link at
    /// `path` is refused (O_NOFOLLOW), so a planted link cannot redirect the log's writes.
    /// - Throws: `TrainingError.io` when the file cannot be opened.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if fd < 0 {
            let reason = errno == ELOOP ? "is a symbolic link (refused; remove it)" : String(cString: strerror(errno))
            throw TrainingError.io(path: path, reason: reason)
        }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// Appends `record` as one line. A write that fails part-way (a full disk) is cut back to the
    /// log's previous end, so the log never keeps a torn line.
    /// - Throws: `TrainingError.io` on a write failure.
    public func append<R: Encodable>(_ record: R) throws {
        let line = try sortedKeysEncoder().encode(record) + [0x0A]
        let end = try? handle.seekToEnd()
        do { try handle.write(contentsOf: line) } catch {
            if let end { try? handle.truncate(atOffset: end) }
            throw TrainingError.io(path: path, reason: "\(error)")
        }
    }

    /// Flushes the appended lines to the device (before a checkpoint that they precede).
    public func sync() throws { try io { try handle.synchronize() } }

    /// Cuts the log back to what a run at `step` had written: lines after that step go, and so
    /// does a torn last line (one without its newline).
    /// - Returns: the step and evaluation records kept, each in order.
    /// - Throws: `TrainingError.io` when the file cannot be read or cut, or a complete line is
    ///   neither a step nor an evaluation record.
    public func truncate(afterStep step: Int) throws -> (steps: [StepRecord], evaluations: [EvalRecord]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingError.io(path: path, reason: "cannot read the log")
        }
        let decoder = JSONDecoder()
        var kept: (steps: [StepRecord], evaluations: [EvalRecord]) = ([], []), start = data.startIndex
        while let end = data[start...].firstIndex(of: 0x0A) {
            let line = data[start..<end]
            if let e = try? decoder.decode(EvalRecord.self, from: line) {
                if e.step > step { break }
                kept.evaluations.append(e)
            } else {
                guard let r = try? decoder.decode(StepRecord.self, from: line) else {
                    throw TrainingError.io(path: path, reason: "line \(kept.steps.count + kept.evaluations.count + 1) is not a step or evaluation record")
                }
                if r.step > step { break }
                kept.steps.append(r)
            }
            start = end + 1
        }
        try io { try handle.truncate(atOffset: UInt64(start - data.startIndex)) }
        return kept
    }

    private func io(_ body: () throws -> Void) throws {
        do { try body() } catch { throw TrainingError.io(path: path, reason: "\(error)") }
    }
}
