// Parallel.swift — the one way the project spreads CPU work over threads
// (`DispatchQueue.concurrentPerform`, DESIGN.md §7): tokenizing and scanning workers, the index's
// passes, the model's row loops and AdamW's update all call `parallelFor`. Each iteration gets its
// own index, so callers give every iteration private state (or disjoint slices of shared buffers)
// and merge after the loop.

import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body(i)` for i in 0..<iterations concurrently and returns when all are done; a single
/// iteration runs inline, none does nothing. `body` must only touch state owned by its index, or
/// immutable state.
package func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    if iterations <= 1 { if iterations == 1 { body(0) }; return }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: iterations) { box.value($0) }
    }
}

/// Runs `body(i)` for i in 0..<iterations on at most `threads` threads (the calling thread among
/// them) and returns when all are done: with `threads` ≥ `iterations` as `parallelFor(_:_:)`, with
/// one thread in order on the calling thread, otherwise `threads` workers take the indices from a
/// shared counter. `concurrentPerform` alone runs as many iterations at once as the machine has
/// cores, so a run asked for 2 threads (`--threads 2`, or each job of `--jobs`) would spread its
/// chunks over every core of a large node. Which thread runs an index never changes what it
/// computes. `body` as for `parallelFor(_:_:)`.
/// - Precondition: `threads >= 1`.
package func parallelFor(_ iterations: Int, threads: Int, _ body: (Int) -> Void) {
    precondition(threads >= 1, "parallelFor: need threads >= 1, got \(threads)")
    if threads >= iterations { parallelFor(iterations, body); return }
    if threads == 1 { for i in 0..<iterations { body(i) }; return }
    let next = IndexCounter()
    parallelFor(threads) { _ in
        while true {
            let i = next.take()
            if i >= iterations { return }
            body(i)
        }
    }
}

/// The next index to hand out, shared by `parallelFor(_:threads:_:)`'s workers.
private final class IndexCounter: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// Splits 0..<count into `parts` contiguous ranges of nearly equal size.
package func splitRange(_ count: Int, parts: Int) -> [Range<Int>] {
    precondition(parts >= 1)
    return (0..<parts).map { p in (count * p / parts)..<(count * (p + 1) / parts) }
}

/// Carries a value the caller promises is used safely across threads (see `parallelFor`).
package struct UncheckedSendable<Value>: @unchecked Sendable {
    /// The carried value.
    package var value: Value
    /// Wraps `value`.
    package init(_ value: Value) { self.value = value }
}

/// The number of online CPUs.
package var availableCores: Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
