// SuccessiveHalving.swift — the rung bookkeeping of `gradus tune` (issue 18 §2), pure so it is
// tested without training: how many rungs, each rung's budget in tokens and how many candidates it
// runs, and who is promoted. Rung 0 runs every candidate at the minimum budget; each next rung runs
// the best ⌈n/η⌉ of the previous one at η times the budget; the last rung runs at the maximum
// budget instead. There are 1 + ⌊log_η(max/min)⌋ rungs: min=1000, max=9000, η=3 gives 1000, 3000,
// 9000; max=5000 gives 1000, 5000; min = max gives one rung.

import Foundation

/// Rungs, their budgets and sizes, and the promotion rule of successive halving.
public struct SuccessiveHalving: Equatable, Sendable {
    /// Tokens per run at each rung: min·η^k, the last one the maximum budget.
    public let budgets: [Int]
    /// Candidates run at each rung: n, then ⌈previous/η⌉.
    public let sizes: [Int]
    public let eta: Int

    /// - Precondition: candidates ≥ 1, eta ≥ 2, 1 ≤ minBudget ≤ maxBudget.
    public init(candidates: Int, eta: Int, minBudget: Int, maxBudget: Int) {
        precondition(candidates >= 1 && eta >= 2 && minBudget >= 1 && minBudget <= maxBudget, "invalid successive-halving settings")
        let rungs = Self.rungCount(minBudget, maxBudget, eta)
        var budgets = [minBudget]
        while budgets.count < rungs - 1 { budgets.append(budgets.last! * eta) }
        budgets = rungs == 1 ? [maxBudget] : budgets + [maxBudget]
        self.budgets = budgets
        var sizes = [candidates]
        while sizes.count < budgets.count { sizes.append((sizes.last! + eta - 1) / eta) }
        (self.sizes, self.eta) = (sizes, eta)
    }

    /// 1 + ⌊log_η(max/min)⌋, by integer arithmetic.
    static func rungCount(_ minBudget: Int, _ maxBudget: Int, _ eta: Int) -> Int {
        var (count, b) = (1, minBudget)
        while true {
            let (next, overflow) = b.multipliedReportingOverflow(by: eta)
            if overflow || next > maxBudget { return count }
            (count, b) = (count + 1, next)
        }
    }

    /// The candidates promoted from a rung: the `keep` with the lowest loss, ties (and equal
    /// losses) broken by the lower candidate index; a NaN loss ranks last.
    public static func promote(_ ranked: [(candidate: Int, loss: Double)], keep: Int) -> [Int] {
        rank(ranked).prefix(keep).map(\.candidate)
    }

    /// `ranked` ordered by loss, then candidate index (NaN last).
    public static func rank(_ entries: [(candidate: Int, loss: Double)]) -> [(candidate: Int, loss: Double)] {
        entries.sorted { a, b in
            switch (a.loss.isNaN, b.loss.isNaN) {
            case (false, false): return (a.loss, a.candidate) < (b.loss, b.candidate)
            case (true, true): return a.candidate < b.candidate
            case (let x, _): return !x
            }
        }
    }
}
