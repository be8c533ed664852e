// BenchTokenize.swift — `gradus bench tokenize`: encoding speed of each tokenizer family on the
// shipped text corpora, one thread and all threads, and — in the same run — the Python
// `tokenizers` library on the same documents and the same tokenizer.json, one thread, so the
// figure that matters is a ratio measured under one machine load (issue 2 item 7, issue 15 item 1).

import ArgumentParser
import Corpus
import Foundation
import Support

struct BenchTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encoding speed of each tokenizer on the shipped corpora, against Python tokenizers in the same run.",
        discussion: """
        Documents are read and decompressed first; only encoding is timed. For every
        tokenizer.json, tools/bench_hf_tokenizers.py times the Python `tokenizers`
        library on the same documents, one thread, one document at a time;
        `vs_tokenizers` is Gradus's single-thread speed divided by it. Without
        --tokenizer: the shipped corpora/tokenizer.json, every tokenizer.json in
        Tests/CorpusTests/Fixtures/tokenizers/ (one per family), bytes and residues.

        Examples:
          swift build -c release && .build/release/gradus bench tokenize
          .build/release/gradus bench tokenize --tokenizer corpora/tokenizer.json \\
            --max-documents 2000 --repeats 1
        """
    )

    @Option(help: "Folder holding the shipped corpora and tokenizer.json.")
    var corpora = "corpora"

    @Option(name: .customLong("tokenizer"), help: "A tokenizer to measure (repeatable); default: every family, see above.")
    var tokenizers: [String] = []

    @Option(help: "Threads for the parallel measurement (default: all cores).")
    var threads: Int?

    @Option(help: "Timed passes per measurement; the fastest is reported.")
    var repeats = 3

    @Option(help: "Only the first N text documents (default: all 27 839).")
    var maxDocuments: Int?

    @Flag(help: "Do not run the Python tokenizers reference.")
    var noReference = false

    func run() throws {
        warnIfDebugBuild()
        let text = ["gnomehelp.sample.jsonl.zst", "appstream.sample.jsonl.zst", "udhr.sample.jsonl.zst"]
            .map { "\(corpora)/\($0)" }
        let textDocs = try load(text)
        let all = threads ?? availableCores
        let files = tokenizers.isEmpty ? defaultFiles() : tokenizers
        for path in files {
            let tokenizer = try TokenizerLoader.load(path)
            let single = try measure(tokenizer, textDocs, threads: 1)
            let reference = noReference ? nil : try referenceSpeed(path)
            print(line(single, tokenizer: tokenizer.name, file: path, corpus: "text", reference: reference))
            if all > 1 { print(line(try measure(tokenizer, textDocs, threads: all), tokenizer: tokenizer.name, file: path, corpus: "text", reference: nil)) }
        }
        if tokenizers.isEmpty {
            let proteinDocs = try load(["\(corpora)/protein.sample.fasta.zst"])
            for (tokenizer, docs, corpus) in [(ByteTokenizer() as any Tokenizer, textDocs, "text"), (ResidueTokenizer(), proteinDocs, "protein")] {
                for t in Set([1, all]).sorted() {
                    print(line(try measure(tokenizer, docs, threads: t), tokenizer: tokenizer.name, file: nil, corpus: corpus, reference: nil))
                }
            }
        }
    }

    /// The shipped tokenizer and one file per family, when run from the repository.
    private func defaultFiles() -> [String] {
        let families = "Tests/CorpusTests/Fixtures/tokenizers"
        let found = ((try? FileManager.default.contentsOfDirectory(atPath: families)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted().map { "\(families)/\($0)" }
        return ["\(corpora)/tokenizer.json"] + found
    }

    private func measure(_ tokenizer: any Tokenizer, _ docs: PackedTexts, threads: Int) throws -> ThroughputResult {
        var best: ThroughputResult?
        for _ in 0..<max(1, repeats) {
            let r = try TokenizerThroughput.measure(tokenizer, texts: docs, threads: threads)
            if best == nil || r.seconds < best!.seconds { best = r }
        }
        return best!
    }

    private func load(_ paths: [String]) throws -> PackedTexts {
        var packed = PackedTexts()
        for path in paths {
            let reader = try CorpusReader(path: path, options: ReaderOptions())
            while let doc = try reader.next() {
                if let maxDocuments, packed.count >= maxDocuments { break }
                packed.append(doc.text)
            }
        }
        return packed
    }

    /// The Python `tokenizers` speed (MB/s, one thread) for `path`, from
    /// tools/bench_hf_tokenizers.py; nil with a warning when Python or the script is missing.
    private func referenceSpeed(_ path: String) throws -> Double? {
        let script = "tools/bench_hf_tokenizers.py"
        guard FileManager.default.fileExists(atPath: script) else {
            writeStderr("warning: \(script) not found (run from the repository root); no tokenizers reference\n")
            return nil
        }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        child.arguments = ["python3", script, "--tokenizer", path, "--corpora", corpora, "--modes", "encode",
                           "--repeat", String(max(1, repeats))] + (maxDocuments.map { ["--max-documents", String($0)] } ?? [])
        let stdout = Pipe()
        child.standardOutput = stdout
        try child.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard child.terminationStatus == 0, let speed = (try? JSONValue.parse(text))?["mb_per_s"]?.number else {
            writeStderr("warning: the tokenizers reference failed for \(path) (status \(child.terminationStatus)); is `pip install tokenizers` done?\n")
            return nil
        }
        return speed
    }

    private func line(_ r: ThroughputResult, tokenizer: String, file: String?, corpus: String, reference: Double?) -> String {
        var json = JSONLine()
        json.add("bench", "tokenize")
        json.add("tokenizer", tokenizer)
        if let file { json.add("file", file) }
        json.add("corpus", corpus)
        json.add("threads", r.threads)
        json.add("documents", r.documents)
        json.add("bytes", r.bytes)
        json.add("tokens", r.tokens)
        json.add("seconds", (r.seconds * 1e4).rounded() / 1e4)
        json.add("mb_per_s", (r.megabytesPerSecond * 100).rounded() / 100)
        json.add("tokens_per_s", Int(r.tokensPerSecond))
        if let reference {
            json.add("tokenizers_mb_per_s", (reference * 1000).rounded() / 1000)
            json.add("vs_tokenizers", (r.megabytesPerSecond / reference * 100).rounded() / 100)
        }
        return json.text
    }
}
