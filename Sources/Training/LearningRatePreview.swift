// LearningRatePreview.swift — the learning rate each training step will use, computed without
// training (issue 4 item 5, "once the trainer exists, the learning rate"): the counters the
// trainer would have after step s — steps, tokens (rows · T of each served batch, shorter under a
// sequence curriculum) and dense layer-tokens — fed to the run's `LearningRateSchedule`, the same
// value the trainer logs as `lr`. The preview's step is also the curriculum step; in a real run the
// curriculum step runs ahead by the held-out skips (CurriculumBatchSource.swift).

import Curriculum

/// Steps through a run's learning-rate schedule.
public struct LearningRatePreview: Sendable {
    public let config: RunConfig
    /// Counters after the last `next` call.
    public private(set) var progress = TrainingProgress()
    private let kind: SequenceCurriculumKind?

    public init(config: RunConfig) {
        self.config = config
        kind = SequenceCurriculum.kind(of: config.curriculumMetrics)
    }

    /// Takes one optimiser step whose batch was drawn at `difficulties` (metric name → value;
    /// only the sequence curriculum's matters) and returns that step's learning rate.
    public mutating func next(difficulties: [String: Double]) -> Double {
        let c = kind.flatMap { difficulties[$0.rawValue] }.map { Int($0) } ?? config.sequenceLength
        let shape = SequenceCurriculum.servedShape(batch: config.train.batchSize, sequenceLength: config.sequenceLength,
                                                   kind: kind, difficulty: c)
        let tokens = shape.rows * shape.length
        progress.steps += 1
        progress.tokens += tokens
        progress.layerTokens += tokens * config.model.layers
        return config.train.lr.rate(at: progress)
    }
}
