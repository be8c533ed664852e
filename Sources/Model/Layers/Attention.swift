// Attention.swift — causal multi-head self-attention with ALiBi biases (BLOOM; Press et al. 2022,
// arXiv 2108.12409), forward and backward (llm.c `attention_forward/backward`). Scores of query i
// and key j ≤ i in head h: q·k/√HS − slope_h · (pos[i] − pos[j]); BLOOM adds slope·pos[j], which
// differs by a per-row constant and gives the same softmax. Positions come per row so that
// random-LTD can pass the original positions of gathered tokens (issue 6): the causal order is
// the row order, the ALiBi distance is that of the original positions.
// The score and value products run as strided sgemms per (b, h) and per block of query rows:
// rows [i0, i1) only meet keys [0, i1), so the masked upper triangle is mostly skipped (at
// T = 256 with 64-row blocks, 62.5 % of the full T×T work). BLAS uses the cores; the softmax and
// its backward are split over rows with `parallelRows`; for Float their reductions and eˣ run in
// VectorMath's eight lanes (issue 19).
// Legend: B batch, T length, C channels, NH heads, HS = C/NH head size.

/// Causal ALiBi attention over a packed qkv tensor ([Q | K | V] along channels).
public enum Attention {
    /// Query rows per sgemm block: rows [i0, i1) meet keys [0, i1) only.
    public static let rowBlock = 64

    /// (query, key) pairs the score and value sgemms multiply for one row of `length` tokens:
    /// Σ over row blocks [i0, i1) of (i1 − i0)·i1 — length² up to one block, 62.5 % of it at 256.
    public static func pairs(length: Int) -> Int {
        stride(from: 0, to: length, by: rowBlock).reduce(0) { sum, i0 in
            let i1 = min(length, i0 + rowBlock)
            return sum + (i1 - i0) * i1
        }
    }

    /// - Parameters:
    ///   - out: (B, T, C) written: heads concatenated.
    ///   - att: (B, NH, T, T) written: softmax probabilities (zero above the diagonal), for backward.
    ///   - qkv: (B, T, 3C).
    ///   - positions: (B, T) position of each row's token in its original sequence, increasing.
    ///   - slopes: (NH) ALiBi slopes.
    ///   - rowBlock: query rows per sgemm block (tests use small blocks to exercise the split).
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, att: UnsafeMutablePointer<F>,
        qkv: UnsafePointer<F>, positions: UnsafePointer<Int32>, slopes: UnsafePointer<F>,
        B: Int, T: Int, C: Int, NH: Int, rowBlock: Int = Attention.rowBlock, threads: Int
    ) {
        let HS = C / NH, C3 = 3 * C
        let scale = 1 / F.squareRoot(F(HS))
        forEachBlock(B: B, NH: NH, T: T, rowBlock) { b, h, i0, i1 in
            // preatt[i0..<i1, 0..<i1] = scale · Q[i0..<i1]·K[0..<i1]ᵀ
            let q = qkv + b * T * C3 + h * HS
            F.gemm(transA: false, transB: true, m: i1 - i0, n: i1, k: HS, alpha: scale, a: q + i0 * C3, lda: C3,
                   b: q + C, ldb: C3, beta: 0, c: att + ((b * NH + h) * T + i0) * T, ldc: T)
        }
        parallelRows(B * NH * T, costPerRow: 20 * T, threads: threads) { rows in
            for r in rows {
                let b = r / (NH * T), h = (r / T) % NH, i = r % T
                softmaxRow(att + r * T, i: i, T: T, positions: positions + b * T, slope: slopes[h])
            }
        }
        forEachBlock(B: B, NH: NH, T: T, rowBlock) { b, h, i0, i1 in
            // out[i0..<i1] = att[i0..<i1, 0..<i1] · V[0..<i1]   (rows, HS)
            F.gemm(transA: false, transB: false, m: i1 - i0, n: HS, k: i1, alpha: 1,
                   a: att + ((b * NH + h) * T + i0) * T, lda: T, b: qkv + b * T * C3 + 2 * C + h * HS, ldb: C3,
                   beta: 0, c: out + (b * T + i0) * C + h * HS, ldc: C)
        }
    }

    /// Calls `body(b, h, i0, i1)` for every (batch row, head, block of query rows [i0, i1)).
    @inline(__always)
    private static func forEachBlock(B: Int, NH: Int, T: Int, _ rowBlock: Int, _ body: (Int, Int, Int, Int) -> Void) {
        for b in 0..<B {
            for h in 0..<NH {
                var i0 = 0
                while i0 < T {
                    let i1 = min(T, i0 + rowBlock)
                    body(b, h, i0, i1)
                    i0 = i1
                }
            }
        }
    }

    /// In place: row[j] ← softmax over j ≤ i of (row[j] − slope·(pos[i] − pos[j])); row[j > i] ← 0.
    @inline(__always)
    private static func softmaxRow<F: ModelScalar>(
        _ row: UnsafeMutablePointer<F>, i: Int, T: Int, positions: UnsafePointer<Int32>, slope: F
    ) {
        let pi = positions[i]
        if F.self == Float.self {
            let r = UnsafeMutableRawPointer(row).assumingMemoryBound(to: Float.self), s = Float(slope)
            for j in 0...i { r[j] -= s * Float(pi - positions[j]) }
            let sum = VectorMath.expShiftedSum(r, r, shift: VectorMath.max(r, count: i + 1), count: i + 1)
            VectorMath.scale(r, by: 1 / sum, count: i + 1)
            (r + i + 1).update(repeating: 0, count: T - i - 1)
            return
        }
        var maxValue = -F.greatestFiniteMagnitude
        for j in 0...i {
            row[j] -= slope * F(pi - positions[j])
            if row[j] > maxValue { maxValue = row[j] }
        }
        var sum: F = 0
        for j in 0...i {
            let e = F.exponential(row[j] - maxValue)
            row[j] = e
            sum += e
        }
        let inv = 1 / sum
        for j in 0...i { row[j] *= inv }
        for j in (i + 1)..<T { row[j] = 0 }
    }

    /// Accumulates (`+=`) into dQKV; only `zeroGradients()` clears. `dPre` is scratch.
    /// Forward was out = att·V, att = softmax(scale·Q·Kᵀ + bias), so
    /// dV += attᵀ·dOut, dAtt = dOut·Vᵀ, dPre = att ⊙ (dAtt − rowsum(att ⊙ dAtt)),
    /// dQ += scale·dPre·K, dK += scale·dPreᵀ·Q. The ALiBi bias is constant: no gradient.
    /// - Parameters:
    ///   - dQKV: (B, T, 3C) accumulated.
    ///   - dPre: (B, NH, T, T) scratch, overwritten.
    ///   - dOut: (B, T, C); att: (B, NH, T, T) from forward; qkv: (B, T, 3C).
    ///   - rowBlock: as in `forward`.
    static func backward<F: ModelScalar>(
        dQKV: UnsafeMutablePointer<F>, dPre: UnsafeMutablePointer<F>,
        dOut: UnsafePointer<F>, att: UnsafePointer<F>, qkv: UnsafePointer<F>,
        B: Int, T: Int, C: Int, NH: Int, rowBlock: Int = Attention.rowBlock, threads: Int
    ) {
        let HS = C / NH, C3 = 3 * C
        let scale = 1 / F.squareRoot(F(HS))
        forEachBlock(B: B, NH: NH, T: T, rowBlock) { b, h, i0, i1 in
            let rows = ((b * NH + h) * T + i0) * T, d = dOut + (b * T + i0) * C + h * HS
            let v = b * T * C3 + 2 * C + h * HS
            // dAtt[i0..<i1, 0..<i1] = dOut[i0..<i1]·V[0..<i1]ᵀ;  dV[0..<i1] += att[i0..<i1, 0..<i1]ᵀ·dOut[i0..<i1]
            F.gemm(transA: false, transB: true, m: i1 - i0, n: i1, k: HS, alpha: 1, a: d, lda: C,
                   b: qkv + v, ldb: C3, beta: 0, c: dPre + rows, ldc: T)
            F.gemm(transA: true, transB: false, m: i1, n: HS, k: i1 - i0, alpha: 1, a: att + rows, lda: T,
                   b: d, ldb: C, beta: 1, c: dQKV + v, ldc: C3)
        }
        parallelRows(B * NH * T, costPerRow: 4 * T, threads: threads) { rows in
            for r in rows {
                let i = r % T, p = att + r * T, g = dPre + r * T
                if F.self == Float.self {
                    let pf = UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
                    let gf = UnsafeMutableRawPointer(g).assumingMemoryBound(to: Float.self)
                    let dot = VectorMath.dot(pf, gf, count: i + 1)
                    for j in 0...i { gf[j] = pf[j] * (gf[j] - dot) }
                    (gf + i + 1).update(repeating: 0, count: T - i - 1)
                    continue
                }
                var dot: F = 0
                for j in 0...i { dot += p[j] * g[j] }
                for j in 0...i { g[j] = p[j] * (g[j] - dot) }
                for j in (i + 1)..<T { g[j] = 0 }
            }
        }
        forEachBlock(B: B, NH: NH, T: T, rowBlock) { b, h, i0, i1 in
            let rows = ((b * NH + h) * T + i0) * T, q = b * T * C3 + h * HS
            // dQ[i0..<i1] += scale·dPre[i0..<i1, 0..<i1]·K[0..<i1];  dK[0..<i1] += scale·dPreᵀ·Q[i0..<i1]
            F.gemm(transA: false, transB: false, m: i1 - i0, n: HS, k: i1, alpha: scale, a: dPre + rows, lda: T,
                   b: qkv + q + C, ldb: C3, beta: 1, c: dQKV + q + i0 * C3, ldc: C3)
            F.gemm(transA: true, transB: false, m: i1, n: HS, k: i1 - i0, alpha: scale, a: dPre + rows, lda: T,
                   b: qkv + q + i0 * C3, ldb: C3, beta: 1, c: dQKV + q + C, ldc: C3)
        }
    }
}
