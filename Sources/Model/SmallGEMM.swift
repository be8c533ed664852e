// SmallGEMM.swift — the Float products attention runs per head and query block (issue 19): shapes
// like 64 × 32 × 64 or 256 × 32 × 64, where OpenBLAS's packing and call overhead cost as much as
// the multiply (its Haswell kernels ran them at 49–89 GFLOP/s against ≈ 120 on large shapes; its
// Cooperlake kernels at ≈ 70 % of their large-shape rate). A register tile of C is accumulated
// over k with one broadcast of A and sixteen-lane loads of B per row and step, and stored once:
// 8 rows × 32 columns on an AVX-512 build (16 of its 32 registers), 4 rows × 16 columns on an AVX2
// one. A is read through two strides, so Aᵀ costs nothing; B's rows must be contiguous, so a
// transposed B is packed by the caller (`packTransposed`). Every element is computed in the same
// order whatever the tile: acc = 0, acc = fma(A(i, p), B(p, j), acc) for p = 0, 1, …, then
// α·acc, plus C when accumulating; AVX2 and AVX-512 builds give the same bits. `GEMMTimer` counts
// these products with OpenBLAS's (`gradus bench train`'s gemm_cpu_s).

import Linalg

/// Small row-major Float products in register tiles.
enum SmallGEMM {
    #if GRADUS_TARGET_AVX512
    /// Rows and sixteen-lane column vectors of the main tile.
    typealias Rows = InlineArray<8, Int>
    typealias Vectors = InlineArray<2, Int>
    #else
    typealias Rows = InlineArray<4, Int>
    typealias Vectors = InlineArray<1, Int>
    #endif

    /// C[i·ldc + j] = α·Σₚ A(i, p)·B[p·ldb + j] (+ C[i·ldc + j] when `accumulate`) for i < m, j < n,
    /// with A(i, p) = a[i·aRowStride + p·aColumnStride] (strides (lda, 1) for A, (1, lda) for Aᵀ).
    /// Without `accumulate` C is only written (it may hold NaN).
    /// - Complexity: O(m·n·k).
    static func multiply(
        m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
        b: UnsafePointer<Float>, ldb: Int, accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let operands = Operands(k: k, alpha: alpha, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride,
                                b: b, ldb: ldb, c: c, ldc: ldc)
        GEMMTimer.measure {
            if accumulate { columns(Adding.self, m: m, n: n, operands) } else { columns(Overwriting.self, m: m, n: n, operands) }
        }
    }

    /// dst[c·ldd + r] = src[r·lds + c] for r < rows, c < cols: the transpose of a row-major block,
    /// so that `multiply` can read it as B. Sixteen rows at a time: each column's sixteen values
    /// are gathered into one vector and stored at once (2.5× the element-by-element copy).
    static func packTransposed(_ src: UnsafePointer<Float>, lds: Int, rows: Int, cols: Int,
                               into dst: UnsafeMutablePointer<Float>, ldd: Int) {
        var r = 0
        while r + 16 <= rows {
            let s = src + r * lds
            for c in 0..<cols {
                var v = Float16x()
                for l in 0..<16 { v[l] = s[l &* lds &+ c] }
                VectorMath.store16(v, dst + (c * ldd + r))
            }
            r += 16
        }
        while r < rows {
            let s = src + r * lds
            for c in 0..<cols { dst[c * ldd + r] = s[c] }
            r += 1
        }
    }

    /// What is stored into C: α·acc alone, or added to C. A type, so that each tile is compiled
    /// for one of them (a run-time flag kept the accumulators of one variant out of registers).
    private protocol StoreMode { static var adds: Bool { get } }
    private enum Overwriting: StoreMode { static var adds: Bool { false } }
    private enum Adding: StoreMode { static var adds: Bool { true } }

    /// One product's operands; `a`, `b` and `c` at the tile's first row and column.
    private struct Operands {
        var k: Int, alpha: Float
        var a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int
        var b: UnsafePointer<Float>, ldb: Int
        var c: UnsafeMutablePointer<Float>, ldc: Int

        /// The operands of the tile `rows` rows down and `columns` columns right.
        @inline(__always)
        func offset(rows: Int, columns: Int) -> Operands {
            var o = self
            o.a += rows * aRowStride
            o.b += columns
            o.c += rows * ldc + columns
            return o
        }
    }

    /// Column panels of the main tile's width, then sixteen, then a masked remainder.
    @inline(never)
    private static func columns<Mode: StoreMode>(_: Mode.Type, m: Int, n: Int, _ o: Operands) {
        let width = 16 * Vectors.count
        var j = 0
        while j + width <= n {
            rows(Mode.self, Vectors.self, m: m, o.offset(rows: 0, columns: j))
            j += width
        }
        while j + 16 <= n {
            rows(Mode.self, InlineArray<1, Int>.self, m: m, o.offset(rows: 0, columns: j))
            j += 16
        }
        if j < n {
            var i = 0
            while i < m {
                maskedRow(Mode.self, lanes: n - j, o.offset(rows: i, columns: j))
                i += 1
            }
        }
    }

    /// One column panel `V` vectors wide: row tiles of the main tile's height, then single rows.
    @inline(__always)
    private static func rows<Mode: StoreMode, let V: Int>(_: Mode.Type, _: InlineArray<V, Int>.Type, m: Int, _ o: Operands) {
        var i = 0
        while i + Rows.count <= m {
            tile(Mode.self, Rows.self, InlineArray<V, Int>.self, o.offset(rows: i, columns: 0))
            i += Rows.count
        }
        while i < m {
            tile(Mode.self, InlineArray<1, Int>.self, InlineArray<V, Int>.self, o.offset(rows: i, columns: 0))
            i += 1
        }
    }

    /// R rows × V sixteen-lane vectors of C: accumulators in registers over all of k (the counts
    /// are compile-time constants after specialisation, so the loops over rows and vectors
    /// unroll and the accumulators never reach memory).
    @inline(__always)
    private static func tile<Mode: StoreMode, let R: Int, let V: Int>(
        _: Mode.Type, _: InlineArray<R, Int>.Type, _: InlineArray<V, Int>.Type, _ o: Operands
    ) {
        var acc = InlineArray<R, InlineArray<V, Float16x>>(repeating: InlineArray(repeating: Float16x()))
        var ap = o.a, bp = o.b
        for _ in 0..<o.k {
            var bv = InlineArray<V, Float16x>(repeating: Float16x())
            for v in 0..<V { bv[v] = VectorMath.load16(bp + 16 * v) }
            for r in 0..<R {
                let x = Float16x(repeating: ap[r * o.aRowStride])
                for v in 0..<V { acc[r][v].addProduct(x, bv[v]) }
            }
            ap += o.aColumnStride
            bp += o.ldb
        }
        for r in 0..<R {
            for v in 0..<V {
                let p = o.c + r * o.ldc + 16 * v
                var y = acc[r][v] * o.alpha
                if Mode.adds { y += VectorMath.load16(p) }
                VectorMath.store16(y, p)
            }
        }
    }

    /// One row of C, `lanes` (< 16) columns wide: B's rows and C loaded and stored masked.
    @inline(never)
    private static func maskedRow<Mode: StoreMode>(_: Mode.Type, lanes: Int, _ o: Operands) {
        var acc = Float16x()
        var ap = o.a, bp = o.b
        for _ in 0..<o.k {
            acc.addProduct(Float16x(repeating: ap[0]), VectorMath.loadPartial16(bp, count: lanes))
            ap += o.aColumnStride
            bp += o.ldb
        }
        var y = acc * o.alpha
        if Mode.adds { y += VectorMath.loadPartial16(o.c, count: lanes) }
        VectorMath.storePartial16(y, o.c, count: lanes)
    }
}
