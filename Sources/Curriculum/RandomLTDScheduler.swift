// RandomLTDScheduler.swift — DeepSpeed's RandomLTDScheduler (spec §9.1): the reserved (kept)
// sequence length r(step) of random layerwise token dropping, and its layer-token accounting.
// r(step) is the `fixed_linear` pacing function with `require_steps`/`seq_per_step` and — unlike
// the curriculum in DeepSpeed 0.19.8 — no lower clamp (peer-figures.md: 100 with step 16 → 96).

/// The random-LTD schedule and `consumed_layer_tokens` bookkeeping of spec §9.1.
public struct RandomLTDScheduler: Codable, Sendable, Equatable {
    /// r(step); always `fixed_linear` with `minimumRule == .none`.
    public let pacing: PacingFunction
    /// L, `total_layer_num`.
    public let totalLayers: Int
    /// l, `random_ltd_layer_num`.
    public let droppingLayers: Int
    /// G, the global batch size (DeepSpeed injects `train_batch_size`).
    public let globalBatchSize: Int
    /// `current_value`: the reserved length; frozen once it reaches `max_value`.
    public private(set) var currentValue: Double
    /// `consumed_layer_tokens`.
    public private(set) var consumedLayerTokens: Double
    /// `current_steps`: the last step counted (−1 before the first).
    public private(set) var currentStep: Int

    /// - Parameters:
    ///   - minValue, maxValue: `random_ltd_schedule.min_value` / `max_value`.
    ///   - requireSteps, seqPerStep: `schedule_config.require_steps` / `seq_per_step`.
    public init(minValue: Int, maxValue: Int, requireSteps: Int, seqPerStep: Int,
                totalLayers: Int, droppingLayers: Int, globalBatchSize: Int) {
        pacing = .linear(min: Double(minValue), max: Double(maxValue), totalSteps: Double(requireSteps),
                         difficultyStep: Double(seqPerStep), minimumRule: .none)
        self.totalLayers = totalLayers
        self.droppingLayers = droppingLayers
        self.globalBatchSize = globalBatchSize
        currentValue = Double(minValue)
        consumedLayerTokens = 0
        currentStep = -1
    }

    /// `get_value(s)`: the reserved length at step s, without the freeze.
    public func value(at step: Int) -> Int { Int(pacing.value(at: Double(step))) }

    /// `update_seq(s)`: update the reserved length (unless frozen at max) and, once per distinct
    /// step, add G · (r · l + max · (L − l)) to the consumed layer tokens. Returns r.
    @discardableResult
    public mutating func update(step: Int) -> Int {
        if currentValue < pacing.maxDifficulty { currentValue = pacing.value(at: Double(step)) }
        if step != currentStep {
            let perSample = currentValue * Double(droppingLayers)
                + pacing.maxDifficulty * Double(totalLayers - droppingLayers)
            consumedLayerTokens += Double(globalBatchSize) * perSample
            currentStep = step
        }
        return Int(currentValue)
    }

    /// `get_total_layer_tokens(n)`: runs `update(step:)` for 0..<n and returns the total.
    public mutating func totalLayerTokens(steps n: Int) -> Double {
        for s in 0..<max(0, n) { update(step: s) }
        return consumedLayerTokens
    }
}
