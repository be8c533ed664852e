// ReportFinding.swift — the paragraph report.md opens with (issue 17 item 6): the experiment's
// answer in plain words, derived from the report's own table so it can never disagree with it.
// A variant is "better" or "worse" only where its seed range of final losses does not overlap the
// baseline's (the verdicts' rule); the largest data saving is named with its tokens-to-target;
// random-LTD's layer-token saving is stated where there is one; with fewer than 2 seeds the
// paragraph says that no difference can be judged.

import Foundation

extension ReportTable {
    /// One paragraph summarising the table: which variants ended better, worse or no different
    /// from the baseline, which reached the baseline's final loss with the largest data saving,
    /// and how sure that is (seeds). `budget` is the report's budget text (e.g. "122880 tokens"),
    /// nil when results.jsonl came without its matrix.json.
    public func finding(budget: String?) -> String {
        guard let base = rows.first(where: { $0.name == baseline }) else { return "" }
        let others = rows.filter { $0.name != baseline }
        let seeds = rows.map(\.seeds.count).min() ?? 0
        var s = "**Finding.** " + (budget.map { "At \($0) per run and " } ?? "With ") + "\(seeds) seed\(seeds == 1 ? "" : "s") per variant, "
        guard !others.isEmpty else { return s + "only the baseline ran, so there is nothing to compare." }
        let names = { (rs: [VariantRow]) in Self.list(rs.map { "`\($0.name)`" }) }
        let measured = others.filter { $0.unappliedRequests.isEmpty }
        if seeds < 2 || base.seeds.count < 2 {
            s += "a single seed gives no spread, so no variant can be called better or worse than the baseline; "
                + "rerun with at least 2 seeds."
        } else {
            let better = measured.filter { !$0.finalLoss.overlaps(base.finalLoss) && $0.finalLoss.mean < base.finalLoss.mean }
            let worse = measured.filter { !$0.finalLoss.overlaps(base.finalLoss) && $0.finalLoss.mean > base.finalLoss.mean }
            let same = measured.filter { $0.finalLoss.overlaps(base.finalLoss) }
            var clauses: [String] = []
            if !better.isEmpty { clauses.append("\(names(better)) ended with a lower validation loss than the baseline `\(baseline)`") }
            if !worse.isEmpty { clauses.append("\(names(worse)) ended higher") }
            if !same.isEmpty {
                clauses.append("\(names(same)) showed no difference (\(same.count == 1 ? "its" : "their") seed range\(same.count == 1 ? "" : "s") overlap\(same.count == 1 ? "s" : "") the baseline's)")
            }
            s += clauses.joined(separator: "; ") + ". "
            if better.isEmpty && worse.isEmpty {
                s += "Nothing here separates from seed noise at this budget. "
            }
        }
        let reaching = measured.compactMap { r in r.comparison.dataSaving.map { (r, $0) } }.filter { $0.1 > 1 }
        if let (top, saving) = reaching.max(by: { $0.1 < $1.1 }), case .reached(let tokens, _) = top.comparison.variant {
            s += "`\(top.name)` reached the baseline's final loss (\(String(format: "%.4f", top.comparison.target))) after "
                + "\(Int(tokens.rounded())) tokens, \(String(format: "%.2f", saving))× fewer than the baseline"
            if let wall = top.comparison.wallSaving {
                // Wall-clock can go the other way (more, shorter steps; a busy machine): say which.
                s += wall >= 1 ? String(format: " and %.2f× less training wall-clock", wall)
                    : String(format: ", but %.2f× the baseline's training wall-clock to get there", 1 / wall)
            }
            s += ". "
        } else if seeds >= 2 {
            s += "No variant reached the baseline's final loss with fewer tokens. "
        }
        let dropping = measured.filter { base.layerTokens.mean > 0 && $0.layerTokens.mean < base.layerTokens.mean * 0.995 }
        for r in dropping {
            s += String(format: "`%@` processed %.1f%% fewer layer-tokens (random-LTD). ", r.name,
                        100 * (1 - r.layerTokens.mean / base.layerTokens.mean))
        }
        let unapplied = others.filter { !$0.unappliedRequests.isEmpty }
        if !unapplied.isEmpty { s += "\(names(unapplied)) did not apply what \(unapplied.count == 1 ? "its" : "their") config asked for (see the verdicts). " }
        if let unigram = unigramReference {
            let margin = unigram - base.finalLoss.mean
            let ref = String(format: "the unigram reference %.4f (a model that ignores context, on the same held-out batches)", unigram)
            if margin < Self.learnedContextMargin {
                s += String(format: "The baseline ends at %.4f, %@ %@: at this budget the model has barely learned context, so "
                            + "these differences say little about training that does. ", base.finalLoss.mean,
                            margin >= 0 ? String(format: "only %.3f nats below", margin) : String(format: "%.3f nats above", -margin), ref)
            } else {
                s += String(format: "The baseline ends %.3f nats below %@. ", margin, ref)
            }
        }
        if seeds >= 2 { s += "With \(seeds) seeds, non-overlapping seed ranges are indicative, not a significance test." }
        return s.trimmingCharacters(in: .whitespaces)
    }

    /// Nats the baseline must end below the unigram reference for the finding to call its model
    /// one that has learned context.
    static let learnedContextMargin = 0.05

    /// "a", "a and b", "a, b and c".
    static func list(_ items: [String]) -> String {
        items.count <= 1 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
    }
}
