// Attention.swift — causal multi-head self-attention with ALiBi biases (BLOOM; Press et al. 2022,
// arXiv 2108.12409), forward and backward (llm.c `attention_forward/backward`). Scores of query i
// and key j ≤ i in head h: q·k/√HS − slope_h · (pos[i] − pos[j]); BLOOM adds slope·pos[j], which
// differs by a per-row constant and gives the same softmax. Positions come per row so that
// random-LTD can pass the original positions of gathered tokens (issue 6): the causal order is
// the row order, the ALiBi distance is that of the original positions.
// Work runs per (b, h) and per block of query rows: rows [i0, i1) only meet keys [0, i1), so the
// masked upper triangle is mostly skipped (at T = 256 with 64-row blocks, 62.5 % of the full T×T
// work). No T×T matrix is kept (issue 19, as FlashAttention does): a block's scores and
// probabilities live in a (rowBlock, T) scratch while its value product runs, and backward
// recomputes them from Q and K with the same operations in the same order — the same bits as
// forward's — instead of reading them back from an (B, NH, T, T) activation (16 MB a layer at the
// small-text size, written once and read twice through memory). Blocks add into the shared key
// and value gradients in block order. Float's per-head products run in `SmallGEMM` (registers,
// sixteen lanes, K and V packed transposed once per head); Double's in `F.gemm`'s plain loops.
// (b, h) pairs are dealt to the threads round-robin, each with its own scratch. For Float the
// softmax's reductions and eˣ run in VectorMath's vector kernels.
// Legend: B batch, T length, C channels, NH heads, HS = C/NH head size.

import Support

/// Causal ALiBi attention over a packed qkv tensor ([Q | K | V] along channels).
public enum Attention {
    /// Query rows per block: rows [i0, i1) meet keys [0, i1) only.
    public static let rowBlock = 64

    /// (query, key) pairs the score and value products multiply for one row of `length` tokens:
    /// Σ over row blocks [i0, i1) of (i1 − i0)·i1 — length² up to one block, 62.5 % of it at 256.
    public static func pairs(length: Int) -> Int {
        stride(from: 0, to: length, by: rowBlock).reduce(0) { sum, i0 in
            let i1 = min(length, i0 + rowBlock)
            return sum + (i1 - i0) * i1
        }
    }

    /// Elements of scratch one thread needs for sequences of up to `T` tokens: two (rowBlock, T)
    /// blocks (probabilities and their gradient) and two (HS, T) transposes (keys, values).
    public static func scratchCount(T: Int, headSize HS: Int, rowBlock: Int = Attention.rowBlock) -> Int {
        T * (2 * rowBlock + 2 * HS)
    }

    /// - Parameters:
    ///   - out: (B, T, C) written: heads concatenated.
    ///   - qkv: (B, T, 3C).
    ///   - positions: (B, T) position of each row's token in its original sequence, increasing.
    ///   - slopes: (NH) ALiBi slopes.
    ///   - scratch: `threads × scratchCount(T:headSize:rowBlock:)` elements, overwritten.
    ///   - rowBlock: query rows per block (tests use small blocks to exercise the split).
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, qkv: UnsafePointer<F>, positions: UnsafePointer<Int32>,
        slopes: UnsafePointer<F>, scratch: UnsafeMutablePointer<F>,
        B: Int, T: Int, C: Int, NH: Int, rowBlock: Int = Attention.rowBlock, threads: Int
    ) {
        let HS = C / NH, C3 = 3 * C
        let scale = 1 / F.squareRoot(F(HS))
        forEachHead(B: B, NH: NH, threads: threads, scratch: scratch, per: scratchCount(T: T, headSize: HS, rowBlock: rowBlock)) { b, h, work in
            let q = qkv + b * T * C3 + h * HS, s = work, ld = T
            let keysT = transposed(q + C, ld: C3, T: T, HS: HS, into: work + 2 * rowBlock * ld)
            forEachRowBlock(T: T, rowBlock) { i0, i1 in
                // s[0..<rows, 0..<i1] = softmax(scale · Q[i0..<i1]·K[0..<i1]ᵀ + bias), then
                // out[i0..<i1] = s · V[0..<i1]   (rows, HS)
                probabilities(s, q: q, keysT: keysT, i0: i0, i1: i1, T: T, C: C, HS: HS, scale: scale,
                              positions: positions + b * T, slope: slopes[h])
                product(transA: false, transB: false, m: i1 - i0, n: HS, k: i1, alpha: 1,
                        a: s, lda: ld, b: q + 2 * C, ldb: C3, accumulate: false,
                        c: out + (b * T + i0) * C + h * HS, ldc: C)
            }
        }
    }

    /// Writes dQKV, each head's slices accumulated over its query blocks while in cache. Forward
    /// was out = P·V, P = softmax(scale·Q·Kᵀ + bias), so dV = Σ Pᵀ·dOut, dP = dOut·Vᵀ,
    /// dPre = P ⊙ (dP − rowsum(P ⊙ dP)), dQ = scale·dPre·K, dK = Σ scale·dPreᵀ·Q (sums over
    /// query blocks). P is recomputed block by block exactly as forward computed it. The ALiBi
    /// bias is constant: no gradient.
    /// - Parameters:
    ///   - dQKV: (B, T, 3C) written.
    ///   - dOut: (B, T, C); qkv: (B, T, 3C), positions, slopes: as forward had them.
    ///   - scratch: as in `forward`.
    ///   - rowBlock: as in `forward`.
    static func backward<F: ModelScalar>(
        dQKV: UnsafeMutablePointer<F>, dOut: UnsafePointer<F>, qkv: UnsafePointer<F>,
        positions: UnsafePointer<Int32>, slopes: UnsafePointer<F>, scratch: UnsafeMutablePointer<F>,
        B: Int, T: Int, C: Int, NH: Int, rowBlock: Int = Attention.rowBlock, threads: Int
    ) {
        let HS = C / NH, C3 = 3 * C
        let scale = 1 / F.squareRoot(F(HS))
        forEachHead(B: B, NH: NH, threads: threads, scratch: scratch, per: scratchCount(T: T, headSize: HS, rowBlock: rowBlock)) { b, h, work in
            let ld = T, s = work, g = work + rowBlock * ld
            let q = b * T * C3 + h * HS, v = q + 2 * C
            let keysT = transposed(qkv + q + C, ld: C3, T: T, HS: HS, into: work + 2 * rowBlock * ld)
            let valuesT = transposed(qkv + v, ld: C3, T: T, HS: HS, into: work + (2 * rowBlock + HS) * ld)
            forEachRowBlock(T: T, rowBlock) { i0, i1 in
                let d = dOut + (b * T + i0) * C + h * HS
                probabilities(s, q: qkv + q, keysT: keysT, i0: i0, i1: i1, T: T, C: C, HS: HS, scale: scale,
                              positions: positions + b * T, slope: slopes[h])
                // dP[0..<rows, 0..<i1] = dOut[i0..<i1]·V[0..<i1]ᵀ;  dV[0..<i1] += P[0..<rows, 0..<i1]ᵀ·dOut[i0..<i1]
                product(transA: false, transB: true, m: i1 - i0, n: i1, k: HS, alpha: 1, a: d, lda: C,
                        b: qkv + v, ldb: C3, bTransposed: valuesT, ldbT: ld, accumulate: false, c: g, ldc: ld)
                keyRowsProduct(i0: i0, i1: i1, HS: HS, alpha: 1, a: s, lda: ld, b: d, ldb: C, c: dQKV + v, ldc: C3)
                for i in i0..<i1 { softmaxRowBackward(g + (i - i0) * ld, att: s + (i - i0) * ld, i: i, end: i1) }
                // dQ[i0..<i1] = scale·dPre·K[0..<i1] (this block is its only term);  dK[0..<i1] += scale·dPreᵀ·Q[i0..<i1]
                product(transA: false, transB: false, m: i1 - i0, n: HS, k: i1, alpha: scale, a: g,
                        lda: ld, b: qkv + q + C, ldb: C3, accumulate: false, c: dQKV + q + i0 * C3, ldc: C3)
                keyRowsProduct(i0: i0, i1: i1, HS: HS, alpha: scale, a: g, lda: ld, b: qkv + q + i0 * C3, ldb: C3,
                               c: dQKV + q + C, ldc: C3)
            }
        }
    }

    /// A key or value gradient's term from query block [i0, i1): C[0..<i1] (+)= α·Aᵀ·B, A the
    /// block's (rows, i1) probabilities or their gradient. Rows [0, i0) add to the earlier blocks'
    /// terms; rows [i0, i1) meet their first term here and are written, so no gradient needs
    /// clearing first.
    @inline(__always)
    private static func keyRowsProduct<F: ModelScalar>(
        i0: Int, i1: Int, HS: Int, alpha: F, a: UnsafePointer<F>, lda: Int, b: UnsafePointer<F>, ldb: Int,
        c: UnsafeMutablePointer<F>, ldc: Int
    ) {
        if i0 > 0 {
            product(transA: true, transB: false, m: i0, n: HS, k: i1 - i0, alpha: alpha, a: a, lda: lda,
                    b: b, ldb: ldb, accumulate: true, c: c, ldc: ldc)
        }
        product(transA: true, transB: false, m: i1 - i0, n: HS, k: i1 - i0, alpha: alpha, a: a + i0, lda: lda,
                b: b, ldb: ldb, accumulate: false, c: c + i0 * ldc, ldc: ldc)
    }

    /// s[r·T + j] for r < i1 − i0, j < i1: the softmax probabilities of query rows [i0, i1) of one
    /// head (q: its Q slice, rows 3C apart) over keys [0, i1), zero above the diagonal. The same
    /// operations in the same order in forward and backward, so both see the same bits.
    @inline(__always)
    private static func probabilities<F: ModelScalar>(
        _ s: UnsafeMutablePointer<F>, q: UnsafePointer<F>, keysT: UnsafePointer<F>?, i0: Int, i1: Int,
        T: Int, C: Int, HS: Int, scale: F, positions: UnsafePointer<Int32>, slope: F
    ) {
        let ld = T
        product(transA: false, transB: true, m: i1 - i0, n: i1, k: HS, alpha: scale, a: q + i0 * 3 * C, lda: 3 * C,
                b: q + C, ldb: 3 * C, bTransposed: keysT, ldbT: ld, accumulate: false, c: s, ldc: ld)
        for i in i0..<i1 { softmaxRow(s + (i - i0) * ld, i: i, end: i1, positions: positions, slope: slope) }
    }

    /// One per-head product, C = α·op(A)·op(B) (+ C when `accumulate`), row-major: `SmallGEMM` for
    /// Float, reading a transposed B from `bTransposed` (op(B) stored k × n, rows `ldbT` apart);
    /// `F.gemm` otherwise (Double's plain loops, the reference the gradient checks run).
    @inline(__always)
    private static func product<F: ModelScalar>(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: F,
        a: UnsafePointer<F>, lda: Int, b: UnsafePointer<F>, ldb: Int,
        bTransposed: UnsafePointer<F>? = nil, ldbT: Int = 0, accumulate: Bool,
        c: UnsafeMutablePointer<F>, ldc: Int
    ) {
        guard F.self == Float.self else {
            F.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                   beta: accumulate ? 1 : 0, c: c, ldc: ldc)
            return
        }
        guard let packed = transB ? bTransposed : b else {
            preconditionFailure("Attention.product: a transposed B needs its packed transpose")
        }
        SmallGEMM.multiply(m: m, n: n, k: k, alpha: Float(alpha), a: floats(a),
                           aRowStride: transA ? 1 : lda, aColumnStride: transA ? lda : 1,
                           b: floats(packed), ldb: transB ? ldbT : ldb, accumulate: accumulate,
                           c: UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc: ldc)
    }

    @inline(__always)
    private static func floats<F>(_ p: UnsafePointer<F>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    /// For Float: the transpose of the (T, HS) head slice at `x` (rows `ld` apart), written (HS, T)
    /// into `buffer`, for the products to read as B. For other scalars nil: their products read
    /// the slice itself.
    @inline(__always)
    private static func transposed<F: ModelScalar>(
        _ x: UnsafePointer<F>, ld: Int, T: Int, HS: Int, into buffer: UnsafeMutablePointer<F>
    ) -> UnsafePointer<F>? {
        guard F.self == Float.self else { return nil }
        SmallGEMM.packTransposed(floats(x), lds: ld, rows: T, cols: HS,
                                 into: UnsafeMutableRawPointer(buffer).assumingMemoryBound(to: Float.self), ldd: T)
        return UnsafePointer(buffer)
    }

    /// Calls `body(b, h, scratch)` for every (batch row, head): in order on one thread; otherwise
    /// the pairs are dealt round-robin to `threads` workers, each with its own `per` elements of
    /// `scratch` (and OpenBLAS on one thread). Each pair reads and writes only its own head's
    /// slices.
    @inline(__always)
    private static func forEachHead<F>(
        B: Int, NH: Int, threads: Int, scratch: UnsafeMutablePointer<F>, per: Int,
        _ body: (Int, Int, UnsafeMutablePointer<F>) -> Void
    ) {
        let pairs = B * NH, workers = min(threads, pairs)
        if workers <= 1 {
            for b in 0..<B { for h in 0..<NH { body(b, h, scratch) } }
            return
        }
        withSingleThreadedBLAS {
            parallelFor(workers, threads: workers) { w in
                var bh = w
                while bh < pairs {
                    body(bh / NH, bh % NH, scratch + w * per)
                    bh += workers
                }
            }
        }
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
            VectorMath.zero(r + i + 1, count: end - i - 1)
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

    /// In place: g[j] ← p[j]·(g[j] − Σₖ p[k]·g[k]) over j, k ≤ i (the softmax's backward, g = dAtt in,
    /// dPre out); g[j] ← 0 for i < j < end.
    @inline(__always)
    private static func softmaxRowBackward<F: ModelScalar>(_ g: UnsafeMutablePointer<F>, att p: UnsafePointer<F>, i: Int, end: Int) {
        if F.self == Float.self {
            let pf = UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
            let gf = UnsafeMutableRawPointer(g).assumingMemoryBound(to: Float.self)
            let dot = VectorMath.dot(pf, gf, count: i + 1)
            VectorMath.scaleShifted(gf, by: pf, shift: dot, count: i + 1)
            VectorMath.zero(gf + i + 1, count: end - i - 1)
            return
        }
        var dot: F = 0
        for j in 0...i { dot += p[j] * g[j] }
        for j in 0...i { g[j] = p[j] * (g[j] - dot) }
        for j in (i + 1)..<end { g[j] = 0 }
    }
}
