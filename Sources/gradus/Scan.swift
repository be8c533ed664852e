// Scan.swift — `gradus scan`: read corpus files, tokenize every document, print counts.

import ArgumentParser
import Corpus
import Storage
import Support

struct ReaderArguments: ParsableArguments {
    @Option(help: "JSONL field holding the document text.")
    var textField = "text"

    @Flag(help: "Plain text: one document per blank-line-separated paragraph instead of per line.")
    var paragraphs = false

    @Flag(help: "Skip malformed records, count them by reason and report them, instead of stopping at the first.")
    var skipBad = false

    @Option(help: "Input format when the file name does not say it: jsonl, fasta or text.")
    var format: CorpusFormat?

    @Option(help: "Longest record accepted, in bytes (a line, paragraph or FASTA record; default 268435456 = 256 MiB); a longer one is an error, or skipped as record-too-large with --skip-bad.")
    var maxRecordBytes = ReaderOptions.defaultMaxRecordBytes

    @Option(help: "Largest zstd window to accept, as a power of two (27 by default, up to 31): frames written with `zstd --long=N` need N.")
    var zstdWindowLog: Int?

    func validate() throws {
        if maxRecordBytes < 1 { throw ValidationError("--max-record-bytes must be at least 1") }
        let windows = ZstdDecompressingSource.defaultWindowLog...ZstdDecompressingSource.maximumWindowLog
        if let zstdWindowLog, !windows.contains(zstdWindowLog) {
            throw ValidationError("--zstd-window-log must be between \(windows.lowerBound) and \(windows.upperBound)")
        }
    }

    var readerOptions: ReaderOptions {
        var options = ReaderOptions()
        options.textField = textField
        options.paragraphs = paragraphs
        options.skipBad = skipBad
        options.format = format
        options.maxRecordBytes = maxRecordBytes
        options.zstdWindowLog = zstdWindowLog
        return options
    }
}

extension CorpusFormat: ExpressibleByArgument {}

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read corpus files, tokenize every document and print counts.",
        discussion: """
        Inputs may be JSONL, FASTA or plain text, each plain, zstd- or gzip-compressed
        (detected by magic bytes).

        Examples:
          gradus scan corpora/*.jsonl.zst --tokenizer corpora/tokenizer.json
          gradus scan corpora/protein.sample.fasta.zst --tokenizer residues --json
        """
    )

    @Argument(help: "Corpus files (`-` reads standard input).")
    var inputs: [String]

    @Option(help: "`bytes`, `residues` or the path of a Hugging Face tokenizer.json.")
    var tokenizer = "bytes"

    @Option(help: "Tokenizer threads (default: all cores).")
    var threads: Int?

    @OptionGroup var reader: ReaderArguments
    @OptionGroup var progressOptions: ProgressOptions

    @Flag(help: "One JSON line per file, then one for the total.")
    var json = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let tok = try TokenizerLoader.load(tokenizer)
        let workers = threads ?? availableCores
        let progress = ProgressLine()
        var total = ScanStats(path: "total", format: "-", compression: "-")
        var perFile: [ScanStats] = []
        for path in inputs {
            let stats = try CorpusScan.scan(path: path, tokenizer: tok, options: reader.readerOptions,
                                            threads: workers) { p in
                progress.update("\(p.path): \(p.documents) documents", done: p.inputBytesRead, total: p.inputSize)
            }
            progress.finish()
            perFile.append(stats)
            total.absorb(stats)
        }
        let seconds = progress.elapsed
        if json {
            for stats in perFile + [total] { print(jsonLine(stats, tokenizer: tok.name)) }
        } else {
            printTable(perFile + (perFile.count > 1 ? [total] : []), tokenizer: tok)
        }
        let rate = Double(total.textBytes) / 1e6 / max(seconds, 1e-9)
        writeStderr("scanned \(total.documents) documents, \(total.tokens) tokens, skipped \(total.skippedTotal) in \(String(format1(seconds))) s (\(format1(rate)) MB/s of text, \(workers) threads)\n")
    }

    private func jsonLine(_ s: ScanStats, tokenizer: String) -> String {
        var line = JSONLine()
        line.add("path", s.path)
        line.add("format", s.format)
        line.add("compression", s.compression)
        line.add("tokenizer", tokenizer)
        line.add("documents", s.documents)
        line.add("text_bytes", s.textBytes)
        line.add("tokens", s.tokens)
        line.add("min_tokens", s.documents > 0 ? s.minTokens : 0)
        line.add("max_tokens", s.maxTokens)
        line.add("languages", s.languages.count)
        line.add("skipped", s.skipped)
        return line.text
    }

    private func printTable(_ rows: [ScanStats], tokenizer: any Tokenizer) {
        print("tokenizer: \(tokenizer.name) (vocabulary \(tokenizer.vocabularySize))")
        let header = ["file", "format", "documents", "MB text", "tokens", "tokens/doc", "min", "max", "langs", "skipped"]
        var table = [header]
        for s in rows {
            let perDoc = s.documents > 0 ? Double(s.tokens) / Double(s.documents) : 0
            table.append([s.path, s.format + (s.compression == "zstd" ? "+zst" : s.compression == "gzip" ? "+gz" : ""), "\(s.documents)",
                          format1(Double(s.textBytes) / 1e6), "\(s.tokens)", format1(perDoc),
                          "\(s.documents > 0 ? s.minTokens : 0)", "\(s.maxTokens)", "\(s.languages.count)",
                          "\(s.skippedTotal)"])
        }
        let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        for row in table {
            let cells = row.enumerated().map { c, cell in
                c == 0 ? cell.padding(widths[c]) : String(repeating: " ", count: widths[c] - cell.count) + cell
            }
            print(cells.joined(separator: "  "))
        }
        for s in rows where s.skippedTotal > 0 && s.path != "total" {
            let reasons = s.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print("skipped in \(s.path): \(reasons)")
        }
    }
}

func format1(_ x: Double) -> String {
    let r = (x * 10).rounded() / 10
    return String(r)
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
