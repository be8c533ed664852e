// RunExecutor.swift — one (variant, seed) run of `gradus experiment` (issue 7 §1–2): the merged
// config, uniform batches from the index's training split, the matrix's fixed held-out split,
// training to the equal budget (tokens or wall-clock) with an evaluation every
// `eval_interval_tokens` (and at 0 and at the end), and a checkpoint at every evaluation so an
// interrupted run resumes. The run directory holds config.json, log.jsonl (the trainer's),
// checkpoint.bin, progress.json and, once finished, result.json.
//
// Resume consistency: progress.json (the curve, schedule, wall and FLOPs so far, plus one
// snapshot per checkpoint) is written *before* the checkpoint it describes; on resume the
// snapshot whose token count equals the checkpoint's is the truth and later entries are dropped.
//
// The trainer used here is the current `Training.Trainer` with `IndexBatchSource` (uniform
// sampling, dense layers): a variant's curriculum / random-LTD blocks are parsed, validated and
// their prescribed schedules recorded, and `RunResult` says they were not applied.

import Curriculum
import CorpusIndex
import Foundation
import Model
import Storage
import Training

/// What progress.json holds.
struct RunProgress: Codable {
    struct Snapshot: Codable {
        var tokens: Int, wall: Double, flops: Double, curveCount: Int, scheduleCount: Int
    }
    var curve: [CurvePoint] = []
    var schedule: [SchedulePoint] = []
    var wall = 0.0
    var flops = 0.0
    var snapshots: [Snapshot] = []

    /// Keeps what the checkpoint at `tokens` had seen; nil when no snapshot matches it.
    func rewound(to tokens: Int) -> RunProgress? {
        guard let s = snapshots.last(where: { $0.tokens == tokens }),
              s.curveCount <= curve.count, s.scheduleCount <= schedule.count else { return nil }
        var out = self
        out.curve = Array(curve.prefix(s.curveCount))
        out.schedule = Array(schedule.prefix(s.scheduleCount))
        (out.wall, out.flops) = (s.wall, s.flops)
        out.snapshots = snapshots.filter { $0.tokens <= tokens }
        return out
    }
}

/// Trains one run of the matrix in its directory.
public struct RunExecutor {
    public let matrix: ExperimentMatrix
    public let variant: ExperimentVariant
    public let seed: UInt64
    public let directory: String
    public let indexPath: String

    public init(matrix: ExperimentMatrix, variant: ExperimentVariant, seed: UInt64, directory: String, indexPath: String) {
        (self.matrix, self.variant, self.seed, self.directory, self.indexPath) = (matrix, variant, seed, directory, indexPath)
    }

    var resultPath: String { directory + "/result.json" }
    var checkpointPath: String { directory + "/checkpoint.bin" }
    var progressPath: String { directory + "/progress.json" }

    /// The finished run's result, or nil when it has not finished.
    public func finishedResult() throws -> RunResult? {
        guard FileManager.default.fileExists(atPath: resultPath) else { return nil }
        do { return try JSONDecoder().decode(RunResult.self, from: try readFile(resultPath)) } catch {
            throw ExperimentError.invalidResults(path: resultPath, reason: "\(error)")
        }
    }

    /// Runs (or resumes) to the budget and writes result.json.
    /// - Parameter log: receives one line per evaluation (progress display).
    /// - Throws: config, index, training and I/O errors.
    public func run(log: (String) -> Void = { _ in }) throws -> RunResult {
        if let done = try finishedResult() { return done }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configJSON = matrix.runConfig(variant: variant, seed: seed)
        let configText = try JSONMerge.text(configJSON)
        try writeAtomically(configText, to: directory + "/config.json")
        let config = try RunConfig.load(path: directory + "/config.json")
        let plan = try CurriculumPlan(configText: String(decoding: configText, as: UTF8.self),
                                      tokensPerStep: config.train.batchSize * config.sequenceLength)
        let data = try TrainingData(index: indexPath, config: config)
        guard let validation = data.heldOut else {
            throw ExperimentError.invalidMatrix(["validation.fraction \(matrix.validationFraction) holds out no sample of the index"])
        }
        let source = data.training
        let runLog = try RunLog(path: directory + "/log.jsonl")
        var state = RunProgress()
        let trainer: Trainer
        if FileManager.default.fileExists(atPath: checkpointPath) {
            trainer = try Trainer(resumingFrom: checkpointPath, config: config, source: source, heldOut: validation,
                                  log: runLog, randomLTD: config.randomLTDRouting())
            let saved = try JSONDecoder().decode(RunProgress.self, from: try readFile(progressPath))
            guard let rewound = saved.rewound(to: trainer.progress.tokens) else {
                throw ExperimentError.outputInUse(path: directory, reason: "progress.json does not describe checkpoint.bin; remove the run directory to rerun it")
            }
            state = rewound
        } else {
            trainer = try Trainer(config: config, source: source, heldOut: validation, log: runLog,
                                  randomLTD: config.randomLTDRouting())
        }
        try train(trainer, plan: plan, state: &state, log: log)
        let result = makeResult(trainer, plan: plan, state: state, sampler: data.usesCurriculum ? "curriculum" : "uniform")
        try writeAtomically(try result.jsonLine(), to: resultPath)
        return result
    }

    /// The loop: steps until the budget, evaluating and checkpointing on the token grid.
    private func train(_ trainer: Trainer, plan: CurriculumPlan, state: inout RunProgress, log: (String) -> Void) throws {
        let clock = ContinuousClock()
        let c = trainer.config
        let interval = matrix.evalIntervalTokens
        let stride = max(1, plannedSteps(c) / 200)
        if state.curve.isEmpty { try evaluate(trainer, &state, log: log) }
        while !budgetSpent(trainer, state) {
            let before = trainer.progress
            let t0 = clock.now
            let record = try trainer.step()
            state.wall += (clock.now - t0) / .seconds(1)
            state.flops += FLOPCount.step(rows: c.train.batchSize, length: record.seqLength, layers: c.model.layers,
                                          dModel: c.model.dModel, vocab: c.model.vocab,
                                          layerTokens: record.layerTokens - before.layerTokens)
            if record.step % stride == 0 || record.step == 1 { state.schedule.append(plan.point(record)) }
            if record.tokens / interval > before.tokens / interval && !budgetSpent(trainer, state) {
                try evaluate(trainer, &state, log: log)
            }
        }
        if state.curve.last?.tokens != Double(trainer.progress.tokens) { try evaluate(trainer, &state, log: log) }
    }

    /// Evaluates, records the point, and checkpoints (progress first, then the checkpoint).
    private func evaluate(_ trainer: Trainer, _ state: inout RunProgress, log: (String) -> Void) throws {
        guard let e = try trainer.evaluate() else { return }
        state.curve.append(CurvePoint(tokens: Double(e.tokens), wall: state.wall, loss: e.valLoss))
        state.snapshots.append(.init(tokens: trainer.progress.tokens, wall: state.wall, flops: state.flops,
                                     curveCount: state.curve.count, scheduleCount: state.schedule.count))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try writeAtomically(try encoder.encode(state), to: progressPath)
        try trainer.saveCheckpoint(to: checkpointPath)
        log("\(variant.name) seed \(seed): \(e.tokens) tokens, validation loss \(formatNumber(e.valLoss)), \(formatNumber(state.wall, digits: 1)) s")
    }

    private func budgetSpent(_ trainer: Trainer, _ state: RunProgress) -> Bool {
        switch matrix.budget {
        case .tokens(let n): return trainer.progress.tokens >= n
        case .seconds(let s): return state.wall >= s
        }
    }

    /// Steps a token budget takes at full length (schedule sampling stride only).
    private func plannedSteps(_ c: RunConfig) -> Int {
        switch matrix.budget {
        case .tokens(let n): return n / max(1, c.train.batchSize * c.sequenceLength)
        case .seconds: return 2000
        }
    }

    private func makeResult(_ trainer: Trainer, plan: CurriculumPlan, state: RunProgress, sampler: String) -> RunResult {
        RunResult(variant: variant.name, seed: seed, finalValidationLoss: state.curve.last?.loss ?? .nan,
                  steps: trainer.progress.steps, tokens: trainer.progress.tokens, layerTokens: trainer.progress.layerTokens,
                  flops: state.flops, wallSeconds: state.wall, curve: state.curve, schedule: state.schedule,
                  sampler: sampler, randomLTDApplied: state.schedule.contains { $0.appliedRandomLTD },
                  curriculumRequested: plan.curriculumRequested, randomLTDRequested: plan.randomLTDRequested)
    }
}

/// The curriculum / random-LTD side of a run config as DeepSpeed's parser reads it: whether they
/// are requested, and the difficulties and reserved length they prescribe at a step.
struct CurriculumPlan {
    let preview: SchedulePreview
    let curriculumRequested: Bool
    let randomLTDRequested: Bool

    /// - Throws: the curriculum parser's `ConfigError` (unknown keys with their path).
    init(configText: String, tokensPerStep: Int) throws {
        let parsed = try Curriculum.GradusConfig.parse(configText)
        let de = parsed.dataEfficiency
        curriculumRequested = (de.enabled && de.dataSampling.enabled && de.dataSampling.curriculumLearning.enabled)
            || parsed.legacyCurriculum?.enabled == true
        randomLTDRequested = de.enabled && de.dataRouting.enabled && de.dataRouting.randomLTD.enabled
        preview = try SchedulePreview(config: parsed, tokensPerStep: Double(tokensPerStep))
    }

    /// The schedules at the step `record` describes.
    func point(_ record: StepRecord) -> SchedulePoint {
        let row = preview.row(step: record.step)
        var difficulties: [String: Double] = [:]
        if curriculumRequested { for d in row.difficulties { difficulties[d.name] = d.value } }
        // What the step actually used wins over the config's prescription when the trainer reports it.
        if let applied = record.difficulty { difficulties = applied }
        var point = SchedulePoint(tokens: Double(record.tokens), lr: record.lr, seqLength: record.seqLength,
                                  difficulties: difficulties, reservedLength: record.reserved ?? (randomLTDRequested ? row.reservedLength : nil))
        point.appliedRandomLTD = record.reserved != nil
        return point
    }
}

/// Replaces `path` with `data` (`AtomicFile.write`: temporary sibling, fsync, rename).
/// - Throws: `ExperimentError.io`.
func writeAtomically(_ data: Data, to path: String) throws {
    do { try data.withUnsafeBytes { try AtomicFile.write($0, to: path) } } catch let error as FileError {
        throw ExperimentError.io(path: path, reason: error.reason)
    }
}
