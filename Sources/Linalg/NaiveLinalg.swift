// NaiveLinalg.swift — plain-loop reference implementations that the BLAS fast paths are tested
// against (issue 2, STYLE.md §2: "fast path vs naive loops"). Written for obviousness, not speed;
// accumulation is in Double so the reference is more accurate than the code under test.

/// Reference linear algebra by straightforward loops.
public enum NaiveLinalg {
    /// C = alpha · op(A) · op(B) + beta · C, row-major, same contract as `BLAS.sgemm` (buffer
    /// form); beta == 0 ignores C's prior contents.
    ///
    /// - Precondition: as `BLAS.sgemm`, including buffer sizes.
    /// - Complexity: O(m·n·k), single-threaded.
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafeBufferPointer<Float>, lda: Int, b: UnsafeBufferPointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutableBufferPointer<Float>, ldc: Int
    ) {
        let shape = GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        shape.checkCounts(a: a.count, b: b.count, c: c.count)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    // op(A)[i, p] and op(B)[p, j] in row-major storage.
                    let aip = transA ? a[p * lda + i] : a[i * lda + p]
                    let bpj = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(aip) * Double(bpj)
                }
                let prior = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * sum + prior)
            }
        }
    }
}
