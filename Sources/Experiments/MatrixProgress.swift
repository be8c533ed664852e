// MatrixProgress.swift — how far a running matrix is and when it will end (issue 17 item 5):
// each run reports the fraction of its budget spent (tokens, steps or training seconds); the
// matrix's share done is the sum over runs / N. The ETA extrapolates the work done *in this
// process* (a resumed matrix skips finished runs in no time, which must not shorten it) to the
// work left; it is known from the first step on, long before a run finishes.

import Foundation
import Training

/// The progress of every run of a matrix, shared by the worker threads (callers serialise).
final class MatrixProgress: @unchecked Sendable {
    private let budget: TrainingBudget
    private let started = Date()
    /// Per run: the fraction of its budget spent now, and when this process first saw it.
    private var now: [Double], initial: [Double?]

    init(runs: Int, budget: TrainingBudget) {
        self.budget = budget
        (now, initial) = (Array(repeating: 0, count: runs), Array(repeating: nil, count: runs))
    }

    /// The fraction of `budget` a run has spent after `record` (clamped to [0, 1]).
    func fraction(_ record: StepRecord) -> Double {
        fraction(tokens: Double(record.tokens), steps: Double(record.step), seconds: record.trainingSeconds)
    }

    private func fraction(tokens: Double, steps: Double, seconds: Double) -> Double {
        let f: Double
        switch budget {
        case .tokens(let n): f = tokens / Double(max(n, 1))
        case .steps(let n): f = steps / Double(max(n, 1))
        case .seconds(let s): f = seconds / max(s, 1e-9)
        }
        return min(max(f, 0), 1)
    }

    /// Run `run` has trained the step `record`; its first step in this process also marks where
    /// this process started it (the state before that step: 0 for a fresh run, the checkpoint's
    /// for a resumed one).
    func update(run: Int, after record: StepRecord) {
        if initial[run] == nil {
            // Logs older than step_tokens: the step's tokens are the batch's rows × sequence length.
            let stepTokens = record.stepTokens ?? (record.rows ?? 0) * record.seqLength
            let stepSeconds = record.tokensPerSecond > 0 ? Double(stepTokens) / record.tokensPerSecond : 0
            initial[run] = fraction(tokens: Double(record.tokens - stepTokens), steps: Double(record.step - 1),
                                    seconds: record.trainingSeconds - stepSeconds)
        }
        now[run] = max(now[run], fraction(record))
    }

    /// Run `run` is finished (also one skipped because a finished result was found).
    func finish(run: Int) {
        if initial[run] == nil { initial[run] = 1 }
        now[run] = 1
    }

    /// The share of the matrix done, in [0, 1].
    var done: Double { now.reduce(0, +) / Double(max(now.count, 1)) }

    /// Seconds left: the time this process took per unit of work it did, times the work left; nil
    /// before any work was done here.
    var secondsLeft: Double? {
        let doneHere = zip(now, initial).reduce(0.0) { $0 + $1.0 - ($1.1 ?? $1.0) }
        let left = Double(now.count) - now.reduce(0, +)
        guard doneHere > 1e-9 else { return left <= 0 ? 0 : nil }
        return Date().timeIntervalSince(started) / doneHere * left
    }

    /// "matrix 37% done, about 4:10 left" (or without the estimate before any work was done).
    var summary: String {
        var s = "matrix \(Int((done * 100).rounded(.down)))% done"
        if let left = secondsLeft, done < 1 { s += ", about \(ExperimentRunner.clock(left)) left" }
        return s
    }
}
