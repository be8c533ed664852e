// AdamW.swift — Adam with decoupled weight decay (Loshchilov & Hutter 2019, arXiv 1711.05101;
// https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html), one flat loop over the
// parameter buffer (llm.c `gpt2_update`). The moments m and v are each one contiguous buffer
// indexed by the model's `ParameterLayout`; decay applies to 2-D tensors only (nanoGPT's groups).

import Support
import Model

/// AdamW hyper-parameters (the learning rate comes from the schedule each step).
public struct AdamWHyperparameters: Codable, Equatable, Sendable {
    /// Decay of the first-moment average (β₁).
    public var beta1: Double
    /// Decay of the second-moment average (β₂).
    public var beta2: Double
    /// Added to √v̂ in the denominator (ε).
    public var epsilon: Double
    /// Decoupled weight decay λ: p ← p − lr·λ·p on matrices, before the Adam step.
    public var weightDecay: Double

    /// nanoGPT's defaults for small GPTs.
    public init(beta1: Double = 0.9, beta2: Double = 0.95, epsilon: Double = 1e-8, weightDecay: Double = 0.1) {
        (self.beta1, self.beta2, self.epsilon, self.weightDecay) = (beta1, beta2, epsilon, weightDecay)
    }

    /// Every out-of-range value, as sentences; empty when valid.
    public func problems() -> [String] {
        var out: [String] = []
        if !(beta1 >= 0 && beta1 < 1) { out.append("beta1 must be in [0, 1) (got \(beta1))") }
        if !(beta2 >= 0 && beta2 < 1) { out.append("beta2 must be in [0, 1) (got \(beta2))") }
        if !(epsilon > 0) { out.append("epsilon must be > 0 (got \(epsilon))") }
        if !(weightDecay >= 0) { out.append("weight_decay must be >= 0 (got \(weightDecay))") }
        return out
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case beta1, beta2, epsilon, weightDecay = "weight_decay"
    }

    /// Decodes; missing keys take the defaults of `init` (config files: `ConfigDecoder`, which
    /// also reports unknown keys).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AdamWHyperparameters()
        self.init(beta1: try c.decodeIfPresent(Double.self, forKey: .beta1) ?? d.beta1,
                  beta2: try c.decodeIfPresent(Double.self, forKey: .beta2) ?? d.beta2,
                  epsilon: try c.decodeIfPresent(Double.self, forKey: .epsilon) ?? d.epsilon,
                  weightDecay: try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? d.weightDecay)
    }
}

/// The optimiser state: first and second moments and the step count.
public final class AdamW {
    /// Hyper-parameters in use.
    public let hyper: AdamWHyperparameters
    /// First moments (P), laid out as the parameters.
    public let m: UnsafeMutableBufferPointer<Float>
    /// Second moments (P), laid out as the parameters.
    public let v: UnsafeMutableBufferPointer<Float>
    /// Updates applied so far (t in the bias corrections).
    public internal(set) var step: Int = 0
    /// 1 where weight decay applies (matrices), from `ParameterLayout.decayMask()`.
    let decay: [UInt8]
    /// `decay` as runs of equal flags, which `update` walks eight lanes at a time (issue 19).
    let decayRuns: [(range: Range<Int>, decays: Bool)]
    /// Threads of `update` (the model's).
    public let threads: ComputeThreads

    /// Zero moments for the parameters described by `layout`, updated over `threads`.
    public init(layout: ParameterLayout, hyper: AdamWHyperparameters, threads: ComputeThreads) {
        (self.hyper, self.threads) = (hyper, threads)
        decay = layout.decayMask()
        decayRuns = Self.runs(of: decay)
        m = .allocate(capacity: layout.count)
        v = .allocate(capacity: layout.count)
        m.initialize(repeating: 0)
        v.initialize(repeating: 0)
    }

    deinit {
        m.deallocate()
        v.deallocate()
    }

    /// One AdamW update of `parameters` from `gradients` at learning rate `lr`:
    /// p ← p − lr·λ·p (matrices only); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
    /// p ← p − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε).
    /// - Precondition: both buffers have the layout's count.
    /// - Complexity: O(P), split over `threads`, eight lanes at a time; deterministic and
    ///   independent of the split (element-wise, the same operations per element).
    public func update(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>,
                       learningRate lr: Double) {
        precondition(parameters.count == m.count && gradients.count == m.count,
                     "AdamW: buffers hold \(parameters.count)/\(gradients.count) values, state has \(m.count)")
        step += 1
        let b1 = Float(hyper.beta1), b2 = Float(hyper.beta2), eps = Float(hyper.epsilon)
        let c1 = Float(1 / (1 - pow(hyper.beta1, Double(step))))
        let c2 = Float(1 / (1 - pow(hyper.beta2, Double(step))))
        let rate = Float(lr), shrink = Float(1 - lr * hyper.weightDecay)
        let p = parameters.baseAddress!, g = UnsafePointer(gradients.baseAddress!)
        let mm = m.baseAddress!, vv = v.baseAddress!
        let n = m.count, runs = decayRuns
        // On `threads` threads only (one means the calling thread): a one-thread run (a `--jobs 2`
        // experiment's, or `bench train --threads 1`) must not take another run's core.
        let chunks = max(1, min(threads.count * 4, n / 65_536))
        parallelFor(chunks, threads: threads.count) { c in
            let chunk = (n * c / chunks)..<(n * (c + 1) / chunks)
            for run in runs where run.range.overlaps(chunk) {
                let lo = max(run.range.lowerBound, chunk.lowerBound), hi = min(run.range.upperBound, chunk.upperBound)
                let factor: Float = run.decays ? shrink : 1
                // Eight lanes, then the tail one by one: the same operations in the same order per
                // element, so the result does not depend on the split (or on the lanes).
                var i = lo
                while i + 8 <= hi {
                    let gi = load(g + i)
                    let mi = b1 * load(mm + i) + (1 - b1) * gi
                    let vi = b2 * load(vv + i) + (1 - b2) * gi * gi
                    store(mi, mm + i)
                    store(vi, vv + i)
                    let decayed = run.decays ? load(p + i) * factor : load(p + i)
                    store(decayed - rate * (mi * c1) / ((vi * c2).squareRoot() + eps), p + i)
                    i += 8
                }
                while i < hi {
                    let gi = g[i]
                    let mi = b1 * mm[i] + (1 - b1) * gi
                    let vi = b2 * vv[i] + (1 - b2) * gi * gi
                    mm[i] = mi
                    vv[i] = vi
                    let decayed = run.decays ? p[i] * factor : p[i]
                    p[i] = decayed - rate * (mi * c1) / ((vi * c2).squareRoot() + eps)
                    i += 1
                }
            }
        }
    }

    /// The decay mask as maximal runs of equal flags (tensors are contiguous, so a handful).
    static func runs(of mask: [UInt8]) -> [(range: Range<Int>, decays: Bool)] {
        var out: [(range: Range<Int>, decays: Bool)] = []
        var start = 0
        for i in mask.indices.dropFirst() where (mask[i] != 0) != (mask[start] != 0) {
            out.append((start..<i, mask[start] != 0))
            start = i
        }
        if start < mask.count { out.append((start..<mask.count, mask[start] != 0)) }
        return out
    }
}

@inline(__always)
private func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

#if canImport(Glibc)
import Glibc
#endif
