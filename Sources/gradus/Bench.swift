// Bench.swift — `gradus bench ...`: speed measurements in a release build, one JSON line each
// (DESIGN.md §7). Reference figures: ../shared/reference/peer-figures.md.

import ArgumentParser
import Corpus
import Support

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput (run a release build: swift build -c release).",
        subcommands: [BenchTokenize.self, BenchIndex.self, BenchSampler.self, BenchTrain.self, BenchLTD.self]
    )
}

/// Warns when the measurement would be of a debug build.
func warnIfDebugBuild() {
    #if DEBUG
    writeStderr("warning: this is a debug build; benchmark with `swift build -c release` and .build/release/gradus\n")
    #endif
}

struct BenchTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encoding speed of each tokenizer on the shipped corpora, one thread and all threads.",
        discussion: """
        Documents are read and decompressed first; only encoding is timed (as in
        tools/bench_hf_tokenizers.py, the Python `tokenizers` reference).

        Example:
          swift build -c release && .build/release/gradus bench tokenize
        """
    )

    @Option(help: "Folder holding the shipped corpora and tokenizer.json.")
    var corpora = "corpora"

    @Option(help: "Threads for the parallel measurement (default: all cores).")
    var threads: Int?

    @Option(help: "Timed passes per measurement; the fastest is reported.")
    var repeats = 3

    func run() throws {
        warnIfDebugBuild()
        let text = ["gnomehelp.sample.jsonl.zst", "appstream.sample.jsonl.zst", "udhr.sample.jsonl.zst"]
            .map { "\(corpora)/\($0)" }
        let protein = ["\(corpora)/protein.sample.fasta.zst"]
        let textDocs = try load(text)
        let proteinDocs = try load(protein)
        let cases: [(any Tokenizer, PackedTexts, String)] = [
            (try TokenizerLoader.load("\(corpora)/tokenizer.json"), textDocs, "text"),
            (ByteTokenizer(), textDocs, "text"),
            (ResidueTokenizer(), proteinDocs, "protein"),
        ]
        let all = threads ?? availableCores
        for (tokenizer, docs, corpus) in cases {
            for t in Set([1, all]).sorted() {
                var best: ThroughputResult?
                for _ in 0..<max(1, repeats) {
                    let r = try TokenizerThroughput.measure(tokenizer, texts: docs, threads: t)
                    if best == nil || r.seconds < best!.seconds { best = r }
                }
                print(line(best!, tokenizer: tokenizer.name, corpus: corpus))
            }
        }
    }

    private func load(_ paths: [String]) throws -> PackedTexts {
        var packed = PackedTexts()
        for path in paths {
            let reader = try CorpusReader(path: path, options: ReaderOptions())
            while let doc = try reader.next() { packed.append(doc.text) }
        }
        return packed
    }

    private func line(_ r: ThroughputResult, tokenizer: String, corpus: String) -> String {
        var json = JSONLine()
        json.add("bench", "tokenize")
        json.add("tokenizer", tokenizer)
        json.add("corpus", corpus)
        json.add("threads", r.threads)
        json.add("documents", r.documents)
        json.add("bytes", r.bytes)
        json.add("tokens", r.tokens)
        json.add("seconds", (r.seconds * 1e4).rounded() / 1e4)
        json.add("mb_per_s", (r.megabytesPerSecond * 100).rounded() / 100)
        json.add("tokens_per_s", Int(r.tokensPerSecond))
        return json.text
    }
}
