// Experiment.swift — `gradus experiment MATRIX --index DIR --out DIR [--jobs N] [--resume]`
// (issue 7): runs every (variant, seed) of a matrix file at its equal budget on one index with a
// fixed held-out split, writes OUT/results.jsonl and OUT/report.md with its plots. The work is
// `Experiments.ExperimentRunner` and `Experiments.Report`; this file only handles arguments.

import ArgumentParser
import Corpus
import Experiments
import Foundation
import Storage
import Support
import Training

struct Experiment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a variants × seeds matrix at an equal budget and write results.jsonl, report.md and plots.",
        discussion: """
        Each run trains in OUT/runs/VARIANT-seedSEED (config.json, log.jsonl,
        checkpoint.bin at every evaluation, result.json when finished). --resume skips
        finished runs and resumes interrupted ones from their checkpoints; it refuses
        an OUT made by a different matrix or on an index of other content
        (OUT/matrix.json records the index's content fingerprint). OUT is locked while
        the experiment runs. Ctrl-C or SIGTERM checkpoints the running runs and exits
        130/143; continue with --resume. A matrix or variant "trainer": {"command":
        [...]} runs your own trainer instead of the built-in one: it gets RUN/run.json
        (config, index, budget, evaluation grid, held-out ids in RUN/heldout.json, the
        gradus executable; path in $GRADUS_RUN), writes RUN/log.jsonl in the
        documented schema and its own checkpoints; its output goes to RUN/trainer.log,
        and --resume reruns it in the same run directory. Example:
        tools/python/examples/train_gpt.py. Matrix format, the trainer hand-over and
        log schema, and the statistics: docs/evaluation.md.

        Examples:
          gradus experiment configs/demo-matrix.json --index runs/text.idx \\
            --out runs/demo
          gradus experiment configs/ablation.json --index runs/text.idx \\
            --out runs/ablation --jobs 2
          gradus experiment configs/ablation.json --index runs/text.idx \\
            --out runs/ablation --resume
        """
    )

    @Argument(help: "Matrix file (JSON): base config, variants, seeds, budget, evaluation, validation.")
    var matrix: String

    @Option(help: "Complete index directory (from gradus index).")
    var index: String

    @OptionGroup var indexOpen: IndexOpenOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(help: "Output directory (created if missing).")
    var out: String

    @OptionGroup var jobOptions: JobOptions

    @Flag(help: "Continue an interrupted experiment in OUT.")
    var resume = false

    func run() throws {
        let parsed = try ExperimentMatrix.load(path: matrix)
        try warnOfUnwrittenMonitors(parsed, file: matrix)
        noteNarrowBLASKernels()
        var runner = ExperimentRunner(matrix: parsed, indexPath: index, outputPath: out, jobs: jobOptions.jobs,
                                      threads: jobOptions.totalThreads, resume: resume)
        runner.indexOptions = indexOpen.options
        runner.stopRequested = { StopSignal.pending != nil }
        runner.progressInterval = isatty(2) != 0 ? nil : ProgressLine.logInterval  // evaluation lines suffice on a terminal
        runner.stopSignal = { StopSignal.pending }  // forwarded to external trainers (issue 17 item 1)
        runner.gradusExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let lock = try DirectoryLock(directory: out)  // creates OUT; one experiment per directory (issue 14 item 11)
        defer { withExtendedLifetime(lock) {} }
        let runs = parsed.variants.count * parsed.seeds.count
        writeStderr("experiment: \(parsed.variants.count) variants × \(parsed.seeds.count) seeds = \(runs) runs, "
            + "budget \(parsed.budget.text) each, \(jobOptions.jobs) at a time\n")
        _ = try StopSignal.stoppable(message: "experiment stopped; the interrupted runs are checkpointed: run the same command with --resume to continue") {
            try runner.run(log: { writeStderr($0 + "\n") })
        }
        let report = try Report.generate(directory: out)
        var json = JSONLine()
        json.add("runs", runs)
        json.add("results", out + "/results.jsonl")
        json.add("report", report)
        print(json.text)
    }
}

/// The one warning, per matrix rather than per run, naming the monitors its configs enable that
/// gradus does not write (wandb, comet; also used by `gradus tune` for its search's matrix).
func warnOfUnwrittenMonitors(_ matrix: ExperimentMatrix, file: String) throws {
    let unwritten = try matrix.unwrittenMonitors()
    guard !unwritten.isEmpty else { return }
    writeStderr("warning: \(file): the configs enable \(unwritten.joined(separator: " and ")), which gradus does not write; "
        + "each run's metrics are in its log.jsonl (and the tensorboard / csv_monitor files where those are enabled)\n")
}
