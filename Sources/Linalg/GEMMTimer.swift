// GEMMTimer.swift — how much of a run is spent in matrix products (issue 19): OpenBLAS's sgemm and
// the model's own per-head attention products (Model's SmallGEMM) both run inside `measure`.
// `gradus bench train` turns it on around its timed steps and reports the products' share of each
// step, their own GFLOP/s, and the speed-up over PyTorch that even a zero-cost rest of the step
// could not exceed. Off, it costs a call one relaxed atomic load; on, two monotonic clock reads
// (≈ 14 000 calls a small-text step; the timer and its clock reads were 0.15 % of the step's CPU
// samples).

import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide total of the time threads spend in matrix products while it is on.
public enum GEMMTimer {
    private static let on = Atomic<Bool>(false)
    private static let nanoseconds = Atomic<Int>(0)

    /// Starts counting from zero.
    public static func start() {
        nanoseconds.store(0, ordering: .relaxed)
        on.store(true, ordering: .releasing)
    }

    /// Stops counting; returns the seconds counted since `start`, summed over the threads that
    /// multiplied (CPU seconds when each thread had a core).
    public static func stop() -> Double {
        on.store(false, ordering: .releasing)
        return Double(nanoseconds.load(ordering: .relaxed)) / 1e9
    }

    /// Runs `body`, adding its duration to the total when the timer is on (`BLAS.sgemm`, and the
    /// model's own small products).
    @inline(__always)
    package static func measure(_ body: () -> Void) {
        guard on.load(ordering: .relaxed) else { body(); return }
        let start = monotonicNanoseconds()
        body()
        nanoseconds.add(monotonicNanoseconds() - start, ordering: .relaxed)
    }

    private static func monotonicNanoseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1_000_000_000 + ts.tv_nsec
    }
}
