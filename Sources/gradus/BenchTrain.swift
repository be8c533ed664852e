// BenchTrain.swift — `gradus bench train`: training-step throughput of a config's model on
// synthetic token batches (the index is not needed to measure speed), with the machine's sgemm
// rate measured in the same run so the model-FLOPs utilisation can be read off (issue 5 §7).
// FLOPs counted: the timed steps' `StepRecord.flops` (`StepCost`, the one cost model: matmuls
// only, forward + backward, causal attention as computed; docs/training.md). `--vs-torch` adds
// PyTorch's eager and compiled step on the same config (BenchTrainTorch.swift, issue 19).

import ArgumentParser
import Dispatch
import Foundation
import Corpus
import Linalg
import Model
import Training
import Support
#if canImport(Glibc)
import Glibc
#endif

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training steps per second of a config's model on synthetic batches, next to sgemm GFLOP/s.",
        discussion: """
        One JSON line per thread count: tokens_per_s, gflops (model matmul FLOPs per
        second, forward + backward), sgemm_gflops (1024³ sgemm at the same threads)
        and their ratio (mfu); blas_core, the kernel set OpenBLAS runs (chosen from
        the CPU, or set by OPENBLAS_CORETYPE); step_s and step_cpu_s (wall-clock and
        process CPU seconds a step); gemm_cpu_s, the CPU seconds a step spends in
        matrix products (OpenBLAS's sgemm and attention's own per-head products, summed
        over threads), gemm_share (÷ step_cpu_s) and gemm_gflops (the FLOPs
        over the products' own time, their CPU seconds ÷ threads): how fast the
        products run at the model's shapes, and how much of the step is not them. A
        line after the first also gives vs_first_threads, its tokens/s ÷ the first
        line's.

        --vs-torch runs tools/bench_torch_train.py (the same model and step in
        PyTorch, from the same config, at the first line's thread count) eagerly and
        under torch.compile after Gradus's steps, and adds torch_eager_tokens_per_s,
        torch_compile_tokens_per_s, vs_torch_eager and vs_torch_compile (Gradus ÷
        PyTorch tokens/s) to the first line, and vs_torch_eager_cpu and
        vs_torch_compile_cpu (PyTorch ÷ Gradus CPU seconds per step, which other
        processes on the machine distort less than wall-clock), and
        vs_torch_eager_gemm_bound and vs_torch_compile_gemm_bound (PyTorch's CPU
        seconds a step ÷ gemm_cpu_s: the ratio Gradus would reach if everything but
        its products took no time); PyTorch's diagnostics
        go to torch-eager.stderr / torch-compile.stderr in a temporary directory named
        in any skip reason.

        Example:
          swift build -c release && .build/release/gradus bench train \\
            --config configs/small-text.json --vs-torch
        """
    )

    @Option(help: "Run config with a gradus.model / gradus.train block.")
    var config = "configs/small-text.json"

    @Option(help: "Threads (BLAS and the model's loops); default: 1 and all cores.")
    var threads: Int?

    @Option(help: "Timed training steps per measurement.")
    var steps = 5

    @Flag(help: "Also time the same step in PyTorch (eager and torch.compile) and print the ratios (see below).")
    var vsTorch = false

    func validate() throws {
        if steps < 1 { throw ValidationError("--steps must be >= 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1") }
    }

    func run() throws {
        warnIfDebugBuild()
        noteNarrowBLASKernels()
        let run = try RunConfig.load(path: config)
        let counts = threads.map { [$0] } ?? Array(Set([1, availableCores])).sorted()
        var lines: [String] = [], first: Double?
        for n in counts {
            let sgemm = measureSGEMM(threads: n)
            let times = try timeSteps(run, threads: ComputeThreads(n))
            let (seconds, cpu, flops) = (times.seconds, times.cpu, times.flops)
            let m = run.model, B = run.train.batchSize, T = run.sequenceLength
            let tokens = Double(B * T * steps)
            var json = JSONLine()
            json.add("bench", "train")
            json.add("config", config)
            json.add("layers", m.layers)
            json.add("d_model", m.dModel)
            json.add("heads", m.heads)
            json.add("vocab", m.vocab)
            json.add("context", T)
            json.add("batch", B)
            json.add("threads", n)
            json.add("tokens_per_s", (tokens / seconds).rounded())
            json.add("gflops", (flops / seconds / 1e7).rounded() / 100)
            json.add("sgemm_gflops", (sgemm * 100).rounded() / 100)
            json.add("blas_core", BLAS.coreName)
            json.add("mfu", (flops / seconds / 1e9 / sgemm * 1000).rounded() / 1000)
            json.add("step_s", (seconds / Double(steps) * 1e4).rounded() / 1e4)
            json.add("step_cpu_s", (cpu / Double(steps) * 1e4).rounded() / 1e4)
            json.add("gemm_cpu_s", (times.gemm / Double(steps) * 1e4).rounded() / 1e4)
            json.add("gemm_share", (times.gemm / cpu * 1000).rounded() / 1000)
            json.add("gemm_gflops", (flops / (times.gemm / Double(n)) / 1e7).rounded() / 100)
            if let first { json.add("vs_first_threads", (tokens / seconds / first * 100).rounded() / 100) }
            first = first ?? tokens / seconds
            lines.append(json.text)
        }
        if vsTorch, let head = lines.first {
            lines[0] = TorchTrainReference.annotate(head, with: torchReference(threads: counts[0]))
        }
        for line in lines { print(line) }
    }

    /// PyTorch eager and compiled on the same config and thread count, after Gradus's steps.
    private func torchReference(threads: Int) -> [(TorchTrainReference.Mode, ReferenceOutcome)] {
        let dir = NSTemporaryDirectory() + "gradus-bench-train-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let outcomes = TorchTrainReference.Mode.allCases.map { mode in
            (mode, TorchTrainReference.run(config: config, mode: mode, threads: threads, steps: steps,
                                           log: dir + "/torch-\(mode.rawValue).stderr"))
        }
        for (mode, outcome) in outcomes {
            if case .skipped(let reason) = outcome { writeStderr("warning: no PyTorch \(mode.rawValue) reference: \(reason)\n") }
        }
        if outcomes.allSatisfy({ if case .measured = $0.1 { return true } else { return false } }) {
            try? FileManager.default.removeItem(atPath: dir)
        }
        return outcomes
    }

    /// Wall-clock and process CPU seconds for `steps` training steps after one untimed warm-up
    /// step (CPU time shows what the steps cost when the machine is shared and busy), the seconds
    /// spent inside sgemm (`GEMMTimer`, summed over threads), and the matmul FLOPs the steps'
    /// records count.
    private func timeSteps(_ run: RunConfig, threads: ComputeThreads) throws -> StepTimes {
        let source = SyntheticBatchSource(batchSize: run.train.batchSize, length: run.sequenceLength,
                                          vocab: run.model.vocab, seed: 1)
        let trainer = try Trainer(config: run, source: source, threads: threads)
        try trainer.step()
        let clock = ContinuousClock(), start = clock.now, cpuStart = processCPUSeconds()
        GEMMTimer.start()
        let flops = try trainer.train(budget: .steps(1 + steps)).reduce(0) { $0 + $1.flops }
        let gemm = GEMMTimer.stop()
        return StepTimes(seconds: (clock.now - start) / .seconds(1), cpu: processCPUSeconds() - cpuStart,
                         gemm: gemm, flops: flops)
    }

    /// CPU time of the whole process (all threads), in seconds.
    private func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Best GFLOP/s of a 1024³ sgemm over a few repetitions on `threads` OpenBLAS threads.
    private func measureSGEMM(threads: Int) -> Double {
        BLAS.setThreads(threads)
        let n = 1024
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<12 {
            let start = clock.now
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.sgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: pa, lda: n,
                                   b: pb, ldb: n, beta: 0, c: pc, ldc: n)
                    }
                }
            }
            best = min(best, (clock.now - start) / .seconds(1))
        }
        return 2 * Double(n * n * n) / best / 1e9
    }
}

/// What `timeSteps` measured over the timed steps.
private struct StepTimes {
    /// Wall-clock and process CPU seconds; CPU seconds inside sgemm, summed over threads.
    let seconds, cpu, gemm: Double
    /// Matmul FLOPs the steps' records count.
    let flops: Double
}
