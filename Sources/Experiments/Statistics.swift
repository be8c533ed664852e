// Statistics.swift — the numbers of the report (issue 7 §2, ecosystem.md §5.5): the mean curve of
// a variant over its seeds with the seed spread, summary statistics, and tokens-to-target with its
// data and wall-clock savings, computed by ONE function (`TargetAnalysis.compare`) that the report
// and the tests share.

import Foundation

/// Mean, sample standard deviation and range of a few numbers (the seeds of one variant).
public struct Summary: Equatable, Sendable {
    public var count: Int
    public var mean: Double
    /// Sample standard deviation (n − 1); 0 for a single value.
    public var std: Double
    public var min: Double
    public var max: Double

    /// - Precondition: `values` is not empty.
    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "a summary needs at least one value")
        count = values.count
        mean = values.reduce(0, +) / Double(values.count)
        let m = mean
        std = values.count > 1 ? (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot() : 0
        min = values.min()!
        max = values.max()!
    }

    /// True when the [min, max] ranges of the two summaries intersect.
    public func overlaps(_ other: Summary) -> Bool { min <= other.max && other.min <= max }
}

/// A variant's validation curve averaged over seeds: at each token count, the mean loss and wall
/// and the lowest/highest seed's loss (the band drawn in the plots).
public struct MeanCurve: Equatable, Sendable {
    public var points: [CurvePoint]
    public var lower: [Double]
    public var upper: [Double]

    /// Averages seed curves on the union of their token counts, restricted to the tokens every
    /// curve covers; each curve is linearly interpolated in tokens (loss and wall alike).
    /// - Precondition: every curve is non-empty and ascending in tokens.
    public init(curves: [[CurvePoint]]) {
        precondition(!curves.isEmpty && curves.allSatisfy { !$0.isEmpty }, "a mean curve needs non-empty curves")
        let start = curves.map { $0.first!.tokens }.max()!
        let end = curves.map { $0.last!.tokens }.min()!
        let grid = Set(curves.flatMap { $0.map(\.tokens) }).filter { $0 >= start && $0 <= end }.sorted()
        var points: [CurvePoint] = [], lower: [Double] = [], upper: [Double] = []
        for x in grid {
            let at = curves.map { MeanCurve.interpolate($0, tokens: x) }
            let losses = at.map(\.loss)
            points.append(CurvePoint(tokens: x, wall: at.map(\.wall).reduce(0, +) / Double(at.count),
                                     loss: losses.reduce(0, +) / Double(at.count)))
            lower.append(losses.min()!)
            upper.append(losses.max()!)
        }
        (self.points, self.lower, self.upper) = (points, lower, upper)
    }

    /// The curve at `tokens` by linear interpolation between its neighbours (clamped at the ends).
    public static func interpolate(_ curve: [CurvePoint], tokens x: Double) -> CurvePoint {
        guard let hi = curve.firstIndex(where: { $0.tokens >= x }) else { return curve.last! }
        if hi == 0 || curve[hi].tokens == x { return curve[hi] }
        let a = curve[hi - 1], b = curve[hi]
        let f = (x - a.tokens) / (b.tokens - a.tokens)
        return CurvePoint(tokens: x, wall: a.wall + f * (b.wall - a.wall), loss: a.loss + f * (b.loss - a.loss))
    }
}

/// When a curve first reaches a target loss.
public enum TargetReach: Equatable, Sendable {
    /// First reached at this (interpolated) token count and training wall-clock.
    case reached(tokens: Double, wall: Double)
    /// The curve never gets down to the target within the budget.
    case notReached
}

/// Tokens-to-target and the savings of one variant against the baseline.
public struct TargetComparison: Equatable, Sendable {
    /// The baseline's final (mean) validation loss: the target.
    public var target: Double
    public var baseline: TargetReach
    public var variant: TargetReach
    /// baseline tokens / variant tokens; nil when either did not reach the target.
    public var dataSaving: Double?
    /// baseline wall / variant wall at the target; nil when either did not reach it.
    public var wallSaving: Double?
}

/// Tokens-to-target (ecosystem.md §5.5: "reduced data to match quality").
public enum TargetAnalysis {
    /// The first crossing of `target` by `curve`: the first point with loss ≤ target; when it is
    /// not the first point, tokens and wall are interpolated linearly between it and the point
    /// before, at the fraction where the loss line meets the target.
    public static func reach(_ curve: [CurvePoint], target: Double) -> TargetReach {
        guard let i = curve.firstIndex(where: { $0.loss <= target }) else { return .notReached }
        if i == 0 { return .reached(tokens: curve[0].tokens, wall: curve[0].wall) }
        let a = curve[i - 1], b = curve[i]
        let f = (a.loss - target) / (a.loss - b.loss)
        return .reached(tokens: a.tokens + f * (b.tokens - a.tokens), wall: a.wall + f * (b.wall - a.wall))
    }

    /// Compares a variant's mean curve with the baseline's: the target is the baseline mean
    /// curve's last loss; each side's tokens (and wall) to first reach it; the savings
    /// baseline / variant, absent when either never reaches it.
    /// - Precondition: both curves are non-empty.
    public static func compare(baseline: [CurvePoint], variant: [CurvePoint]) -> TargetComparison {
        precondition(!baseline.isEmpty && !variant.isEmpty, "tokens-to-target needs two non-empty curves")
        let target = baseline.last!.loss
        let b = reach(baseline, target: target), v = reach(variant, target: target)
        var comparison = TargetComparison(target: target, baseline: b, variant: v, dataSaving: nil, wallSaving: nil)
        if case .reached(let bt, let bw) = b, case .reached(let vt, let vw) = v {
            comparison.dataSaving = vt > 0 ? bt / vt : nil
            comparison.wallSaving = vw > 0 ? bw / vw : nil
        }
        return comparison
    }
}
