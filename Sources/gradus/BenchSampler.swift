// BenchSampler.swift — `gradus bench sampler`: curriculum sampler throughput (global batches/s,
// sample ids/s) on a synthetic in-memory two-metric index, one thread, and peak RSS (issue 4
// item 7; target ≥ 1 000 000 ids/s).

import ArgumentParser
import Curriculum
#if canImport(Glibc)
import Glibc
#endif

struct BenchSampler: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sampler",
        abstract: "Curriculum sampler speed on a synthetic in-memory index (two metrics; percentile and value modes).",
        discussion: """
        The index is InMemoryDifficultyIndex (arrays), not LMDB: this measures the sampler itself.

        Example:
          swift build -c release && .build/release/gradus bench sampler
        """
    )

    @Option(help: "Samples in the synthetic index.")
    var samples = 2_000_000

    @Option(help: "Global batches drawn per mode (the schedules complete at half of them).")
    var steps = 2000

    @Option(help: "Global batch size.")
    var batch = 1024

    @Option(help: "Modes to run: percentile, value, percentile-1 (comma-separated).")
    var modes = "percentile,value,percentile-1"

    func validate() throws {
        if samples < 1 || steps < 1 || batch < 1 { throw ValidationError("--samples, --steps and --batch must be ≥ 1") }
    }

    func run() throws {
        warnIfDebugBuild()
        let index = try SamplerBenchmark.syntheticIndex(samples: samples)
        for mode in modes.split(separator: ",").map(String.init) {
            let r = try SamplerBenchmark.run(index: index, mode: mode, steps: steps, globalBatchSize: batch)
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            var json = JSONLine()
            json.add("bench", "sampler")
            json.add("index", "in-memory")
            json.add("mode", r.mode)
            json.add("samples", r.samples)
            json.add("global_batch", r.globalBatchSize)
            json.add("batches", r.batches)
            json.add("clusters", r.clusters)
            json.add("domain_per_member", (r.domainPerMember * 100).rounded() / 100)
            json.add("seconds", (r.seconds * 1e4).rounded() / 1e4)
            json.add("batches_per_s", (r.batchesPerSecond * 10).rounded() / 10)
            json.add("ids_per_s", Int(r.idsPerSecond))
            json.add("peak_rss_mib", Double(usage.ru_maxrss) / 1024)
            print(json.text)
        }
    }
}
