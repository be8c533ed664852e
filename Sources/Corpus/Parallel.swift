// Parallel.swift — the one place where Corpus spreads work over threads
// (`DispatchQueue.concurrentPerform`, DESIGN.md §7). Each worker gets its own index, so callers
// give every worker private state (an encoder, an output buffer) and merge after the loop.

import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(worker)` for worker = 0..<workers concurrently and returns when all are done.
/// `body` must only touch state owned by its worker index, or state that is immutable.
public func runWorkers(_ workers: Int, _ body: (Int) -> Void) {
    precondition(workers >= 1, "at least one worker")
    if workers == 1 { body(0); return }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { box.value($0) }
    }
}

/// Splits 0..<count into `parts` contiguous ranges of nearly equal size.
public func splitRange(_ count: Int, parts: Int) -> [Range<Int>] {
    precondition(parts >= 1)
    return (0..<parts).map { p in (count * p / parts)..<(count * (p + 1) / parts) }
}

/// Carries a value the caller promises is used safely across threads (see `runWorkers`).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
}

/// The number of online CPUs.
public var availableCores: Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
