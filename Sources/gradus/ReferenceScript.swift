// ReferenceScript.swift — runs one of the repository's Python reference scripts for a benchmark
// (`tools/bench_deepspeed_analyzer.py` for `bench index --vs-deepspeed`,
// `tools/bench_torch_train.py` for `bench train --vs-torch`): the script prints one JSON line with
// its rate on stdout and its diagnostics on stderr, which go to a log file.

import Foundation
import Support

/// What one reference run gave.
enum ReferenceOutcome {
    /// The reference ran: its rate (the JSON line's rate key) and the line itself.
    case measured(rate: Double, line: String)
    /// It could not run; the reason names what is missing and what to do.
    case skipped(reason: String)
}

/// One Python reference script, run from the repository root.
struct ReferenceScript {
    /// The script, relative to the repository root.
    let path: String
    /// The `gradus` command that runs it, for the message when the script is not found.
    let command: String
    /// Who the diagnostics come from ("DeepSpeed", "PyTorch"), for messages.
    let reference: String
    /// The key of the script's JSON line that holds its rate (> 0).
    let rateKey: String

    /// Runs `python3 path arguments…` with its stderr in `log`.
    func run(_ arguments: [String], log: String) -> ReferenceOutcome {
        guard FileManager.default.fileExists(atPath: path) else {
            return .skipped(reason: "\(path) not found (run `\(command)` from the repository root)")
        }
        guard FileManager.default.createFile(atPath: log, contents: nil),
              let errors = FileHandle(forWritingAtPath: log) else {
            return .skipped(reason: "cannot create \(log) for the \(reference) run's diagnostics; check that its directory is writable")
        }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        child.arguments = ["python3", path] + arguments
        let stdout = Pipe()
        child.standardOutput = stdout
        child.standardError = errors
        do { try child.run() } catch {
            return .skipped(reason: "cannot start python3 for \(path) (\(error)); install Python 3")
        }
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        try? errors.close()
        let line = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard child.terminationStatus == 0, let rate = (try? JSONValue.parse(line))?[rateKey]?.number, rate > 0 else {
            return .skipped(reason: failureReason(log: log, status: child.terminationStatus))
        }
        return .measured(rate: rate, line: line)
    }

    /// The script's `error:` line (e.g. "deepspeed is not importable ... pip install ..."), else
    /// its last diagnostic line, with the exit status and where the whole log is.
    private func failureReason(log: String, status: Int32) -> String {
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let said = lines.last { $0.hasPrefix("error:") }.map { String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) }
            ?? lines.last ?? "no output"
        return "\(path) failed with status \(status): \(said) (full log: \(log))"
    }
}
