// Train.swift — `gradus train CONFIG --index DIR --out RUN`: trains the config's model on a
// complete index with uniform shuffling and a held-out split chosen by sample-id hash (issue 5
// §4). Curriculum batches replace the uniform source once the curriculum sampler lands; the
// loop itself lives in `Training.Trainer`.

import ArgumentParser
import Corpus
import CorpusIndex
import Foundation
import Linalg
import Model
import Training

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the config's model on an index (uniform shuffling; held-out split by sample id).",
        discussion: """
        Writes RUN/config.json (the resolved config), RUN/log.jsonl (one line per step and per
        evaluation) and RUN/checkpoint.bin (atomically replaced). --resume continues from the
        checkpoint bit-identically (same config, same index, same thread count).

        Examples:
          gradus index corpora/*.jsonl.zst --tokenizer corpora/tokenizer.json --pack 256 --out runs/text.idx
          gradus train configs/small-text.json --index runs/text.idx --out runs/base
          gradus train configs/small-text.json --index runs/text.idx --out runs/base --resume --steps 4000
        """
    )

    @Argument(help: "Run config (JSON with a gradus.model / gradus.train block).")
    var config: String

    @Option(help: "Complete index directory (from gradus index).")
    var index: String

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
        var run = try GradusConfig.load(path: config)
        if let steps { run.train.steps = steps }
        let n = threads ?? availableCores
        BLAS.setThreads(n)
        ModelThreads.count = n
        let reader = try IndexReader(path: index)
        try check(run, reader)
        let (training, heldOut) = HeldOutSplit.split(count: reader.sampleCount, fraction: run.train.validationFraction)
        let T = run.sequenceLength, B = run.train.batchSize, V = run.model.vocab
        let source = try IndexBatchSource(reader: reader, ids: training, batchSize: B, length: T, vocab: V,
                                          seed: run.train.seed, shuffle: true)
        let validation = heldOut.isEmpty ? nil : try IndexBatchSource(
            reader: reader, ids: heldOut, batchSize: B, length: T, vocab: V, seed: 0, shuffle: false)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let checkpoint = out + "/checkpoint.bin"
        if !resume && FileManager.default.fileExists(atPath: checkpoint) {
            throw TrainingError.invalidConfig(["\(out) already holds a checkpoint; pass --resume to continue it or choose another --out"])
        }
        try writeResolved(run)
        let log = try RunLog(path: out + "/log.jsonl")
        let trainer = resume
            ? try Trainer(resumingFrom: checkpoint, config: run, source: source, heldOut: validation, log: log)
            : try Trainer(config: run, source: source, heldOut: validation, log: log)
        let entropy = try reader.unigramEntropy()
        writeStderr("model: \(trainer.model.parameterCount) parameters; \(B)×\(T) tokens a step; "
            + "\(training.count) training / \(heldOut.count) held-out samples; unigram entropy \(rounded(entropy)) nats\n")
        try loop(trainer, checkpoint: checkpoint, entropy: entropy)
    }

    /// Runs the trainer with a progress line, evaluation lines, and a closing JSON summary.
    private func loop(_ trainer: Trainer, checkpoint: String, entropy: Double) throws {
        let progress = ProgressLine()
        var last: StepRecord?, lastEval: EvalRecord?
        _ = try trainer.train(checkpointPath: checkpoint) { event in
            switch event {
            case .step(let r):
                last = r
                progress.update("step \(r.step)/\(trainer.config.train.steps) loss \(rounded(r.loss)) lr \(r.lr)",
                                done: r.step, total: trainer.config.train.steps, unit: "steps", scale: 1)
            case .evaluation(let e):
                lastEval = e
                progress.finish()
                writeStderr("step \(e.step): validation loss \(rounded(e.valLoss)) (unigram entropy \(rounded(entropy)))\n")
            case .checkpoint: break
            }
        }
        progress.finish()
        if lastEval?.step != trainer.progress.steps { lastEval = try trainer.evaluate() }
        var json = JSONLine()
        json.add("steps", trainer.progress.steps)
        json.add("tokens", trainer.progress.tokens)
        if let last { json.add("loss", rounded(last.loss)) }
        if let lastEval { json.add("val_loss", rounded(lastEval.valLoss)) }
        json.add("unigram_entropy", rounded(entropy))
        json.add("checkpoint", checkpoint)
        print(json.text)
    }

    /// Refuses an index the config cannot train on, saying why.
    private func check(_ run: GradusConfig, _ reader: IndexReader) throws {
        let m = reader.manifest
        var problems: [String] = []
        if m.tokenizer.vocabularySize > run.model.vocab {
            problems.append("the index's vocabulary (\(m.tokenizer.vocabularySize), \(m.tokenizer.name)) exceeds the model's vocab (\(run.model.vocab))")
        }
        if let pack = m.pack, pack < run.sequenceLength {
            problems.append("sequence length \(run.sequenceLength) exceeds the index's packed samples (\(pack + 1) tokens give \(pack) positions); "
                + "lower seq_length/context or re-index with --pack \(run.sequenceLength)")
        }
        if reader.sampleCount == 0 { problems.append("the index holds no samples") }
        if !problems.isEmpty { throw TrainingError.invalidConfig(problems) }
    }

    private func writeResolved(_ run: GradusConfig) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        struct File: Encodable { let gradus: GradusConfig }
        try encoder.encode(File(gradus: run)).write(to: URL(fileURLWithPath: out + "/config.json"))
    }

    private func rounded(_ x: Double) -> Double { (x * 1e4).rounded() / 1e4 }
}
