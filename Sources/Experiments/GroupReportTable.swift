// GroupReportTable.swift — the per-group part of report.md (issue 17 item 2): for each group field of
// the runs (`RunResult.groupCurves`), per group × variant the final validation loss over seeds,
// tokens-to-target on that group (target: the baseline's mean final loss on the group, reached
// where the variant's mean group curve first gets down to it, `TargetAnalysis.reach`), and a flag
// where a variant ends worse than the baseline — judged as the verdicts judge: only when both
// have two or more seeds and their seed ranges do not overlap. Plus one plot per field: the final
// loss per group (x: the group's number in the table) per variant, the seed range as a band.

import Foundation

/// One group × variant cell of a group table.
public struct GroupCell: Sendable {
    /// Final loss on the group over the variant's seeds that evaluated it.
    public var finalLoss: Summary
    /// The baseline's mean final loss on the group.
    public var target: Double
    /// Where the variant's mean group curve first reaches `target`.
    public var reach: TargetReach
    /// Ends worse than the baseline: higher mean and seed ranges that do not overlap (≥ 2 seeds each).
    public var worse: Bool
    /// Ends higher than the baseline, but a side has a single seed, so there is no spread to judge by.
    public var higherUnjudged: Bool
}

/// The per-group validation results of one field.
public struct GroupReportTable: Sendable {
    /// The record field the groups come from.
    public var field: String
    /// The groups, ascending; the plot's x is the index here plus 1.
    public var groups: [String]
    /// The variants in the report's order.
    public var variants: [String]
    public var baseline: String
    /// `cells[g][v]`: nil where no run of variant v evaluated group g (or no baseline run did).
    public var cells: [[GroupCell?]]

    /// One table per field any result has group curves for, fields ascending; empty without groups.
    /// - Parameter order: the variants in the report's order (`ReportTable.rows`).
    public static func tables(results: [RunResult], order: [String], baseline: String) -> [GroupReportTable] {
        let fields = Set(results.flatMap { ($0.groupCurves ?? [:]).keys }).sorted()
        return fields.map { field in
            let groups = Set(results.flatMap { ($0.groupCurves?[field] ?? [:]).keys }).sorted()
            /// Each seed's curve of group g, for the runs of variant v that have one.
            func curves(_ v: String, _ g: String) -> [[CurvePoint]] {
                results.filter { $0.variant == v }.compactMap { $0.groupCurves?[field]?[g] }.filter { !$0.isEmpty }
            }
            let cells = groups.map { g -> [GroupCell?] in
                let base = curves(baseline, g)
                guard !base.isEmpty else { return order.map { _ in nil } }
                let baseFinal = Summary(base.map { $0.last!.loss })
                return order.map { v in
                    let cs = curves(v, g)
                    guard !cs.isEmpty else { return nil }
                    let final = Summary(cs.map { $0.last!.loss })
                    let mean = MeanCurve(curves: cs).points
                    let reach = mean.isEmpty ? .notReached : TargetAnalysis.reach(mean, target: baseFinal.mean)
                    let judged = final.count >= 2 && baseFinal.count >= 2
                    let higher = v != baseline && final.mean > baseFinal.mean
                    return GroupCell(finalLoss: final, target: baseFinal.mean, reach: reach,
                                     worse: higher && judged && !final.overlaps(baseFinal), higherUnjudged: higher && !judged)
                }
            }
            return GroupReportTable(field: field, groups: groups, variants: order, baseline: baseline, cells: cells)
        }
    }

    /// The cells of group `g`, variant `v`, as report.md prints them (tests recompute these):
    /// group, variant, seeds, final loss mean, seed range, target, tokens-to-target, flag.
    public func row(group g: Int, variant v: Int) -> [String] {
        let head = [String(g + 1) + ". " + groups[g], variants[v]]
        guard let c = cells[g][v] else { return head + ["0", "—", "—", "—", "no evaluation", ""] }
        let reach: String
        switch c.reach {
        case .reached(let t, _): reach = String(Int(t.rounded()))
        case .notReached: reach = "not reached"
        }
        let flag = c.worse ? "**worse than baseline**" : c.higherUnjudged ? "higher (single seed: not judged)" : ""
        return head + [String(c.finalLoss.count), String(format: "%.4f", c.finalLoss.mean),
                       String(format: "[%.4f, %.4f]", c.finalLoss.min, c.finalLoss.max),
                       String(format: "%.4f", c.target), reach, flag]
    }

    /// One cell of the wide table: final loss mean [seed range], and for a variant other than the
    /// baseline its tokens-to-target on the group and the flag; "—" where it was not evaluated.
    public func wideCell(group g: Int, variant v: Int) -> String {
        let r = row(group: g, variant: v)  // group, variant, seeds, mean, range, target, tokens-to-target, flag
        guard cells[g][v] != nil else { return "—" }
        var text = "\(r[3]) \(r[4])" + (r[2] == "1" ? " (1 seed)" : "")
        if variants[v] != baseline {
            text += r[6] == "not reached" ? " · not reached" : " · \(r[6]) tok"
            if !r[7].isEmpty { text += " · \(r[7])" }
        }
        return text
    }

    /// The table's markdown: a heading, one line per group with a column per variant (final loss
    /// and seed range; for the others also tokens-to-target on the group and the flag), and the
    /// flagged groups.
    public func markdown() -> String {
        var s = "### Field `\(field)`\n\n"
        let others = variants.filter { $0 != baseline }
        s += "| group | \(baseline) (baseline: the target) | " + others.joined(separator: " | ") + " |\n"
        s += "| --- | --- |" + String(repeating: " --- |", count: others.count) + "\n"
        let columns = [variants.firstIndex(of: baseline)].compactMap { $0 } + variants.indices.filter { variants[$0] != baseline }
        for g in groups.indices {
            s += "| \(g + 1). \(groups[g]) | " + columns.map { wideCell(group: g, variant: $0) }.joined(separator: " | ") + " |\n"
        }
        let flagged = groups.indices.flatMap { g in
            variants.indices.compactMap { v in cells[g][v]?.worse == true ? "\(variants[v]) on \(groups[g])" : nil }
        }
        s += "\n" + (flagged.isEmpty ? "No variant ends worse than the baseline on any \(field) group (seed ranges as in the verdicts)."
            : "Ends worse than the baseline (seed ranges do not overlap): " + flagged.joined(separator: ", ") + ".") + "\n"
        return s
    }

    /// The finding's sentence for this field: per variant the groups it ends worse on than the
    /// baseline (seed ranges apart), or that none; nil when no group was compared.
    public func findingSentence() -> String? {
        guard cells.contains(where: { $0.contains { $0 != nil } }) else { return nil }
        let worse = variants.compactMap { v -> String? in
            guard let k = variants.firstIndex(of: v) else { return nil }
            let names = groups.indices.filter { cells[$0][k]?.worse == true }.map { groups[$0] }
            return names.isEmpty ? nil : "`\(v)` on \(ReportTable.list(names))"
        }
        guard !worse.isEmpty else {
            return "Per \(field) group, no variant ends worse than the baseline (seed ranges apart) on any of the \(groups.count) groups evaluated."
        }
        return "Per \(field) group (\(groups.count) evaluated), these end worse than the baseline with seed ranges apart: "
            + ReportTable.list(worse) + " (see \"Validation loss per group\")."
    }

    /// The final loss per group (x: the group's number) of each variant, the seed range as a band.
    public func plot() -> Plot {
        let series = variants.indices.compactMap { v -> PlotSeries? in
            let pts = groups.indices.compactMap { g in cells[g][v].map { (Double(g + 1), $0.finalLoss) } }
            guard !pts.isEmpty else { return nil }
            return PlotSeries(name: variants[v], x: pts.map(\.0), y: pts.map(\.1.mean),
                              band: (pts.map(\.1.min), pts.map(\.1.max)))
        }
        return Plot(title: "Final validation loss per \(field) group", xLabel: "\(field) group (number in the table)",
                    yLabel: "final validation loss", series: series)
    }
}
