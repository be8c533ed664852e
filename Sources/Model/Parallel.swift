// Parallel.swift — how the model spreads its work over cores (`DispatchQueue.concurrentPerform`
// through `parallelFor`): element-wise and per-row loops in a few contiguous chunks per core, so
// each dispatch amortises its overhead, and matrix products split by rows into
// single-threaded OpenBLAS calls (OpenBLAS's own threads are not used under the model).

import Linalg
import Support

/// Threads for a model's loops and matrix products: one value, given to `GPTModel` and by the
/// trainer to AdamW.
public struct ComputeThreads: Sendable, Equatable {
    /// At least 1.
    public let count: Int
    /// - Precondition: `count >= 1`.
    public init(_ count: Int) { precondition(count >= 1, "ComputeThreads: need >= 1, got \(count)"); self.count = count }
    /// One thread: serial loops and products (timings of one core).
    public static let one = ComputeThreads(1)
    /// One thread per online core.
    public static var allCores: ComputeThreads { ComputeThreads(availableCores) }
}

/// Runs `body(range)` over contiguous chunks covering 0..<rows, concurrently when the work
/// (`rows · costPerRow`, in rough flops) is worth a dispatch, over the model's `threads`. `body`
/// must write only rows of its range (or thread-private state).
/// - Parameter chunksPerThread: 4 balances uneven cores; column sums (a parameter gradient's
///   columns, each summed down all N rows) pass 1, so each thread streams wide row slices:
///   eight 32-column slices of 1 KB rows made those sums 2.5× slower (issue 19).
@inline(__always)
func parallelRows(_ rows: Int, costPerRow: Int, threads: Int, chunksPerThread: Int = 4, _ body: (Range<Int>) -> Void) {
    if threads == 1 || rows < 2 || rows * costPerRow < 32_768 {
        body(0..<rows)
        return
    }
    let chunks = min(rows, threads * chunksPerThread)
    parallelFor(chunks, threads: threads) { c in body((rows * c / chunks)..<(rows * (c + 1) / chunks)) }
}

/// Runs `body` with OpenBLAS on one thread, restoring its count after. The model splits its
/// products over threads itself (`parallelGEMM`, attention's heads); an OpenBLAS worker left
/// idle between products spins in `sched_yield`, taking a core from the model's own threads
/// (≈ 11 % of a two-thread step's CPU samples were the scheduler before, issue 19).
@inline(__always)
func withSingleThreadedBLAS(_ body: () -> Void) {
    let blasThreads = BLAS.threads
    if blasThreads == 1 { body(); return }
    BLAS.setThreads(1)
    defer { BLAS.setThreads(blasThreads) }
    body()
}

/// C = alpha·op(A)·op(B) + beta·C, as `ModelScalar.gemm`, with C's rows split into `threads`
/// parts of whole 48-row groups, one single-threaded BLAS call each, run concurrently. Rows split
/// at multiples of 48 (of OpenBLAS's 6-, 12-, 16- and 24-wide register tiles) are computed
/// exactly as in one unsplit call, so the result does not depend on `threads`; split elsewhere,
/// or by columns, OpenBLAS's Zen kernels round some elements differently. Products under 2²¹
/// multiply-adds, or of fewer than 96 rows, run as one call.
func parallelGEMM<F: ModelScalar>(
    threads: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: F,
    a: UnsafePointer<F>, lda: Int, b: UnsafePointer<F>, ldb: Int,
    beta: F, c: UnsafeMutablePointer<F>, ldc: Int
) {
    let groups = (m + 47) / 48
    if threads == 1 || m * n * k < 1 << 21 || groups < 2 {
        F.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    let parts = min(threads, groups)
    withSingleThreadedBLAS {
        parallelFor(parts) { part in
            let lo = min(m, groups * part / parts * 48), hi = min(m, groups * (part + 1) / parts * 48)
            F.gemm(transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha,
                   a: transA ? a + lo : a + lo * lda, lda: lda, b: b, ldb: ldb,
                   beta: beta, c: c + lo * ldc, ldc: ldc)
        }
    }
}
