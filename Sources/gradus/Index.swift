// Index.swift — `gradus index`: build the LMDB difficulty index of a corpus (issue 3).

import ArgumentParser
import Corpus
import CorpusIndex
import Support

struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Index a corpus: tokens in Megatron .bin/.idx files, per-sample difficulty metrics in LMDB.",
        discussion: """
        Inputs: JSONL/FASTA/text files (plain, zstd or gzip), JSONL whose records
        carry a `tokens` array, or a Megatron .bin/.idx document dataset (give the
        .idx or the prefix); for pre-tokenized inputs pass --vocab-size (or the
        --tokenizer FILE they were made with, which gives the vocabulary size and
        end-of-document id). To --pack pre-tokenized inputs, give the id that ends
        each document with --eod-id N; --eod-id wins over a tokenizer's own
        end-of-document token. Parquet/Arrow: convert with `python -m gradus.convert
        parquet FILE... | gradus index - --format jsonl ...` (README, "Inputs"). The
        index keeps its tokens in Megatron files (`tokens.bin/.idx` in --out); an
        unpacked Megatron input is read where it lies instead of copied (keep it in
        place, or pass --copy). --group-field F (JSONL only) gives each sample the
        group of its document's string field F (packed: the group of most of its
        tokens; no string value: group (none)), shown by `gradus info`. Format:
        docs/index-format.md.

        Ctrl-C or SIGTERM stops after committing the batch in hand; rerun with
        --resume to finish. A build that failed before committing anything is replaced
        by a plain rerun. An input that changes while it is read stops the build;
        --resume checks that the inputs' content is what the interrupted run read.

        Examples:
          gradus index corpora/*.jsonl.zst --tokenizer corpora/tokenizer.json \\
            --out runs/text.idx
          gradus index corpora/*.jsonl.zst --tokenizer corpora/tokenizer.json \\
            --group-field lang --out runs/text.idx
          gradus index corpora/protein.sample.fasta.zst --tokenizer residues \\
            --out runs/protein.idx
          gradus index data/pile_text_document.idx --vocab-size 50257 \\
            --out runs/pile.idx --threads 8
          gradus index data/pile_text_document.idx --vocab-size 50257 --eod-id 50256 \\
            --pack 2048 --out runs/pile-packed.idx
          gradus index big.jsonl.zst --tokenizer bytes --out runs/s1.idx \\
            --shard 1/4   # then gradus merge
        """
    )

    @Argument(help: "Input files (`-` reads standard input; named pipes and <(...) work too, each read once).")
    var inputs: [String]

    @Option(help: "Output index directory.")
    var out: String

    @Option(help: "`bytes` (the default), `residues` or the path of a Hugging Face tokenizer.json; with pre-tokenized inputs, the tokenizer that made them (vocabulary size and end-of-document id).")
    var tokenizer: String?

    @Option(help: "Vocabulary size of pre-tokenized inputs (replaces --tokenizer).")
    var vocabSize: Int?

    @Option(help: "End-of-document token id that --pack puts between documents (below the vocabulary size); wins over the tokenizer's.")
    var eodId: Int?

    @Option(help: "Comma-separated metrics: seqlen, vocabularyrarity, seqlen_vocabularyrarity, entropy, file:NAME=PATH (default: seqlen,vocabularyrarity; plus entropy for residues).")
    var metrics: String?

    @Option(help: "Pack documents, separated by the end-of-document token, into samples of L+1 tokens.")
    var pack: Int?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Index only the inputs of shard I of N (0-based; whole inputs, balanced by size), to be combined with `gradus merge`.")
    var shard: String?

    @Option(help: "Inputs larger than this many bytes are cut into pieces at record starts (uncompressed files; multi-frame zstd by frame), which shards read separately; samples never cross a piece. Part of the index's content: use the same value for every shard. (default: 268435456 = 256 MiB)")
    var maxPieceBytes: Int?

    @Option(name: .customLong("group-field"), help: ArgumentHelp("JSONL field whose string value is each document's group (repeatable); every sample gets a group per field (packed: the group of most of its tokens), shown by `gradus info` and used by per-group evaluation. A record without a string value is in group `(none)`.", valueName: "field"))
    var groupFields: [String] = []

    @Flag(help: "Continue an interrupted build from its last committed batch.")
    var resume = false

    @Flag(help: "Replace an index that already exists in --out.")
    var force = false

    @Flag(help: "Copy the tokens of Megatron inputs into the index instead of reading the inputs where they are.")
    var copy = false

    @OptionGroup var reader: ReaderArguments
    @OptionGroup var progressOptions: ProgressOptions

    /// `gradus bench index` runs each measurement as this command with a label; it then prints
    /// one JSON line of speed, phase times and peak memory on stdout.
    @Option(help: .hidden)
    var benchLabel: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let maxPieceBytes, maxPieceBytes < 4096 { throw ValidationError("--max-piece-bytes must be at least 4096, not \(maxPieceBytes)") }
        if resume && force { throw ValidationError("--resume and --force exclude each other") }
        if let vocabSize, vocabSize < 1 { throw ValidationError("--vocab-size must be at least 1 (the number of token ids)") }
        if let vocabSize, vocabSize > IndexBuildOptions.maxVocabularySize {
            throw ValidationError("--vocab-size must be at most \(IndexBuildOptions.maxVocabularySize) (2^24 token ids)")
        }
        for (k, field) in groupFields.enumerated() {
            if field.isEmpty { throw ValidationError("--group-field needs a field name") }
            if groupFields[..<k].contains(field) { throw ValidationError("--group-field \(field) is given twice") }
            if field == reader.textField || field == "tokens" {
                throw ValidationError("--group-field \(field) is the records' \(field == "tokens" ? "token array" : "text"); give a field with a short label, e.g. lang")
            }
        }
        if let eodId, eodId < 0 { throw ValidationError("--eod-id must be a token id (0 or more), not \(eodId)") }
        if let eodId, let vocabSize, eodId >= vocabSize {
            throw ValidationError("--eod-id \(eodId) is not a token id: --vocab-size \(vocabSize) allows 0–\(vocabSize - 1)")
        }
    }

    func run() throws {
        var options = IndexBuildOptions(inputs: inputs, output: out)
        if vocabSize == nil || tokenizer != nil {
            let loaded = try TokenizerLoader.load(tokenizer ?? "bytes")
            if let eodId, vocabSize == nil, eodId >= loaded.vocabularySize {
                throw ValidationError("--eod-id \(eodId) is not a token id: tokenizer \(loaded.name) has \(loaded.vocabularySize) ids (0–\(loaded.vocabularySize - 1))")
            }
            options.tokenizer = loaded
            options.tokenizerIsDefault = tokenizer == nil
        }
        options.vocabularySize = vocabSize
        options.endOfDocumentID = eodId.map { UInt32(clamping: $0) }  // below the vocabulary (checked above)
        options.metrics = try metrics.map { try MetricRegistry.parseList($0) }
        options.pack = pack
        options.threads = threads ?? availableCores
        options.shard = try shard.map { try ShardSpec(parsing: $0) }
        options.skipBad = reader.skipBad
        options.copyTokens = copy
        var readerOptions = reader.readerOptions
        readerOptions.groupFields = groupFields
        options.reader = readerOptions
        if let maxPieceBytes { options.maxPieceBytes = maxPieceBytes }
        options.mode = resume ? .resume : force ? .force : .create
        options.commandLine = CommandLine.arguments
        options.readerOptions = ["text_field": reader.textField, "paragraphs": String(reader.paragraphs),
                                 "format": reader.format?.rawValue ?? "auto"]
        let hooks = TestHooks.current
        if let records = hooks.batchRecords { options.batchRecords = records }
        options.fakeFilesystem = hooks.fakeNetworkFilesystem
        let progress = ProgressLine()
        var bench = benchLabel.map { IndexBenchRecorder(corpus: $0) }
        let manifest: IndexManifest
        do { manifest = try StopSignal.stoppable { try IndexBuilder.build(
            options, openSource: { path, _ in try InputSources.open(path: path, options: readerOptions) },
            progress: { p in
                hooks.abortIfPhase(p.phase)
                bench?.phase(p.phase)
                let recordsPerSecond = Int(Double(p.documents) / max(progress.elapsed, 1e-9))
                progress.update("\(p.phase): \(p.documents) documents, \(p.samples) samples  \(recordsPerSecond) records/s",
                                done: p.bytesRead, total: p.totalBytes)
            },
            onCommit: {
                hooks.abortIfCommitted($0)
                hooks.truncateInputIfCommitted($0, path: inputs[0])
                try StopSignal.check()
            }) }
        } catch let refused as GroupFieldRefused {
            throw ValidationError(refused.description)
        }
        progress.finish()
        if let bench { print(bench.line(manifest, threads: options.threads)) }
        let c = manifest.counts
        let seconds = progress.elapsed
        let skipped = c.skipped.values.reduce(0, +)
        writeStderr("indexed \(c.documents) documents into \(c.samples) samples (\(c.tokens) tokens), skipped \(skipped), in \(format1(seconds)) s (\(Int(Double(c.samples) / max(seconds, 1e-9))) samples/s) -> \(out)\n")
        for g in manifest.groups ?? [] {
            let largest = g.names.indices.sorted { (g.samples[$0], g.names[$1]) > (g.samples[$1], g.names[$0]) }.prefix(5)
            writeStderr("groups by \(g.field): \(g.names.count) (largest: \(largest.map { "\(g.names[$0]) \(g.samples[$0])" }.joined(separator: ", "))"
                + "\(g.names.count > largest.count ? ", ..." : "") samples); \(g.noneDocuments) documents without a string \(g.field) "
                + "are in \(GroupSummary.noneName); `gradus info \(out)` shows every group\n")
        }
    }
}
