// BenchSampler.swift — `gradus bench sampler`: curriculum sampler throughput (global batches/s,
// sample ids/s, one thread) and peak RSS (issue 4 item 7; target ≥ 1 000 000 ids/s) on a real
// LMDB index of N samples with two metrics (built once and cached under /tmp), or on the
// synthetic in-memory index (`--index memory`), in percentile and value modes.

import ArgumentParser
import Corpus
import CorpusIndex
import Curriculum
import Foundation
import Support
#if canImport(Glibc)
import Glibc
#endif

struct BenchSampler: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sampler",
        abstract: "Curriculum sampler speed on an LMDB (or in-memory) index with two metrics, percentile and value modes.",
        discussion: """
        --index lmdb (default) builds a synthetic corpus of --samples documents into
        an LMDB index (metrics seqlen and vocabularyrarity) at --cache, reused by
        later runs of the same size; an existing --cache that is not such an index is
        refused and left untouched; --index memory uses InMemoryDifficultyIndex
        (arrays), measuring the sampler alone. peak_rss_mib is the process's peak so
        far (it includes building or opening the index).

        Examples:
          swift build -c release && .build/release/gradus bench sampler
          .build/release/gradus bench sampler --index memory --modes percentile,value
        """
    )

    @Option(help: "Samples in the index.")
    var samples = 2_000_000

    @Option(help: "Global batches drawn per mode (the schedules complete at half of them).")
    var steps = 2000

    @Option(help: "Global batch size.")
    var batch = 1024

    @Option(help: "Modes to run: percentile, value, percentile-1 (comma-separated).")
    var modes = "percentile,value,percentile-1"

    @Option(help: "Index kind: lmdb or memory.")
    var index = "lmdb"

    @Option(help: "Where the LMDB benchmark index is cached (default: /tmp/gradus-bench-sampler-<samples>.idx); built only where nothing exists.")
    var cache: String?

    func validate() throws {
        if samples < 100 || steps < 1 || batch < 1 { throw ValidationError("need --samples ≥ 100, --steps and --batch ≥ 1") }
        if !["lmdb", "memory"].contains(index) { throw ValidationError("--index is lmdb or memory") }
    }

    func run() throws {
        warnIfDebugBuild()
        let modeList = modes.split(separator: ",").map(String.init)
        if index == "memory" {
            try measure(try SamplerBenchmark.syntheticIndex(samples: samples), kind: "in-memory", modes: modeList)
            return
        }
        let path = cache ?? NSTemporaryDirectory() + "gradus-bench-sampler-\(samples).idx"
        let clock = ContinuousClock(), start = clock.now
        let (lmdb, built) = try LMDBDifficultyIndex.openOrBuildSynthetic(at: path, samples: samples, threads: availableCores)
        writeStderr("\(built ? "built" : "reused") \(path) (\(lmdb.sampleCount) samples, metrics \(lmdb.metricNames.joined(separator: ", "))) in \(clock.now - start)\n")
        try measure(lmdb, kind: "lmdb", modes: modeList)
    }

    /// Runs every mode on `idx` and prints one JSON line each.
    private func measure<Index: DifficultyIndex>(_ idx: Index, kind: String, modes: [String]) throws {
        for mode in modes {
            let r = try SamplerBenchmark.run(index: idx, mode: mode, steps: steps, globalBatchSize: batch)
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            var json = JSONLine()
            json.add("bench", "sampler")
            json.add("index", kind)
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
