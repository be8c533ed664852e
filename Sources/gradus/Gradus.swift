// Gradus.swift — the `gradus` command: subcommands only, one file each (DESIGN.md §1–2).

import ArgumentParser

@main
struct Gradus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradus",
        abstract: "Data-efficient language-model pretraining: index corpora, pace curricula, train with random-LTD.",
        discussion: """
        Examples:
          gradus scan corpora/*.jsonl.zst --tokenizer corpora/tokenizer.json
          echo "Hello, world" | gradus tokenize --tokenizer corpora/tokenizer.json
          gradus bench tokenize
          gradus train configs/small-text.json --index runs/text.idx --out runs/base
          gradus experiment configs/demo-matrix.json --index runs/text.idx \\
            --out runs/demo
        """,
        version: gradusVersion,
        subcommands: [Scan.self, Tokenize.self, Index.self, Merge.self, Info.self, Dump.self, Verify.self, MetricCommand.self, Export.self, Schedule.self, Batches.self, Train.self, Experiment.self, Tune.self, ReportCommand.self, Bench.self]
    )

    /// Runs the chosen subcommand, then checks that all its output reached standard output
    /// (`StandardOutput.finish`), so a full disk or a failing pipe is a non-zero exit. First of all
    /// it checks that this CPU has the instructions the build was compiled for (`checkCPUFeatures`).
    static func main() {
        checkCPUFeatures()
        do {
            var command = try parseAsRoot()
            try command.run()
            try StandardOutput.finish()
        } catch {
            exit(withError: error)
        }
    }
}
