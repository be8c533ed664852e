// RandomLTDRouting.swift — the trainer's side of random layerwise token dropping (issue 6, spec
// §9–10): which layers drop, the reserved length r(step) (DeepSpeed's RandomLTDScheduler from the
// Curriculum module: fixed_linear rounded down to `seq_per_step`, no lower clamp), and what one
// step actually costs — layer-tokens, Megatron's layer-averaged tokens, and matmul FLOPs.
//
// Accounting differs from DeepSpeed on purpose: DeepSpeed adds G·(r·l + max_value·(L − l)) per
// step even when the batch is shorter than r or max_value (spec §9.1); here every layer counts
// the tokens it really processed, min(r, T) for a dropping layer and T for a dense one.

import Curriculum
import Model

/// Random-LTD settings of a run: dropping layers and the reserved-length schedule.
/// JSON: {"layers": [1, 2, 3, 4], "min_value": 64, "max_value": 256, "require_steps": 1200,
///        "seq_per_step": 16, "allow_edge_layers": false}
public struct RandomLTDRouting: Codable, Equatable, Sendable {
    /// `random_ltd_layer_id`, sorted ascending.
    public var layers: [Int]
    /// `random_ltd_schedule`: r goes from `minValue` to `maxValue` over `requireSteps` steps in
    /// multiples of `seqPerStep`.
    public var minValue: Int, maxValue: Int, requireSteps: Int, seqPerStep: Int
    /// Permits dropping in the first or last layer (the paper and DeepSpeed's examples never do).
    public var allowEdgeLayers: Bool

    public init(layers: [Int], minValue: Int, maxValue: Int, requireSteps: Int, seqPerStep: Int,
                allowEdgeLayers: Bool = false) {
        self.layers = layers.sorted()
        (self.minValue, self.maxValue, self.requireSteps, self.seqPerStep) = (minValue, maxValue, requireSteps, seqPerStep)
        self.allowEdgeLayers = allowEdgeLayers
    }

    /// From the parsed `data_efficiency.data_routing.random_ltd` block; nil when it is disabled.
    /// - Throws: `TrainingError.invalidConfig` when enabled without a schedule.
    public init?(deepSpeed c: RandomLTDConfig) throws {
        guard c.enabled else { return nil }
        guard let s = c.schedule else {
            throw TrainingError.invalidConfig(["random_ltd: enabled without random_ltd_schedule"])
        }
        self.init(layers: c.randomLTDLayerIDs, minValue: s.minValue, maxValue: s.maxValue,
                  requireSteps: s.requireSteps, seqPerStep: s.seqPerStep)
    }

    /// DeepSpeed's `layer_token_lr_schedule` (which DeepSpeed itself rejects) against the run's
    /// `gradus.train.lr`, which is what the trainer follows: when enabled, the lr must count
    /// `layer_tokens` with the same warmup and total. Empty when consistent or disabled.
    public static func problems(layerTokenLR c: LayerTokenLRScheduleConfig, lr: LearningRateSchedule) -> [String] {
        guard c.enabled else { return [] }
        var out: [String] = []
        if lr.unit != .layerTokens {
            out.append("layer_token_lr_schedule is enabled but gradus.train.lr.unit is \(lr.unit.rawValue), not layer_tokens")
        }
        if let w = c.warmupLayerTokens, w != lr.warmup {
            out.append("layer_token_lr_schedule.warmup_layer_tokens (\(w)) differs from gradus.train.lr.warmup (\(lr.warmup))")
        }
        if let t = c.totalLayerTokens, t != lr.total {
            out.append("layer_token_lr_schedule.total_layer_tokens (\(t)) differs from gradus.train.lr.total (\(lr.total))")
        }
        return out
    }

    enum CodingKeys: String, CodingKey {
        case layers, minValue = "min_value", maxValue = "max_value", requireSteps = "require_steps"
        case seqPerStep = "seq_per_step", allowEdgeLayers = "allow_edge_layers"
    }

    /// Every inconsistency with the model and the batch length, as sentences; empty when valid.
    public func problems(model: ModelConfig, sequenceLength: Int) -> [String] {
        var out: [String] = []
        let L = model.layers
        if layers.isEmpty { out.append("random_ltd: random_ltd_layer_id is empty") }
        if Set(layers).count != layers.count { out.append("random_ltd: random_ltd_layer_id has duplicates \(layers)") }
        if let bad = layers.first(where: { $0 < 0 || $0 >= L }) {
            out.append("random_ltd: layer id \(bad) is outside 0..<\(L)")
        }
        if !allowEdgeLayers && (layers.contains(0) || layers.contains(L - 1)) {
            out.append("random_ltd: the first and last layers (0, \(L - 1)) never drop unless allow_edge_layers is true")
        }
        if minValue < 1 || seqPerStep < 1 || requireSteps < 1 {
            out.append("random_ltd: min_value, seq_per_step and require_steps must be >= 1")
        }
        if maxValue < minValue { out.append("random_ltd: max_value (\(maxValue)) must be >= min_value (\(minValue))") }
        if maxValue > sequenceLength {
            out.append("random_ltd: max_value (\(maxValue)) must be <= the sequence length (\(sequenceLength))")
        }
        if minValue < seqPerStep {
            out.append("random_ltd: min_value (\(minValue)) < seq_per_step (\(seqPerStep)) gives r = 0 at step 0")
        }
        return out
    }

    /// r(step) for step = optimiser steps completed before this one (DeepSpeed's
    /// `engine.global_steps`, read before the forward), by DeepSpeed's scheduler (its layer-token
    /// accounting unused). fixed_linear is non-decreasing and capped at max_value, so DeepSpeed's
    /// freeze at max changes nothing.
    public func reserved(atStep step: Int) -> Int {
        RandomLTDScheduler(minValue: minValue, maxValue: maxValue, requireSteps: requireSteps, seqPerStep: seqPerStep,
                           totalLayers: 0, droppingLayers: layers.count, globalBatchSize: 0).value(at: step)
    }
}

/// What one step costs when `dropping` of the L layers keep `kept` = min(r, T) tokens per row —
/// the one cost model of the project: the run log's `flops`, `gradus bench train` and the
/// experiment report all read `flops` from here.
public struct StepCost: Equatable, Sendable {
    /// Rows (B) and tokens (B·T) of the batch.
    public let rows: Int, tokens: Int
    /// Σ over layers of tokens processed: B·(T·(L − l) + kept·l).
    public let layerTokens: Int
    /// Megatron's layer-averaged tokens: B·⌊(T·(L − l) + kept·l)/L⌋ (spec §9.7).
    public let layerAveragedTokens: Int
    /// Matmul FLOPs the step's forward + backward compute (backward = 2 × forward), forward =
    /// 2·B·12C²·Σ_i n_i + 4·B·C·Σ_i P(n_i) + 2·B·T·V·C over layers i processing n_i tokens a row,
    /// P(n) = `Attention.pairs(length: n)` the causal (query, key) pairs the attention multiplies.
    /// Model FLOPs, as utilisation figures count them: backward's recomputation of attention's
    /// score product (2·B·C·Σ_i P(n_i) more) is not included.
    public let flops: Double

    /// - Parameters: B, T: the batch as served (rows, length); reserved: r, or nil for a dense
    ///   step; dropping: l.
    public init(model: ModelConfig, batchSize B: Int, length T: Int, reserved: Int?, dropping l: Int) {
        let L = model.layers, C = Double(model.dModel), V = Double(model.vocab)
        (rows, tokens) = (B, B * T)
        let kept = min(reserved ?? T, T), drop = kept < T ? l : 0
        let perRow = T * (L - drop) + kept * drop
        layerTokens = B * perRow
        layerAveragedTokens = B * (L > 0 ? perRow / L : T)
        let pairs = Double(Attention.pairs(length: T) * (L - drop) + Attention.pairs(length: kept) * drop)
        let forward = 2 * Double(B) * 12 * C * C * Double(perRow) + 4 * Double(B) * C * pairs + 2 * Double(B * T) * V * C
        flops = 3 * forward
    }
}

extension RunConfig {
    /// The run's random-LTD settings: `data_efficiency.data_routing.random_ltd` when it and the
    /// blocks above it are enabled, else nil (every layer dense).
    /// - Throws: `TrainingError.invalidConfig` when the block is inconsistent with the model, or
    ///   when its `layer_token_lr_schedule` disagrees with `gradus.train.lr`.
    public func randomLTDRouting() throws -> RandomLTDRouting? {
        let de = file.dataEfficiency
        guard de.enabled, de.dataRouting.enabled,
              let routing = try RandomLTDRouting(deepSpeed: de.dataRouting.randomLTD) else { return nil }
        let problems = routing.problems(model: model, sequenceLength: sequenceLength)
            + RandomLTDRouting.problems(layerTokenLR: de.dataRouting.randomLTD.layerTokenLRSchedule, lr: train.lr)
        if !problems.isEmpty { throw TrainingError.invalidConfig(problems) }
        return routing
    }
}
