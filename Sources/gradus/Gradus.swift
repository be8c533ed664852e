// Gradus.swift — the `gradus` command: subcommands only, one file each (DESIGN.md §1–2).

import ArgumentParser
import Linalg

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
    /// it checks that this CPU has the instructions the build was compiled for (`checkCPUFeatures`)
    /// and ends OpenBLAS's idle worker threads (`BLAS.stopIdleThreads`).
    static func main() {
        checkCPUFeatures()
        // OpenBLAS starts its worker threads when it is loaded, and they spin in sched_yield for
        // up to ≈ 0.1 s before sleeping, on any command that runs that long: `gradus verify` of
        // the shipped text index took 0.20–0.24 s of CPU for 0.12–0.15 s of wall, 0.09–0.11 s
        // after this call. The model runs OpenBLAS on one thread (its own threads split the
        // products), and a multithreaded BLAS call starts the pool again.
        BLAS.stopIdleThreads()
        do {
            var command = try parseAsRoot()
            try command.run()
            try StandardOutput.finish()
        } catch {
            exit(withError: error)
        }
    }
}
