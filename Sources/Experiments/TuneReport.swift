// TuneReport.swift — the output of `gradus tune` (issue 18 §3–4): OUT/report.md (the settings,
// the search table — every candidate, its values, each rung's loss and tokens-to-target, promoted
// or not — and the confirmation with its saving and seed range, saying plainly when it does not
// reproduce the search's ranking), OUT/winner.json (the winner's whole run config, whose
// `data_efficiency` block is the schedule found) and the plots under OUT/plots through the
// experiment report's plot code (SVG and PNG).

import Foundation
import Support

/// Writes the report of a finished search.
package enum TuneReport {
    /// Writes OUT/report.md, OUT/winner.json and OUT/plots/*; returns the report's path.
    /// - Throws: `ExperimentError.io` / `.plot`.
    @discardableResult
    package static func write(_ outcome: TuneOutcome, search: TuneSearch, indexPath: String, directory: String) throws -> String {
        let winnerConfig = search.matrix.runConfig(variant: search.variant(outcome.winner), seed: search.matrix.seeds[0])
        try writeAtomically(Data((winnerConfig.prettyText + "\n").utf8), to: directory + "/winner.json")
        let plots = try writePlots(outcome, search: search, directory: directory + "/plots")
        let text = markdown(outcome, search: search, indexPath: indexPath, plots: plots)
        let path = directory + "/report.md"
        try writeAtomically(Data(text.utf8), to: path)
        return path
    }

    /// The confirmed saving: the winner's data saving (mean curves) and its range over the winner's
    /// seeds (the baseline's tokens-to-target over each seed's own), with the seeds that never reach
    /// the target.
    package struct ConfirmedSaving: Equatable, Sendable {
        /// Baseline tokens-to-target / the winner's, on the mean curves; nil when either never reaches it.
        package var saving: Double?
        /// The lowest and highest per-seed saving; nil when no winner seed reaches the target.
        package var range: (low: Double, high: Double)?
        /// The winner's seeds whose curve never reaches the target.
        package var unreached: [UInt64]
        package static func == (a: Self, b: Self) -> Bool {
            a.saving == b.saving && a.range?.low == b.range?.low && a.range?.high == b.range?.high && a.unreached == b.unreached
        }
    }

    /// The winner's confirmed saving from the confirmation's table and runs.
    package static func confirmedSaving(_ outcome: TuneOutcome) -> ConfirmedSaving {
        let row = outcome.confirmation.rows.first { $0.name == outcome.winner.name }!
        var perSeed: [Double] = [], unreached: [UInt64] = []
        if case .reached(let bt, _) = row.comparison.baseline {
            for r in outcome.confirmationResults where r.variant == outcome.winner.name {
                if case .reached(let t, _) = TargetAnalysis.reach(r.curve, target: row.comparison.target), t > 0 { perSeed.append(bt / t) } else {
                    unreached.append(r.seed)
                }
            }
        }
        return ConfirmedSaving(saving: row.comparison.dataSaving, range: perSeed.isEmpty ? nil : (perSeed.min()!, perSeed.max()!),
                               unreached: unreached)
    }

    /// Whether the winner's mean final loss is below the baseline's in `table`.
    static func beatsBaseline(_ table: ReportTable, _ name: String) -> Bool {
        guard let w = table.rows.first(where: { $0.name == name }), let b = table.rows.first(where: { $0.name == table.baseline }) else { return false }
        return w.finalLoss.mean < b.finalLoss.mean
    }

    /// "3.2145 / 1.2e5 (1.31×)": a candidate's mean final loss and tokens-to-target (saving) in a rung.
    static func cell(_ row: VariantRow?) -> String {
        guard let row else { return "—" }
        let loss = String(format: "%.4f", row.finalLoss.mean)
        guard case .reached(let t, _) = row.comparison.variant else { return loss + " / not reached" }
        return loss + " / " + formatNumber(t.rounded()) + (row.comparison.dataSaving.map { " (" + String(format: "%.2f", $0) + "×)" } ?? "")
    }

    /// The report's markdown.
    static func markdown(_ outcome: TuneOutcome, search: TuneSearch, indexPath: String, plots: [(String, String)]) -> String {
        let w = outcome.winner, h = search.halving
        let values = zip(search.space, w.values).map { "`\($0.path)` = \(describeTuneValue($1))" }.joined(separator: ", ")
        let saving = confirmedSaving(outcome)
        let searchBeat = beatsBaseline(outcome.rungs.last!.table, w.name)
        let confirmBeat = beatsBaseline(outcome.confirmation, w.name)
        var s = "# Schedule search (gradus tune)\n\n"
        s += "Winner: **\(w.name)** (\(values)). "
        if !searchBeat {
            s += "It did not beat the baseline even in the search (last rung): no candidate of this space helped at this budget. "
        }
        if confirmBeat {
            s += "Confirmed: " + confirmationSentence(saving) + "\n\n"
        } else {
            s += "**The confirmation does not reproduce the search's ranking**: on the "
                + (outcome.confirmIndex == indexPath ? "second held-out split" : "confirmation index")
                + " with fresh seeds the winner's mean final loss is not below the baseline's, so the search's choice is not supported. "
                + "(Saving there: " + confirmationSentence(saving) + ")\n\n"
        }
        s += "## Search\n\n"
        s += "Search file: `\(search.path)`. Index: `\(indexPath)`. \(search.candidateCount) candidates drawn with seed \(search.seed) "
        s += "from the space below, starting from variant `\(search.start.name)`; successive halving with η = \(search.eta) over "
        s += "\(h.budgets.count) rung\(h.budgets.count == 1 ? "" : "s"): " + zip(h.budgets, h.sizes).enumerated().map { k, bs in
            "rung \(k) \(bs.1) candidate\(bs.1 == 1 ? "" : "s") at \(bs.0) tokens"
        }.joined(separator: ", ") + "; the baseline `\(search.matrix.baseline)` runs at every rung. "
        s += "Seeds: \(search.matrix.seeds.map(String.init).joined(separator: ", ")). Candidates are ranked by mean final held-out "
        s += "loss over the seeds (ties: lower candidate number); the best ⌈n/η⌉ are promoted.\n\n"
        s += "Each rung cell: mean final validation loss / tokens-to-target of the baseline's final loss at that rung (data saving "
        s += "vs the baseline, as `gradus experiment` reports it). Each rung is an experiment in `rung-K/` (`gradus report "
        s += "OUT/rung-K` draws its full report).\n\n"
        var header = "| candidate | " + search.space.map { "`\(shortPath($0.path))`" }.joined(separator: " | ")
        header += " | " + h.budgets.indices.map { "rung \($0) (\(h.budgets[$0]) tokens)" }.joined(separator: " | ") + " | outcome |\n"
        s += header + "|" + String(repeating: " --- |", count: 2 + search.space.count + h.budgets.count) + "\n"
        let baselineCells = outcome.rungs.map { r in cell(r.table.rows.first { $0.name == r.table.baseline }) }
        s += "| \(search.matrix.baseline) (baseline) | " + search.space.map { _ in "—" }.joined(separator: " | ") + " | "
            + baselineCells.joined(separator: " | ") + " | baseline |\n"
        for c in search.candidates {
            let cells = outcome.rungs.map { r in cell(r.table.rows.first { $0.name == c.name }) }
            let last = outcome.rungs.lastIndex { $0.candidates.contains { $0.index == c.index } } ?? 0
            let outcomeText = c.index == w.index ? "**winner**"
                : last + 1 < outcome.rungs.count ? "stopped at rung \(last) (rank \(1 + (outcome.rungs[last].ranking.firstIndex { $0.candidate == c.index } ?? 0)))"
                : "rank \(1 + (outcome.rungs[last].ranking.firstIndex { $0.candidate == c.index } ?? 0)) at the last rung"
            s += "| \(c.name) | " + c.values.map(describeTuneValue).joined(separator: " | ") + " | " + cells.joined(separator: " | ")
                + " | \(outcomeText) |\n"
        }
        s += "\nParameters (full key paths): " + search.space.map { p in
            "`\(p.path)` " + describe(p.domain)
        }.joined(separator: "; ") + ".\n\n"
        s += "## Confirmation\n\n"
        s += "The winner and the baseline rerun at the maximum budget (\(search.maxTokens) tokens) with fresh seeds "
        s += "(\(search.confirmSeeds.map(String.init).joined(separator: ", "))) on "
        s += outcome.confirmIndex == indexPath
            ? "a second held-out split of the same index (`validation_split_seed` \(outcome.confirmSplitSeed): an independent hash of "
                + "the sample ids picks the held-out samples, so the winner is not judged on the samples it was chosen on)"
            : "a second index, `\(outcome.confirmIndex)` (`--confirm-index`)"
        s += ". Runs in `confirm/`.\n\n" + outcome.confirmation.markdown() + "\n"
        s += "Confirmed data saving: " + confirmationSentence(saving) + " Search (last rung): the winner's loss was "
        s += searchBeat ? "below the baseline's; " : "not below the baseline's; "
        s += "confirmation: " + (confirmBeat ? "below the baseline's — the ranking is reproduced." : "not below the baseline's — the ranking is NOT reproduced.")
        s += "\n\n## The winner's config\n\n`winner.json` is the winner's whole run config (base, common, its override); its "
        s += "`data_efficiency` block is the schedule found, in DeepSpeed's format: `gradus train winner.json`, "
        s += "`gradus batches --config winner.json` and DeepSpeed's `get_data_efficiency_config` accept it unchanged. "
        s += "What a search at this scale can and cannot tell about a large run: docs/evaluation.md, \"Finding a schedule: gradus tune\".\n"
        s += "\n## Plots\n\n"
        for (title, name) in plots { s += "### \(title)\n\n![\(title)](plots/\(name).svg)\n\n[PNG](plots/\(name).png)\n\n" }
        return s
    }

    /// "1.31× (seed range 1.20–1.45×)" with the seeds that never reached the target.
    static func confirmationSentence(_ c: ConfirmedSaving) -> String {
        var s = c.saving.map { String(format: "%.2f×", $0) } ?? "none (the winner's mean curve never reaches the baseline's final loss)"
        if let r = c.range { s += String(format: " (seed range %.2f–%.2f×)", r.low, r.high) }
        if !c.unreached.isEmpty { s += "; seed\(c.unreached.count == 1 ? "" : "s") \(c.unreached.map(String.init).joined(separator: ", ")) never reached the target" }
        return s + "."
    }

    /// The last two components of a key path (the table's column header).
    static func shortPath(_ path: String) -> String { path.split(separator: ".").suffix(2).joined(separator: ".") }

    static func describe(_ d: TuneDomain) -> String {
        switch d {
        case .int(let lo, let hi, let log): return "integers \(lo)…\(hi)\(log ? " (log scale)" : "")"
        case .float(let lo, let hi, let log): return "reals \(formatNumber(lo, digits: 6))…\(formatNumber(hi, digits: 6))\(log ? " (log scale)" : "")"
        case .choice(let v): return "one of " + v.map(describeTuneValue).joined(separator: ", ")
        }
    }

    /// Loss vs tokens of the baseline and the last rung's candidates; for each numeric parameter,
    /// its value vs the data saving of every candidate at rung 0 (all candidates ran there), or vs
    /// the final-loss advantage over the baseline when fewer than two candidates reached its loss.
    static func writePlots(_ outcome: TuneOutcome, search: TuneSearch, directory: String) throws -> [(String, String)] {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw ExperimentError.io(path: directory, reason: error.localizedDescription)
        }
        let last = outcome.rungs.last!
        let top = [last.table.baseline] + last.ranking.prefix(4).map { search.candidates[$0.candidate - 1].name }
        let series = top.compactMap { name in last.table.rows.first { $0.name == name } }.map { r in
            PlotSeries(name: r.name, x: r.meanCurve.points.map(\.tokens), y: r.meanCurve.points.map(\.loss),
                       band: (r.meanCurve.lower, r.meanCurve.upper))
        }
        var plots = [("Validation loss vs tokens at the last rung (\(last.budget) tokens)", "tune-val-loss-last-rung",
                      Plot(title: "Validation loss vs tokens, last rung", xLabel: "training tokens",
                           yLabel: "validation loss (nats/token)", series: series))]
        let first = outcome.rungs[0]
        let baselineLoss = first.table.rows.first { $0.name == first.table.baseline }!.finalLoss.mean
        // Parameters whose every value is a number: int and float ranges, choices of numbers.
        for (i, p) in search.space.enumerated() where search.candidates.allSatisfy({ $0.values[i].number != nil }) {
            let rows = search.candidates.compactMap { c in first.table.rows.first { $0.name == c.name }.map { (c.values[i].number!, $0) } }
            let savings = rows.compactMap { x, row in row.comparison.dataSaving.map { (x, $0) } }.sorted { $0.0 < $1.0 }
            // The data saving when at least two candidates reached the baseline's loss at rung 0; else
            // (short rungs often end above it) the final-loss advantage, so the plot is never empty.
            let bySaving = savings.count >= 2
            let points = bySaving ? savings : rows.map { x, row in (x, baselineLoss - row.finalLoss.mean) }.sorted { $0.0 < $1.0 }
            var dots = PlotSeries(name: "candidates (rung 0)", x: points.map(\.0), y: points.map(\.1))
            (dots.markers, dots.line) = (true, false)
            let xs = points.isEmpty ? [] : [points.first!.0, points.last!.0]
            let even = PlotSeries(name: bySaving ? "no saving (1×)" : "baseline (0)", x: xs, y: xs.map { _ in bySaving ? 1 : 0 })
            let name = shortPath(p.path)
            let stem = "tune-" + (bySaving ? "saving" : "loss-advantage") + "-vs-" + String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
            let what = bySaving ? "data saving" : "final-loss advantage over the baseline (fewer than two candidates reached its loss)"
            plots.append(("\(name) vs \(what) at rung 0 (\(first.budget) tokens)", stem,
                          Plot(title: "\(name) vs \(bySaving ? "data saving" : "loss advantage") (rung 0)", xLabel: name,
                               yLabel: bySaving ? "data saving vs baseline (×)" : "baseline loss − candidate loss (nats)",
                               series: [dots, even])))
        }
        for (_, name, plot) in plots {
            try writeAtomically(Data(SVGWriter.render(plot).utf8), to: "\(directory)/\(name).svg")
            let png = "\(directory)/\(name).png"
            try writeAtomically(try PNGWriter.render(plot, path: png), to: png)
        }
        return plots.map { ($0.0, $0.1) }
    }
}
