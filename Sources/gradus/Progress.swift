// Progress.swift — progress lines on stderr for long jobs: rate and ETA, redrawn in place on a
// TTY at most five times a second; when stderr is not a terminal (a Slurm log, a pipe), one whole
// line every `--progress-seconds` (or `GRADUS_PROGRESS_SECONDS`) seconds (default 60; 0 turns them off).

#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Corpus
import Foundation
import Storage

/// `@OptionGroup var progressOptions: ProgressOptions` gives a long-running command
/// `--progress-seconds N`: the seconds between whole progress lines when stderr is not a terminal
/// (a Slurm log, a pipe); 0 turns them off. It overrides `GRADUS_PROGRESS_SECONDS`.
struct ProgressOptions: ParsableArguments {
    @Option(help: "Seconds between progress lines when stderr is not a terminal (a log); 0 turns them off. (default: GRADUS_PROGRESS_SECONDS, else 60)")
    var progressSeconds: Double?

    /// Checks the value and makes it the process's interval (option groups are validated as
    /// part of parsing, before `run`).
    func validate() throws {
        guard let progressSeconds else { return }
        guard progressSeconds >= 0, progressSeconds.isFinite else {
            throw ValidationError("--progress-seconds must be a number of seconds >= 0, not \(progressSeconds)")
        }
        ProgressLine.logIntervalOverride = progressSeconds
    }
}

final class ProgressLine {
    private let enabled: Bool
    /// Seconds between two whole lines when stderr is not a terminal (nil: none).
    private let logInterval: Double?
    private let start = monotonicSeconds()
    private var lastDraw = 0.0
    private var drawn = false

    /// The default seconds between progress lines in a log; `GRADUS_PROGRESS_SECONDS` overrides it.
    static let defaultLogInterval = 60.0
    /// `--progress-seconds`, set once while the command line is parsed; overrides the environment.
    nonisolated(unsafe) static var logIntervalOverride: Double?

    /// The seconds between whole lines in a log: `--progress-seconds`, else
    /// `GRADUS_PROGRESS_SECONDS`, else `defaultLogInterval`; nil when that is 0 (off).
    static var logInterval: Double? {
        let setting = logIntervalOverride ?? ProcessInfo.processInfo.environment["GRADUS_PROGRESS_SECONDS"].flatMap(Double.init)
        let seconds = setting ?? defaultLogInterval
        return seconds > 0 ? seconds : nil
    }

    init(force: Bool = false) {
        enabled = force || isatty(2) != 0
        if enabled {
            logInterval = nil
        } else {
            logInterval = Self.logInterval
            lastDraw = start  // the first line after one interval, not at once
        }
    }

    /// Redraws `text + rate + ETA`; `done`/`total` are in the unit whose rate is shown.
    func update(_ text: String, done: Int, total: Int?, unit: String = "MB", scale: Double = 1e6) {
        let now = monotonicSeconds()
        guard enabled || logInterval != nil else { return }
        guard now - lastDraw >= (enabled ? 0.2 : logInterval!) else { return }
        lastDraw = now
        let elapsed = max(now - start, 1e-9)
        let rate = Double(done) / scale / elapsed
        var line = "\(text)  \(format(rate)) \(unit)/s"
        if let total, total > 0, done > 0 {
            let remaining = Double(total - done) / (Double(done) / elapsed)
            line += "  \(Int(Double(done) * 100 / Double(total)))%  ETA \(clock(remaining))"
        }
        if enabled {
            writeStderr("\r\u{1B}[K" + line)
            drawn = true
        } else {
            writeStderr("progress: " + line + "\n")  // a whole line a log can keep
        }
    }

    /// Redraws `text` alone (a phase without a count), with the time so far.
    func status(_ text: String) {
        if enabled {
            writeStderr("\r\u{1B}[K\(text)  (\(clock(elapsed)) so far)")
            drawn = true
        } else if logInterval != nil {
            writeStderr("progress: \(text)  (\(clock(elapsed)) so far)\n")
        }
    }

    /// Clears the line so the next message starts clean.
    func finish() {
        if enabled && drawn { writeStderr("\r\u{1B}[K") }
        drawn = false
    }

    var elapsed: Double { monotonicSeconds() - start }

    private func format(_ x: Double) -> String {
        x >= 100 ? String(Int(x)) : String(Double(Int(x * 10)) / 10)
    }

    private func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format2(s / 60 % 60)))m" : "\(s / 60):\(format2(s % 60))"
    }

    private func format2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { try? PosixFile(standardStream: 2).write(UnsafeRawBufferPointer($0)) }  // a closed pipe ends it silently
}
