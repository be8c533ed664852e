// StopSignal.swift — SIGINT/SIGTERM as a request to stop after the current step (issue 14 item
// 18): `gradus train` and `gradus experiment` install it, the training loop polls it between
// steps, writes a checkpoint and ends with `TrainingError.stopped`, and the command exits with
// 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). A second signal of the same kind
// ends the process at once (the handler restores the default action after the first).

import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The process-wide stop request set by SIGINT or SIGTERM.
public enum StopSignal {
    private static let received = Atomic<Int32>(0)

    /// Installs the handlers for SIGINT and SIGTERM (idempotent).
    public static func install() {
        received.store(0, ordering: .relaxed)  // initialises the atomic outside the handler
        for signalNumber in [SIGINT, SIGTERM] {
            _ = signal(signalNumber) { number in
                StopSignal.received.store(number, ordering: .relaxed)
                _ = signal(number, SIG_DFL)
            }
        }
    }

    /// The signal received since `install()`, or nil.
    public static var pending: Int32? {
        let number = received.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    /// The exit status for a stopped command: 128 + the signal (130 SIGINT, 143 SIGTERM), 1 if none.
    public static var exitStatus: Int32 { pending.map { 128 + $0 } ?? 1 }
}
