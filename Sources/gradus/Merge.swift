// Merge.swift — `gradus merge`: combine `gradus index --shard I/N` outputs into one index.

import ArgumentParser
import Corpus
import CorpusIndex

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge the shards of `gradus index --shard I/N` into one index.",
        discussion: """
        The result is identical in content to indexing all inputs in one process (docs/scaling.md).

        Example:
          gradus merge runs/shard-*.idx --out runs/corpus.idx
        """
    )

    @Argument(help: "Shard index directories (all N of them).")
    var shards: [String]

    @Option(help: "Output index directory.")
    var out: String

    @Option(help: "Threads for pass 2 (default: all cores).")
    var threads: Int?

    @Flag(help: "Replace an index that already exists in --out.")
    var force = false

    func run() throws {
        let start = ProgressLine()
        let m = try IndexMerge.merge(shards: shards, output: out, mode: force ? .force : .create,
                                     threads: threads ?? availableCores, commandLine: CommandLine.arguments,
                                     onPhase: { TestHooks.current.abortIfPhase($0) })
        writeStderr("merged \(shards.count) shards: \(m.counts.samples) samples, \(m.counts.tokens) tokens in \(format1(start.elapsed)) s -> \(out)\n")
    }
}
