// RunExecutor.swift — one (variant, seed) run of `gradus experiment` (issue 7 §1–2): the merged
// config, batches from the index's training split (curriculum batches and random-LTD when the
// variant's data_efficiency enables them, as in `gradus train`), the matrix's fixed held-out
// split, and `Trainer.train` to the equal budget (tokens or training wall-clock) with an
// evaluation at 0, every `eval_interval_tokens` and at the end, and a checkpoint at every
// evaluation so an interrupted run resumes. The run directory holds config.json, log.jsonl (the
// trainer's), checkpoint.bin and, once finished, result.json.
//
// The executor only observes: the curve, schedule samples, FLOPs (Σ of the steps' `flops`) and
// training wall-clock are read off the log's entries. On resume the trainer cuts log.jsonl back
// to the checkpoint's step, and the kept entries rebuild them as the uninterrupted run had them.
// A variant with a `trainer` command runs it instead (ExternalRun.swift); its log goes through the
// same `makeResult`.

import Curriculum
import CorpusIndex
import Foundation
import Model
import Support
import Storage
import Training

/// Trains one run of the matrix in its directory.
public struct RunExecutor {
    public let matrix: ExperimentMatrix
    public let variant: ExperimentVariant
    public let seed: UInt64
    public let directory: String
    public let indexPath: String
    /// Threads of the run's model, OpenBLAS and AdamW; how it opens the index (`--no-lock`).
    public var threads = ComputeThreads.allCores, indexOptions = IndexReadOptions()
    /// Called after every training step of a built-in run (progress display; external trainers
    /// report only through their log, read when they exit).
    public var onStep: (StepRecord) -> Void = { _ in }
    /// Polled after every step; when true the run checkpoints and `run` throws `TrainingError.stopped`.
    public var stopRequested: () -> Bool = { false }
    /// The signal that asked gradus to stop (SIGINT, SIGTERM), or nil: forwarded to an external
    /// trainer (when nil while `stopRequested` is true, SIGTERM is sent).
    public var stopSignal: () -> Int32? = { nil }
    /// The `gradus` executable an external trainer is told about (to stream batches); nil: not known.
    public var gradusExecutable: String?

    public init(matrix: ExperimentMatrix, variant: ExperimentVariant, seed: UInt64, directory: String, indexPath: String) {
        (self.matrix, self.variant, self.seed, self.directory, self.indexPath) = (matrix, variant, seed, directory, indexPath)
    }

    var resultPath: String { directory + "/result.json" }
    var checkpointPath: String { directory + "/checkpoint.bin" }
    var logPath: String { directory + "/log.jsonl" }

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
        try writeAtomically(Data(configJSON.prettyText.utf8), to: directory + "/config.json")
        let config = try ConfigFileError.wrapping(directory + "/config.json") { try RunConfig.parse(configJSON) }
        if let trainer = variant.trainer { return try runExternal(trainer, config: config, log: log) }
        let data = try TrainingData(index: indexPath, config: config, options: indexOptions)
        guard let validation = data.heldOut else {
            throw ExperimentError.invalidMatrix(["validation.fraction \(matrix.validationFraction) holds out no sample of the index"])
        }
        // Before the trainer takes the held-out source's initial state: the same batches it evaluates.
        let unigram = try UnigramReference.loss(heldOut: validation, batches: config.train.evalBatches, counts: data.reader.tokenCounts())
        let resuming = FileManager.default.fileExists(atPath: checkpointPath)
        if !resuming { try? FileManager.default.removeItem(atPath: logPath) }
        let runLog = try RunLog(path: logPath)
        let fingerprint = data.reader.manifest.contentFingerprint
        let trainer = resuming
            ? try Trainer(resumingFrom: checkpointPath, config: config, source: data.training, heldOut: validation,
                          log: runLog, randomLTD: config.randomLTDRouting(), threads: threads, indexFingerprint: fingerprint,
                          groups: data.groups)
            : try Trainer(config: config, source: data.training, heldOut: validation, log: runLog,
                          randomLTD: config.randomLTDRouting(), threads: threads, indexFingerprint: fingerprint,
                          groups: data.groups)
        // The log must hold the evaluation at step 0; a checkpoint after a stop (SIGINT/SIGTERM)
        // may lie between evaluations, and `makeResult` checks that no step or evaluation is missing.
        if resuming && trainer.lastEvaluation == nil {
            throw ExperimentError.outputInUse(path: directory, reason: "log.jsonl holds no evaluation before checkpoint.bin's step; remove the run directory to rerun it")
        }
        let schedule = TrainingSchedule(evaluateEvery: .tokens(matrix.evalIntervalTokens), evaluateAtStart: true,
                                        evaluateAtEnd: true, checkpointEvery: nil)
        trainer.stopRequested = stopRequested
        // DeepSpeed's end of the data (num_epochs) stops a curriculum run as in `gradus train`.
        let limit = data.epochLimitSteps
        // The config's TensorBoard / csv_monitor outputs, under this run's directory (issue 17 item 3).
        let monitors = try MetricMonitors(config.file.monitors, runDirectory: directory)
        var monitorError: (any Error)?
        _ = try trainer.train(budget: matrix.budget, stepLimit: limit, schedule: schedule, checkpointPath: checkpointPath) { event in
            if monitorError == nil, let monitors {
                do { try monitors.record(event, samples: trainer.progress.samples) } catch { monitorError = error }
            }
            if case .step(let r) = event { onStep(r) }
            guard case .evaluation(let e) = event else { return }
            log("\(variant.name) seed \(seed): \(e.tokens) tokens, validation loss \(formatNumber(e.valLoss)), \(formatNumber(e.trainingSeconds, digits: 1)) s")
        }
        if let monitorError { throw monitorError }
        let logged = try runLog.truncate(afterStep: trainer.progress.steps)
        let totals = (trainer.progress.steps, trainer.progress.tokens, trainer.progress.layerTokens)
        var result = try makeResult(trainer.config, totals: totals, steps: logged.steps, evaluations: logged.evaluations,
                                    sampler: data.usesCurriculum ? "curriculum" : "uniform")
        result.unigramValidationLoss = unigram
        if let limit, trainer.progress.steps >= limit, !trainer.spent(matrix.budget) {
            result.dataEndedAtStep = trainer.progress.steps
            log("\(variant.name) seed \(seed): the curriculum data ended after step \(trainer.progress.steps) "
                + "(data_sampling.num_epochs \(config.file.dataEfficiency.dataSampling.numEpochs) × \(data.reader.sampleCount) samples, "
                + "DeepSpeed's rule), before the budget; the run stops there")
        }
        try writeAtomically(try result.jsonLine(), to: resultPath)
        return result
    }

    /// The steps the matrix's budget takes at full length (schedule sampling only).
    private func plannedSteps(_ c: RunConfig) -> Int {
        switch matrix.budget {
        case .steps(let n): return n
        case .tokens(let n): return n / max(1, c.train.batchSize * c.sequenceLength)
        case .seconds: return 2000
        }
    }

    /// The result read off the whole run's log (built-in or external trainer): the evaluations'
    /// curve, the schedule at step 1 and every 1/200 of the planned steps, Σ of the steps' FLOPs,
    /// the last step's training wall-clock, and the per-group curves of the evaluations' `val_groups`
    /// (`groupCurves`); `totals` are the run's steps, tokens and layer-tokens.
    func makeResult(_ config: RunConfig, totals: (steps: Int, tokens: Int, layerTokens: Int), steps: [StepRecord],
                    evaluations: [EvalRecord], sampler: String) throws -> RunResult {
        let curve = evaluations.map { CurvePoint(tokens: Double($0.tokens), wall: $0.trainingSeconds, loss: $0.valLoss) }
        guard steps.count == totals.steps, steps.indices.allSatisfy({ steps[$0].step == $0 + 1 }) else {
            throw ExperimentError.outputInUse(path: directory, reason: "log.jsonl misses steps of the run; remove the run directory to rerun it")
        }
        guard evaluations.map(\.step) == Self.evaluationSteps(steps, every: matrix.evalIntervalTokens) else {
            throw ExperimentError.outputInUse(path: directory, reason: "log.jsonl misses evaluations of the run; remove the run directory to rerun it")
        }
        let stride = max(1, plannedSteps(config) / 200)
        let schedule = steps.filter { $0.step % stride == 0 || $0.step == 1 }.map(SchedulePoint.init)
        let requested = Self.requests(config)
        return RunResult(variant: variant.name, seed: seed, finalValidationLoss: curve.last?.loss ?? .nan,
                         steps: totals.steps, tokens: totals.tokens, layerTokens: totals.layerTokens,
                         flops: steps.reduce(0) { $0 + $1.flops }, wallSeconds: steps.last?.trainingSeconds ?? 0, curve: curve,
                         schedule: schedule, sampler: sampler, randomLTDApplied: schedule.contains { $0.appliedRandomLTD },
                         curriculumRequested: requested.curriculum, randomLTDRequested: requested.randomLTD,
                         groupCurves: Self.groupCurves(evaluations))
    }

    /// Per field, per group, the points of the evaluations that report the group; nil when no
    /// evaluation reports groups.
    static func groupCurves(_ evaluations: [EvalRecord]) -> [String: [String: [CurvePoint]]]? {
        var out: [String: [String: [CurvePoint]]] = [:]
        for e in evaluations {
            for (field, groups) in e.valGroups ?? [:] {
                for (name, g) in groups {
                    out[field, default: [:]][name, default: []].append(
                        CurvePoint(tokens: Double(e.tokens), wall: e.trainingSeconds, loss: g.loss))
                }
            }
        }
        return out.isEmpty ? nil : out
    }

    /// The steps a run evaluates at (`TrainingSchedule` with `evaluateAtStart`/`evaluateAtEnd`):
    /// 0, each step whose tokens cross a multiple of `every`, and the last step.
    static func evaluationSteps(_ steps: [StepRecord], every: Int) -> [Int] {
        var out = [0], before = 0
        for s in steps {
            if every > 0 && s.tokens / every > before / every { out.append(s.step) }
            before = s.tokens
        }
        if let last = steps.last?.step, out.last != last { out.append(last) }
        return out
    }

    /// Whether the config asks for curriculum learning (DeepSpeed's enabled flags, or the legacy
    /// block) and for random-LTD; the report flags a request the run did not apply.
    static func requests(_ config: RunConfig) -> (curriculum: Bool, randomLTD: Bool) {
        let de = config.file.dataEfficiency
        return ((de.enabled && de.dataSampling.enabled && de.dataSampling.curriculumLearning.enabled)
                    || config.file.legacyCurriculum?.enabled == true,
                de.enabled && de.dataRouting.enabled && de.dataRouting.randomLTD.enabled)
    }
}

extension SchedulePoint {
    /// The schedules the step `record` trained under: its LR, sequence length, difficulties and r.
    init(_ record: StepRecord) {
        self.init(tokens: Double(record.tokens), lr: record.lr, seqLength: record.seqLength,
                  difficulties: record.difficulty ?? [:], reservedLength: record.reserved,
                  appliedRandomLTD: record.reserved != nil)
    }
}

/// Replaces `path` with `data` (`AtomicFile.write`: temporary sibling, fsync, rename).
/// - Throws: `ExperimentError.io`.
func writeAtomically(_ data: Data, to path: String) throws {
    do { try data.withUnsafeBytes { try AtomicFile.write($0, to: path) } } catch let error as FileError {
        throw ExperimentError.io(path: path, reason: error.reason)
    }
}
