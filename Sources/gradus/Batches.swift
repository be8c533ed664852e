// Batches.swift — `gradus batches DIR --config C --steps N`: stream curriculum batches from an
// LMDB index, one record per micro-batch of this rank (issue 4 item 6, spec §6.6), drawn by
// `CurriculumBatchStream`, the same path `gradus train` reads: JSON lines, or the length-prefixed
// binary framing of docs/stream-format.md (`--format binary`, read by tools/python/gradus_stream.py).

import ArgumentParser
import CorpusIndex
import Curriculum
import Foundation
import Storage
import Training

struct Batches: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stream curriculum batches (sample ids, optionally tokens) for one data-parallel rank.",
        discussion: """
        One JSON line per micro-batch of this rank, with the keys step, rank,
        micro_batch, difficulty, post_process, sample_ids and (with --tokens) tokens:
          {"step":s,"rank":r,"micro_batch":j,"difficulty":{...},
           "post_process":null,"sample_ids":[...],"tokens":[[...]]}

        Every rank computes the same global batches; --world only changes the slicing.
        The data ends as DeepSpeed's sampler ends it (data_sampling.num_epochs): after
        ⌊N · num_epochs / (micro batch · world)⌋ + 1 micro-batches over all ranks the
        stream stops with a note on stderr (exit 0), even before --steps.
        seqlen_truncate/seqlen_reshape rows are post-processed as gradus train does
        ("post_process" names it; docs/curriculum.md); --no-sequence-curriculum
        streams the stored samples whole. --held-out-fraction F skips the ids a run
        with validation_fraction F holds out (the ids of an experiment run's
        RUN/heldout.json), drawing the shortfall as gradus train does. --format binary
        writes the framing of docs/stream-format.md instead (header frame, one frame
        per micro-batch, end frame); tools/python/gradus_stream.py reads it.

        Examples:
          gradus batches runs/text.idx --config configs/gpt-cl.json --steps 100
          gradus batches runs/text.idx --config configs/gpt-cl.json --steps 50 \\
            --start-step 100 --tokens
          gradus batches runs/text.idx --config configs/gpt-cl.json --steps 50 \\
            --tokens --no-sequence-curriculum
          gradus batches runs/text.idx --config configs/gpt-cl.json --steps 50 \\
            --save-state s.json
          gradus batches runs/text.idx --config configs/gpt-cl.json --steps 50 \\
            --resume s.json
          gradus batches runs/text.idx --config configs/gpt-cl.json --steps 50 \\
            --tokens --format binary | python3 train.py
        """
    )

    @Argument(help: "Index directory (built by `gradus index`).")
    var index: String

    @OptionGroup var indexOpen: IndexOpenOptions

    @Option(help: "DeepSpeed/Gradus JSON config.")
    var config: String

    @Option(help: "Global batches to stream.")
    var steps: Int

    @Option(help: "This data-parallel rank.")
    var rank = 0

    @Option(help: "Data-parallel world size.")
    var world = 1

    @Option(help: "Skip the first S global batches (drawn, not printed).")
    var startStep: Int?

    @Option(help: "Continue from a state written by --save-state.")
    var resume: String?

    @Flag(help: "Resume even if the state's index or config fingerprint differs.")
    var force = false

    @Option(help: "Write the sampler state here after the last batch.")
    var saveState: String?

    @Flag(help: "Include each row's token ids.")
    var tokens = false

    @Flag(help: "Stream the stored samples whole: do not apply seqlen_truncate/seqlen_reshape (for a trainer that does).")
    var noSequenceCurriculum = false

    @Option(help: "Skip the sample ids a run holds out for validation at this fraction (HeldOutSplit, as gradus train and gradus experiment do; default 0: skip none).")
    var heldOutFraction: Double = 0

    @Option(help: "Output format: jsonl or binary (docs/stream-format.md).")
    var format: StreamFormat = .jsonl

    func validate() throws {
        if steps < 0 { throw ValidationError("--steps must be ≥ 0") }
        if world < 1 || rank < 0 || rank >= world { throw ValidationError("need 0 ≤ --rank < --world") }
        if startStep != nil && resume != nil { throw ValidationError("--start-step and --resume exclude each other") }
        if let startStep, startStep < 0 { throw ValidationError("--start-step must be ≥ 0") }
        if !(heldOutFraction >= 0 && heldOutFraction < 1) { throw ValidationError("--held-out-fraction must be in [0, 1)") }
    }

    func run() throws {
        if let saveState { try checkWritableDirectory(of: saveState) }
        let (cfg, runConfig) = try RunConfig.loadFile(path: config)
        noteDeepSpeedKeys(cfg, path: config)
        let geometry = try cfg.batchGeometry(world: world)
        let idx = try LMDBDifficultyIndex(path: index, options: indexOpen.options)
        let s = runConfig?.sequenceLength ?? idx.reader.manifest.pack
        let shapes = !noSequenceCurriculum && SequencePostProcess.kind(of: cfg.curriculumMetrics.map(\.name)) != nil
        let stream = try CurriculumBatchStream(index: idx, config: cfg, geometry: geometry, rank: rank,
                                               sequenceLength: s,
                                               shapesRows: shapes, vocab: idx.reader.manifest.tokenizer.vocabularySize,
                                               heldOutFraction: heldOutFraction,
                                               groups: heldOutFraction > 0 ? try idx.reader.sampleGroups() : [])
        if let resume {
            // Errors name the state file: decoding, fingerprints and the range check of every field.
            try ConfigFileError.wrapping(resume) {
                try stream.restoreSampler(try SamplerState.decode(try Data(contentsOf: URL(fileURLWithPath: resume))), force: force)
            }
        }
        for _ in 0..<(startStep ?? 0) { _ = try stream.next() }
        let applied = shapes ? stream.kind : nil
        let out = StandardOutput()
        var encoder = BatchStreamEncoder(metricNames: stream.metrics.map(\.name), includesTokens: tokens)
        if format == .binary {
            try out.write(bytes: try encoder.header(rank: rank, geometry: geometry, applied: applied, sequenceLength: shapes ? s : nil))
        }
        // DeepSpeed's end of the data (num_epochs): micro-batches of all ranks served so far, skipped included.
        let perMicroBatch = geometry.microBatchSize * geometry.world
        var served = stream.consumedSamples / perMicroBatch, ended = served >= stream.epochLimitMicroBatches
        stepping: for _ in 0..<(ended ? 0 : steps) {
            let batch = try stream.next()
            for j in 0..<geometry.gradientAccumulationSteps {
                if served >= stream.epochLimitMicroBatches { ended = true; break stepping }
                served += 1
                let rows = try stream.rows(of: batch, microBatch: j, tokens: tokens)
                switch format {
                case .jsonl: try out.write(line(batch, j, rows, applied, stream.metrics) + "\n")
                case .binary:
                    try out.write(bytes: try encoder.batch(step: batch.step, rank: rank, microBatch: j, difficulties: batch.difficulties,
                                                       sampleIDs: rows.sampleIDs,
                                                       rows: tokens ? (rows.width, rows.tokens, rows.lengths) : nil))
                }
            }
        }
        if format == .binary { try out.write(bytes: try encoder.end()) }
        try out.flush()
        if ended || (steps > 0 && served >= stream.epochLimitMicroBatches) {
            writeStderr("note: the curriculum data ended after \(served) micro-batches (\(served * perMicroBatch) samples over all ranks): "
                + "data_efficiency.data_sampling.num_epochs × \(stream.totalSamples / max(1, cfg.dataEfficiency.dataSampling.numEpochs)) "
                + "samples = \(stream.totalSamples), served while at most that many were consumed (DeepSpeed's rule)\n")
        }
        if let saveState {  // temporary file + rename: a symlink at saveState is replaced, never followed
            do { try stream.samplerState().encoded().withUnsafeBytes { try AtomicFile.write($0, to: saveState) } } catch {
                throw InputError("cannot write the sampler state \(saveState): \(error)")
            }
        }
    }

    /// Refuses, before any batch is streamed, a `--save-state` path whose directory is missing or
    /// not writable (issue 14 item 19).
    private func checkWritableDirectory(of path: String) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InputError("--save-state \(path): the directory \(directory) does not exist; create it or choose another path")
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw InputError("--save-state \(path): the directory \(directory) is not writable; choose another path")
        }
    }

    private func line(_ b: GlobalBatch, _ j: Int, _ rows: StreamRows, _ applied: SequenceCurriculumKind?,
                      _ metrics: [CurriculumMetricConfig]) -> String {
        var json = JSONLine()
        json.add("step", b.step)
        json.add("rank", rank)
        json.add("micro_batch", j)
        let d = zip(metrics, b.difficulties).map { "\(quote($0.name)):\(formatDifficulty($1, integral: $0.pacing.isIntegral))" }
        json.addRaw("difficulty", "{" + d.joined(separator: ",") + "}")
        json.addRaw("post_process", applied.map { quote($0.rawValue) } ?? "null")
        json.addRaw("sample_ids", "[" + rows.sampleIDs.map(String.init).joined(separator: ",") + "]")
        if tokens {
            let text = rows.lengths.indices.map { i in
                "[" + rows.tokens[(i * rows.width)..<(i * rows.width + rows.lengths[i])].map(String.init).joined(separator: ",") + "]"
            }
            json.addRaw("tokens", "[" + text.joined(separator: ",") + "]")
        }
        return json.text
    }
}

/// `gradus batches --format`.
enum StreamFormat: String, ExpressibleByArgument, CaseIterable {
    case jsonl
    case binary
}
