// LearningRatePreview.swift — the learning rate each training step will use, computed without
// training (issue 4 item 5, "once the trainer exists, the learning rate"): the counters the
// trainer would have after step s — steps, tokens (rows · T of each served batch, shorter under a
// sequence curriculum) and layer-tokens (with random-LTD: min(r, T) in each dropping layer), by the
// trainer's own `StepCost` and `TrainingProgress.advance(by:)` — fed to the run's
// `LearningRateSchedule`: the value the trainer logs as `lr`. The preview's step is also the
// curriculum step; in a real run the curriculum step runs ahead by the held-out skips
// (CurriculumBatchStream.swift).

import Curriculum

/// Steps through a run's learning-rate schedule.
public struct LearningRatePreview: Sendable {
    public let config: RunConfig
    /// Counters after the last `next` call.
    public private(set) var progress = TrainingProgress()
    private let kind: SequenceCurriculumKind?
    private let routing: RandomLTDRouting?

    /// - Throws: `TrainingError.invalidConfig` for random-LTD settings inconsistent with the model.
    public init(config: RunConfig) throws {
        self.config = config
        kind = SequencePostProcess.kind(of: config.curriculumMetrics.map(\.name))
        routing = try config.randomLTDRouting()
    }

    /// Takes one optimiser step whose batch was drawn at `difficulties` (metric name → value;
    /// only the sequence curriculum's matters) and returns that step's learning rate.
    public mutating func next(difficulties: [String: Double]) -> Double {
        let c = kind.flatMap { difficulties[$0.rawValue] }.map { Int($0) } ?? config.sequenceLength
        let shape = SequencePostProcess.layout(batch: config.train.batchSize, sequenceLength: config.sequenceLength,
                                               kind: kind, difficulty: c)
        let cost = StepCost(model: config.model, batchSize: shape.rows, length: shape.width - 1,
                            reserved: routing?.reserved(atStep: progress.steps), dropping: routing?.layers.count ?? 0)
        progress.advance(by: cost)
        return config.train.lr.rate(at: progress)
    }
}
