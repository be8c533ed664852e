// ReportTable.swift — the numbers of report.md (issue 7 §2): one row per variant with the final
// validation loss over seeds, tokens-to-target and savings (from `TargetAnalysis.compare` on the
// mean curves), the budget actually spent, and a verdict that claims only what the seed spread
// supports.

import Foundation

/// One variant's row of the report table.
public struct VariantRow: Sendable {
    public var name: String
    public var seeds: [UInt64]
    public var finalLoss: Summary
    public var meanCurve: MeanCurve
    public var comparison: TargetComparison
    public var tokens: Summary
    public var wall: Summary
    public var layerTokens: Summary
    public var flops: Summary
    /// The config asked for a curriculum / random-LTD that the trainer did not apply.
    public var unappliedRequests: [String]
    /// Seeds whose curriculum data ended before the budget, as "seed S after step N".
    public var dataEnded: [String] = []
}

/// The report's table, built from results.
public struct ReportTable: Sendable {
    public var baseline: String
    public var rows: [VariantRow]
    /// The held-out loss of the context-free unigram model (mean over the runs that recorded
    /// it; every run of a matrix evaluates the same batches), or nil.
    public var unigramReference: Double?

    /// Groups `results` by variant (first-appearance order) and compares each with `baseline`.
    /// - Throws: `ExperimentError.invalidResults` when the baseline is missing, a curve is empty or
    ///   a variant's seed curves share no token range.
    public init(results: [RunResult], baseline: String) throws {
        var order: [String] = []
        for r in results where !order.contains(r.variant) { order.append(r.variant) }
        guard order.contains(baseline) else {
            throw ExperimentError.invalidResults(path: "results.jsonl", reason: "no run of the baseline variant \"\(baseline)\"")
        }
        if let empty = results.first(where: { $0.curve.isEmpty }) {
            throw ExperimentError.invalidResults(path: "results.jsonl", reason: "\(empty.variant) seed \(empty.seed) has no validation curve")
        }
        func runs(_ v: String) -> [RunResult] { results.filter { $0.variant == v } }
        /// The seeds' mean curve; refused when the seeds' token ranges do not overlap (no point
        /// to average, and tokens-to-target needs one).
        func meanCurve(_ name: String, _ rs: [RunResult]) throws -> MeanCurve {
            let curve = MeanCurve(curves: rs.map(\.curve))
            guard curve.points.isEmpty else { return curve }
            let spans = rs.map { "seed \($0.seed): \(formatNumber($0.curve.first!.tokens))...\(formatNumber($0.curve.last!.tokens))" }
            throw ExperimentError.invalidResults(path: "results.jsonl", reason: "the validation curves of \(name) cover no common "
                + "token range (\(spans.joined(separator: ", "))), so they cannot be averaged; rerun its seeds with the same budget")
        }
        let baseCurve = try meanCurve(baseline, runs(baseline))
        self.baseline = baseline
        let unigrams = results.compactMap(\.unigramValidationLoss)
        unigramReference = unigrams.isEmpty ? nil : unigrams.reduce(0, +) / Double(unigrams.count)
        rows = try order.map { name in
            let rs = runs(name)
            let curve = try meanCurve(name, rs)
            var unapplied: [String] = []
            if rs.contains(where: { $0.curriculumRequested && $0.sampler != "curriculum" }) { unapplied.append("curriculum") }
            if rs.contains(where: { $0.randomLTDRequested && !$0.randomLTDApplied }) { unapplied.append("random-LTD") }
            return VariantRow(name: name, seeds: rs.map(\.seed), finalLoss: Summary(rs.map(\.finalValidationLoss)),
                              meanCurve: curve, comparison: TargetAnalysis.compare(baseline: baseCurve.points, variant: curve.points),
                              tokens: Summary(rs.map { Double($0.tokens) }), wall: Summary(rs.map(\.wallSeconds)),
                              layerTokens: Summary(rs.map { Double($0.layerTokens) }), flops: Summary(rs.map(\.flops)),
                              unappliedRequests: unapplied,
                              dataEnded: rs.compactMap { r in r.dataEndedAtStep.map { "seed \(r.seed) after step \($0)" } })
        }
    }

    /// The table header and one markdown line per variant.
    public func markdown() -> String {
        var s = "| variant | seeds | final val loss (mean ± sd) | seed range | tokens-to-target | data saving | wall-to-target (s) | wall saving | tokens | wall (s) | layer-tokens | FLOPs |\n"
        s += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        for r in rows { s += "| " + ReportTable.cells(r).joined(separator: " | ") + " |\n" }
        return s
    }

    /// The cells of a row, formatted as the report prints them (tests recompute these).
    public static func cells(_ r: VariantRow) -> [String] {
        let reach: (String, String) = {
            switch r.comparison.variant {
            case .reached(let t, let w): return (String(Int(t.rounded())), String(format: "%.1f", w))
            case .notReached: return ("not reached", "not reached")
            }
        }()
        return [r.name, String(r.seeds.count),
                String(format: "%.4f ± %.4f", r.finalLoss.mean, r.finalLoss.std),
                String(format: "[%.4f, %.4f]", r.finalLoss.min, r.finalLoss.max),
                reach.0, r.comparison.dataSaving.map { String(format: "%.2f×", $0) } ?? "—",
                reach.1, r.comparison.wallSaving.map { String(format: "%.2f×", $0) } ?? "—",
                String(Int(r.tokens.mean.rounded())), String(format: "%.1f", r.wall.mean),
                String(Int(r.layerTokens.mean.rounded())), String(format: "%.3e", r.flops.mean)]
    }

    /// A plain-language verdict for `row`, stating only what the numbers support.
    public func verdict(_ row: VariantRow) -> String {
        guard let base = rows.first(where: { $0.name == baseline }) else { return "" }
        var parts: [String] = []
        if !row.unappliedRequests.isEmpty {
            parts.append("**Caution:** the config enables \(row.unappliedRequests.joined(separator: " and ")) but this trainer did not apply it, so this run measures the baseline procedure again (a check of seed noise, not of the method).")
        }
        if !row.dataEnded.isEmpty {
            parts.append("**Note:** the curriculum data ended before the budget (data_sampling.num_epochs, DeepSpeed's end of data) for \(row.dataEnded.joined(separator: ", ")), so those runs trained on fewer tokens; raise num_epochs for a full-budget comparison.")
        }
        if row.name == baseline { return (["Reference: the target is its mean final validation loss, \(String(format: "%.4f", row.comparison.target))."] + parts).joined(separator: " ") }
        let loss = String(format: "%.4f vs %.4f", row.finalLoss.mean, base.finalLoss.mean)
        if row.seeds.count < 2 || base.seeds.count < 2 {
            parts.append("Final validation loss \(loss); with a single seed there is no spread to judge a difference by.")
        } else if row.finalLoss.overlaps(base.finalLoss) {
            parts.append("No significant difference at this budget: final validation loss \(loss), and the seed ranges overlap.")
        } else {
            let direction = row.finalLoss.mean < base.finalLoss.mean ? "lower" : "higher"
            parts.append("Final validation loss is \(direction) than the baseline's (\(loss)); the seed ranges do not overlap over \(row.seeds.count) seeds — indicative, not a significance test.")
        }
        switch row.comparison.variant {
        case .reached(let t, _):
            let saving = row.comparison.dataSaving.map { String(format: " (data saving %.2f×)", $0) } ?? ""
            parts.append("It first reached the baseline's final loss at \(Int(t.rounded())) tokens\(saving).")
        case .notReached:
            parts.append("It did not reach the baseline's final loss within the budget.")
        }
        if base.layerTokens.mean > 0, row.layerTokens.mean < base.layerTokens.mean * 0.995 {
            parts.append(String(format: "It processed %.1f%% fewer layer-tokens.", 100 * (1 - row.layerTokens.mean / base.layerTokens.mean)))
        }
        return parts.joined(separator: " ")
    }
}
