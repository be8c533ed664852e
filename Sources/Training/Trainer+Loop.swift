// Trainer+Loop.swift — the one training loop (issue 12): steps until a budget is spent, evaluates
// and checkpoints on a schedule, and reports each step, evaluation and checkpoint to an observer.
// `gradus train` and the experiment runner both call it.

/// How long `Trainer.train` runs: until steps completed, tokens consumed, or
/// `Trainer.trainingSeconds` reach the number.
public enum TrainingBudget: Equatable, Sendable {
    case steps(Int), tokens(Int), seconds(Double)
}

/// When `Trainer.train` evaluates and checkpoints.
public struct TrainingSchedule: Equatable, Sendable {
    /// A grid on a counter: a step is on it when the counter crosses a multiple of N (never for N ≤ 0).
    public enum Interval: Equatable, Sendable { case steps(Int), tokens(Int) }
    /// The evaluation grid, or nil for none.
    public var evaluateEvery: Interval?
    /// Also evaluate before the first step of a run at step 0 / after the last step, each unless
    /// the run's latest evaluation is at that step already.
    public var evaluateAtStart: Bool, evaluateAtEnd: Bool
    /// The checkpoint grid, or nil to checkpoint after every evaluation; a final checkpoint follows
    /// either way (when the last step has none yet).
    public var checkpointEvery: Interval?

    /// A schedule from its parts (see the properties).
    public init(evaluateEvery: Interval?, evaluateAtStart: Bool = false, evaluateAtEnd: Bool = false,
                checkpointEvery: Interval?) {
        (self.evaluateEvery, self.evaluateAtStart, self.evaluateAtEnd) = (evaluateEvery, evaluateAtStart, evaluateAtEnd)
        self.checkpointEvery = checkpointEvery
    }

    /// The config's own: evaluations every `eval_interval` and checkpoints every
    /// `checkpoint_interval` steps (0 turns either off).
    public init(_ train: TrainingConfig) {
        self.init(evaluateEvery: .steps(train.evalInterval), checkpointEvery: .steps(train.checkpointInterval))
    }
}

extension Trainer {
    /// What `train` reports as it goes.
    public enum Event {
        case step(StepRecord)
        case evaluation(EvalRecord)
        case checkpoint(path: String)
    }

    /// Trains until `budget` (default `.steps(config.train.steps)`) is spent, evaluating and
    /// checkpointing (when `checkpointPath` is given) on `schedule` (default the config's).
    /// After every step (and its evaluation and checkpoint) the loop polls `stopRequested`; when
    /// true it writes a checkpoint of that step (unless it has one) and throws.
    /// - Parameters:
    ///   - stepLimit: stop after this step even when `budget` is not spent: the curriculum's end of
    ///     data (`TrainingData.epochLimitSteps`); nil for none.
    ///   - observe: called after every step, evaluation and checkpoint.
    /// - Returns: the records of the steps taken by this call.
    /// - Throws: `TrainingError.stopped` after a requested stop; step, evaluation and checkpoint errors.
    public func train(budget: TrainingBudget? = nil, stepLimit: Int? = nil, schedule: TrainingSchedule? = nil,
                      checkpointPath: String? = nil, observe: (Event) -> Void = { _ in }) throws -> [StepRecord] {
        let budget = budget ?? .steps(config.train.steps), schedule = schedule ?? TrainingSchedule(config.train)
        var records: [StepRecord] = [], checkpointed: Int?
        func checkpoint() throws {
            guard let checkpointPath else { return }
            try saveCheckpoint(to: checkpointPath)
            checkpointed = progress.steps
            observe(.checkpoint(path: checkpointPath))
        }
        func evaluateNow() throws {
            guard let e = try evaluate() else { return }
            observe(.evaluation(e))
            if schedule.checkpointEvery == nil { try checkpoint() }
        }
        if schedule.evaluateAtStart && progress.steps == 0 && lastEvaluation?.step != 0 { try evaluateNow() }
        while !spent(budget) && progress.steps < (stepLimit ?? .max) {
            let before = progress
            records.append(try step())
            observe(.step(records[records.count - 1]))
            if crossed(schedule.evaluateEvery, since: before) { try evaluateNow() }
            if crossed(schedule.checkpointEvery, since: before) { try checkpoint() }
            if stopRequested() && !spent(budget) {
                if checkpointed != progress.steps { try checkpoint() }
                throw TrainingError.stopped(step: progress.steps, checkpoint: checkpointPath)
            }
        }
        if schedule.evaluateAtEnd && lastEvaluation?.step != progress.steps { try evaluateNow() }
        if checkpointed != progress.steps { try checkpoint() }
        return records
    }

    /// Whether `budget` is spent by the steps taken so far.
    public func spent(_ budget: TrainingBudget) -> Bool {
        switch budget {
        case .steps(let n): return progress.steps >= n
        case .tokens(let n): return progress.tokens >= n
        case .seconds(let s): return trainingSeconds >= s
        }
    }

    private func crossed(_ grid: TrainingSchedule.Interval?, since before: TrainingProgress) -> Bool {
        switch grid {
        case .steps(let n)?: return n > 0 && progress.steps / n > before.steps / n
        case .tokens(let n)?: return n > 0 && progress.tokens / n > before.tokens / n
        case nil: return false
        }
    }
}
