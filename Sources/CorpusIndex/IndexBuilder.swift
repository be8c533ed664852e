// IndexBuilder.swift — `gradus index` (issue 3 items 1–3, 5, 6): pass 1 reads the inputs in
// batches, tokenizes each batch over `threads` encoders, and stores it in one LMDB transaction
// together with a resume cursor; pass 2 (IndexFinisher) computes corpus metrics and order tables.
// With more than one thread, reading/tokenizing the next batch overlaps writing the current one.

import Corpus
import Foundation
import Storage

/// `--shard I/N`: this process indexes the input pieces assigned to shard I of N (`InputPlan.assign`).
public struct ShardSpec: Equatable, Sendable {
    public var index: Int
    public var count: Int
    /// Parses `I/N` with 0 ≤ I < N.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
            throw IndexError.invalidArgument("--shard must be I/N with 0 <= I < N, e.g. 0/4 (got '\(text)')")
        }
        index = i; count = n
    }
    public init(index: Int, count: Int) { self.index = index; self.count = count }
}

/// Everything `gradus index` needs.
public struct IndexBuildOptions {
    public var inputs: [String]
    public var output: String
    /// The tokenizer for text inputs. For pre-tokenized inputs, when given (and not
    /// `tokenizerIsDefault`), it supplies the vocabulary size and end-of-document id;
    /// otherwise `vocabularySize` is required.
    public var tokenizer: (any Tokenizer)?
    /// True when `tokenizer` is only the CLI's default (`bytes`, no `--tokenizer`): pre-tokenized
    /// inputs then ignore it.
    public var tokenizerIsDefault = false
    public var vocabularySize: Int?
    /// `--eod-id`: the end-of-document token id that `--pack` puts between documents. It wins
    /// over the tokenizer's; for pre-tokenized inputs without a tokenizer it is the only one.
    /// Must be below the vocabulary size.
    public var endOfDocumentID: UInt32?
    /// nil: the defaults for the tokenizer.
    public var metrics: [any DifficultyMetric]?
    public var pack: Int?
    public var threads = 1
    public var shard: ShardSpec?
    public var skipBad = false
    /// `--copy`: store the tokens of Megatron inputs in the index instead of referencing the inputs.
    public var copyTokens = false
    public var mode = IndexStore.WriteMode.create
    public var commandLine: [String] = []
    /// Reader options that change content (text field, paragraphs, format), compared on resume.
    public var readerOptions: [String: String] = [:]
    /// The reader options themselves, for the pieces of inputs cut into several (`InputPlan`).
    public var reader = ReaderOptions()
    /// `--max-piece-bytes`: inputs larger than this are cut into pieces (`InputPlan`); part of
    /// the content (packing never crosses a piece).
    public var maxPieceBytes = InputPlan.defaultMaxPieceBytes
    /// Records per batch (one transaction each) and the token budget of a batch.
    public var batchRecords = 8192
    public var batchTokens = 4 << 20
    /// Samples per pass-2 chunk and per sorted run of the order tables: bounds the memory of
    /// pass 2 and of the sort (about 40 bytes a sample per metric) independently of the number of
    /// samples. A multiple of `IndexFormat.denseChunk`; changes nothing in the index's content.
    public var runSamples = IndexBuildOptions.defaultRunSamples
    public static let defaultRunSamples = 1 << 18
    /// The most groups one `--group-field` may have (`defaultMaxGroups`): the groups' names and
    /// tallies travel in every commit's resume cursor, and a field of near-unique values (an id,
    /// a URL) is no grouping; more is refused. Changes nothing in an index that stays below it.
    public var maxGroups = IndexBuildOptions.defaultMaxGroups
    public static let defaultMaxGroups = 1 << 16
    /// Fault tests only: warn as if the output were on this network filesystem.
    public var fakeFilesystem: String?
    /// The largest vocabulary an index may have: 2^24 token ids. Pass 1 and 2 keep per-id
    /// tables (counts, rarity) of about 30 bytes an id, so 2^24 ids cost ~0.5 GB; a larger
    /// `--vocab-size` (e.g. 2^32, beyond the 32-bit id range) is refused instead of exhausting
    /// memory (issue 14 item 15). Real tokenizers have at most a few hundred thousand ids.
    public static let maxVocabularySize = 1 << 24

    public init(inputs: [String], output: String) { self.inputs = inputs; self.output = output }
}

/// Progress after each committed batch of pass 1 (`phase` "pass1"), and once at the start of each
/// later phase: "pass2" (corpus metrics), "order" (order tables), "sync" (final sync and the
/// complete marker) and "complete".
public struct IndexProgress: Sendable {
    public var documents: Int
    public var samples: Int
    public var bytesRead: Int
    public var totalBytes: Int?
    public var phase: String
}

/// Opens input `index` (path `path`) as a record source.
public typealias RecordSourceOpener = (_ path: String, _ index: Int) throws -> any RecordSource

public enum IndexBuilder {
    /// Builds (or resumes) the index described by `options`; returns its manifest.
    /// - Parameters:
    ///   - openSource: opens each input (see `InputSources.open`).
    ///   - onCommit: called after each committed batch with the number of batches so far; a
    ///     throw stops the build there (tests use it to simulate an interruption).
    /// - Throws: `IndexError` for refusals and bad input, reader/tokenizer/LMDB errors.
    public static func build(_ options: IndexBuildOptions, openSource: RecordSourceOpener,
                             progress: (IndexProgress) -> Void = { _ in },
                             onCommit: (Int) throws -> Void = { _ in }) throws -> IndexManifest {
        guard !options.inputs.isEmpty else { throw IndexError.invalidArgument("no inputs to index") }
        try IndexFinisher.validate(runSamples: options.runSamples)
        let (inputs, pretokenized, opened, references) = try describeInputs(options, openSource: openSource)
        var streams = opened
        // A stream (stdin, a FIFO, `/dev/fd/N`) cannot be opened twice: pass 1 reads on from
        // where detection stopped, in the source that detection opened.
        let openOnce: RecordSourceOpener = { path, index in
            if let source = streams.removeValue(forKey: index) { return source }
            return try openSource(path, index)
        }
        var manifest = try makeManifest(options, inputs: inputs, pretokenized: pretokenized, references: references)
        // Files are cut into pieces; other sources (streams, in-memory records) are read whole.
        var whole: [Int: Int] = [:]
        for (i, input) in inputs.enumerated() where input.path != "-" && !FileManager.default.fileExists(atPath: input.path) {
            whole[i] = input.size ?? 0
        }
        let plan = try InputPlan.make(paths: options.inputs, maxPieceBytes: options.maxPieceBytes, options: options.reader, whole: whole)
        for warning in plan.warnings { FileHandle.standardError.write(Data(("warning: " + warning + "\n").utf8)) }
        manifest.inputPieces = plan.pieces
        let metrics = options.metrics ?? MetricRegistry.defaults(tokenizer: manifest.tokenizer.name)
        let created = !FileManager.default.fileExists(atPath: options.output)
        var committed = 0
        do {
            let store = try IndexStore.openForWriting(options.output, mode: options.mode, fakeFilesystem: options.fakeFilesystem)
            return try build(in: store, manifest: &manifest, inputs: inputs, metrics: metrics, options: options,
                             openSource: openOnce, progress: progress) { batches in
                committed = batches
                try onCommit(batches)
            }
        } catch {
            throw afterFailure(error, options: options, created: created, committed: committed)
        }
    }

    /// What a failed build leaves (issue 14 item 19): when the input or tokenizer failed (not the
    /// output's storage), a directory this run created that holds no committed batch is removed,
    /// so no `building` husk remains. An index with committed batches, one being resumed, or one
    /// stopped by its storage (disk full: resumable once space is freed) is kept, and the error
    /// says how to go on. Inputs that were read to the end without a usable record (`noSamples`)
    /// leave the index `building` as before: readers refuse it, and the error names the inputs;
    /// so does an input that changed while being read (its error says to index it again).
    /// Refusals before the store was opened (an index already there, a lock) leave everything
    /// alone, since `created` is then false or nothing was made.
    private static func afterFailure(_ error: Error, options: IndexBuildOptions, created: Bool, committed: Int) -> Error {
        if case IndexError.noSamples = error { return error }
        if error is InputChangedError { return error }  // resuming cannot help: it says to index again
        var storage = error is LMDBError
        if case IndexError.notWritable = error { storage = true }
        if created && !storage && committed == 0 {
            try? FileManager.default.removeItem(atPath: options.output)
            return error
        }
        guard committed > 0 || options.mode == .resume || storage,
              FileManager.default.fileExists(atPath: options.output + "/data.mdb") else { return error }
        return IndexBuildStopped(path: options.output, cause: error)
    }

    /// Pass 1 from the cursor on, then pass 2, in an open store.
    private static func build(in store: IndexStore, manifest: inout IndexManifest, inputs: [InputInfo],
                              metrics: [any DifficultyMetric], options: IndexBuildOptions,
                              openSource: RecordSourceOpener, progress: (IndexProgress) -> Void,
                              onCommit: (Int) throws -> Void) throws -> IndexManifest {
        let watch = try OutputWatch(directory: options.output)
        let run = try PassOne(store: store, manifest: &manifest, metrics: metrics, options: options)
        if run.cursor.phase == "pass1" {
            try run.readAll(openSource: openSource, progress: progress) { batches in
                try watch.check()
                try onCommit(batches)
            }
        }
        manifest.counts = run.writer.state.counts
        manifest.tokenStore = run.writer.state.tokenStore
        manifest.pieces = run.writer.state.pieces
        if GroupTable.hasGroups(manifest) { manifest.groups = run.cursor.groups }
        if let finished = run.cursor.finished, let pieces = manifest.inputPieces, finished.count == pieces.count {
            // What was read, as read (issue 14 item 9): per input, from its pieces.
            manifest.setInputDigests(pieces: pieces, digests: finished)
        }
        // A shard may own no input (more shards than inputs) or only empty ones: it is merged as nothing.
        guard manifest.counts.samples > 0 || manifest.kind == IndexKind.shard else {
            let names = inputs.map(\.path).joined(separator: ", ")
            throw IndexError.noSamples(reason: names + (inputs.count == 1 ? " holds" : " hold") + " no usable record"
                + (manifest.counts.skipped.isEmpty ? "" : " (every record was bad: skipped "
                    + manifest.counts.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"))
        }
        let counts = manifest.counts, bytes = inputs.compactMap(\.size).reduce(0, +)
        func phase(_ name: String) {
            progress(IndexProgress(documents: counts.documents, samples: counts.samples, bytesRead: bytes, totalBytes: nil, phase: name))
        }
        phase("pass2")
        // A shard stores documents only: metrics are computed when the shards are merged.
        manifest = try IndexFinisher.finish(store: store, manifest: manifest, metrics: manifest.kind == IndexKind.shard ? [] : metrics,
                                            tokenCounts: run.writer.tokenCounts, threads: options.threads, runLength: options.runSamples,
                                            onPhase: phase, openReaders: run.referencedReaders)
        try watch.check()
        phase("complete")
        return manifest
    }

    /// Opens every input once to learn its format, size and kind (text or token ids). Inputs
    /// without a size (streams: stdin, FIFOs, `/dev/fd/N`) are returned still open, by input
    /// index, for pass 1 to read on; regular files are closed again (holding each one's read
    /// buffer for the whole build would cost memory per input) and reopened by pass 1.
    /// Also returns, by input index, the Megatron inputs the index may read in place (see
    /// `MegatronRecordSource.reference`).
    private static func describeInputs(_ options: IndexBuildOptions, openSource: RecordSourceOpener) throws
        -> ([InputInfo], Bool, [Int: any RecordSource], [Int: TokenFileInfo]) {
        var infos: [InputInfo] = []
        var kinds = Set<Bool>()
        var streams: [Int: any RecordSource] = [:]
        var references: [Int: TokenFileInfo] = [:]
        for (i, path) in options.inputs.enumerated() {
            let source = try openSource(path, i)
            infos.append(InputInfo(path: path, size: source.size, format: source.formatName))
            kinds.insert(source.isPretokenized)
            if !options.reader.groupFields.isEmpty && !source.formatName.hasPrefix("jsonl") {
                throw GroupFieldRefused(path: path, format: source.formatName, field: options.reader.groupFields[0])
            }
            if source.size == nil { streams[i] = source }
            if let megatron = source as? MegatronRecordSource, let file = try megatron.reference() { references[i] = file }
        }
        guard kinds.count == 1 else {
            throw IndexError.invalidArgument("inputs mix text and pre-tokenized files; index them separately")
        }
        return (infos, kinds.first!, streams, references)
    }

    /// Refuses a vocabulary below 1 or above `IndexBuildOptions.maxVocabularySize`.
    /// - Throws: `IndexError.invalidArgument` naming `what`, the value and the limit.
    static func checkVocabularySize(_ v: Int, what: String) throws {
        guard v >= 1 else { throw IndexError.invalidArgument("\(what) must be at least 1 (the number of token ids), not \(v)") }
        guard v <= IndexBuildOptions.maxVocabularySize else {
            throw IndexError.invalidArgument("\(what) is \(v), beyond the limit of \(IndexBuildOptions.maxVocabularySize) token ids "
                + "(2^24: the index keeps tables of about 30 bytes per id, and token ids are 32-bit)")
        }
    }

    /// The manifest of a fresh build (compared with the stored one on resume).
    private static func makeManifest(_ options: IndexBuildOptions, inputs: [InputInfo], pretokenized: Bool,
                                     references: [Int: TokenFileInfo]) throws -> IndexManifest {
        var tokenizer: TokenizerInfo
        if pretokenized {
            let given = options.tokenizerIsDefault ? nil : options.tokenizer
            if let t = given, let v = options.vocabularySize, v != t.vocabularySize {
                throw IndexError.invalidArgument("--vocab-size \(v) differs from the \(t.vocabularySize) ids of tokenizer \(t.name); pass one of them")
            }
            guard let v = options.vocabularySize ?? given?.vocabularySize else {
                throw IndexError.invalidArgument("the inputs are pre-tokenized: pass --vocab-size N (the number of token ids) "
                    + "or the --tokenizer FILE they were made with, instead of the default tokenizer")
            }
            try checkVocabularySize(v, what: given.map { "the vocabulary of tokenizer \($0.name)" } ?? "--vocab-size")
            tokenizer = TokenizerInfo(name: "pretokenized", vocabularySize: v, fingerprint: "vocab-\(v)",
                                      endOfDocumentID: given?.endOfDocumentID)
        } else {
            guard let t = options.tokenizer else { throw IndexError.invalidArgument("text inputs need --tokenizer") }
            if options.vocabularySize != nil {
                throw IndexError.invalidArgument("--vocab-size is only for pre-tokenized inputs; the tokenizer sets the vocabulary of text inputs")
            }
            try checkVocabularySize(t.vocabularySize, what: "the vocabulary of tokenizer \(t.name)")
            tokenizer = TokenizerInfo(name: t.name, vocabularySize: t.vocabularySize, fingerprint: t.fingerprint,
                                      endOfDocumentID: t.endOfDocumentID)
        }
        if let eod = options.endOfDocumentID {
            guard Int(eod) < tokenizer.vocabularySize else {
                throw IndexError.invalidArgument("--eod-id \(eod) is not a token id: the vocabulary has \(tokenizer.vocabularySize) ids (0–\(tokenizer.vocabularySize - 1))")
            }
            tokenizer.endOfDocumentID = eod
        }
        if let pack = options.pack, pack < 1 { throw IndexError.invalidArgument("--pack must be at least 1") }
        let specs = options.metrics ?? MetricRegistry.defaults(tokenizer: tokenizer.name)
        if options.pack != nil, specs.contains(where: { $0 is FileScoreMetric }) {
            throw IndexError.invalidArgument("file: metrics score documents; they cannot be used with --pack")
        }
        var contentOptions = options.readerOptions
        contentOptions["skip_bad"] = String(options.skipBad)
        contentOptions["metric_specs"] = specs.map(\.argument).joined(separator: ",")
        contentOptions["max_piece_bytes"] = String(options.maxPieceBytes)
        var manifest = IndexManifest(
            kind: options.shard == nil ? IndexKind.index : IndexKind.shard, tokenizer: tokenizer, inputs: inputs,
            metrics: specs.map { MetricInfo(name: $0.name, definition: $0.definition) }, pack: options.pack,
            shard: options.shard?.index, shardCount: options.shard?.count, commandLine: options.commandLine,
            created: ISO8601DateFormatter().string(from: Date()), options: contentOptions)
        // Token files: the index's own, then each Megatron input read in place. Packed samples and
        // `--copy` store copies instead.
        var store = TokenStoreInfo(files: [TokenFileInfo(prefix: TokenStoreInfo.ownPrefix, owned: true, codeTable: .megatron)])
        if options.pack == nil && !options.copyTokens {
            for (i, file) in references.sorted(by: { $0.key < $1.key }) {
                manifest.inputs[i].tokenFile = store.files.count
                store.files.append(file)
            }
        }
        manifest.tokenStore = store
        if !options.reader.groupFields.isEmpty { manifest.groupFields = options.reader.groupFields }
        return manifest
    }
}
