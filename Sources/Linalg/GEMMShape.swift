// GEMMShape.swift — the shape checks shared by `BLAS.sgemm` and `NaiveLinalg.sgemm` (issue 2,
// STYLE.md §6: preconditions on shapes at API entry, never inside the loops). Row-major storage:
// element (i, j) of a matrix with leading dimension ld lives at index i * ld + j.

/// The validated shape of C = alpha · op(A) · op(B) + beta · C, with op(A) m×k, op(B) k×n, C m×n.
struct GEMMShape {
    let transA: Bool, transB: Bool
    let m: Int, n: Int, k: Int
    let lda: Int, ldb: Int, ldc: Int

    /// Traps with a message naming the violated condition.
    init(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension (m \(m), n \(n), k \(k))")
        precondition(max(m, n, k, lda, ldb, ldc) <= Int(Int32.max), "sgemm: dimension exceeds Int32 (BLAS int)")
        let colsA = transA ? m : k, colsB = transB ? k : n
        precondition(lda >= max(1, colsA), "sgemm: lda \(lda) < \(max(1, colsA)) (columns of stored A)")
        precondition(ldb >= max(1, colsB), "sgemm: ldb \(ldb) < \(max(1, colsB)) (columns of stored B)")
        precondition(ldc >= max(1, n), "sgemm: ldc \(ldc) < \(max(1, n)) (columns of C)")
        (self.transA, self.transB, self.m, self.n, self.k) = (transA, transB, m, n, k)
        (self.lda, self.ldb, self.ldc) = (lda, ldb, ldc)
    }

    /// Elements a row-major rows×cols matrix with leading dimension ld spans.
    static func span(rows: Int, cols: Int, ld: Int) -> Int {
        rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols
    }

    /// Minimum element counts of the buffers holding A, B and C.
    var requiredA: Int { transA ? Self.span(rows: k, cols: m, ld: lda) : Self.span(rows: m, cols: k, ld: lda) }
    var requiredB: Int { transB ? Self.span(rows: n, cols: k, ld: ldb) : Self.span(rows: k, cols: n, ld: ldb) }
    var requiredC: Int { Self.span(rows: m, cols: n, ld: ldc) }

    /// Traps unless the buffers are large enough for the shape.
    func checkCounts(a: Int, b: Int, c: Int) {
        precondition(a >= requiredA, "sgemm: A holds \(a) elements, shape needs \(requiredA)")
        precondition(b >= requiredB, "sgemm: B holds \(b) elements, shape needs \(requiredB)")
        precondition(c >= requiredC, "sgemm: C holds \(c) elements, shape needs \(requiredC)")
    }
}
