// LearningRateSchedule.swift — learning-rate warmup then cosine or linear decay as a pure value
// (STYLE.md §7; nanoGPT `get_lr`, Megatron's token-based decay). The schedule reads one counter of
// `TrainingProgress` — steps, tokens, or (issue 6) layer-tokens — so the same formula serves all
// three. The counter is the amount consumed at the *end* of the step being taken, so step 0 of a
// 10-step warmup trains at peak/10, not at 0.
//
//   x ≤ warmup:            lr = peak · x / warmup
//   warmup < x < total:    r = (x − warmup)/(total − warmup)
//                          cosine: min + (peak − min)·½(1 + cos πr);  linear: peak − (peak − min)·r
//   x ≥ total:             lr = min           (constant decay: peak after warmup, forever)
//
// LayerToken schedule (random-LTD, spec §10, issue 6): x = consumed layer-tokens
//   X(k) = Σ_{steps s ≤ k} Σ_{layers i} B_s · n_i(s),  n_i(s) = min(r(s), T_s) for a dropping layer,
//   T_s for a dense one — the tokens each layer actually processed, so the LR decays by the compute
//   actually spent. Megatron-DeepSpeed's approximation (unit `layer_averaged_tokens`) instead
//   counts tokens at the layer-averaged length, B_s·⌊(T_s·(L − l) + r·l)/L⌋ when r < T_s (B_s·T_s
//   otherwise), i.e. ⌊X/L⌋ up to the per-step floor; warmup and total are then in tokens.

import Foundation
import Support

/// What the schedule's warmup and total are measured in.
public enum ScheduleUnit: String, Codable, Sendable, ConfigChoice {
    /// Optimiser steps (the default: first).
    case steps
    /// Training tokens (B·T summed over steps, mask ignored).
    case tokens
    /// Σ over layers of tokens each layer processed (random-LTD's LayerToken schedule, issue 6).
    case layerTokens = "layer_tokens"
    /// Megatron-DeepSpeed's token counter under random-LTD: tokens at the layer-averaged length
    /// ⌊(T·(L − l) + r·l)/L⌋ per row (spec §8.4, §10.1).
    case layerAveragedTokens = "layer_averaged_tokens"
}

/// The shape of the decay after warmup.
public enum DecayStyle: String, Codable, Sendable, ConfigChoice {
    /// The default (first).
    case cosine
    case linear, constant
}

/// Counters a schedule can be driven by, at the end of the current step.
public struct TrainingProgress: Codable, Equatable, Sendable {
    /// Optimiser steps completed.
    public var steps: Int
    /// Tokens consumed (B·T per step).
    public var tokens: Int
    /// Σ over layers of tokens each processed (dense: layers · tokens).
    public var layerTokens: Int
    /// Tokens at the layer-averaged length (Megatron's random-LTD accounting; dense: tokens).
    public var layerAveragedTokens: Int
    /// Training rows (samples) consumed: B per step, more under `seqlen_reshape`.
    public var samples: Int

    /// `layerAveragedTokens` defaults to `tokens` (a dense run's value).
    public init(steps: Int = 0, tokens: Int = 0, layerTokens: Int = 0, layerAveragedTokens: Int? = nil,
                samples: Int = 0) {
        (self.steps, self.tokens, self.layerTokens, self.samples) = (steps, tokens, layerTokens, samples)
        self.layerAveragedTokens = layerAveragedTokens ?? tokens
    }

    /// Decodes; a checkpoint written before `layer_averaged_tokens` existed gets `tokens`, and one
    /// written before `samples` existed gets 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let tokens = try c.decode(Int.self, forKey: .tokens)
        self.init(steps: try c.decode(Int.self, forKey: .steps), tokens: tokens,
                  layerTokens: try c.decode(Int.self, forKey: .layerTokens),
                  layerAveragedTokens: try c.decodeIfPresent(Int.self, forKey: .layerAveragedTokens) ?? tokens,
                  samples: try c.decodeIfPresent(Int.self, forKey: .samples) ?? 0)
    }

    /// Counts one more step costing `cost` (the trainer's and the learning-rate preview's update).
    public mutating func advance(by cost: StepCost) {
        steps += 1
        tokens += cost.tokens
        layerTokens += cost.layerTokens
        layerAveragedTokens += cost.layerAveragedTokens
        samples += cost.rows
    }

    /// The counter `unit` names.
    public func value(_ unit: ScheduleUnit) -> Int {
        switch unit {
        case .steps: return steps
        case .tokens: return tokens
        case .layerTokens: return layerTokens
        case .layerAveragedTokens: return layerAveragedTokens
        }
    }

    enum CodingKeys: String, CodingKey {
        case steps, tokens, layerTokens = "layer_tokens", layerAveragedTokens = "layer_averaged_tokens", samples
    }
}

/// Warmup + decay learning-rate schedule. JSON example:
///
///     {"peak": 6e-4, "min": 6e-5, "warmup": 100, "total": 2000, "unit": "steps", "decay": "cosine"}
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    /// Learning rate at the end of warmup.
    public var peak: Double
    /// Floor reached at `total` and kept after it.
    public var min: Double
    /// Length of the linear warmup, in `unit`.
    public var warmup: Int
    /// End of the decay, in `unit` (ignored by constant decay).
    public var total: Int
    /// The counter warmup and total are measured in.
    public var unit: ScheduleUnit
    /// Shape of the decay.
    public var decay: DecayStyle

    public init(peak: Double, min: Double = 0, warmup: Int, total: Int, unit: ScheduleUnit = .steps,
                decay: DecayStyle = .cosine) {
        (self.peak, self.min, self.warmup, self.total, self.unit, self.decay) = (peak, min, warmup, total, unit, decay)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case peak, min, warmup, total, unit, decay
    }

    /// Decodes: `peak` and `warmup` required, the rest take the defaults of `init` (config files:
    /// `ConfigDecoder`, which also reports unknown keys and bad unit or decay names).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = LearningRateSchedule(peak: 0, warmup: 0, total: 0)
        self.init(peak: try c.decode(Double.self, forKey: .peak),
                  min: try c.decodeIfPresent(Double.self, forKey: .min) ?? d.min,
                  warmup: try c.decode(Int.self, forKey: .warmup),
                  total: try c.decodeIfPresent(Int.self, forKey: .total) ?? d.total,
                  unit: try c.decodeIfPresent(ScheduleUnit.self, forKey: .unit) ?? d.unit,
                  decay: try c.decodeIfPresent(DecayStyle.self, forKey: .decay) ?? d.decay)
    }

    /// Every inconsistency, as sentences; empty when valid.
    public func problems() -> [String] {
        var out: [String] = []
        if !(peak > 0 && peak.isFinite) { out.append("schedule peak must be > 0 (got \(peak))") }
        if !(min >= 0 && min <= peak) { out.append("schedule min must be in [0, peak] (got \(min))") }
        if warmup < 0 { out.append("schedule warmup must be >= 0 (got \(warmup))") }
        if decay != .constant && total <= warmup {
            out.append("schedule total (\(total)) must exceed warmup (\(warmup)) for \(decay.rawValue) decay")
        }
        return out
    }

    /// The learning rate once `progress` has been consumed (see the file header for the formula).
    public func rate(at progress: TrainingProgress) -> Double {
        let x = Double(progress.value(unit))
        if warmup > 0 && x <= Double(warmup) { return peak * x / Double(warmup) }
        if decay == .constant { return peak }
        if x >= Double(total) { return min }
        let r = (x - Double(warmup)) / Double(total - warmup)
        switch decay {
        case .cosine: return min + (peak - min) * 0.5 * (1 + cos(Double.pi * r))
        case .linear: return peak - (peak - min) * r
        case .constant: return peak
        }
    }
}
