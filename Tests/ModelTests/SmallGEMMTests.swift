// SmallGEMMTests.swift — attention's register-tile products (SmallGEMM.swift) against a scalar
// reference that follows the documented order with Float's fused multiply-add: every element must
// match bit for bit, over shapes that run full tiles, sixteen-wide panels, single rows and masked
// columns, with A plain and transposed, C overwritten (from NaN) and accumulated.

import XCTest
@testable import Model
import Support

final class SmallGEMMTests: XCTestCase {
    /// acc = 0, acc = fma(A(i, p), B(p, j), acc) for p = 0..<k, then α·acc (+ C).
    private func reference(m: Int, n: Int, k: Int, alpha: Float, a: [Float], aRowStride: Int, aColumnStride: Int,
                           b: [Float], ldb: Int, accumulate: Bool, c: [Float], ldc: Int) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = 0
                for p in 0..<k { acc = acc.addingProduct(a[i * aRowStride + p * aColumnStride], b[p * ldb + j]) }
                out[i * ldc + j] = accumulate ? acc * alpha + c[i * ldc + j] : acc * alpha
            }
        }
        return out
    }

    func testProductsMatchTheScalarOrderBitForBit() {
        var rng = SplitMix64(seed: 21)
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(rng.nextDouble() * 2 - 1) } }
        var checked = 0
        for m in [1, 3, 8, 9, 17] {
            for n in [1, 5, 16, 20, 32, 33, 48, 70] {
                for k in [1, 3, 32] {
                    for transA in [false, true] {
                        for accumulate in [false, true] {
                            // Leading dimensions wider than the matrices, as in attention's strided slices.
                            let lda = (transA ? m : k) + 3, ldb = n + 5, ldc = n + 2
                            let a = random((transA ? k : m) * lda), b = random(k * ldb)
                            let c = accumulate ? random(m * ldc) : [Float](repeating: .nan, count: m * ldc)
                            let (rs, cs) = transA ? (1, lda) : (lda, 1)
                            var got = c
                            a.withUnsafeBufferPointer { pa in
                                b.withUnsafeBufferPointer { pb in
                                    got.withUnsafeMutableBufferPointer { pc in
                                        SmallGEMM.multiply(m: m, n: n, k: k, alpha: 0.37, a: pa.baseAddress!, aRowStride: rs,
                                                           aColumnStride: cs, b: pb.baseAddress!, ldb: ldb, accumulate: accumulate,
                                                           c: pc.baseAddress!, ldc: ldc)
                                    }
                                }
                            }
                            let want = reference(m: m, n: n, k: k, alpha: 0.37, a: a, aRowStride: rs, aColumnStride: cs,
                                                 b: b, ldb: ldb, accumulate: accumulate, c: c, ldc: ldc)
                            let label = "m \(m) n \(n) k \(k) transA \(transA) accumulate \(accumulate)"
                            for i in 0..<m {
                                for j in 0..<ldc {
                                    let g = got[i * ldc + j], w = want[i * ldc + j]
                                    // Columns past n are outside C: left exactly as they were (NaN stays NaN).
                                    XCTAssertTrue(g.bitPattern == w.bitPattern, "\(label): C[\(i), \(j)] = \(g), want \(w)")
                                }
                            }
                            checked += 1
                        }
                    }
                }
            }
        }
        XCTAssertEqual(checked, 5 * 8 * 3 * 2 * 2)
    }

    /// Sixteen rows at a time, then one by one: 19 rows of 3 values (row stride 4) into 3 rows of 19
    /// (row stride 21); the padding on both sides stays untouched.
    func testPackTransposedTransposes() {
        let rows = 19, cols = 3, lds = 4, ldd = 21
        let src = (0..<(rows * lds)).map { i in i % lds < cols ? Float(100 * (i / lds) + i % lds) : -7 }
        var dst = [Float](repeating: -1, count: cols * ldd)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                SmallGEMM.packTransposed(s.baseAddress!, lds: lds, rows: rows, cols: cols, into: d.baseAddress!, ldd: ldd)
            }
        }
        for c in 0..<cols {
            for r in 0..<ldd {
                XCTAssertEqual(dst[c * ldd + r], r < rows ? Float(100 * r + c) : -1, "dst[\(c), \(r)]")
            }
        }
    }
}
