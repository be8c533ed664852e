// BenchLTD.swift — `gradus bench ltd` (issue 6 §6): training-step time of a config's model dense
// vs with random-LTD at r = T/2 and r = T/4 in every middle layer (1 … L−2), on synthetic
// batches, next to the theoretical saving. Theoretical saving = 1 − FLOPs(ltd)/FLOPs(dense) with
// the matmul FLOPs of `StepCost` (the one cost model: linears scale with r/T, the causal
// attention products with the pairs at r). Measured saving = 1 − step_s_ltd/step_s_dense,
// each the fastest of `--rounds` interleaved rounds of `--steps` steps (the machine is shared).
// The paper reports 25.6 % wall-clock for 33.3 % theoretical; the target is ≥ 80 % of theoretical.

import ArgumentParser
import Model
import Training

struct BenchLTD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ltd",
        abstract: "Step time dense vs random-LTD (r = T/2, T/4 in all middle layers), next to the FLOP saving.",
        discussion: """
        One JSON line per reserved length:
        {"bench":"ltd","context":T,"reserved":r,"dropped_layers":l,
        "step_s_dense":…,"step_s_ltd":…,"theoretical_saving":…,"measured_saving":…}.

        Example:
          swift build -c release && .build/release/gradus bench ltd \\
            --config configs/small-text.json
        """
    )

    @Option(help: "Run config with a gradus.model / gradus.train block.")
    var config = "configs/small-text.json"

    @Option(help: "Threads (BLAS and the model's loops).")
    var threads = 1

    @Option(help: "Timed training steps per round.")
    var steps = 3

    @Option(help: "Interleaved dense/LTD rounds; the fastest round of each is reported.")
    var rounds = 3

    func validate() throws {
        if steps < 1 || rounds < 1 || threads < 1 { throw ValidationError("--steps, --rounds and --threads must be >= 1") }
    }

    func run() throws {
        warnIfDebugBuild()
        let run = try RunConfig.load(path: config)
        let compute = ComputeThreads(threads)
        let L = run.model.layers, T = run.sequenceLength, B = run.train.batchSize
        guard L >= 3 else { throw ValidationError("random-LTD needs at least 3 layers (first and last stay dense)") }
        let middle = Array(1..<(L - 1))
        for r in [T / 2, T / 4] where r >= 1 {
            let routing = RandomLTDRouting(layers: middle, minValue: r, maxValue: r, requireSteps: 1, seqPerStep: 1)
            let dense = try Trainer(config: run, source: synthetic(run), threads: compute)
            let ltd = try Trainer(config: run, source: synthetic(run), randomLTD: routing, threads: compute)
            try dense.step(); try ltd.step()  // warm-up: arenas touched, routing arena allocated
            var best = (dense: Double.infinity, ltd: Double.infinity)
            for _ in 0..<rounds {
                best.dense = min(best.dense, try time(dense))
                best.ltd = min(best.ltd, try time(ltd))
            }
            let full = StepCost(model: run.model, batchSize: B, length: T, reserved: nil, dropping: middle.count)
            let cut = StepCost(model: run.model, batchSize: B, length: T, reserved: r, dropping: middle.count)
            var json = JSONLine()
            json.add("bench", "ltd")
            json.add("context", T)
            json.add("reserved", r)
            json.add("dropped_layers", middle.count)
            json.add("batch", B)
            json.add("threads", threads)
            json.add("step_s_dense", (best.dense * 1e4).rounded() / 1e4)
            json.add("step_s_ltd", (best.ltd * 1e4).rounded() / 1e4)
            json.add("theoretical_saving", ((1 - cut.flops / full.flops) * 1e4).rounded() / 1e4)
            json.add("measured_saving", ((1 - best.ltd / best.dense) * 1e4).rounded() / 1e4)
            print(json.text)
        }
    }

    private func synthetic(_ run: RunConfig) -> SyntheticBatchSource {
        SyntheticBatchSource(batchSize: run.train.batchSize, length: run.sequenceLength, vocab: run.model.vocab, seed: 1)
    }

    /// Mean training wall-clock seconds of one step over `steps` steps.
    private func time(_ trainer: Trainer) throws -> Double {
        let start = trainer.trainingSeconds
        _ = try trainer.train(budget: .steps(trainer.progress.steps + steps))
        return (trainer.trainingSeconds - start) / Double(steps)
    }
}
