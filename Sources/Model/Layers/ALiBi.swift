// ALiBi.swift — per-head slopes of Attention with Linear Biases (Press, Smith, Lewis 2022,
// arXiv 2108.12409) exactly as BLOOM's `build_alibi_tensor` computes them, including head counts
// that are not powers of two: the closest power of two p ≤ NH gets slopes base^1..base^p with
// base = 2^(−2^(−(log2 p − 3))); the remaining heads take odd powers of the base for 2p.

/// ALiBi slopes for any number of heads.
public enum ALiBi {
    /// The slope of each head, in head order.
    /// - Precondition: `heads >= 1`.
    /// - Returns: NH slopes; e.g. 8 heads give 1/2, 1/4, …, 1/256.
    public static func slopes(heads: Int) -> [Double] {
        precondition(heads >= 1, "ALiBi needs at least one head")
        var p = 1
        while p * 2 <= heads { p *= 2 }
        func base(_ n: Int) -> Double {
            let log2n = Double(n.trailingZeroBitCount)  // n is a power of two
            return pow2(-pow2(-(log2n - 3)))
        }
        let b = base(p)
        var out = (1...p).map { power(b, $0) }
        if p != heads {
            let extra = base(2 * p)
            let remaining = min(p, heads - p)
            out += stride(from: 1, to: 1 + 2 * remaining, by: 2).map { power(extra, $0) }
        }
        return out
    }

    private static func pow2(_ x: Double) -> Double { exp2(x) }
    private static func power(_ b: Double, _ n: Int) -> Double {
        var r = 1.0
        for _ in 0..<n { r *= b }
        return r
    }
}

#if canImport(Glibc)
import Glibc
#endif
