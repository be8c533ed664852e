// BenchIndexDeepSpeed.swift — the DeepSpeed reference of `gradus bench index --vs-deepspeed`
// (issue 16 item 5): tools/bench_deepspeed_analyzer.py copies the generated Zipf corpus into its
// DeepSpeed-written form (DeepSpeed's own MMapIndexedDatasetBuilder) and times DeepSpeed's
// DataAnalyzer on it (one worker, one thread; seqlen + total_vocab_freq, then vocab_rarity), in the
// same run as Gradus indexes that same form, so the ratio is measured under one machine load.

import Foundation
import Support

/// DeepSpeed's DataAnalyzer speed on one dataset, or why it could not be measured.
enum DeepSpeedAnalyzerReference {
    /// The script and how its JSON line gives DeepSpeed's rate.
    static let script = ReferenceScript(path: "tools/bench_deepspeed_analyzer.py", command: "gradus bench index",
                                        reference: "DeepSpeed", rateKey: "samples_per_s")

    /// Writes the DeepSpeed-written copy of the Megatron dataset `source` at `prefix` and runs
    /// DeepSpeed's DataAnalyzer on it; `.measured`'s rate is its samples/s. `scratch` receives the
    /// script's diagnostics (`deepspeed.stderr`), which DeepSpeed makes long.
    static func run(source: String, prefix: String, vocabularySize: Int, scratch: String) -> ReferenceOutcome {
        // DataAnalyzer's output of an earlier run in a kept --scratch is removed: its reduce would
        // otherwise read stale per-value files.
        let work = scratch + "/deepspeed-analysis"
        try? FileManager.default.removeItem(atPath: work)
        return script.run([prefix, "--vocab-size", String(vocabularySize), "--write-from", source,
                           "--work", work], log: scratch + "/deepspeed.stderr")
    }

    /// `line` (a JSON object of Gradus's single-thread run) with the comparison added: DeepSpeed's
    /// samples/s and `vs_deepspeed` = Gradus samples/s ÷ DeepSpeed samples/s; or the skip reason.
    static func annotate(_ line: String, with outcome: ReferenceOutcome) -> String {
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
