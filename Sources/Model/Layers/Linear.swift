// Linear.swift — fully connected layer y = x·Wᵀ + b through `parallelGEMM` (OpenBLAS sgemm for
// Float, split over the threads). llm.c `matmul_forward/backward`, weight stored (OC, IC):
// row-major NoTrans × Trans with M = N rows, N = OC, K = IC (STYLE.md §10.3.6).
// Legend: N rows (B·T), IC input channels, OC output channels.

/// out = inp · weightᵀ + bias.
enum Linear {
    /// - Parameters:
    ///   - out: (N, OC) written.
    ///   - inp: (N, IC).
    ///   - weight: (OC, IC).
    ///   - bias: (OC), or nil for none (the tied output projection).
    ///   - residual: (N, OC) added to the output, or nil: out = residual + bias + inp·weightᵀ, the
    ///     sgemm accumulating onto residual + bias (a block's residual connection without a
    ///     separate pass over a stored branch output, issue 19). May be `out`.
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, weight: UnsafePointer<F>,
        bias: UnsafePointer<F>?, residual: UnsafePointer<F>? = nil, N: Int, IC: Int, OC: Int, threads: Int
    ) {
        switch (bias, residual) {
        case let (bias?, residual?):
            parallelRows(N, costPerRow: OC, threads: threads) { rows in
                for n in rows {
                    let o = out + n * OC, r = residual + n * OC
                    for i in 0..<OC { o[i] = r[i] + bias[i] }
                }
            }
        case let (bias?, nil):
            parallelRows(N, costPerRow: OC, threads: threads) { rows in
                for n in rows { (out + n * OC).update(from: bias, count: OC) }
            }
        case let (nil, residual?):
            if UnsafePointer(out) != residual { out.update(from: residual, count: N * OC) }
        case (nil, nil):
            break
        }
        parallelGEMM(threads: threads, transA: false, transB: true, m: N, n: OC, k: IC, alpha: 1, a: inp, lda: IC,
                     b: weight, ldb: IC, beta: bias == nil && residual == nil ? 0 : 1, c: out, ldc: OC)
    }

    /// Writes dInp = dOut·W; accumulates (`+=`) the parameter gradients dWeight += dOutᵀ·inp and
    /// dBias += Σₙ dOut (only `zeroGradients()` clears those).
    /// - Parameters:
    ///   - dInp: (N, IC) written, or nil when the input needs no gradient.
    ///   - dWeight: (OC, IC); dBias: (OC) or nil.
    ///   - dOut: (N, OC); inp: (N, IC); weight: (OC, IC).
    ///   - threads: the products' rows or columns, and dBias's columns, are split over them; every
    ///     sum runs in the same order whatever the count.
    static func backward<F: ModelScalar>(
        dInp: UnsafeMutablePointer<F>?, dWeight: UnsafeMutablePointer<F>, dBias: UnsafeMutablePointer<F>?,
        dOut: UnsafePointer<F>, inp: UnsafePointer<F>, weight: UnsafePointer<F>, N: Int, IC: Int, OC: Int,
        threads: Int
    ) {
        if let dInp {
            parallelGEMM(threads: threads, transA: false, transB: false, m: N, n: IC, k: OC, alpha: 1, a: dOut, lda: OC,
                         b: weight, ldb: IC, beta: 0, c: dInp, ldc: IC)
        }
        parallelGEMM(threads: threads, transA: true, transB: false, m: OC, n: IC, k: N, alpha: 1, a: dOut, lda: OC,
                     b: inp, ldb: IC, beta: 1, c: dWeight, ldc: IC)
        if let dBias {
            // Split by columns: each column's sum runs over n in order, whatever the threads.
            parallelRows(OC, costPerRow: N, threads: threads, chunksPerThread: 1) { columns in
                for n in 0..<N {
                    let d = dOut + n * OC
                    for o in columns { dBias[o] += d[o] }
                }
            }
        }
    }
}
