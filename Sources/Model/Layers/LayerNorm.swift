// LayerNorm.swift — layer normalisation over the channel dimension (Ba, Kiros, Hinton 2016,
// arXiv 1607.06450; https://pytorch.org/docs/stable/generated/torch.nn.LayerNorm.html), with the
// biased variance, as PyTorch. llm.c `layernorm_forward/backward`.
// Legend: N rows (B·T), C channels.

/// out = (x − mean) · rstd · weight + bias, rstd = 1/√(var + ε).
enum LayerNorm {
    /// - Parameters:
    ///   - out: (N, C) written.
    ///   - mean, rstd: (N) caches for backward, written.
    ///   - inp: (N, C).
    ///   - weight, bias: (C).
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, mean: UnsafeMutablePointer<F>, rstd: UnsafeMutablePointer<F>,
        inp: UnsafePointer<F>, weight: UnsafePointer<F>, bias: UnsafePointer<F>,
        N: Int, C: Int, epsilon: F, threads: Int
    ) {
        parallelRows(N, costPerRow: 8 * C, threads: threads) { rows in
            for n in rows {
                let x = inp + n * C, y = out + n * C
                var sum: F = 0
                for i in 0..<C { sum += x[i] }
                let m = sum / F(C)
                var sq: F = 0
                for i in 0..<C { let d = x[i] - m; sq += d * d }
                let s = 1 / F.squareRoot(sq / F(C) + epsilon)
                for i in 0..<C { y[i] = (x[i] - m) * s * weight[i] + bias[i] }
                mean[n] = m
                rstd[n] = s
            }
        }
    }

    /// Accumulates (`+=`) into dInp, dWeight, dBias; only `zeroGradients()` clears.
    /// With x̂ = (x − mean)·rstd and g = dOut·weight:
    /// dInp = rstd · (g − mean(g) − x̂ · mean(g·x̂)); dWeight = Σₙ dOut·x̂; dBias = Σₙ dOut.
    /// - Parameters:
    ///   - dInp: (N, C); dWeight, dBias: (C).
    ///   - dOut: (N, C); inp: (N, C); weight: (C); mean, rstd: (N) from forward.
    static func backward<F: ModelScalar>(
        dInp: UnsafeMutablePointer<F>, dWeight: UnsafeMutablePointer<F>, dBias: UnsafeMutablePointer<F>,
        dOut: UnsafePointer<F>, inp: UnsafePointer<F>, weight: UnsafePointer<F>,
        mean: UnsafePointer<F>, rstd: UnsafePointer<F>, N: Int, C: Int, threads: Int
    ) {
        parallelRows(N, costPerRow: 10 * C, threads: threads) { rows in
            for n in rows {
                let x = inp + n * C, d = dOut + n * C, dx = dInp + n * C
                let m = mean[n], s = rstd[n]
                var gMean: F = 0, gxMean: F = 0
                for i in 0..<C {
                    let g = d[i] * weight[i]
                    gMean += g
                    gxMean += g * (x[i] - m) * s
                }
                gMean /= F(C)
                gxMean /= F(C)
                for i in 0..<C {
                    let xhat = (x[i] - m) * s
                    dx[i] += s * (d[i] * weight[i] - gMean - xhat * gxMean)
                }
            }
        }
        // Parameter gradients sum over rows: sequential over n, vectorised over C.
        for n in 0..<N {
            let x = inp + n * C, d = dOut + n * C
            let m = mean[n], s = rstd[n]
            for i in 0..<C {
                dWeight[i] += d[i] * (x[i] - m) * s
                dBias[i] += d[i]
            }
        }
    }
}
