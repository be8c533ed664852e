// SGEMMTests.swift — BLAS.sgemm against the naive loops for all four transpose combinations on
// odd shapes with padded leading dimensions, alpha ≠ 1 and beta ≠ 0; both against a product
// worked by hand; and the BLAS-1 helpers and thread control (issue 2, STYLE.md §2).

import TestSupport
import XCTest
import Linalg
import Support

/// A row-major rows×cols matrix in a buffer with leading dimension ld; padding cells hold `pad`.
private func matrix(rows: Int, cols: Int, ld: Int, pad: Float, _ rng: inout SplitMix64) -> [Float] {
    var m = [Float](repeating: pad, count: rows * ld)
    for i in 0..<rows {
        for j in 0..<cols { m[i * ld + j] = Float(Double(rng.next() % 2_000_001) / 1_000_000 - 1) }
    }
    return m
}


final class SGEMMTests: XCTestCase {
    private typealias GEMM = (Bool, Bool, Int, Int, Int, Float, UnsafeBufferPointer<Float>, Int,
                              UnsafeBufferPointer<Float>, Int, Float, UnsafeMutableBufferPointer<Float>, Int) -> Void

    private let blas: GEMM = {
        BLAS.sgemm(transA: $0, transB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8, ldb: $9,
                   beta: $10, c: $11, ldc: $12)
    }
    private let naive: GEMM = {
        NaiveLinalg.sgemm(transA: $0, transB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8, ldb: $9,
                          beta: $10, c: $11, ldc: $12)
    }

    private func run(_ gemm: GEMM, _ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                     _ a: [Float], _ lda: Int, _ b: [Float], _ ldb: Int, _ beta: Float, _ c: [Float], _ ldc: Int) -> [Float] {
        var c = c
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) }
            }
        }
        return c
    }

    /// The hand-worked product, independent of both implementations:
    ///   A = [1 2 3; 4 5 6] (2×3), B = [7 8; 9 10; 11 12] (3×2)
    ///   A·B = [1·7+2·9+3·11  1·8+2·10+3·12; 4·7+5·9+6·11  4·8+5·10+6·12] = [58 64; 139 154]
    ///   with alpha = 2, beta = -1, C₀ = [1 2; 3 4]:
    ///   C = 2·[58 64; 139 154] − [1 2; 3 4] = [115 126; 275 304]
    func testHandWorked2x3Times3x2() {
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [7, 8, 9, 10, 11, 12], c0: [Float] = [1, 2, 3, 4]
        let expected: [Float] = [115, 126, 275, 304]
        // The same operands stored transposed: Aᵀ = [1 4; 2 5; 3 6], Bᵀ = [7 9 11; 8 10 12].
        let aT: [Float] = [1, 4, 2, 5, 3, 6], bT: [Float] = [7, 9, 11, 8, 10, 12]
        for (name, gemm) in [("BLAS", blas), ("naive", naive)] {
            XCTAssertEqual(run(gemm, false, false, 2, 2, 3, 2, a, 3, b, 2, -1, c0, 2), expected, name)
            XCTAssertEqual(run(gemm, true, false, 2, 2, 3, 2, aT, 2, b, 2, -1, c0, 2), expected, "\(name) Aᵀ")
            XCTAssertEqual(run(gemm, false, true, 2, 2, 3, 2, a, 3, bT, 3, -1, c0, 2), expected, "\(name) Bᵀ")
            XCTAssertEqual(run(gemm, true, true, 2, 2, 3, 2, aT, 2, bT, 3, -1, c0, 2), expected, "\(name) AᵀBᵀ")
            // beta = 0 ignores C's contents, even NaN.
            let nan = [Float](repeating: .nan, count: 4)
            XCTAssertEqual(run(gemm, false, false, 2, 2, 3, 1, a, 3, b, 2, 0, nan, 2), [58, 64, 139, 154], "\(name) beta 0")
        }
    }

    /// BLAS vs naive with padded leading dimensions. Padding of A and B is NaN, so reading it
    /// would poison the result; padding of C is a sentinel that must survive.
    private func compare(m: Int, n: Int, k: Int, pad: Int, alpha: Float, beta: Float, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for (tA, tB) in [(false, false), (true, false), (false, true), (true, true)] {
            let (rowsA, colsA) = tA ? (k, m) : (m, k)
            let (rowsB, colsB) = tB ? (n, k) : (k, n)
            let lda = colsA + pad, ldb = colsB + pad, ldc = n + pad
            let a = matrix(rows: rowsA, cols: colsA, ld: lda, pad: .nan, &rng)
            let b = matrix(rows: rowsB, cols: colsB, ld: ldb, pad: .nan, &rng)
            let c = matrix(rows: m, cols: n, ld: ldc, pad: 12_345, &rng)
            let fast = run(blas, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            let slow = run(naive, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            let label = "m \(m) n \(n) k \(k) transA \(tA) transB \(tB)"
            assertClose(fast, slow, abs: 1e-4, rel: 1e-4, label)
            for i in 0..<m { for j in n..<ldc { XCTAssertEqual(fast[i * ldc + j], 12_345, "C padding, \(label)") } }
            // The naive result must really be alpha·op(A)·op(B) + beta·C: check one entry directly.
            if m > 0 && n > 0 {
                var dot = 0.0
                for p in 0..<k { dot += Double(tA ? a[p * lda] : a[p]) * Double(tB ? b[p] : b[p * ldb]) }
                let want = Float(Double(alpha) * dot + Double(beta) * Double(c[0]))
                XCTAssertEqual(slow[0], want, accuracy: 1e-5, "naive C[0,0], \(label)")
            }
        }
    }

    func testMatchesNaiveOnOddShapes() {
        compare(m: 7, n: 13, k: 5, pad: 3, alpha: 0.75, beta: -0.5, seed: 1)
        compare(m: 1, n: 1, k: 1, pad: 2, alpha: -2, beta: 1.5, seed: 2)
        compare(m: 33, n: 17, k: 65, pad: 5, alpha: 1.25, beta: 0.25, seed: 3)
        compare(m: 3, n: 4, k: 0, pad: 1, alpha: 1, beta: 2, seed: 4)  // k = 0: C = beta·C
    }

    func testMatchesNaiveWithMinimalLeadingDimensions() {
        compare(m: 9, n: 11, k: 6, pad: 0, alpha: 1, beta: 0, seed: 5)
    }

    func testBLASLevel1Helpers() {
        var y: [Float] = [10, 20, 30]
        let x: [Float] = [1, 2, 3]
        x.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { BLAS.axpy(alpha: 2, x: x, y: $0) } }
        XCTAssertEqual(y, [12, 24, 36])
        // 1·4 + 2·5 + 3·6 = 32
        XCTAssertEqual(x.withUnsafeBufferPointer { x in [Float](arrayLiteral: 4, 5, 6).withUnsafeBufferPointer { BLAS.dot(x, $0) } }, 32)
        // √(3² + 4²) = 5, and no overflow where squaring alone would overflow Float.
        XCTAssertEqual([Float](arrayLiteral: 3, 4).withUnsafeBufferPointer { BLAS.nrm2($0) }, 5)
        XCTAssertEqual([Float](arrayLiteral: 3e30, 4e30).withUnsafeBufferPointer { BLAS.nrm2($0) }, 5e30, accuracy: 1e25)
        XCTAssertEqual([Float]().withUnsafeBufferPointer { BLAS.nrm2($0) }, 0)
    }

    func testThreadControl() {
        let before = BLAS.threads
        XCTAssertGreaterThanOrEqual(before, 1)
        BLAS.setThreads(1)
        XCTAssertEqual(BLAS.threads, 1)
        BLAS.setThreads(max(before, 1))
        XCTAssertEqual(BLAS.threads, before)
    }
}
