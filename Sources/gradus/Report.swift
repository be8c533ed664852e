// Report.swift — `gradus report DIR` (issue 7 §3): regenerates DIR/report.md and DIR/plots from
// DIR/results.jsonl without retraining (after editing nothing but, say, the baseline choice in
// DIR/matrix.json, or to get the report of an experiment copied from another machine).

import ArgumentParser
import Experiments
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Regenerate report.md and its plots from an experiment's results.jsonl.",
        discussion: """
        On an index with sample groups the report adds, per group field, a table of
        the final validation loss and tokens-to-target per group and variant, flagging
        a variant that ends worse than the baseline on a group, and a per-group plot
        (docs/evaluation.md).

        Examples:
          gradus report runs/demo
        """
    )

    @Argument(help: "Experiment output directory (holds results.jsonl).")
    var directory: String

    func run() throws {
        let path = try Report.generate(directory: directory)
        var json = JSONLine()
        json.add("report", path)
        print(json.text)
    }
}
