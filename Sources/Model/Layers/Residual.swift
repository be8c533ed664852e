// Residual.swift — the residual connection out = a + b (llm.c `residual_forward/backward`).
// Legend: count = B·T·C elements.

/// Element-wise sum of two streams.
enum Residual {
    /// - Parameters: out, a, b: (count); out may alias neither input.
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, a: UnsafePointer<F>, b: UnsafePointer<F>, count: Int, threads: Int
    ) {
        parallelRows(count, costPerRow: 1, threads: threads) { range in
            for i in range { out[i] = a[i] + b[i] }
        }
    }

    /// Writes dA = dOut and dB = dOut (each is the first gradient either stream receives in the
    /// block's backward, so nothing is cleared first).
    static func backward<F: ModelScalar>(
        dA: UnsafeMutablePointer<F>, dB: UnsafeMutablePointer<F>, dOut: UnsafePointer<F>, count: Int, threads: Int
    ) {
        parallelRows(count, costPerRow: 2, threads: threads) { range in
            for i in range {
                dA[i] = dOut[i]
                dB[i] = dOut[i]
            }
        }
    }
}
