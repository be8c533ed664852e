// Schedule.swift — `gradus schedule CONFIG --steps N`: preview every pacing function of a
// DeepSpeed/Gradus config per step before committing compute (issue 4 item 5, spec §2, §9.1).
// With --index, also the admitted pool per metric and in total, the coverage, and a warning when
// the pool is smaller than one global batch (Curriculum.PoolPreview). When the config has a
// gradus.train block, also the learning rate of each step (Training.LearningRatePreview).

import ArgumentParser
import CorpusIndex
import Curriculum
import Foundation
import Training

struct Schedule: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Preview each curriculum metric's difficulty and the random-LTD reserved length per step.",
        discussion: """
        Step s counts global batches as DeepSpeed's sampler does (1 for the first
        batch); each difficulty is exactly DeepSpeed 0.19.8's get_difficulty(s).
        random_ltd is the reserved length while training on batch s
        (engine.global_steps = s - 1). With --index DIR, each step s ≥ 1 also shows
        the pool: per metric the samples its difficulty admits (pool:<metric>), the
        samples all metrics admit together (pool, what the sampler draws from), and
        coverage, the expected passes over the pool so far. A warning goes to stderr
        when the pool is smaller than train_batch_size (DeepSpeed starvation). When
        the config has gradus.model / gradus.train, lr is the learning rate gradus
        train uses on batch s (its warmup/decay counters after s steps, tokens
        shortened by seqlen_truncate).

        Examples:
          gradus schedule configs/gpt-cl.json --steps 2000 --every 100
          gradus schedule configs/gpt-ltd.json --steps 10 --json
          gradus schedule configs/gpt-cl.json --steps 2000 --every 100 \\
            --index runs/text.idx
        """
    )

    @Argument(help: "DeepSpeed/Gradus JSON config.")
    var config: String

    @Option(help: "Last step to print (steps 0...N).")
    var steps: Int

    @Option(help: "Print every K-th step (the last step is always printed).")
    var every = 1

    @Option(help: "Tokens per global batch, for curricula paced by tokens (gradus.curriculum.step_unit).")
    var tokensPerStep: Double?

    @Option(help: "Index directory: also print the admitted pool per step.")
    var index: String?

    @OptionGroup var indexOpen: IndexOpenOptions

    @Flag(help: "JSON lines: {\"step\": s, \"difficulty\": {...}, \"random_ltd\": r}.")
    var json = false

    func validate() throws {
        if steps < 0 { throw ValidationError("--steps must be ≥ 0") }
        if every < 1 { throw ValidationError("--every must be ≥ 1") }
    }

    func run() throws {
        let (parsed, run) = try RunConfig.loadFile(path: config)
        noteDeepSpeedKeys(parsed, path: config)
        var rates = try run.map { try LearningRatePreview(config: $0) }
        let preview = try SchedulePreview(config: parsed, tokensPerStep: tokensPerStep)
        var pools = try index.map { path in
            try PoolPreview(index: try LMDBDifficultyIndex(path: path, options: indexOpen.options), metrics: parsed.curriculumMetrics,
                            globalBatchSize: try parsed.batchGeometry(world: 1).globalBatchSize, tokensPerStep: tokensPerStep)
        }
        let out = StandardOutput()
        let first = preview.row(step: 0)
        if !json {
            let poolColumns = pools == nil ? [] : first.difficulties.prefix(parsed.curriculumMetrics.count).map { "pool:\($0.name)" } + ["pool", "coverage"]
            try out.write((["step"] + first.difficulties.map(\.name) + (first.reservedLength == nil ? [] : ["random_ltd"])
                + (rates == nil ? [] : ["lr"]) + poolColumns)
                .joined(separator: "\t") + "\n")
        }
        let printed = Set(stride(from: 0, through: steps, by: every).map { $0 } + [steps])
        var starved: [Int] = []
        for s in 0...steps {
            let pool = s == 0 ? nil : try pools?.next()
            if let pool, pool.starved { starved.append(s) }
            let row = preview.row(step: s)
            let lr = s == 0 ? nil : rates?.next(difficulties: Dictionary(row.difficulties.map { ($0.name, $0.value) }) { a, _ in a })
            guard printed.contains(s) else { continue }
            try out.write((json ? jsonLine(row, pool, lr: lr) : textLine(row, pool, lr: rates == nil ? nil : .some(lr),
                                                                      placeholders: pools == nil ? 0 : parsed.curriculumMetrics.count + 2)) + "\n")
        }
        try out.flush()
        if let pools, let warning = PoolPreview<LMDBDifficultyIndex>.starvationWarning(starvedSteps: starved, globalBatchSize: pools.globalBatchSize) {
            writeStderr("warning: " + warning + "\n")
        }
    }

    private func jsonLine(_ row: PreviewRow, _ pool: PoolRow?, lr: Double?) -> String {
        var line = JSONLine()
        line.add("step", row.step)
        line.addRaw("difficulty", "{" + row.difficulties.map { "\(quote($0.name)):\($0.text)" }.joined(separator: ",") + "}")
        if let r = row.reservedLength { line.add("random_ltd", r) }
        if let lr { line.add("lr", lr) }
        if let pool {
            let names = row.difficulties.prefix(pool.perMetric.count).map(\.name)
            line.addRaw("pool", "{" + zip(names, pool.perMetric).map { "\(quote($0)):\($1)" }.joined(separator: ",") + "}")
            line.add("pool_total", pool.total)
            line.add("coverage", (pool.coverage * 1e4).rounded() / 1e4)
            line.add("starved", pool.starved)
        }
        return line.text
    }

    /// `lr` is nil without a train block, .some(nil) at step 0 (no batch yet).
    private func textLine(_ row: PreviewRow, _ pool: PoolRow?, lr: Double??, placeholders: Int) -> String {
        var cells = [String(row.step)] + row.difficulties.map(\.text) + (row.reservedLength.map { [String($0)] } ?? [])
        if let lr { cells.append(lr.map { String(format: "%.6g", $0) } ?? "-") }
        if let pool {
            cells += pool.perMetric.map(String.init) + [String(pool.total) + (pool.starved ? "!" : ""),
                                                         String(format: "%.3f", pool.coverage)]
        } else {
            cells += Array(repeating: "-", count: placeholders)
        }
        return cells.joined(separator: "\t")
    }
}
