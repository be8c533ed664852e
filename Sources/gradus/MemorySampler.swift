// MemorySampler.swift — peak memory of this process during one benchmark run: a background
// thread reads `VmRSS` (all resident pages) and `RssAnon` (anonymous pages only, i.e. without
// the memory-mapped input and LMDB map) from /proc/self/status every 20 ms. Unlike `ru_maxrss`
// (the whole process lifetime), the peaks cover only the run being measured.

import Foundation
import Synchronization

/// Samples `VmRSS` and `RssAnon` until `stop()`; 0 where /proc is unavailable.
final class MemorySampler: Sendable {
    private let peakKiB = Mutex((resident: 0, anonymous: 0))
    private let running = Atomic<Bool>(true)
    private let done = DispatchSemaphore(value: 0)

    /// Starts sampling every `interval` seconds.
    init(interval: Double = 0.02) {
        let thread = Thread { [self] in
            while running.load(ordering: .relaxed) {
                let now = Self.currentKiB()
                peakKiB.withLock { $0 = (max($0.resident, now.resident), max($0.anonymous, now.anonymous)) }
                Thread.sleep(forTimeInterval: interval)
            }
            done.signal()
        }
        thread.start()
    }

    /// Stops sampling; returns the peaks of `VmRSS` and `RssAnon` in MiB.
    func stop() -> (residentMiB: Double, anonymousMiB: Double) {
        running.store(false, ordering: .relaxed)
        done.wait()
        let last = Self.currentKiB()
        let peak = peakKiB.withLock { (max($0.resident, last.resident), max($0.anonymous, last.anonymous)) }
        return (Double(peak.0) / 1024, Double(peak.1) / 1024)
    }

    /// `VmRSS` and `RssAnon` in KiB, or 0.
    static func currentKiB() -> (resident: Int, anonymous: Int) {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return 0 }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        }
        return (field("VmRSS:"), field("RssAnon:"))
    }
}
