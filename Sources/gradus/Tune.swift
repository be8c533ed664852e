// Tune.swift — `gradus tune SEARCH --index DIR --out DIR [--confirm-index DIR] [--jobs N] [--resume]`
// (issue 18): successive halving over a search file's candidate schedules, each rung an
// experiment matrix, then the winner confirmed with fresh seeds on a second held-out split (or a
// second index); writes OUT/report.md, OUT/winner.json and OUT/plots. The work is
// `Experiments.TuneRunner` and `Experiments.TuneReport`; this file only handles arguments.

import ArgumentParser
import Experiments
import Foundation
import Storage
import Support

struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search curriculum / random-LTD schedules by successive halving and confirm the winner.",
        discussion: """
        The search file names an experiment matrix (baseline, seeds, validation, as
        for gradus experiment), the variant candidates start from, a space over config
        key paths ({"int": [lo, hi]}, {"float": [lo, hi], "log": true}, {"choice":
        [...]}), the number of candidates, eta and the rungs' min/max budgets in
        tokens. Every candidate's config is checked by gradus train's parser before
        anything trains. Rung K (OUT/rung-K, an experiment directory) runs the
        surviving candidates and the baseline; the best ceil(n/eta) by mean final
        held-out loss go on. The winner and the baseline then rerun at the max budget
        with fresh seeds on a second held-out split (or --confirm-index) in
        OUT/confirm.

        Writes OUT/report.md (search table, confirmed saving with its seed range),
        OUT/winner.json (the winner's run config; its data_efficiency block is
        DeepSpeed's format) and OUT/plots. --resume after an interruption (Ctrl-C,
        SIGTERM, kill -9) continues where it stopped. Search file format and the
        limits of proxy-scale tuning: docs/evaluation.md, "Finding a schedule: gradus
        tune".

        Examples:
          gradus tune configs/tune-demo.json --index runs/text.idx --out runs/tune
          gradus tune configs/tune-demo.json --index runs/text.idx --out runs/tune \\
            --resume
        """
    )

    @Argument(help: "Search file (JSON): matrix, variant, space, candidates, eta, budget, seed, confirm.")
    var search: String

    @Option(help: "Complete index directory (from gradus index).")
    var index: String

    @Option(help: "Confirm the winner on this index instead of a second held-out split of --index.")
    var confirmIndex: String?

    @OptionGroup var indexOpen: IndexOpenOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(help: "Output directory (created if missing).")
    var out: String

    @OptionGroup var jobOptions: JobOptions

    @Flag(help: "Continue an interrupted search in OUT.")
    var resume = false

    func run() throws {
        let parsed = try TuneSearch.load(path: search)
        try warnOfUnwrittenMonitors(parsed.matrix, file: search)
        noteNarrowBLASKernels()
        var runner = TuneRunner(search: parsed, indexPath: index, outputPath: out, jobs: jobOptions.jobs,
                                threads: jobOptions.totalThreads, resume: resume)
        runner.confirmIndexPath = confirmIndex
        runner.indexOptions = indexOpen.options
        runner.stopRequested = { StopSignal.pending != nil }
        runner.progressInterval = isatty(2) != 0 ? nil : ProgressLine.logInterval
        runner.stopSignal = { StopSignal.pending }
        runner.gradusExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let lock = try DirectoryLock(directory: out)  // creates OUT; one search per directory
        defer { withExtendedLifetime(lock) {} }
        let h = parsed.halving
        writeStderr("tune: \(parsed.candidateCount) candidates, eta \(parsed.eta), \(h.budgets.count) rungs ("
            + zip(h.sizes, h.budgets).map { "\($0) × \($1) tokens" }.joined(separator: ", ") + ") + baseline at each, "
            + "\(parsed.matrix.seeds.count) seeds; confirmation with \(parsed.confirmSeeds.count) fresh seeds; \(jobOptions.jobs) run(s) at a time\n")
        let outcome = try StopSignal.stoppable(message: "tune stopped; the interrupted runs are checkpointed: run the same command with --resume to continue") {
            try runner.run(log: { writeStderr($0 + "\n") })
        }
        let report = try TuneReport.write(outcome, search: parsed, indexPath: index, directory: out)
        let saving = TuneReport.confirmedSaving(outcome)
        var json = JSONLine()
        json.add("winner", outcome.winner.name)
        json.add("winner_config", out + "/winner.json")
        if let s = saving.saving { json.add("confirmed_saving", s) }
        json.add("report", report)
        print(json.text)
    }
}
