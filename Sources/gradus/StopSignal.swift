// StopSignal.swift — SIGINT/SIGTERM as a request to stop at the next safe point (issue 14): `index`
// stops after the batch in hand is committed (a resumable `building` index), `train` and
// `experiment` after the current step and its checkpoint. The first signal only sets a flag that
// the commands poll; the handler resets itself (`SA_RESETHAND`), so a second signal ends the
// process at once (safe too: commits and checkpoints are atomic). A stopped command exits with
// 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a killed one.

#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
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

    /// The signal received since `install()`, or nil.
    static var pending: Int32? {
        let number = received.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    /// The exit status of a stopped command: 128 + the signal (130 SIGINT, 143 SIGTERM), 1 if none.
    static var exitStatus: Int32 { pending.map { 128 + $0 } ?? 1 }

    /// Runs `body` with the handlers installed; an error it throws after a stop was asked for is
    /// printed (or `message`, when given) and the command exits with `exitStatus`.
    static func stoppable<T>(message: String? = nil, _ body: () throws -> T) throws -> T {
        install()
        do { return try body() } catch where pending != nil {
            writeStderr("\n" + (message ?? "\(error)") + "\n")
            throw ExitCode(exitStatus)
        }
    }

    /// Throws `Interrupted` when a stop was asked for.
    static func check() throws {
        if let number = pending { throw Interrupted(signal: number) }
    }

    /// The build stopped at a commit because of `signal`.
    struct Interrupted: Error, CustomStringConvertible {
        let signal: Int32
        var description: String {
            "stopped by \(signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)") after the last committed batch"
        }
    }
}
