// Train.swift — `gradus train CONFIG --index DIR --out RUN`: trains the config's model on a
// complete index (issue 5 §4): curriculum batches when the config enables curriculum metrics,
// uniform shuffling otherwise; a held-out split chosen by sample-id hash. The config is read by
// the one parser (`RunConfig.load`), the sources are built by `Training.TrainingData`, the loop
// lives in `Training.Trainer`.

import ArgumentParser
import Corpus
import CorpusIndex
import Foundation
import Model
import Storage
import Training
import Support

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the config's model on an index (curriculum or uniform batches; held-out split by sample id).",
        discussion: """
        Batches come from the curriculum sampler when data_efficiency enables
        curriculum metrics (seqlen_truncate / seqlen_reshape shorten the served rows),
        else from uniform shuffling. Curriculum data ends as DeepSpeed's sampler ends
        it (data_sampling.num_epochs): the run stops with a note after step ⌊N ·
        num_epochs / batch_size⌋ + 1 when that is earlier. Writes RUN/config.json (the
        resolved config), RUN/log.jsonl (one line per step — loss, lr, tokens,
        curriculum step and difficulty per metric — and per evaluation) and
        RUN/checkpoint.bin (atomically replaced). On an index with sample groups
        (gradus index --group-field) the held-out split is stratified by group and
        every evaluation also logs the loss per group (val_groups; listed on the
        evaluation line when there are at most 8). A config's DeepSpeed tensorboard /
        csv_monitor block also writes TensorBoard event files / DeepSpeed's CSV files
        to output_path/job_name (default RUN/DeepSpeedJobName); an enabled wandb or
        comet block is named in a warning (not written). --resume continues from the
        checkpoint bit-identically (same config, same thread count, an index of the
        same content: the checkpoint records its content fingerprint). RUN is locked
        while training (RUN/gradus.lock names the pid). Ctrl-C or SIGTERM finishes the
        step, writes a checkpoint and exits 130/143; continue with --resume.

        Examples:
          gradus index corpora/*.jsonl.zst --tokenizer corpora/tokenizer.json \\
            --pack 256 --out runs/text.idx
          gradus train configs/small-text.json --index runs/text.idx --out runs/base
          gradus train configs/small-text.json --index runs/text.idx --out runs/base \\
            --resume --steps 4000
          gradus train configs/gpt-cl.json --index runs/text.idx --out runs/cl
        """
    )

    @Argument(help: "Run config (DeepSpeed-style JSON with a gradus.model / gradus.train block).")
    var config: String

    @Option(help: "Complete index directory (from gradus index).")
    var index: String

    @OptionGroup var indexOpen: IndexOpenOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(help: "Run directory (created if missing).")
    var out: String

    @Flag(help: "Continue from RUN/checkpoint.bin.")
    var resume = false

    @Option(help: "Override the step budget (train.steps).")
    var steps: Int?

    @Option(help: "Threads for BLAS and the model's loops (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let steps, steps < 0 { throw ValidationError("--steps must be >= 0") }
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1") }
    }

    func run() throws {
        var run = try RunConfig.load(path: config)
        noteDeepSpeedKeys(run.file, path: config)
        noteNarrowBLASKernels()
        if let steps { run.train.steps = steps }
        let threads = ComputeThreads(self.threads ?? availableCores)
        let routing = try run.randomLTDRouting()
        let checkpoint = out + "/checkpoint.bin"
        if resume && !FileManager.default.fileExists(atPath: checkpoint) { throw TrainingError.noCheckpoint(directory: out) }
        let data = try TrainingData(index: index, config: run, options: indexOpen.options)
        let lock = try DirectoryLock(directory: out)  // creates OUT; one run per directory (issue 14 item 11)
        defer { withExtendedLifetime(lock) {} }
        if !resume && FileManager.default.fileExists(atPath: checkpoint) {
            throw TrainingError.invalidConfig(["\(out) already holds a checkpoint; pass --resume to continue it or choose another --out"])
        }
        let resolved = try run.resolvedJSON()
        do { try resolved.withUnsafeBytes { try AtomicFile.write($0, to: out + "/config.json") } } catch {
            throw TrainingError.io(path: out + "/config.json", reason: "\(error)")
        }
        if !resume { try? FileManager.default.removeItem(atPath: out + "/log.jsonl") }
        let log = try RunLog(path: out + "/log.jsonl")
        let fingerprint = data.reader.manifest.contentFingerprint
        let trainer = resume
            ? try Trainer(resumingFrom: checkpoint, config: run, source: data.training, heldOut: data.heldOut, log: log,
                          randomLTD: routing, threads: threads, indexFingerprint: fingerprint, groups: data.groups)
            : try Trainer(config: run, source: data.training, heldOut: data.heldOut, log: log, randomLTD: routing, threads: threads,
                          indexFingerprint: fingerprint, groups: data.groups)
        trainer.abortInCheckpointAtStep = TestHooks.current.abortInCheckpointAtStep
        let entropy = try data.reader.unigramEntropy()
        let (B, T) = (run.train.batchSize, run.sequenceLength)
        var batches = data.usesCurriculum ? "curriculum batches (" + run.curriculumMetrics.map(\.name).joined(separator: ", ") + ")" : "uniform batches"
        if let routing { batches += ", random-LTD in layers \(routing.layers) (r \(routing.minValue)→\(routing.maxValue))" }
        writeStderr("model: \(trainer.model.parameterCount) parameters; \(B)×\(T) tokens a step, \(batches); "
            + "\(data.trainingCount) training / \(data.heldOutCount) held-out samples; unigram entropy \(rounded(entropy)) nats; "
            + "resolved config in \(out)/config.json\n")
        if let warning = try data.poolWarning(steps: run.train.steps) { writeStderr("warning: " + warning + "\n") }
        var budget = run.train.steps
        if let limit = data.epochLimitSteps, limit < budget {
            writeStderr("note: the curriculum data ends after step \(limit), before the \(budget) steps asked for: "
                + "data_efficiency.data_sampling.num_epochs \(run.file.dataEfficiency.dataSampling.numEpochs) × "
                + "\(data.reader.sampleCount) samples, served while at most that many were consumed (DeepSpeed's rule); "
                + "raise num_epochs to train longer\n")
            budget = limit
        }
        let monitors = try MetricMonitors(run.file.monitors, runDirectory: out)
        try StopSignal.stoppable { try loop(trainer, checkpoint: checkpoint, entropy: entropy, steps: budget, monitors: monitors) }
    }

    /// Runs the trainer (evaluating at its intervals and at the end) with a progress line,
    /// evaluation lines, and a closing JSON summary.
    /// Stops after step `steps` (the config's, or fewer where the curriculum's epochs end).
    /// Steps and evaluations also go to the config's TensorBoard / csv_monitor outputs (`monitors`).
    private func loop(_ trainer: Trainer, checkpoint: String, entropy: Double, steps: Int, monitors: MetricMonitors?) throws {
        let progress = ProgressLine()
        var schedule = TrainingSchedule(trainer.config.train)
        schedule.evaluateAtEnd = true
        trainer.stopRequested = { StopSignal.pending != nil }
        var monitorError: (any Error)?
        let records = try trainer.train(budget: .steps(steps), schedule: schedule, checkpointPath: checkpoint) { event in
            if monitorError == nil, let monitors {
                do { try monitors.record(event, samples: trainer.progress.samples) } catch { monitorError = error }
            }
            switch event {
            case .step(let r):
                progress.update("step \(r.step)/\(steps) loss \(rounded(r.loss)) lr \(r.lr)",
                                done: r.step, total: steps, unit: "steps", scale: 1)
            case .evaluation(let e):
                progress.finish()
                writeStderr("step \(e.step): validation loss \(rounded(e.valLoss)) (unigram entropy \(rounded(entropy)))"
                    + groupSuffix(e) + "\n")
            case .checkpoint: break
            }
        }
        progress.finish()
        if let monitorError { throw monitorError }
        var json = JSONLine()
        json.add("steps", trainer.progress.steps)
        json.add("tokens", trainer.progress.tokens)
        if let last = records.last { json.add("loss", rounded(last.loss)) }
        if let lastEval = trainer.lastEvaluation { json.add("val_loss", rounded(lastEval.valLoss)) }
        json.add("unigram_entropy", rounded(entropy))
        json.add("checkpoint", checkpoint)
        print(json.text)
    }

    private func rounded(_ x: Double) -> Double { (x * 1e4).rounded() / 1e4 }

    /// The evaluation line's per-group part: "; lang: en 3.1, fr 3.25" for up to
    /// `maxGroupsShown` groups in all, else a pointer to log.jsonl; empty without groups.
    func groupSuffix(_ e: EvalRecord) -> String {
        guard let fields = e.valGroups, !fields.isEmpty else { return "" }
        guard fields.values.reduce(0, { $0 + $1.count }) <= Self.maxGroupsShown else {
            return "; per-group losses in log.jsonl (val_groups)"
        }
        return fields.sorted { $0.key < $1.key }.map { field, groups in
            "; \(field): " + groups.sorted { $0.key < $1.key }.map { "\($0.key) \(rounded($0.value.loss))" }.joined(separator: ", ")
        }.joined()
    }

    /// The most groups (over all fields) an evaluation line lists.
    static let maxGroupsShown = 8
}
