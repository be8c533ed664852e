// GELU.swift — the tanh approximation of GELU used by BLOOM (`bloom_gelu_forward`; Hendrycks &
// Gimpel 2016, arXiv 1606.08415): y = ½x(1 + tanh(√(2/π)(x + 0.044715x³))). llm.c `gelu_*`.
// Legend: count = N · 4C elements.

/// Element-wise tanh-GELU.
enum GELU {
    /// √(2/π).
    static let scale = 0.7978845608028654

    /// - Parameters:
    ///   - out: (count) written; inp: (count).
    static func forward<F: ModelScalar>(out: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, count: Int, threads: Int) {
        let k = F(scale), c: F = 0.044715
        parallelRows(count, costPerRow: 20, threads: threads) { range in
            for i in range {
                let x = inp[i]
                out[i] = x / 2 * (1 + F.hyperbolicTangent(k * (x + c * x * x * x)))
            }
        }
    }

    /// Accumulates (`+=`) dInp += dOut · gelu′(inp); only `zeroGradients()` clears.
    /// gelu′(x) = ½(1 + th) + ½x(1 − th²)·k(1 + 3·0.044715x²), th = tanh(k(x + 0.044715x³)).
    static func backward<F: ModelScalar>(
        dInp: UnsafeMutablePointer<F>, dOut: UnsafePointer<F>, inp: UnsafePointer<F>, count: Int, threads: Int
    ) {
        let k = F(scale), c: F = 0.044715
        parallelRows(count, costPerRow: 25, threads: threads) { range in
            for i in range {
                let x = inp[i]
                let th = F.hyperbolicTangent(k * (x + c * x * x * x))
                let grad = (1 + th) / 2 + x / 2 * (1 - th * th) * k * (1 + 3 * c * x * x)
                dInp[i] += dOut[i] * grad
            }
        }
    }
}
