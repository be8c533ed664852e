// Report.swift — report.md and its plots (issue 7 §2–3) from results.jsonl alone, so
// `gradus report DIR` regenerates everything without retraining: the table and verdicts
// (`ReportTable`), validation loss vs tokens and vs wall-clock (mean curve, seed range as a
// band), and the schedules vs tokens (LR, sequence length, difficulty per metric, random-LTD r),
// each as SVG and PNG under DIR/plots; on an index with sample groups, per field the per-group
// table and its plot (`GroupReportTable`).

import Foundation
import Support
import Training

/// Writes the report of an experiment directory.
public enum Report {
    /// Reads DIR/results.jsonl (and DIR/matrix.json for the baseline and budget, when present),
    /// writes DIR/report.md and DIR/plots/*, and returns the report's path.
    /// - Throws: `ExperimentError.invalidResults` / `.io`.
    @discardableResult
    public static func generate(directory: String) throws -> String {
        let results = try RunResult.readLines(path: directory + "/results.jsonl")
        guard let first = results.first else {
            throw ExperimentError.invalidResults(path: directory + "/results.jsonl", reason: "no runs")
        }
        var baseline = first.variant
        var budget: String?
        let matrixPath = directory + "/matrix.json"
        if FileManager.default.fileExists(atPath: matrixPath) {
            let m = try readJSON(matrixPath)
            if case .string(let name)? = m["baseline"] { baseline = name }
            if case .int(let t)? = m.value(at: ["budget", "tokens"]) { budget = TrainingBudget.tokens(Int(t)).text }
            if let s = m.value(at: ["budget", "seconds"])?.number { budget = TrainingBudget.seconds(s).text }
        }
        let table: ReportTable
        do { table = try ReportTable(results: results, baseline: baseline) } catch ExperimentError.invalidResults(_, let reason) {
            throw ExperimentError.invalidResults(path: directory + "/results.jsonl", reason: reason)  // the file's real path
        }
        let groupTables = GroupReportTable.tables(results: results, order: table.rows.map(\.name), baseline: table.baseline)
        let plots = try writePlots(results: results, table: table, groupTables: groupTables, directory: directory + "/plots")
        let text = markdown(table: table, results: results, budget: budget, plots: plots, groupTables: groupTables)
        let path = directory + "/report.md"
        try writeAtomically(Data(text.utf8), to: path)
        return path
    }

    /// The report's markdown.
    static func markdown(table: ReportTable, results: [RunResult], budget: String?, plots: [(String, String)],
                         groupTables: [GroupReportTable] = []) -> String {
        let seeds = Set(results.map(\.seed)).sorted().map(String.init).joined(separator: ", ")
        var s = "# Data-efficiency experiment\n\n"
        s += ([table.finding(budget: budget)] + groupTables.compactMap { $0.findingSentence() }).joined(separator: " ") + "\n\n"
        s += "Budget per run: \(budget ?? "not recorded"). Seeds: \(seeds). Baseline: `\(table.baseline)`. "
        s += "Target (tokens-to-target): the baseline's mean final validation loss, \(String(format: "%.4f", table.rows.first { $0.name == table.baseline }?.comparison.target ?? .nan)).\n\n"
        s += table.markdown() + "\n"
        if let unigram = table.unigramReference {
            s += String(format: "Unigram reference: %.4f — the held-out loss of a model that ignores context (the index's token "
                        + "frequencies) on the same evaluation batches; a variant's loss says something about learning from context "
                        + "only below it.\n\n", unigram)
        }
        s += "Final loss: mean ± sample standard deviation over seeds, and the seed range. Tokens- and wall-to-target: "
        s += "where the variant's mean validation curve (seeds averaged at equal tokens) first reaches the target, "
        s += "linearly interpolated between evaluations; savings = baseline / variant. Wall-clock is training time only "
        s += "(evaluations excluded). FLOPs: matmuls, forward + backward.\n\n## Verdicts\n\n"
        for row in table.rows { s += "- **\(row.name)**: \(table.verdict(row))\n" }
        if !groupTables.isEmpty {
            s += "\n## Validation loss per group\n\n"
            s += "The held-out split is stratified by group; a group's loss is the sum of its evaluated rows' losses over their "
            s += "positions. Final loss: mean over the seeds and the seed range. Target: the baseline's mean final loss on the "
            s += "group; tokens-to-target: where the variant's mean curve on the group first reaches it. A variant is flagged "
            s += "worse when its mean is higher and the seed ranges do not overlap (two or more seeds each). Only groups with "
            s += "held-out rows among the evaluated batches appear; raise `validation.batches` to cover more of them.\n\n"
            for g in groupTables { s += g.markdown() + "\n" }
        }
        s += "\n## Plots\n\n"
        for (title, name) in plots { s += "### \(title)\n\n![\(title)](plots/\(name).svg)\n\n[PNG](plots/\(name).png)\n\n" }
        s += "Colours follow the legend order: " + table.rows.enumerated().map { i, r in
            let c = Plot.color(i)
            return "\(r.name) = rgb(\(c.r), \(c.g), \(c.b))"
        }.joined(separator: ", ") + ". Bands: the lowest and highest seed.\n\n"
        s += "Regenerate with `gradus report DIR`; protocol and limits: docs/evaluation.md.\n"
        return s
    }

    /// Writes every plot as SVG and PNG; returns (title, file stem) pairs.
    static func writePlots(results: [RunResult], table: ReportTable, groupTables: [GroupReportTable] = [],
                           directory: String) throws -> [(String, String)] {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw ExperimentError.io(path: directory, reason: error.localizedDescription)
        }
        func lossPlot(_ title: String, _ stem: String, _ xLabel: String, _ x: @escaping (CurvePoint) -> Double) -> (String, String, Plot) {
            (title, stem, Report.lossPlot(table: table, title: title, xLabel: xLabel, x: x))
        }
        var plots = [lossPlot("Validation loss vs tokens", "val-loss-vs-tokens", "training tokens") { $0.tokens },
                     lossPlot("Validation loss vs wall-clock", "val-loss-vs-wall", "training wall-clock (s)") { $0.wall }]
        plots += schedulePlots(results: results, order: table.rows.map(\.name))
        for g in groupTables where !g.plot().series.isEmpty {
            let stem = "val-loss-per-group-" + String(g.field.map { $0.isLetter || $0.isNumber ? $0 : "_" })
            plots.append((g.plot().title, stem, g.plot()))
        }
        for (_, name, plot) in plots {
            try writeAtomically(Data(SVGWriter.render(plot).utf8), to: "\(directory)/\(name).svg")
            let png = "\(directory)/\(name).png"
            try writeAtomically(try PNGWriter.render(plot, path: png), to: png)
        }
        return plots.map { ($0.0, $0.1) }
    }

    /// Each variant's mean validation loss (and seed band) against `x`, and, when the runs recorded
    /// it, the unigram reference as a horizontal line across the same x range: a curve says
    /// something about learning from context only below that line.
    static func lossPlot(table: ReportTable, title: String, xLabel: String, x: (CurvePoint) -> Double) -> Plot {
        var series = table.rows.map { r in
            PlotSeries(name: r.name, x: r.meanCurve.points.map(x), y: r.meanCurve.points.map(\.loss),
                       band: (r.meanCurve.lower, r.meanCurve.upper))
        }
        let xs = series.flatMap(\.x)
        if let unigram = table.unigramReference, let lo = xs.min(), let hi = xs.max(), lo < hi {
            series.append(PlotSeries(name: "unigram reference", x: [lo, hi], y: [unigram, unigram]))
        }
        return Plot(title: title, xLabel: xLabel, yLabel: "validation loss (nats/token)", series: series)
    }

    /// LR, sequence length, each metric's difficulty and r vs tokens, from each variant's first run.
    static func schedulePlots(results: [RunResult], order: [String]) -> [(String, String, Plot)] {
        let firsts = order.compactMap { v in results.first { $0.variant == v } }
        func plot(_ title: String, _ stem: String, _ y: String, _ pick: (SchedulePoint) -> Double?) -> (String, String, Plot)? {
            let series: [PlotSeries] = firsts.compactMap { r in
                let pts = r.schedule.compactMap { p in pick(p).map { (p.tokens, $0) } }
                return pts.isEmpty ? nil : PlotSeries(name: r.variant, x: pts.map(\.0), y: pts.map(\.1))
            }
            return series.isEmpty ? nil : (title, stem, Plot(title: title, xLabel: "training tokens", yLabel: y, series: series))
        }
        var out: [(String, String, Plot)?] = [
            plot("Schedule: learning rate", "schedule-lr", "learning rate") { $0.lr },
            plot("Schedule: sequence length of the batch", "schedule-seqlen", "tokens per row") { Double($0.seqLength) },
        ]
        let metrics = Set(firsts.flatMap { $0.schedule.flatMap { $0.difficulties.keys } }).sorted()
        for m in metrics {
            let stem = "schedule-difficulty-" + String(m.map { $0.isLetter || $0.isNumber ? $0 : "_" })
            out.append(plot("Schedule: difficulty of \(m) (prescribed by the config)", stem, "difficulty (metric value or percentile)") { $0.difficulties[m] })
        }
        out.append(plot("Schedule: random-LTD reserved length r (prescribed by the config)", "schedule-r", "r (tokens kept)") {
            $0.reservedLength.map(Double.init)
        })
        return out.compactMap { $0 }
    }
}
