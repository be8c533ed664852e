// Attention.swift — causal multi-head self-attention with ALiBi biases (BLOOM; Press et al. 2022,
// arXiv 2108.12409), forward and backward (llm.c `attention_forward/backward`). Scores of query i
// and key j ≤ i in head h: q·k/√HS − slope_h · (pos[i] − pos[j]); BLOOM adds slope·pos[j], which
// differs by a per-row constant and gives the same softmax. Positions come per row so that
// random-LTD can pass the original positions of gathered tokens (issue 6): the causal order is
// the row order, the ALiBi distance is that of the original positions.
// The score and value products run as strided sgemms per (b, h) and per block of query rows:
// rows [i0, i1) only meet keys [0, i1), so the masked upper triangle is mostly skipped (at
// T = 256 with 64-row blocks, 62.5 % of the full T×T work). One (b, h) and one query block at a
// time runs its score product, its softmax rows and its value product back to back (backward: its
// products and its softmax rows), so the block's probabilities stay in the core's cache between
// them (issue 19); blocks add into the shared key and value gradients in block order. The (b, h)
// pairs are spread over the threads, each with single-threaded OpenBLAS. A row's probabilities
// (and their gradient) are cleared above the diagonal only up to its block's last key: the
// products never read further right. For Float the softmax's reductions and eˣ run in
// VectorMath's vector kernels.
// Legend: B batch, T length, C channels, NH heads, HS = C/NH head size.

import Support

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
    ///   - att: (B, NH, T, T) written: softmax probabilities, for backward. Row i of the query block
    ///     [i0, i1) is written for keys [0, i1), zero above the diagonal; keys from i1 on are left as
    ///     they were.
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
        forEachHead(B: B, NH: NH, threads: threads) { b, h in
            let q = qkv + b * T * C3 + h * HS, a = att + (b * NH + h) * T * T
            forEachRowBlock(T: T, rowBlock) { i0, i1 in
                // preatt[i0..<i1, 0..<i1] = scale · Q[i0..<i1]·K[0..<i1]ᵀ, softmax over each row, then
                // out[i0..<i1] = att[i0..<i1, 0..<i1] · V[0..<i1]   (rows, HS)
                F.gemm(transA: false, transB: true, m: i1 - i0, n: i1, k: HS, alpha: scale, a: q + i0 * C3, lda: C3,
                       b: q + C, ldb: C3, beta: 0, c: a + i0 * T, ldc: T)
                for i in i0..<i1 { softmaxRow(a + i * T, i: i, end: i1, positions: positions + b * T, slope: slopes[h]) }
                F.gemm(transA: false, transB: false, m: i1 - i0, n: HS, k: i1, alpha: 1,
                       a: a + i0 * T, lda: T, b: q + 2 * C, ldb: C3,
                       beta: 0, c: out + (b * T + i0) * C + h * HS, ldc: C)
            }
        }
    }

    /// Calls `body(b, h)` for every (batch row, head): serially on one thread; otherwise spread
    /// over the threads, (b, h) pairs at a time, with OpenBLAS on one thread (two pairs' small
    /// products run side by side instead of each split in two). Each pair reads and writes only
    /// its own head's slices.
    @inline(__always)
    private static func forEachHead(B: Int, NH: Int, threads: Int, _ body: (Int, Int) -> Void) {
        if threads == 1 || B * NH == 1 {
            for b in 0..<B { for h in 0..<NH { body(b, h) } }
            return
        }
        withSingleThreadedBLAS { parallelFor(B * NH, threads: threads) { bh in body(bh / NH, bh % NH) } }
    }

    /// Calls `body(i0, i1)` for every block [i0, i1) of `rowBlock` query rows of 0..<T, in order.
    @inline(__always)
    private static func forEachRowBlock(T: Int, _ rowBlock: Int, _ body: (Int, Int) -> Void) {
        var i0 = 0
        while i0 < T {
            let i1 = min(T, i0 + rowBlock)
            body(i0, i1)
            i0 = i1
        }
    }

    /// In place: row[j] ← softmax over j ≤ i of (row[j] − slope·(pos[i] − pos[j])); row[j] ← 0 for
    /// i < j < end.
    @inline(__always)
    private static func softmaxRow<F: ModelScalar>(
        _ row: UnsafeMutablePointer<F>, i: Int, end: Int, positions: UnsafePointer<Int32>, slope: F
    ) {
        let pi = positions[i]
        if F.self == Float.self {
            let r = UnsafeMutableRawPointer(row).assumingMemoryBound(to: Float.self), s = Float(slope)
            // The bias eight lanes at a time (the scalar loop's operations per element, so the
            // same bits): the conversions from Int32 were most of this row's non-exp work.
            var j = 0
            while j + 8 <= i + 1 {
                let distance = SIMD8<Int32>(repeating: pi) &- UnsafeRawPointer(positions + j).loadUnaligned(as: SIMD8<Int32>.self)
                VectorMath.store(VectorMath.load(r + j) - s * SIMD8<Float>(distance), r + j)
                j += 8
            }
            while j <= i {
                r[j] -= s * Float(pi - positions[j])
                j += 1
            }
            let sum = VectorMath.expShiftedSum(r, r, shift: VectorMath.max(r, count: i + 1), count: i + 1)
            VectorMath.scale(r, by: 1 / sum, count: i + 1)
            (r + i + 1).update(repeating: 0, count: end - i - 1)
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
        for j in (i + 1)..<end { row[j] = 0 }
    }

    /// Writes dQKV (each head's slices are cleared, then accumulated over its query blocks while
    /// in cache). `dPre` is scratch.
    /// Forward was out = att·V, att = softmax(scale·Q·Kᵀ + bias), so
    /// dV += attᵀ·dOut, dAtt = dOut·Vᵀ, dPre = att ⊙ (dAtt − rowsum(att ⊙ dAtt)),
    /// dQ += scale·dPre·K, dK += scale·dPreᵀ·Q. The ALiBi bias is constant: no gradient.
    /// - Parameters:
    ///   - dQKV: (B, T, 3C) written.
    ///   - dPre: (B, NH, T, T) scratch: written where `att` is.
    ///   - dOut: (B, T, C); att: (B, NH, T, T) from forward; qkv: (B, T, 3C).
    ///   - rowBlock: as in `forward`.
    static func backward<F: ModelScalar>(
        dQKV: UnsafeMutablePointer<F>, dPre: UnsafeMutablePointer<F>,
        dOut: UnsafePointer<F>, att: UnsafePointer<F>, qkv: UnsafePointer<F>,
        B: Int, T: Int, C: Int, NH: Int, rowBlock: Int = Attention.rowBlock, threads: Int
    ) {
        let HS = C / NH, C3 = 3 * C
        let scale = 1 / F.squareRoot(F(HS))
        forEachHead(B: B, NH: NH, threads: threads) { b, h in
            let a = att + (b * NH + h) * T * T, g = dPre + (b * NH + h) * T * T
            let q = b * T * C3 + h * HS, v = q + 2 * C
            for t in 0..<T {
                for part in 0..<3 { (dQKV + q + t * C3 + part * C).update(repeating: 0, count: HS) }
            }
            forEachRowBlock(T: T, rowBlock) { i0, i1 in
                let d = dOut + (b * T + i0) * C + h * HS
                // dAtt[i0..<i1, 0..<i1] = dOut[i0..<i1]·V[0..<i1]ᵀ;  dV[0..<i1] += att[i0..<i1, 0..<i1]ᵀ·dOut[i0..<i1]
                F.gemm(transA: false, transB: true, m: i1 - i0, n: i1, k: HS, alpha: 1, a: d, lda: C,
                       b: qkv + v, ldb: C3, beta: 0, c: g + i0 * T, ldc: T)
                F.gemm(transA: true, transB: false, m: i1, n: HS, k: i1 - i0, alpha: 1, a: a + i0 * T, lda: T,
                       b: d, ldb: C, beta: 1, c: dQKV + v, ldc: C3)
                for i in i0..<i1 { softmaxRowBackward(g + i * T, att: a + i * T, i: i, end: i1) }
                // dQ[i0..<i1] += scale·dPre[i0..<i1, 0..<i1]·K[0..<i1];  dK[0..<i1] += scale·dPreᵀ·Q[i0..<i1]
                F.gemm(transA: false, transB: false, m: i1 - i0, n: HS, k: i1, alpha: scale, a: g + i0 * T, lda: T,
                       b: qkv + q + C, ldb: C3, beta: 1, c: dQKV + q + i0 * C3, ldc: C3)
                F.gemm(transA: true, transB: false, m: i1, n: HS, k: i1 - i0, alpha: scale, a: g + i0 * T, lda: T,
                       b: qkv + q + i0 * C3, ldb: C3, beta: 1, c: dQKV + q + C, ldc: C3)
            }
        }
    }

    /// In place: g[j] ← p[j]·(g[j] − Σₖ p[k]·g[k]) over j, k ≤ i (the softmax's backward, g = dAtt in,
    /// dPre out); g[j] ← 0 for i < j < end.
    @inline(__always)
    private static func softmaxRowBackward<F: ModelScalar>(_ g: UnsafeMutablePointer<F>, att p: UnsafePointer<F>, i: Int, end: Int) {
        if F.self == Float.self {
            let pf = UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
            let gf = UnsafeMutableRawPointer(g).assumingMemoryBound(to: Float.self)
            let dot = VectorMath.dot(pf, gf, count: i + 1)
            for j in 0...i { gf[j] = pf[j] * (gf[j] - dot) }
            (gf + i + 1).update(repeating: 0, count: end - i - 1)
            return
        }
        var dot: F = 0
        for j in 0...i { dot += p[j] * g[j] }
        for j in 0...i { g[j] = p[j] * (g[j] - dot) }
        for j in (i + 1)..<end { g[j] = 0 }
    }
}
