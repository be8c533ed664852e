// Parallel.swift — how the model spreads element-wise and per-row work over cores
// (DESIGN.md §7: `DispatchQueue.concurrentPerform` where BLAS does not already use them).
// Work is cut into a few contiguous chunks per core so each dispatch amortises its overhead.

import Support
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide settings for the model's own (non-BLAS) parallel loops.
public enum ModelThreads {
    nonisolated(unsafe) private static var _count = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Threads used by `parallelRows`; set it with the BLAS thread count before training.
    /// Not thread-safe: set it before running the model, not while.
    public static var count: Int {
        get { _count }
        set {
            precondition(newValue >= 1, "ModelThreads.count must be >= 1, got \(newValue)")
            _count = newValue
        }
    }
}

/// Runs `body(range)` over contiguous chunks covering 0..<rows, concurrently when the work
/// (`rows · costPerRow`, in rough flops) is worth a dispatch. `body` must write only rows of its
/// range (or thread-private state).
@inline(__always)
func parallelRows(_ rows: Int, costPerRow: Int, _ body: (Range<Int>) -> Void) {
    let threads = ModelThreads.count
    if threads == 1 || rows < 2 || rows * costPerRow < 32_768 {
        body(0..<rows)
        return
    }
    let chunks = min(rows, threads * 4)
    parallelFor(chunks) { c in body((rows * c / chunks)..<(rows * (c + 1) / chunks)) }
}
