// LayerNorm.swift — layer normalisation over the channel dimension (Ba, Kiros, Hinton 2016,
// arXiv 1607.06450; https://pytorch.org/docs/stable/generated/torch.nn.LayerNorm.html), with the
// biased variance, as PyTorch. llm.c `layernorm_forward/backward`.
// Float rows sum in VectorMath's eight lanes (issue 19); Double keeps the scalar loops.
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
                let m: F, sq: F
                if F.self == Float.self {
                    let xf = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
                    let mf = VectorMath.sum(xf, count: C) / Float(C)
                    (m, sq) = (F(mf), F(VectorMath.centeredSquares(xf, shift: mf, count: C)))
                } else {
                    var sum: F = 0, sq2: F = 0
                    for i in 0..<C { sum += x[i] }
                    let m2 = sum / F(C)
                    for i in 0..<C { let d = x[i] - m2; sq2 += d * d }
                    (m, sq) = (m2, sq2)
                }
                let s = 1 / F.squareRoot(sq / F(C) + epsilon)
                for i in 0..<C { y[i] = (x[i] - m) * s * weight[i] + bias[i] }
                mean[n] = m
                rstd[n] = s
            }
        }
    }

    /// Writes dInp, or dInp = residual + the LayerNorm's gradient when `residual` is given (the
    /// residual stream's gradient, which reaches the input by the skip connection too; it may be
    /// `dInp` itself); accumulates (`+=`) dWeight and dBias (only
    /// `zeroGradients()` clears those). With x̂ = (x − mean)·rstd and g = dOut·weight:
    /// dInp = rstd · (g − mean(g) − x̂ · mean(g·x̂)); dWeight = Σₙ dOut·x̂; dBias = Σₙ dOut.
    /// - Parameters:
    ///   - dInp: (N, C); dWeight, dBias: (C).
    ///   - dOut: (N, C); inp: (N, C); weight: (C); mean, rstd: (N) from forward.
    ///   - threads: rows, and the parameter sums' columns, are split over them; every sum runs in
    ///     the same order whatever the count.
    static func backward<F: ModelScalar>(
        dInp: UnsafeMutablePointer<F>, residual: UnsafePointer<F>?, dWeight: UnsafeMutablePointer<F>, dBias: UnsafeMutablePointer<F>,
        dOut: UnsafePointer<F>, inp: UnsafePointer<F>, weight: UnsafePointer<F>,
        mean: UnsafePointer<F>, rstd: UnsafePointer<F>, N: Int, C: Int, threads: Int
    ) {
        parallelRows(N, costPerRow: 10 * C, threads: threads) { rows in
            for n in rows {
                let x = inp + n * C, d = dOut + n * C, dx = dInp + n * C
                let m = mean[n], s = rstd[n]
                var gMean: F = 0, gxMean: F = 0
                if F.self == Float.self {
                    (gMean, gxMean) = Self.gradientMeans(d, weight, x, mean: m, rstd: s, C: C)
                } else {
                    for i in 0..<C {
                        let g = d[i] * weight[i]
                        gMean += g
                        gxMean += g * (x[i] - m) * s
                    }
                }
                gMean /= F(C)
                gxMean /= F(C)
                if let residual {
                    let r = residual + n * C
                    for i in 0..<C {
                        let xhat = (x[i] - m) * s
                        dx[i] = r[i] + s * (d[i] * weight[i] - gMean - xhat * gxMean)
                    }
                } else {
                    for i in 0..<C {
                        let xhat = (x[i] - m) * s
                        dx[i] = s * (d[i] * weight[i] - gMean - xhat * gxMean)
                    }
                }
            }
        }
        // Parameter gradients sum over rows: sequential over n within each thread's columns,
        // vectorised over C.
        parallelRows(C, costPerRow: 2 * N, threads: threads, chunksPerThread: 1) { columns in
            for n in 0..<N {
                let x = inp + n * C, d = dOut + n * C
                let m = mean[n], s = rstd[n]
                for i in columns {
                    dWeight[i] += d[i] * (x[i] - m) * s
                    dBias[i] += d[i]
                }
            }
        }
    }

    /// Float only: (Σ g, Σ g·x̂) over a row with g = dOut·weight, x̂ = (x − mean)·rstd, in
    /// VectorMath's eight lanes (the scalar sums of `backward`, reordered).
    @inline(__always)
    private static func gradientMeans<F: ModelScalar>(
        _ d: UnsafePointer<F>, _ weight: UnsafePointer<F>, _ x: UnsafePointer<F>, mean: F, rstd: F, C: Int
    ) -> (F, F) {
        let df = UnsafeRawPointer(d).assumingMemoryBound(to: Float.self)
        let wf = UnsafeRawPointer(weight).assumingMemoryBound(to: Float.self)
        let xf = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
        let m = Float(mean), s = Float(rstd)
        var g8 = Float8(), gx8 = Float8(), i = 0
        while i + 8 <= C {
            let g = VectorMath.load(df + i) * VectorMath.load(wf + i)
            g8 += g
            gx8 += g * (VectorMath.load(xf + i) - m) * s
            i += 8
        }
        var g = g8.sum(), gx = gx8.sum()
        while i < C {
            let gi = df[i] * wf[i]
            g += gi
            gx += gi * (xf[i] - m) * s
            i += 1
        }
        return (F(g), F(gx))
    }
}
