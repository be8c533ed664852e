// BLAS.swift — the few OpenBLAS calls Gradus uses (issue 2, DESIGN.md §2 `Linalg`): row-major
// sgemm for the model's matmuls (timed by `GEMMTimer` when it is on), thread control (and ending
// the idle worker pool), and three BLAS-1 helpers (axpy for updates, dot, nrm2 for gradient-norm
// clipping). Shapes are checked with preconditions at entry.

import COpenBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Row-major single-precision BLAS over OpenBLAS.
public enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, all row-major; op(X) is X or Xᵀ.
    ///
    /// - Parameters:
    ///   - transA: use Aᵀ. op(A) is m×k, so A is stored m×k (or k×m when transposed).
    ///   - transB: use Bᵀ. op(B) is k×n, so B is stored k×n (or n×k when transposed).
    ///   - lda, ldb, ldc: leading dimensions (row strides, in elements) of the stored matrices,
    ///     at least their column counts (and at least 1).
    ///   - beta: when 0, C's prior contents are ignored (may be uninitialised, even NaN).
    /// - Precondition: non-negative dimensions, leading dimensions as above, all ≤ Int32.max.
    /// - Complexity: O(m·n·k), multithreaded per `threads`.
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let shape = GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        call(shape, alpha: alpha, a: a, b: b, beta: beta, c: c)
    }

    /// `sgemm` on buffers, additionally checking that each buffer spans its matrix.
    ///
    /// - Precondition: as the pointer form, and A, B, C hold at least
    ///   `(rows - 1) · ld + cols` elements of their stored shapes.
    /// - Complexity: O(m·n·k).
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafeBufferPointer<Float>, lda: Int, b: UnsafeBufferPointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutableBufferPointer<Float>, ldc: Int
    ) {
        let shape = GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        shape.checkCounts(a: a.count, b: b.count, c: c.count)
        if shape.requiredC == 0 { return }
        // With k == 0 the BLAS never reads A or B, and an empty buffer may have no base address.
        let dummy: Float = 0
        withUnsafePointer(to: dummy) { zero in
            call(shape, alpha: alpha, a: a.baseAddress ?? zero, b: b.baseAddress ?? zero, beta: beta, c: c.baseAddress!)
        }
    }

    private static func call(
        _ s: GEMMShape, alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float, c: UnsafeMutablePointer<Float>
    ) {
        GEMMTimer.measure {
            cblas_sgemm(CblasRowMajor, s.transA ? CblasTrans : CblasNoTrans, s.transB ? CblasTrans : CblasNoTrans,
                        blasint(s.m), blasint(s.n), blasint(s.k), alpha, a, blasint(s.lda), b, blasint(s.ldb),
                        beta, c, blasint(s.ldc))
        }
    }

    /// y += alpha · x.
    /// - Precondition: `x.count == y.count`.
    /// - Complexity: O(n).
    public static func axpy(alpha: Float, x: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == y.count, "axpy: x has \(x.count) elements, y has \(y.count)")
        precondition(x.count <= Int(Int32.max), "axpy: length exceeds Int32")
        guard let px = x.baseAddress, let py = y.baseAddress else { return }
        cblas_saxpy(blasint(x.count), alpha, px, 1, py, 1)
    }

    /// Σ x[i] · y[i] (float accumulation, as BLAS does).
    /// - Precondition: `x.count == y.count`.
    /// - Complexity: O(n).
    public static func dot(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>) -> Float {
        precondition(x.count == y.count, "dot: x has \(x.count) elements, y has \(y.count)")
        precondition(x.count <= Int(Int32.max), "dot: length exceeds Int32")
        guard let px = x.baseAddress, let py = y.baseAddress else { return 0 }
        return cblas_sdot(blasint(x.count), px, 1, py, 1)
    }

    /// The Euclidean norm √(Σ x[i]²), computed without overflow by OpenBLAS.
    /// - Complexity: O(n).
    public static func nrm2(_ x: UnsafeBufferPointer<Float>) -> Float {
        precondition(x.count <= Int(Int32.max), "nrm2: length exceeds Int32")
        guard let px = x.baseAddress else { return 0 }
        return cblas_snrm2(blasint(x.count), px, 1)
    }

    /// Sets how many threads OpenBLAS uses for later calls (process-wide).
    /// - Precondition: `n >= 1`.
    public static func setThreads(_ n: Int) {
        precondition(n >= 1 && n <= Int(Int32.max), "BLAS.setThreads: need n >= 1, got \(n)")
        openblas_set_num_threads(Int32(n))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernel set OpenBLAS chose when it loaded (`openblas_get_corename`: "Haswell",
    /// "SkylakeX", "Cooperlake", …): from the CPU, or from `OPENBLAS_CORETYPE` when that is set.
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// Ends OpenBLAS's worker threads (its `blas_thread_shutdown_`, the call its own fork handler
    /// makes), joining them; the next multithreaded call starts the pool again. OpenBLAS starts
    /// the pool when it is loaded, and each worker spins in `sched_yield` for up to ≈ 0.1 s
    /// before sleeping, taking a core from a command that multiplies nothing or on one thread
    /// (`gradus` calls this at start; issue 16 item 5). The symbol is not in OpenBLAS's headers,
    /// so it is looked up with `dlsym`.
    /// - Returns: false when the loaded library has no such call (nothing was done).
    @discardableResult
    public static func stopIdleThreads() -> Bool {
        // dlsym(RTLD_DEFAULT, …): RTLD_DEFAULT is the null handle.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_thread_shutdown_") else { return false }
        typealias Shutdown = @convention(c) () -> Int32
        _ = unsafeBitCast(symbol, to: Shutdown.self)()
        return true
    }
}
