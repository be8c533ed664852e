// MemorySampler.swift — peak anonymous memory of this process during a benchmark: a background
// thread reads `RssAnon` from /proc/self/status every 20 ms. Unlike `ru_maxrss`, it
// excludes file-backed pages (the memory-mapped input and the LMDB map), i.e. the page cache.

import Foundation
import Synchronization

/// Samples `RssAnon` until `stop()`; 0 where /proc is unavailable.
final class MemorySampler: Sendable {
    private let peakKiB = Mutex(0)
    private let running = Atomic<Bool>(true)
    private let done = DispatchSemaphore(value: 0)

    /// Starts sampling every `interval` seconds.
    init(interval: Double = 0.02) {
        let thread = Thread { [self] in
            while running.load(ordering: .relaxed) {
                let now = Self.anonymousKiB()
                peakKiB.withLock { $0 = max($0, now) }
                Thread.sleep(forTimeInterval: interval)
            }
            done.signal()
        }
        thread.start()
    }

    /// Stops sampling; returns the peak in MiB.
    func stop() -> Double {
        running.store(false, ordering: .relaxed)
        done.wait()
        let last = Self.anonymousKiB()
        return Double(peakKiB.withLock { max($0, last) }) / 1024
    }

    /// `RssAnon` in KiB, or 0.
    static func anonymousKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }) else { return 0 }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
    }
}
