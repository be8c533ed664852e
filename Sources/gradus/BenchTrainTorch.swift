// BenchTrainTorch.swift — the PyTorch reference of `gradus bench train --vs-torch` (issue 19
// item 1): tools/bench_torch_train.py runs the same model and step in PyTorch (eager, then
// torch.compile), from the same run config, at the same thread count, in the same run as Gradus's
// steps, so the ratios are measured under one machine load.

import Foundation
import Support

/// PyTorch's training-step speed on a run config, or why it could not be measured.
enum TorchTrainReference {
    /// The script and how its JSON line gives PyTorch's rate.
    static let script = ReferenceScript(path: "tools/bench_torch_train.py", command: "gradus bench train",
                                        reference: "PyTorch", rateKey: "tokens_per_s")

    /// The two ways the script runs the step.
    enum Mode: String, CaseIterable {
        case eager, compile
    }

    /// Runs the script on `config` in `mode` with `threads` threads and `steps` timed steps;
    /// `.measured`'s rate is its tokens/s. Diagnostics (PyTorch's warnings, compilation logs) go to
    /// `log`.
    static func run(config: String, mode: Mode, threads: Int, steps: Int, log: String) -> ReferenceOutcome {
        script.run([config, "--threads", String(threads), "--steps", String(steps)] + (mode == .compile ? ["--compile"] : []),
                   log: log)
    }

    /// `line` (a JSON object of Gradus's run) with the comparison to each mode added:
    /// `torch_MODE_tokens_per_s` and `vs_torch_MODE` = Gradus tokens/s ÷ PyTorch tokens/s;
    /// `vs_torch_MODE_cpu` = PyTorch's CPU seconds per step ÷ Gradus's (`step_cpu_s`, the same
    /// steps, less distorted when other processes share the cores); `vs_torch_MODE_gemm_bound` =
    /// PyTorch's CPU seconds per step ÷ Gradus's seconds inside sgemm per step (`gemm_cpu_s`), the
    /// most a faster rest of Gradus's step could reach; or `vs_torch_MODE_skipped` with the reason.
    static func annotate(_ line: String, with outcomes: [(Mode, ReferenceOutcome)]) -> String {
        var extra = JSONLine()
        let parsed = try? JSONValue.parse(line)
        let gradus = parsed?["tokens_per_s"]?.number, gradusCPU = parsed?["step_cpu_s"]?.number
        let gemm = parsed?["gemm_cpu_s"]?.number
        for (mode, outcome) in outcomes {
            switch outcome {
            case .measured(let reference, let torchLine):
                extra.add("torch_\(mode.rawValue)_tokens_per_s", reference.rounded())
                if let gradus { extra.add("vs_torch_\(mode.rawValue)", (gradus / reference * 100).rounded() / 100) }
                if let cpu = (try? JSONValue.parse(torchLine))?["step_cpu_s"]?.number {
                    if let gradusCPU, gradusCPU > 0 {
                        extra.add("vs_torch_\(mode.rawValue)_cpu", (cpu / gradusCPU * 100).rounded() / 100)
                    }
                    if let gemm, gemm > 0 {
                        extra.add("vs_torch_\(mode.rawValue)_gemm_bound", (cpu / gemm * 100).rounded() / 100)
                    }
                }
            case .skipped(let reason):
                extra.add("vs_torch_\(mode.rawValue)_skipped", reason)
            }
        }
        guard line.hasSuffix("}"), line.count > 2, extra.text.count > 2 else { return line }
        return String(line.dropLast()) + "," + String(extra.text.dropFirst())
    }
}
