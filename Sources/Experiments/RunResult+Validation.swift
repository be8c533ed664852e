// RunResult+Validation.swift — what a line of `results.jsonl` may hold (issue 14 item 13): every
// number finite and inside a range no real run leaves, and each validation curve ascending in
// tokens. The report's statistics, interpolation and plots rely on exactly this, so a damaged or
// hand-edited line (tokens that decrease, 1e308, a negative count) is refused with its line
// number instead of trapping or printing NaN.

extension RunResult {
    /// The largest token, layer-token or step count a result may hold: 2^53, the range in which
    /// a Double (the report's arithmetic) counts every integer exactly.
    public static let maxCount = 1 << 53
    /// The largest wall-clock a result may hold, in seconds (about 31 700 years).
    public static let maxSeconds = 1e12
    /// The largest FLOP count a result may hold (far beyond any training run to date, ~1e26).
    public static let maxFLOPs = 1e30
    /// The largest |loss|, learning rate or difficulty a result may hold.
    public static let maxMagnitude = 1e15

    /// The first value out of range, as `field: value …`; nil when the report can use the result.
    public var problem: String? {
        func count(_ name: String, _ v: Int) -> String? {
            v >= 0 && v <= Self.maxCount ? nil : "\(name): \(v) is outside 0...\(Self.maxCount)"
        }
        /// Whole numbers below 2^63 as integers (not 9.007199254740992e+15), others as Swift prints them.
        func show(_ x: Double) -> String { x == x.rounded() && Swift.abs(x) < 9e18 ? String(Int64(x)) : "\(x)" }
        func real(_ name: String, _ v: Double, _ lo: Double, _ hi: Double) -> String? {
            v >= lo && v <= hi ? nil : "\(name): \(show(v)) is outside \(show(lo))...\(show(hi))"
        }
        let m = Self.maxMagnitude
        let scalars = [count("steps", steps), count("tokens", tokens), count("layer_tokens", layerTokens),
                       real("final_val_loss", finalValidationLoss, -m, m), real("flops", flops, 0, Self.maxFLOPs),
                       real("wall_seconds", wallSeconds, 0, Self.maxSeconds),
                       unigramValidationLoss.flatMap { real("unigram_val_loss", $0, 0, m) }]
        if let first = scalars.compactMap({ $0 }).first { return first }
        if let end = dataEndedAtStep, end != steps {
            return "data_ended_at_step: \(end) is not the run's last step (\(steps)); the data ends a run at its last step"
        }
        /// The first problem of a validation curve named `name`.
        func curveProblem(_ name: String, _ curve: [CurvePoint]) -> String? {
            for (k, p) in curve.enumerated() {
                let issues = [real("\(name)[\(k)] tokens", p.tokens, 0, Double(Self.maxCount)),
                              real("\(name)[\(k)] wall", p.wall, 0, Self.maxSeconds), real("\(name)[\(k)] loss", p.loss, -m, m)]
                if let first = issues.compactMap({ $0 }).first { return first }
                if k > 0, p.tokens < curve[k - 1].tokens {
                    return "\(name)[\(k)] tokens: \(show(p.tokens)) is below the previous point's \(show(curve[k - 1].tokens)) (a curve ascends in tokens)"
                }
            }
            return nil
        }
        if let first = curveProblem("curve", curve) { return first }
        for (field, groups) in (groupCurves ?? [:]).sorted(by: { $0.key < $1.key }) {
            for (name, points) in groups.sorted(by: { $0.key < $1.key }) {
                if points.isEmpty { return "val_group_curves.\(field).\(name): the curve is empty" }
                if let first = curveProblem("val_group_curves.\(field).\(name)", points) { return first }
            }
        }
        for (k, p) in schedule.enumerated() {
            var issues = [real("schedule[\(k)] tokens", p.tokens, 0, Double(Self.maxCount)), real("schedule[\(k)] lr", p.lr, -m, m),
                          count("schedule[\(k)] seq_length", p.seqLength), p.reservedLength.flatMap { count("schedule[\(k)] r", $0) }]
            issues += p.difficulties.sorted { $0.key < $1.key }.map { real("schedule[\(k)] difficulties.\($0.key)", $0.value, -m, m) }
            if let first = issues.compactMap({ $0 }).first { return first }
        }
        return nil
    }
}
