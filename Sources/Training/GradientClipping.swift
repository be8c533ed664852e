// GradientClipping.swift — global-norm gradient clipping as `torch.nn.utils.clip_grad_norm_`:
// norm = √(Σ g²) over every parameter; if norm > max, g ← g · max/(norm + 1e-6). The sum is a
// sequential Double loop so it is deterministic for any thread count (resume must be bit-exact).

/// Global-norm clipping of a gradient buffer.
public enum GradientClipping {
    /// √(Σ g²), accumulated in Double in buffer order.
    /// - Complexity: O(P), one thread.
    public static func globalNorm(_ gradients: UnsafeBufferPointer<Float>) -> Double {
        var sum = 0.0
        for g in gradients { sum += Double(g) * Double(g) }
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
