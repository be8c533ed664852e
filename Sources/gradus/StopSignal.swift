// StopSignal.swift — a graceful stop of `gradus index` on SIGINT/SIGTERM (issue 14): the first
// signal only sets a flag, which the build checks after each committed batch and then stops
// there, leaving a resumable `building` index; the handler resets itself, so a second signal
// kills at once (safe too: every commit is atomic).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The signal that asked this process to stop (0 while none has).
enum StopSignal {
    private static let received = Atomic<Int32>(0)

    /// Routes SIGINT and SIGTERM to the flag, once each (`SA_RESETHAND`).
    static func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { StopSignal.received.store($0, ordering: .relaxed) }
            action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND)) | SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signalNumber, &action, nil)
        }
    }

    /// Throws `Interrupted` when a stop was asked for.
    static func check() throws {
        let number = received.load(ordering: .relaxed)
        if number != 0 { throw Interrupted(signal: number) }
    }

    /// The build stopped at a commit because of `signal`.
    struct Interrupted: Error, CustomStringConvertible {
        let signal: Int32
        var description: String {
            "stopped by \(signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)") after the last committed batch"
        }
    }
}
