// Batches.swift — `gradus batches DIR --config C --steps N`: stream curriculum batches from an
// LMDB index, one record per micro-batch of this rank (issue 4 item 6, spec §6.6): JSON lines, or
// the length-prefixed binary framing of docs/stream-format.md (`--format binary`, read by
// tools/python/gradus_stream.py).

import ArgumentParser
import CorpusIndex
import Curriculum
import Foundation
import Training

struct Batches: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stream curriculum batches (sample ids, optionally tokens) for one data-parallel rank.",
        discussion: """
        One JSON line per micro-batch of this rank:
          {"step":s,"rank":r,"micro_batch":j,"difficulty":{...},"sample_ids":[...],"tokens":[[...]]}
        Every rank computes the same global batches; --world only changes the slicing.
        --format binary writes the framing of docs/stream-format.md instead (header frame,
        one frame per micro-batch, end frame); tools/python/gradus_stream.py reads it.

        Examples:
          gradus batches runs/text.idx --config configs/cl.json --steps 100
          gradus batches runs/text.idx --config configs/cl.json --steps 50 --rank 1 --world 4 --tokens
          gradus batches runs/text.idx --config configs/cl.json --steps 50 --save-state s.json
          gradus batches runs/text.idx --config configs/cl.json --steps 50 --resume s.json
          gradus batches runs/text.idx --config configs/cl.json --steps 50 --tokens --format binary | python3 train.py
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

    @Flag(help: "Include each sample's token ids.")
    var tokens = false

    @Option(help: "Output format: jsonl or binary (docs/stream-format.md).")
    var format: StreamFormat = .jsonl

    func validate() throws {
        if steps < 0 { throw ValidationError("--steps must be ≥ 0") }
        if world < 1 || rank < 0 || rank >= world { throw ValidationError("need 0 ≤ --rank < --world") }
        if startStep != nil && resume != nil { throw ValidationError("--start-step and --resume exclude each other") }
        if let startStep, startStep < 0 { throw ValidationError("--start-step must be ≥ 0") }
    }

    func run() throws {
        let cfg = try RunConfig.loadFile(path: config).file
        let geometry = try cfg.batchGeometry(world: world)
        let idx = try LMDBDifficultyIndex(path: index, options: indexOpen.options)
        var sampler = try CurriculumSampler(index: idx, config: cfg, globalBatchSize: geometry.globalBatchSize)
        if let resume {
            try sampler.restore(try SamplerState.decode(try Data(contentsOf: URL(fileURLWithPath: resume))), force: force)
        }
        let pacedByTokens = cfg.curriculumMetrics.contains { $0.pacing.stepUnit == .tokens }
        var consumedTokens = 0.0
        for _ in 0..<(startStep ?? 0) {
            let b = try sampler.nextGlobalBatch(consumedTokens: consumedTokens)
            if pacedByTokens { consumedTokens += try tokenCount(b.sampleIDs, idx.reader) }
        }
        let out = StandardOutput()
        var encoder = BatchStreamEncoder(metricNames: sampler.metrics.map(\.name), includesTokens: tokens)
        if format == .binary { out.write(bytes: try encoder.header(rank: rank, geometry: geometry)) }
        for _ in 0..<steps {
            let batch = try sampler.nextGlobalBatch(consumedTokens: consumedTokens)
            if pacedByTokens { consumedTokens += try tokenCount(batch.sampleIDs, idx.reader) }
            for j in 0..<geometry.gradientAccumulationSteps {
                let ids = Array(batch.microBatch(j, rank: rank, geometry: geometry))
                switch format {
                case .jsonl: out.write(try line(batch, j, ids, sampler.metrics, idx.reader) + "\n")
                case .binary:
                    let rows = tokens ? try ids.map { try idx.reader.tokens(of: Int($0)) ?? [] } : nil
                    out.write(bytes: try encoder.batch(step: batch.step, rank: rank, microBatch: j, difficulties: batch.difficulties,
                                                       sampleIDs: ids, tokens: rows))
                }
            }
        }
        if format == .binary { out.write(bytes: try encoder.end()) }
        out.flush()
        if let saveState { try sampler.state().encoded().write(to: URL(fileURLWithPath: saveState)) }
    }

    private func tokenCount(_ ids: [UInt64], _ reader: IndexReader) throws -> Double {
        try ids.reduce(0.0) { $0 + Double(try reader.tokens(of: Int($1))?.count ?? 0) }
    }

    private func line(_ b: GlobalBatch, _ j: Int, _ ids: [UInt64], _ metrics: [CurriculumMetricConfig],
                      _ reader: IndexReader) throws -> String {
        var json = JSONLine()
        json.add("step", b.step)
        json.add("rank", rank)
        json.add("micro_batch", j)
        let d = zip(metrics, b.difficulties).map { "\(quote($0.name)):\(formatDifficulty($1, integral: $0.pacing.isIntegral))" }
        json.addRaw("difficulty", "{" + d.joined(separator: ",") + "}")
        json.addRaw("sample_ids", "[" + ids.map(String.init).joined(separator: ",") + "]")
        if tokens {
            let rows = try ids.map { id -> String in
                let t = try reader.tokens(of: Int(id)) ?? []
                return "[" + t.map(String.init).joined(separator: ",") + "]"
            }
            json.addRaw("tokens", "[" + rows.joined(separator: ",") + "]")
        }
        return json.text
    }
}

/// `gradus batches --format`.
enum StreamFormat: String, ExpressibleByArgument, CaseIterable {
    case jsonl
    case binary
}
