// BenchTrainTorch.swift — the PyTorch reference of `gradus bench train --vs-torch` (issue 19
// item 1): tools/bench_torch_train.py runs the same model and step in PyTorch (eager, then
// torch.compile), from the same run config, at the same thread count, in the same run as Gradus's
// steps, so the ratios are measured under one machine load.

import Foundation
import Support

/// PyTorch's training-step speed on a run config, or why it could not be measured.
enum TorchTrainReference {
    /// The script, relative to the repository root (the bench is run from there).
    static let script = "tools/bench_torch_train.py"

    /// The two ways the script runs the step.
    enum Mode: String, CaseIterable {
        case eager, compile
    }

    /// What one reference run gave.
    enum Outcome {
        /// PyTorch ran the steps: its tokens/s and the script's JSON line.
        case measured(tokensPerSecond: Double, line: String)
        /// It could not run; the reason names what is missing and what to do.
        case skipped(reason: String)
    }

    /// Runs the script on `config` in `mode` with `threads` threads and `steps` timed steps.
    /// Diagnostics (PyTorch's warnings, compilation logs) go to `log`.
    static func run(config: String, mode: Mode, threads: Int, steps: Int, log: String) -> Outcome {
        guard FileManager.default.fileExists(atPath: script) else {
            return .skipped(reason: "\(script) not found (run `gradus bench train` from the repository root)")
        }
        guard FileManager.default.createFile(atPath: log, contents: nil),
              let errors = FileHandle(forWritingAtPath: log) else {
            return .skipped(reason: "cannot create \(log) for the PyTorch run's diagnostics; check that its directory is writable")
        }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        child.arguments = ["python3", script, config, "--threads", String(threads), "--steps", String(steps)]
            + (mode == .compile ? ["--compile"] : [])
        let stdout = Pipe()
        child.standardOutput = stdout
        child.standardError = errors
        do { try child.run() } catch {
            return .skipped(reason: "cannot start python3 for \(script) (\(error)); install Python 3")
        }
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        try? errors.close()
        let line = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard child.terminationStatus == 0, let speed = (try? JSONValue.parse(line))?["tokens_per_s"]?.number,
              speed > 0 else {
            return .skipped(reason: failureReason(log: log, status: child.terminationStatus))
        }
        return .measured(tokensPerSecond: speed, line: line)
    }

    /// The script's `error:` line (e.g. "torch is not importable ... pip install ..."), else its
    /// last diagnostic line, with the exit status and where the whole log is.
    private static func failureReason(log: String, status: Int32) -> String {
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let said = lines.last { $0.hasPrefix("error:") }.map { String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) }
            ?? lines.last ?? "no output"
        return "\(script) failed with status \(status): \(said) (full log: \(log))"
    }

    /// `line` (a JSON object of Gradus's run) with the comparison to each mode added:
    /// `torch_MODE_tokens_per_s` and `vs_torch_MODE` = Gradus tokens/s ÷ PyTorch tokens/s;
    /// `vs_torch_MODE_cpu` = PyTorch's CPU seconds per step ÷ Gradus's (`step_cpu_s`, the same
    /// steps, less distorted when other processes share the cores); or `vs_torch_MODE_skipped`
    /// with the reason.
    static func annotate(_ line: String, with outcomes: [(Mode, Outcome)]) -> String {
        var extra = JSONLine()
        let parsed = try? JSONValue.parse(line)
        let gradus = parsed?["tokens_per_s"]?.number, gradusCPU = parsed?["step_cpu_s"]?.number
        for (mode, outcome) in outcomes {
            switch outcome {
            case .measured(let reference, let torchLine):
                extra.add("torch_\(mode.rawValue)_tokens_per_s", reference.rounded())
                if let gradus { extra.add("vs_torch_\(mode.rawValue)", (gradus / reference * 100).rounded() / 100) }
                if let gradusCPU, gradusCPU > 0, let cpu = (try? JSONValue.parse(torchLine))?["step_cpu_s"]?.number {
                    extra.add("vs_torch_\(mode.rawValue)_cpu", (cpu / gradusCPU * 100).rounded() / 100)
                }
            case .skipped(let reason):
                extra.add("vs_torch_\(mode.rawValue)_skipped", reason)
            }
        }
        guard line.hasSuffix("}"), line.count > 2, extra.text.count > 2 else { return line }
        return String(line.dropLast()) + "," + String(extra.text.dropFirst())
    }
}
