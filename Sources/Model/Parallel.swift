// Parallel.swift — how the model spreads element-wise and per-row work over cores
// (DESIGN.md §7: `DispatchQueue.concurrentPerform` where BLAS does not already use them).
// Work is cut into a few contiguous chunks per core so each dispatch amortises its overhead.

import Support

/// Threads for a model's own loops and OpenBLAS alike: one value, given to `GPTModel` (which sets
/// OpenBLAS from it) and by the trainer to AdamW.
public struct ComputeThreads: Sendable, Equatable {
    /// At least 1.
    public let count: Int
    /// - Precondition: `count >= 1`.
    public init(_ count: Int) { precondition(count >= 1, "ComputeThreads: need >= 1, got \(count)"); self.count = count }
    /// One thread: serial loops and single-threaded OpenBLAS (reproducible tests and timings).
    public static let one = ComputeThreads(1)
    /// One thread per online core.
    public static var allCores: ComputeThreads { ComputeThreads(availableCores) }
}

/// Runs `body(range)` over contiguous chunks covering 0..<rows, concurrently when the work
/// (`rows · costPerRow`, in rough flops) is worth a dispatch, over the model's `threads`. `body`
/// must write only rows of its range (or thread-private state).
@inline(__always)
func parallelRows(_ rows: Int, costPerRow: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    if threads == 1 || rows < 2 || rows * costPerRow < 32_768 {
        body(0..<rows)
        return
    }
    let chunks = min(rows, threads * 4)
    parallelFor(chunks) { c in body((rows * c / chunks)..<(rows * (c + 1) / chunks)) }
}
