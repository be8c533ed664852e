// BenchIndex.swift — `gradus bench index`: the whole `gradus index` (read, both passes, default
// metrics, order tables, LMDB commit and sync) on a generated pre-tokenized corpus and on the
// shipped corpora, at one thread and all threads; one JSON line each, with per-phase seconds and
// the peak RSS during the run: all resident pages (mapped input and LMDB map included) and the
// anonymous ones only (issue 3: memory must not grow with the number of samples). Each run is a
// fresh `gradus index` process (hidden `--bench-label`), so no run's memory counts in another's.
// `--vs-deepspeed` adds DeepSpeed's DataAnalyzer on the same files in the same run
// (BenchIndexDeepSpeed.swift, issue 16 item 5).

import ArgumentParser
import Corpus
import CorpusIndex
import Foundation
import Support
#if canImport(Glibc)
import Glibc
#endif

struct BenchIndex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Indexing speed: generated Zipf corpus (Megatron .bin/.idx) and the shipped corpora.",
        discussion: """
        Example:
          swift build -c release && .build/release/gradus bench index
          .build/release/gradus bench index --documents 2000000 --skip-shipped
          .build/release/gradus bench index --skip-shipped --vs-deepspeed

        --vs-deepspeed copies the generated corpus into its DeepSpeed-written form
        (DeepSpeed's MMapIndexedDatasetBuilder), times DeepSpeed's DataAnalyzer on it
        with tools/bench_deepspeed_analyzer.py (one worker, one thread: seqlen and
        total_vocab_freq, then vocab_rarity, map and reduce), indexes that same form
        with Gradus, and adds deepspeed_samples_per_s and vs_deepspeed (Gradus one
        thread ÷ DeepSpeed) to the one-thread line, then prints DeepSpeed's own line.
        Without deepspeed (or run outside the repository) the one-thread line says why
        in vs_deepspeed_skipped. DeepSpeed runs once (over a minute at the default 200
        000 documents); Gradus's figure is the fastest of --rounds as always.
        """
    )

    @Option(help: "Documents in the generated corpus.")
    var documents = 200_000

    @Option(help: "Folder holding the shipped corpora.")
    var corpora = "corpora"

    @Option(help: "Threads for the parallel measurement (default: all cores).")
    var threads: Int?

    @Option(help: "Rounds per setting (order alternates each round); the fastest run is printed.")
    var rounds = 2

    @Option(help: "Scratch directory (default: a fresh one under /tmp).")
    var scratch: String?

    @Flag(help: "Only the generated corpus.")
    var skipShipped = false

    @Flag(help: "Also time DeepSpeed's DataAnalyzer on the same files and print the ratio (see below).")
    var vsDeepspeed = false

    /// The generated corpus's vocabulary (`SyntheticCorpus.writeMegatron`'s default).
    private static let vocabularySize = 50_000

    func run() throws {
        warnIfDebugBuild()
        let dir = scratch ?? NSTemporaryDirectory() + "gradus-bench-index-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if scratch == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let prefix = dir + "/zipf"
        _ = try generatedCorpus(prefix: prefix)
        let all = threads ?? availableCores
        var input = prefix
        var reference: ReferenceOutcome?
        if vsDeepspeed {
            let copy = dir + "/zipf-deepspeed"
            reference = DeepSpeedAnalyzerReference.run(source: prefix, prefix: copy, vocabularySize: Self.vocabularySize,
                                                       scratch: dir)
            if case .measured = reference { input = copy }  // Gradus indexes the files DeepSpeed analysed
            if case .skipped(let reason)? = reference { writeStderr("warning: no DeepSpeed reference: \(reason)\n") }
        }
        try bestOfRounds(Set([1, all]).sorted(), annotate: { t, line in
            guard t == 1, let reference else { return line }
            return DeepSpeedAnalyzerReference.annotate(line, with: reference)
        }) { t in
            try measure([input + ".idx", "--vocab-size", String(Self.vocabularySize)], output: dir + "/zipf-\(t).idx",
                        threads: t, corpus: "zipf-\(documents)")
        }
        if case .measured(_, let line)? = reference { print(line) }
        guard !skipShipped else { return }
        let shipped: [(String, [String], String)] = [
            // The shipped byte-level BPE tokenizer: what a text corpus is indexed with.
            ("text", ["gnomehelp.sample.jsonl.zst", "appstream.sample.jsonl.zst", "udhr.sample.jsonl.zst"], "\(corpora)/tokenizer.json"),
            ("protein", ["protein.sample.fasta.zst"], "residues"),
        ]
        for (name, files, tokenizer) in shipped {
            try bestOfRounds(Set([1, all]).sorted()) { t in
                try measure(files.map { "\(corpora)/\($0)" } + ["--tokenizer", tokenizer], output: dir + "/\(name)-\(t).idx",
                            threads: t, corpus: name)
            }
        }
    }

    /// Runs every thread setting `rounds` times, alternating their order each round, flushing
    /// dirty pages (`sync`) before each run so that one run's writeback does not land in the
    /// next run's time (it did: the second of two back-to-back runs was up to 2× slower), and
    /// prints the fastest run of each setting, passed through `annotate` (thread setting, line).
    private func bestOfRounds(_ settings: [Int], annotate: (Int, String) -> String = { $1 },
                              _ run: (Int) throws -> (seconds: Double, line: String)) throws {
        var best: [Int: (seconds: Double, line: String)] = [:]
        for round in 0..<max(1, rounds) {
            for t in (round % 2 == 0 ? settings : settings.reversed()) {
                sync()
                let result = try run(t)
                if best[t].map({ result.seconds < $0.seconds }) ?? true { best[t] = result }
            }
        }
        for t in settings { print(annotate(t, best[t]!.line)) }
    }

    /// Generates the Zipf corpus at `prefix`, or reuses one of the same size that a kept
    /// `--scratch` directory already holds (generation takes minutes at 2 000 000 documents).
    private func generatedCorpus(prefix: String) throws -> Int {
        if scratch != nil, let kept = try? IndexedDatasetReader(prefix: prefix, codeTable: .megatron),
           kept.documentCount == documents {
            writeStderr("reusing \(documents) generated documents, \(kept.elementCount) tokens\n")
            return kept.elementCount
        }
        let tokens = try SyntheticCorpus.writeMegatron(prefix: prefix, documents: documents)
        writeStderr("generated \(documents) documents, \(tokens) tokens\n")
        return tokens
    }

    /// Runs `gradus index ARGS --out OUTPUT --threads T --force --bench-label CORPUS` as a child
    /// process (--force: a kept --scratch directory and every later round hold the previous run)
    /// and returns the JSON line it prints.
    private func measure(_ arguments: [String], output: String, threads: Int, corpus: String) throws -> (seconds: Double, line: String) {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: try executablePath())
        child.arguments = ["index"] + arguments + ["--out", output, "--threads", String(threads), "--force", "--bench-label", corpus]
        let stdout = Pipe()
        child.standardOutput = stdout
        try child.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        let line = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard child.terminationStatus == 0,
              let seconds = (try? JSONValue.parse(line))?["seconds"]?.number else {
            throw ValidationError("gradus index for \(corpus) (threads \(threads)) failed with status \(child.terminationStatus)")
        }
        return (seconds, line)
    }

    /// This executable (for the child runs).
    private func executablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// What `gradus index --bench-label` prints: one JSON line with the run's speed, per-phase
/// seconds and peak memory (`MemorySampler`: VmRSS and RssAnon during the run).
struct IndexBenchRecorder {
    let corpus: String
    let sampler = MemorySampler()
    let clock = ProgressLine()
    private(set) var phaseStarts: [(String, Double)] = [("pass1", 0)]

    init(corpus: String) { self.corpus = corpus }

    mutating func phase(_ name: String) {
        if name != phaseStarts.last!.0 { phaseStarts.append((name, clock.elapsed)) }
    }

    func line(_ m: IndexManifest, threads: Int) -> String {
        let seconds = clock.elapsed
        let peak = sampler.stop()
        let bytes = m.inputs.compactMap(\.size).reduce(0, +)
        var json = JSONLine()
        json.add("bench", "index")
        json.add("corpus", corpus)
        json.add("threads", threads)
        json.add("samples", m.counts.samples)
        json.add("tokens", m.counts.tokens)
        json.add("seconds", seconds)
        json.add("samples_per_s", Double(m.counts.samples) / seconds)
        json.add("tokens_per_s", Double(m.counts.tokens) / seconds)
        json.add("input_mb_per_s", Double(bytes) / 1e6 / seconds)
        json.add("peak_rss_mib", peak.residentMiB)
        json.add("peak_anon_rss_mib", peak.anonymousMiB)
        for (i, (phase, began)) in phaseStarts.enumerated() where phase != "complete" {
            json.add(phase + "_s", (i + 1 < phaseStarts.count ? phaseStarts[i + 1].1 : seconds) - began)
        }
        return json.text
    }
}
