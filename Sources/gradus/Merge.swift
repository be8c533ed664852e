// Merge.swift — `gradus merge`: combine `gradus index --shard I/N` outputs into one index, in one
// process or as the stages a scheduler runs (plan, metrics per shard, finish; docs/scaling.md).

import ArgumentParser
import Corpus
import CorpusIndex
import Support

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge the shards of `gradus index --shard I/N` into one index (moving no tokens).",
        discussion: """
        The result is identical in content to indexing all inputs in one process
        (docs/scaling.md). The merged index reads its tokens from the shards' token
        files: keep the shard directories. `gradus merge SHARDS --out OUT` runs the
        three stages below in one process; on a cluster run them as jobs
        (tools/slurm/index.sh does):

          gradus merge plan runs/c.shard-*.idx \\
            --out runs/c.idx    # one job: place samples, sum counts
          gradus merge metrics runs/c.idx \\
            --shard I                # one job per shard: its metric values
          gradus merge finish runs/c.idx                           # one job: docs, \\
            order tables, complete

        Example:
          gradus merge runs/shard-*.idx --out runs/corpus.idx
        """,
        subcommands: [All.self, Plan.self, Metrics.self, Finish.self],
        defaultSubcommand: All.self
    )

    /// All stages in one process.
    struct All: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "all", abstract: "Plan, compute every shard's metrics and finish, in one process.")

        @Argument(help: "Shard index directories (all N of them).")
        var shards: [String]

        @Option(help: "Output index directory.")
        var out: String

        @Option(help: "Threads for the metrics and the order tables (default: all cores).")
        var threads: Int?

        @Flag(help: "Replace an index that already exists in --out.")
        var force = false

        @Flag(help: "Copy the shards' tokens into --out instead of reading them from the shards' token files.")
        var copy = false

        @OptionGroup var progressOptions: ProgressOptions

        func run() throws {
            let start = ProgressLine()
            let m = try IndexMerge.merge(shards: shards, output: out, mode: force ? .force : .create,
                                         threads: threads ?? availableCores, commandLine: CommandLine.arguments, copyTokens: copy,
                                         onPhase: { TestHooks.current.abortIfPhase($0) })
            writeStderr("merged \(shards.count) shards: \(m.counts.samples) samples, \(m.counts.tokens) tokens in \(format1(start.elapsed)) s -> \(out)\n")
        }
    }

    /// Stage 1.
    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stage 1: check the shards, place every input's samples, sum their token counts into --out.")

        @Argument(help: "Shard index directories (all N of them).")
        var shards: [String]

        @Option(help: "Output index directory.")
        var out: String

        @Flag(help: "Replace an index or a merge that already exists in --out.")
        var force = false

        @Flag(help: "Have `merge finish` copy the shards' tokens into --out (then the shards can be removed).")
        var copy = false

        func run() throws {
            let start = ProgressLine()
            let plan = try IndexMerge.plan(shards: shards, output: out, mode: force ? .force : .create, commandLine: CommandLine.arguments,
                                           copyTokens: copy)
            let samples = plan.pieces.reduce(0) { $0 + $1.samples }
            writeStderr("planned the merge of \(plan.shards.count) shards (\(samples) samples in \(plan.pieces.count) input pieces) in \(format1(start.elapsed)) s -> \(out); "
                + "next: gradus merge metrics \(out) --shard I (I = 0…\(plan.shards.count - 1)), then gradus merge finish \(out)\n")
        }
    }

    /// The merge output and threads of stages 2 and 3.
    struct StageArguments: ParsableArguments {
        @Argument(help: "The merge output directory (after `gradus merge plan`).")
        var out: String

        @Option(help: "Threads (default: all cores).")
        var threads: Int?

        @OptionGroup var progressOptions: ProgressOptions
    }

    /// Stage 2, one shard.
    struct Metrics: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stage 2: compute the metrics of one shard's samples with the corpus counts of the plan.")

        @OptionGroup var stage: StageArguments

        @Option(help: "The shard (0-based index into the plan's shards; in a Slurm array, $SLURM_ARRAY_TASK_ID).")
        var shard: Int

        func run() throws {
            let start = ProgressLine()
            try IndexMerge.metrics(output: stage.out, shard: shard, threads: stage.threads ?? availableCores,
                                   onPhase: { TestHooks.current.abortIfPhase($0) },
                                   progress: { done, total in
                                       start.update("metrics of shard \(shard): \(done) of \(total) samples", done: done, total: total,
                                                    unit: "k samples", scale: 1e3)
                                   })
            start.finish()
            writeStderr("computed the metrics of shard \(shard) in \(format1(start.elapsed)) s -> \(stage.out)\n")
        }
    }

    /// Stage 3.
    struct Finish: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stage 3: docs, metric and order tables from every shard's values; mark the index complete.")

        @OptionGroup var stage: StageArguments

        func run() throws {
            let start = ProgressLine()
            let m = try IndexMerge.finish(output: stage.out, threads: stage.threads ?? availableCores,
                                          onPhase: { phase in
                                              TestHooks.current.abortIfPhase(phase)
                                              start.status("finish: \(phase)")
                                          })
            start.finish()
            writeStderr("merged: \(m.counts.samples) samples, \(m.counts.tokens) tokens in \(format1(start.elapsed)) s -> \(stage.out)\n")
        }
    }
}
