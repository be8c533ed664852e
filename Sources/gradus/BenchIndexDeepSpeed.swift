// BenchIndexDeepSpeed.swift — the DeepSpeed reference of `gradus bench index --vs-deepspeed`
// (issue 16 item 5): tools/bench_deepspeed_analyzer.py copies the generated Zipf corpus into its
// DeepSpeed-written form (DeepSpeed's own MMapIndexedDatasetBuilder) and times DeepSpeed's
// DataAnalyzer on it (one worker, one thread; seqlen + total_vocab_freq, then vocab_rarity), in the
// same run as Gradus indexes that same form, so the ratio is measured under one machine load.

import Foundation
import Support

/// DeepSpeed's DataAnalyzer speed on one dataset, or why it could not be measured.
enum DeepSpeedAnalyzerReference {
    /// The script, relative to the repository root (the bench is run from there).
    static let script = "tools/bench_deepspeed_analyzer.py"

    /// What the reference run gave.
    enum Outcome {
        /// DeepSpeed analysed the dataset: its samples/s and the script's JSON line.
        case measured(samplesPerSecond: Double, line: String)
        /// It could not run; the reason names what is missing and what to do.
        case skipped(reason: String)
    }

    /// Writes the DeepSpeed-written copy of the Megatron dataset `source` at `prefix` and runs
    /// DeepSpeed's DataAnalyzer on it. `scratch` receives the script's diagnostics
    /// (`deepspeed.stderr`), which DeepSpeed makes long.
    static func run(source: String, prefix: String, vocabularySize: Int, scratch: String) -> Outcome {
        guard FileManager.default.fileExists(atPath: script) else {
            return .skipped(reason: "\(script) not found (run `gradus bench index` from the repository root)")
        }
        let log = scratch + "/deepspeed.stderr"
        guard FileManager.default.createFile(atPath: log, contents: nil),
              let errors = FileHandle(forWritingAtPath: log) else {
            return .skipped(reason: "cannot create \(log) for the DeepSpeed run's diagnostics; check the scratch directory")
        }
        // DataAnalyzer's output of an earlier run in a kept --scratch is removed: its reduce would
        // otherwise read stale per-value files.
        let work = scratch + "/deepspeed-analysis"
        try? FileManager.default.removeItem(atPath: work)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        child.arguments = ["python3", script, prefix, "--vocab-size", String(vocabularySize), "--write-from", source,
                           "--work", work]
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
        guard child.terminationStatus == 0, let speed = (try? JSONValue.parse(line))?["samples_per_s"]?.number,
              speed > 0 else {
            return .skipped(reason: failureReason(log: log, status: child.terminationStatus))
        }
        return .measured(samplesPerSecond: speed, line: line)
    }

    /// The script's `error:` line (e.g. "deepspeed is not importable ... pip install ..."), else
    /// its last diagnostic line, with the exit status and where the whole log is.
    private static func failureReason(log: String, status: Int32) -> String {
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let said = lines.last { $0.hasPrefix("error:") }.map { String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) }
            ?? lines.last ?? "no output"
        return "\(script) failed with status \(status): \(said) (full log: \(log))"
    }

    /// `line` (a JSON object of Gradus's single-thread run) with the comparison added: DeepSpeed's
    /// samples/s and `vs_deepspeed` = Gradus samples/s ÷ DeepSpeed samples/s; or the skip reason.
    static func annotate(_ line: String, with outcome: Outcome) -> String {
        var extra = JSONLine()
        switch outcome {
        case .measured(let reference, _):
            extra.add("deepspeed_samples_per_s", (reference * 100).rounded() / 100)
            if let gradus = (try? JSONValue.parse(line))?["samples_per_s"]?.number {
                extra.add("vs_deepspeed", (gradus / reference * 100).rounded() / 100)
            }
        case .skipped(let reason):
            extra.add("vs_deepspeed_skipped", reason)
        }
        guard line.hasSuffix("}"), line.count > 2 else { return line }
        return String(line.dropLast()) + "," + String(extra.text.dropFirst())
    }
}
