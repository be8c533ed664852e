// PacingFunction.swift — DeepSpeed's CurriculumScheduler pacing functions as one pure value type
// (spec §2.1–2.3, DESIGN.md §4, STYLE.md §7). The same type drives the curriculum metrics and the
// random-LTD reserved-length schedule (spec §9.1), which differ only in the minimum rule:
//
// - curriculum (DeepSpeed ≥ 0.19.7, ../shared/reference/peer-figures.md): after rounding down to a
//   multiple of `difficulty_step`, a value below `min_difficulty` is raised to the first multiple
//   of `difficulty_step` that is ≥ `min_difficulty`; the cap `min(v, max)` is applied after that;
// - random-LTD (0.19.8 still): no lower clamp, so 100 with step 16 gives 96 (spec §9.1 L4).
//
// Gradus extensions (docs/curriculum.md): `step_unit: "tokens"` makes the argument the number of
// consumed tokens instead of the step, and `custom` interpolates a table of (step, difficulty)
// points linearly instead of calling a Python callback.

import Foundation

/// A pacing function: step (or consumed tokens) → difficulty, exactly as DeepSpeed computes it.
public struct PacingFunction: Codable, Sendable, Equatable {
    /// The schedule types of spec §2 (`custom` is the Gradus point table).
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case fixedLinear = "fixed_linear"
        case fixedRoot = "fixed_root"
        case fixedDiscrete = "fixed_discrete"
        case custom
    }

    /// What happens to a rounded value below the minimum.
    public enum MinimumRule: String, Codable, Sendable {
        /// DeepSpeed ≥ 0.19.7 curriculum: raise to the first multiple of the step ≥ the minimum.
        case raiseToStepMultiple = "raise_to_step_multiple"
        /// random-LTD (and DeepSpeed ≤ 0.19.6 curriculum): keep the value below the minimum.
        case none
    }

    /// What the function's argument counts.
    public enum StepUnit: String, Codable, Sendable {
        /// Global batches drawn (DeepSpeed's `curriculum_step`, spec §2.4).
        case steps
        /// Tokens consumed before the batch (Gradus extension).
        case tokens
    }

    /// One point of a `custom` table.
    public struct Point: Codable, Sendable, Equatable {
        public var step: Double
        public var difficulty: Double
        public init(step: Double, difficulty: Double) { self.step = step; self.difficulty = difficulty }
    }

    public var kind: Kind
    public var minDifficulty: Double
    public var maxDifficulty: Double
    /// `total_curriculum_step` (random-LTD: `require_steps`); unused by discrete and custom.
    public var totalSteps: Double
    /// `difficulty_step` (random-LTD: `seq_per_step`); unused by discrete and custom.
    public var difficultyStep: Double
    /// `root_degree`: 1 for fixed_linear.
    public var rootDegree: Double
    /// fixed_discrete: `difficulty` (one longer than `maxSteps`).
    public var discreteDifficulties: [Double]
    /// fixed_discrete: `max_step`.
    public var discreteMaxSteps: [Double]
    /// custom: points sorted by step.
    public var points: [Point]
    public var minimumRule: MinimumRule
    public var stepUnit: StepUnit
    /// True when the configured numbers are JSON integers, so values print as integers.
    public var isIntegral: Bool

    /// A `fixed_linear` (rootDegree 1) or `fixed_root` schedule.
    public static func root(kind: Kind = .fixedRoot, min: Double, max: Double, totalSteps: Double,
                            difficultyStep: Double, rootDegree: Double,
                            minimumRule: MinimumRule = .raiseToStepMultiple, stepUnit: StepUnit = .steps,
                            isIntegral: Bool = true) -> PacingFunction {
        PacingFunction(kind: kind, minDifficulty: min, maxDifficulty: max, totalSteps: totalSteps,
                       difficultyStep: difficultyStep, rootDegree: rootDegree, discreteDifficulties: [],
                       discreteMaxSteps: [], points: [], minimumRule: minimumRule, stepUnit: stepUnit,
                       isIntegral: isIntegral)
    }

    /// A `fixed_linear` schedule.
    public static func linear(min: Double, max: Double, totalSteps: Double, difficultyStep: Double,
                              minimumRule: MinimumRule = .raiseToStepMultiple,
                              stepUnit: StepUnit = .steps) -> PacingFunction {
        root(kind: .fixedLinear, min: min, max: max, totalSteps: totalSteps, difficultyStep: difficultyStep,
             rootDegree: 1, minimumRule: minimumRule, stepUnit: stepUnit)
    }

    /// A `fixed_discrete` schedule; `difficulties.count` must be `maxSteps.count + 1` (checked by
    /// `validationProblems()`).
    public static func discrete(min: Double, max: Double, difficulties: [Double], maxSteps: [Double],
                                stepUnit: StepUnit = .steps) -> PacingFunction {
        PacingFunction(kind: .fixedDiscrete, minDifficulty: min, maxDifficulty: max, totalSteps: 0,
                       difficultyStep: 1, rootDegree: 1, discreteDifficulties: difficulties,
                       discreteMaxSteps: maxSteps, points: [], minimumRule: .none, stepUnit: stepUnit,
                       isIntegral: difficulties.allSatisfy { $0 == $0.rounded(.down) })
    }

    /// A `custom` point table (Gradus extension).
    public static func custom(min: Double, max: Double, points: [Point], stepUnit: StepUnit = .steps) -> PacingFunction {
        PacingFunction(kind: .custom, minDifficulty: min, maxDifficulty: max, totalSteps: 0, difficultyStep: 1,
                       rootDegree: 1, discreteDifficulties: [], discreteMaxSteps: [], points: points,
                       minimumRule: .none, stepUnit: stepUnit,
                       isIntegral: points.allSatisfy { $0.difficulty == $0.difficulty.rounded(.down) })
    }

    /// Problems that make the function unusable (spec §2.1), as messages; empty when valid.
    public func validationProblems() -> [String] {
        var problems: [String] = []
        switch kind {
        case .fixedLinear, .fixedRoot:
            if !(totalSteps > 0) { problems.append("total_curriculum_step must be > 0") }
            if !(difficultyStep > 0) { problems.append("difficulty_step must be > 0") }
            if !(rootDegree > 0) { problems.append("root_degree must be > 0") }
        case .fixedDiscrete:
            if discreteDifficulties.isEmpty || discreteMaxSteps.isEmpty {
                problems.append("fixed_discrete needs non-empty difficulty and max_step lists")
            } else if discreteDifficulties.count != discreteMaxSteps.count + 1 {
                problems.append("fixed_discrete needs len(difficulty) == len(max_step) + 1")
            }
        case .custom:
            if points.isEmpty { problems.append("custom needs at least one point") }
            if zip(points, points.dropFirst()).contains(where: { $0.step >= $1.step }) {
                problems.append("custom points must have strictly increasing steps")
            }
        }
        if !minDifficulty.isFinite || !maxDifficulty.isFinite {
            problems.append("min_difficulty and max_difficulty must be finite numbers")
        }
        if maxDifficulty < minDifficulty { problems.append("max_difficulty must be ≥ min_difficulty") }
        return problems
    }

    /// The smallest and largest difficulty the function (and a scheduler driving it) can hold at
    /// any step: [min, max] widened by the rounding to `difficulty_step` of root schedules and by
    /// the listed values of discrete and custom ones. A restored state is checked against it.
    public var attainableDifficulties: (lower: Double, upper: Double) {
        let lo = Swift.min(minDifficulty, maxDifficulty), hi = Swift.max(minDifficulty, maxDifficulty)
        switch kind {
        case .fixedLinear, .fixedRoot:
            return (lo.rounded(.down) - Swift.abs(difficultyStep) - 1, hi)
        case .fixedDiscrete:
            return (Swift.min(lo, discreteDifficulties.min() ?? lo), Swift.max(hi, discreteDifficulties.max() ?? hi))
        case .custom:
            let ds = points.map(\.difficulty)
            return (Swift.min(lo, ds.min() ?? lo), Swift.max(hi, ds.max() ?? hi))
        }
    }

    /// DeepSpeed's `get_difficulty(s)` (spec §2.2, with the current release's minimum rule).
    /// `step` is the curriculum step, or the consumed tokens when `stepUnit` is `.tokens`.
    public func value(at step: Double) -> Double {
        switch kind {
        case .fixedLinear: return rootValue(step, degree: 1)
        case .fixedRoot: return rootValue(step, degree: rootDegree)
        case .fixedDiscrete: return discreteValue(step)
        case .custom: return customValue(step)
        }
    }

    /// root(s, d) of spec §2.2, in DeepSpeed's operation order (ratio, pow, scale, add, floor).
    private func rootValue(_ s: Double, degree: Double) -> Double {
        let x = pow(s / totalSteps, 1.0 / degree)
        var v = (x * (maxDifficulty - minDifficulty) + minDifficulty).rounded(.down)
        v -= pythonModulo(v, difficultyStep)
        if minimumRule == .raiseToStepMultiple, v < minDifficulty {
            v = (minDifficulty / difficultyStep).rounded(.up) * difficultyStep
        }
        return Swift.min(v, maxDifficulty)
    }

    private func discreteValue(_ s: Double) -> Double {
        guard let last = discreteMaxSteps.last, s <= last else { return discreteDifficulties.last ?? minDifficulty }
        for (i, limit) in discreteMaxSteps.enumerated() where s <= limit { return discreteDifficulties[i] }
        return discreteDifficulties.last ?? minDifficulty
    }

    private func customValue(_ s: Double) -> Double {
        guard let first = points.first, let last = points.last else { return minDifficulty }
        if s <= first.step { return first.difficulty }
        if s >= last.step { return last.difficulty }
        let j = points.firstIndex { $0.step > s } ?? points.count - 1
        let a = points[j - 1], b = points[j]
        let v = a.difficulty + (s - a.step) / (b.step - a.step) * (b.difficulty - a.difficulty)
        return isIntegral ? v.rounded(.down) : v
    }
}

/// Python's `a % b`: the result takes the sign of the divisor.
@inlinable
func pythonModulo(_ a: Double, _ b: Double) -> Double {
    var r = fmod(a, b)
    if r != 0, (r < 0) != (b < 0) { r += b }
    return r
}

/// A pacing function plus DeepSpeed's `update_difficulty` freeze (spec §2.3): once the current
/// difficulty reaches `max_difficulty` it never changes again.
public struct CurriculumScheduler: Codable, Sendable, Equatable {
    public let pacing: PacingFunction
    /// `current_difficulty`; starts at `min_difficulty`.
    public private(set) var currentDifficulty: Double

    /// A scheduler at `min_difficulty`, or restored at a saved `currentDifficulty`.
    public init(pacing: PacingFunction, currentDifficulty: Double? = nil) {
        self.pacing = pacing
        self.currentDifficulty = currentDifficulty ?? pacing.minDifficulty
    }

    /// `update_difficulty(s)`: recompute unless frozen at max, and return the current difficulty.
    public mutating func update(step: Double) -> Double {
        if currentDifficulty < pacing.maxDifficulty { currentDifficulty = pacing.value(at: step) }
        return currentDifficulty
    }
}

/// Formats a difficulty as DeepSpeed prints it: integers without a fraction (`80`), other values
/// with one (`40.0`) — spec §2.2 property 5.
public func formatDifficulty(_ v: Double, integral: Bool) -> String {
    if integral, v == v.rounded(.down), abs(v) < 1e15 { return String(Int64(v)) }
    return String(v)
}
