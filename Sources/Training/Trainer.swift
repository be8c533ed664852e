// Trainer.swift — one training step (issue 5 §4): a batch from a `BatchSource`, forward,
// backward, global-norm clipping, a scheduled learning rate, AdamW; held-out evaluation; one JSON
// line per step and per evaluation in the run log; checkpoints (the loop that schedules them is
// Trainer+Loop.swift). Knows nothing of the index or curriculum: they arrive as a `BatchSource`.
// With random-LTD (issue 6) each step draws a kept-token plan from the trainer's generator, runs
// the model on it, and counts the layer-tokens and FLOPs actually spent; evaluation stays dense.

import CorpusIndex
import Foundation
import Model
import Support

/// Trains a `GPT` from a batch source.
public final class Trainer {
    /// The resolved config of the run.
    public let config: RunConfig
    /// The model being trained.
    public let model: GPT
    /// The optimiser state.
    public let optimizer: AdamW
    /// Counters at the end of the last completed step.
    public private(set) var progress = TrainingProgress()
    /// The trainer's own generator, saved in checkpoints; random-LTD plans (issue 6) draw from it.
    package private(set) var rng: SplitMix64
    /// Random-LTD settings, or nil for a dense run (issue 6).
    public let randomLTD: RandomLTDRouting?
    /// Training wall-clock seconds of the steps so far (evaluations and checkpoints excluded),
    /// summed over resumed segments.
    public private(set) var trainingSeconds = 0.0
    /// The run's latest evaluation, this process's or (on resume) the log's.
    public private(set) var lastEvaluation: EvalRecord?
    /// Polled by `train` after every step: true asks it to checkpoint and stop (`TrainingError.stopped`);
    /// `gradus train` and `gradus experiment` set it to `StopSignal.pending != nil`.
    public var stopRequested: () -> Bool = { false }
    /// Fault tests only: `saveCheckpoint` after this step kills the process mid-write.
    public var abortInCheckpointAtStep: Int?
    /// The training index's `IndexManifest.contentFingerprint`, recorded in checkpoints (nil
    /// for sources without an index).
    public let indexFingerprint: String?
    private let source: any BatchSource
    private let heldOut: (any BatchSource)?
    /// The sample groups evaluation reports loss per (empty: overall loss only).
    private let groups: [SampleGroups]
    private let heldOutStart: Data?
    private let log: RunLog?
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant

    /// A fresh run: parameters initialised from `config.train.seed`.
    /// - Parameters:
    ///   - source: training batches; each must be (B, T) of the config (T may be shorter).
    ///   - heldOut: evaluation batches; rewound to its initial state before every evaluation so
    ///     every evaluation sees the same data.
    ///   - log: where step and evaluation records go, or nil.
    ///   - randomLTD: token dropping in the middle layers (issue 6), or nil to run every layer dense.
    ///   - threads: for the model's loops, OpenBLAS and AdamW (default: every core).
    ///   - indexFingerprint: the index's content fingerprint when `source` reads an index; saved in
    ///     checkpoints so a resume on another index is refused.
    ///   - groups: the index's sample groups (`TrainingData.groups`); with any, every evaluation
    ///     also reports the loss per group (`EvalRecord.valGroups`), mapping held-out rows to
    ///     samples by `heldOut`'s `lastSampleIDs`.
    /// - Throws: `TrainingError.invalidConfig` listing every problem.
    public init(config: RunConfig, source: any BatchSource, heldOut: (any BatchSource)? = nil,
                log: RunLog? = nil, randomLTD: RandomLTDRouting? = nil, threads: ComputeThreads = .allCores,
                indexFingerprint: String? = nil, groups: [SampleGroups] = []) throws {
        let ltdProblems = randomLTD?.problems(model: config.model, sequenceLength: config.sequenceLength) ?? []
        if !ltdProblems.isEmpty { throw TrainingError.invalidConfig(config.problems().map(\.description) + ltdProblems) }
        try config.validate()
        self.config = config
        self.randomLTD = randomLTD
        model = try GPT(config: config.model, maxBatch: config.maxBatchRows, maxLength: config.sequenceLength, threads: threads)
        model.initializeParameters(seed: config.train.seed)
        optimizer = AdamW(layout: model.layout, hyper: config.train.optimizer, threads: threads)
        rng = SplitMix64(seed: config.train.seed ^ 0x5452_4149_4E45_5221)
        (self.source, self.heldOut, self.log) = (source, heldOut, log)
        (self.indexFingerprint, self.groups) = (indexFingerprint, groups)
        heldOutStart = try heldOut?.saveState()
        started = clock.now
    }

    /// Continues the run saved at `path`; `log` is cut back to the checkpoint's step
    /// (`RunLog.truncate(afterStep:)`), and its last step and evaluation restore
    /// `trainingSeconds` and `lastEvaluation`.
    /// - Parameters:
    ///   - config: the run's config now; refused unless model, batch, seed, optimiser and
    ///     schedule equal the checkpoint's (the budget and intervals may change).
    ///   - indexFingerprint: the index's content fingerprint; refused unless it equals the one the
    ///     checkpoint recorded. A checkpoint without one (made before issue 14) falls back to the
    ///     source's own check of its state blob.
    ///   - groups: as for a fresh run.
    /// - Throws: `TrainingError.noCheckpoint` when `path` does not exist,
    ///   `.corruptCheckpoint`, `.checkpointMismatch`, `.io` (the log), or the source's error.
    public convenience init(resumingFrom path: String, config: RunConfig, source: any BatchSource,
                            heldOut: (any BatchSource)? = nil, log: RunLog? = nil,
                            randomLTD: RandomLTDRouting? = nil, threads: ComputeThreads = .allCores,
                            indexFingerprint: String? = nil, groups: [SampleGroups] = []) throws {
        let checkpoint = try Checkpoint.read(from: path)
        let savedIndex = checkpoint.header.indexFingerprint
        if let savedIndex, let indexFingerprint, savedIndex != indexFingerprint {
            throw TrainingError.checkpointMismatch(path: path, reason: "it was made on an index with content fingerprint \(savedIndex), "
                + "this index has \(indexFingerprint) (other inputs, input order, tokenizer, metrics, packing or shard); "
                + "resume with the index the run started on (a metric added since with `gradus metric add` goes again with "
                + "`gradus metric remove`, which gives the index its old fingerprint back), or start a new run in another --out")
        }
        let saved = checkpoint.header.config
        var mismatches: [String] = []
        if saved.model != config.model { mismatches.append("model differs") }
        if saved.train.batchSize != config.train.batchSize || saved.sequenceLength != config.sequenceLength {
            mismatches.append("batch shape differs")
        }
        if saved.train.seed != config.train.seed { mismatches.append("seed differs") }
        if checkpoint.header.randomLTD != randomLTD { mismatches.append("random-LTD settings differ") }
        if saved.train.optimizer != config.train.optimizer || saved.train.lr != config.train.lr
            || saved.train.gradClip != config.train.gradClip {
            mismatches.append("optimiser or schedule differs")
        }
        if saved.file.dataEfficiency != config.file.dataEfficiency || saved.file.gradus != config.file.gradus {
            mismatches.append("data_efficiency (curriculum or data routing) differs")
        }
        if !mismatches.isEmpty {
            throw TrainingError.checkpointMismatch(path: path, reason: mismatches.joined(separator: ", "))
        }
        try self.init(config: config, source: source, heldOut: heldOut, log: log, randomLTD: randomLTD, threads: threads,
                      indexFingerprint: indexFingerprint, groups: groups)
        _ = model.parameters.update(fromContentsOf: checkpoint.parameters)
        _ = optimizer.m.update(fromContentsOf: checkpoint.m)
        _ = optimizer.v.update(fromContentsOf: checkpoint.v)
        optimizer.step = checkpoint.header.adamStep
        progress = checkpoint.header.progress
        rng = checkpoint.header.trainerRNG
        try source.restoreState(checkpoint.header.sourceState, indexVerified: savedIndex != nil && savedIndex == indexFingerprint)
        let kept = try log?.truncate(afterStep: progress.steps)
        (trainingSeconds, lastEvaluation) = (kept?.steps.last?.trainingSeconds ?? 0, kept?.evaluations.last)
    }

    /// One optimiser step on the source's next batch.
    /// - Throws: the source's errors, `ModelError.invalidBatch`, or `TrainingError.nonFinite`.
    @discardableResult
    public func step() throws -> StepRecord {
        let t0 = clock.now
        let (batch, info) = try source.nextBatch()
        let (plan, reserved) = try drawPlan(for: batch)
        let loss = try model.forward(batch, plan: plan)
        model.zeroGradients()
        model.backward()
        let norm = GradientClipping.clip(model.gradients, maxNorm: config.train.gradClip)
        guard loss.isFinite, norm.isFinite else {
            throw TrainingError.nonFinite(step: progress.steps, what: loss.isFinite ? "gradient norm" : "loss")
        }
        let cost = StepCost(model: config.model, batchSize: batch.batchSize, length: batch.length,
                            reserved: reserved, dropping: randomLTD?.layers.count ?? 0)
        var next = progress
        next.advance(by: cost)
        let lr = config.train.lr.rate(at: next)
        optimizer.update(parameters: model.parameters, gradients: model.gradients, learningRate: lr)
        progress = next
        let seconds = (clock.now - t0) / .seconds(1)
        trainingSeconds += seconds
        let record = StepRecord(step: next.steps, samples: next.samples, tokens: next.tokens, layerTokens: next.layerTokens,
                                loss: Double(loss), lr: lr, gradNorm: norm, seqLength: batch.length,
                                tokensPerSecond: Double(cost.tokens) / max(seconds, 1e-9), elapsed: elapsedSeconds,
                                stepTokens: cost.tokens, rows: batch.batchSize, curriculumStep: info?.curriculumStep,
                                difficulty: info?.difficulties, reserved: reserved, flops: cost.flops,
                                trainingSeconds: trainingSeconds)
        try log?.append(record)
        return record
    }

    /// random-LTD for this step: r(steps completed) and, when r < T, a plan drawn from `rng`
    /// (which is then advanced, and saved by the next checkpoint). (nil, nil) for a dense run.
    private func drawPlan(for batch: TokenBatch) throws -> (RandomLTDPlan?, Int?) {
        guard let randomLTD else { return (nil, nil) }
        let r = randomLTD.reserved(atStep: progress.steps)
        let plan = try RandomLTDPlan.draw(layers: randomLTD.layers, batchSize: batch.batchSize, length: batch.length,
                                          reserved: r, using: &rng)
        return (plan, r)
    }

    /// Mean loss over `eval_batches` held-out batches (weighted by their counted positions: the
    /// rows' loss sums, `GPTModel.rowLosses`, summed in Double over their positions), the same
    /// batches every time; with `groups`, the same per group as well. Nil without a held-out
    /// source. Also appended to the run log and kept as `lastEvaluation`.
    /// - Throws: the source's and model's errors; `TrainingError.invalidConfig` when there are
    ///   groups and a held-out row has no sample id within them.
    public func evaluate() throws -> EvalRecord? {
        guard let heldOut, let heldOutStart else { return nil }
        try heldOut.restoreState(heldOutStart)
        var total = 0.0, weight = 0.0
        var perGroup = GroupLossAccumulator(groups: groups)
        for _ in 0..<config.train.evalBatches {
            let batch = try heldOut.nextBatch().batch
            _ = try model.forward(batch)
            let rows = model.rowLosses()
            for row in rows { (total, weight) = (total + row.lossSum, weight + row.positions) }
            try perGroup.add(rows, ids: heldOut.lastSampleIDs)
        }
        let record = EvalRecord(step: progress.steps, tokens: progress.tokens,
                                valLoss: weight > 0 ? total / weight : 0, elapsed: elapsedSeconds,
                                trainingSeconds: trainingSeconds, valGroups: perGroup.record)
        try log?.append(record)
        lastEvaluation = record
        return record
    }

    /// The complete state as a checkpoint value.
    public func checkpoint() throws -> Checkpoint {
        let header = CheckpointHeader(config: config, progress: progress, adamStep: optimizer.step, trainerRNG: rng,
                                      sourceState: try source.saveState(), parameterCount: model.parameterCount,
                                      randomLTD: randomLTD, indexFingerprint: indexFingerprint)
        return Checkpoint(header: header, parameters: Array(model.parameters), m: Array(optimizer.m),
                          v: Array(optimizer.v))
    }

    /// Writes the state atomically to `path`, after flushing the run log to the device so the
    /// log always reaches the checkpoint's step.
    public func saveCheckpoint(to path: String) throws {
        try log?.sync()
        try checkpoint().write(to: path, abortHalfway: abortInCheckpointAtStep == progress.steps)
    }

    private var elapsedSeconds: Double { (clock.now - started) / .seconds(1) }
}
