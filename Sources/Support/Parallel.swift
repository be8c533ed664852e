// Parallel.swift — the one way the project spreads CPU work over threads
// (`DispatchQueue.concurrentPerform`, DESIGN.md §7): tokenizing and scanning workers, the index's
// passes, the model's row loops and AdamW's update all call `parallelFor`. Each iteration gets its
// own index, so callers give every iteration private state (or disjoint slices of shared buffers)
// and merge after the loop.

import Dispatch
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
