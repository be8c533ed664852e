// GradientClipping.swift — global-norm gradient clipping as `torch.nn.utils.clip_grad_norm_`:
// norm = √(Σ g²) over every parameter; if norm > max, g ← g · max/(norm + 1e-6). The sum is a
// sequential Double loop so it is deterministic for any thread count (resume must be bit-exact).

/// Global-norm clipping of a gradient buffer.
public enum GradientClipping {
    /// √(Σ g²), accumulated in Double in eight lanes (element i into lane i mod 8, the lanes then
    /// summed in order): a fixed order, so the same bits on every run and thread count, without
    /// one long chain of dependent additions (a single running sum was 0.6 % of a training step,
    /// bound by the addition's latency, issue 19).
    /// - Complexity: O(P), one thread.
    public static func globalNorm(_ gradients: UnsafeBufferPointer<Float>) -> Double {
        guard let g = gradients.baseAddress else { return 0 }
        var low = SIMD4<Double>(), high = SIMD4<Double>(), i = 0
        let n = gradients.count
        while i + 8 <= n {
            let v = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            let a = SIMD4<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]))
            let b = SIMD4<Double>(Double(v[4]), Double(v[5]), Double(v[6]), Double(v[7]))
            low += a * a
            high += b * b
            i += 8
        }
        while i < n {
            let x = Double(g[i])
            if i % 8 < 4 { low[i % 8] += x * x } else { high[i % 8 - 4] += x * x }
            i += 1
        }
        var sum = 0.0
        for k in 0..<4 { sum += low[k] }
        for k in 0..<4 { sum += high[k] }
        return sum.squareRoot()
    }

    /// Scales `gradients` so their global norm is at most `maxNorm`; returns the norm before
    /// clipping. A non-positive or infinite `maxNorm` disables clipping.
    public static func clip(_ gradients: UnsafeMutableBufferPointer<Float>, maxNorm: Double) -> Double {
        let norm = globalNorm(UnsafeBufferPointer(gradients))
        guard maxNorm > 0, maxNorm.isFinite, norm > maxNorm else { return norm }
        let scale = Float(maxNorm / (norm + 1e-6))
        for i in gradients.indices { gradients[i] *= scale }
        return norm
    }
}
