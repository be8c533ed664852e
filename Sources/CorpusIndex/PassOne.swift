// PassOne.swift — pass 1 of `gradus index` (issue 3 items 3 and 6): start or resume a build,
// read each input in batches (tokenizing text over worker threads), and commit every batch with
// the resume cursor: input index, records consumed, next sample id and the pack carry-over.

import Corpus
import Foundation
import Storage
import Support

/// One batch of records ready to be written, in corpus order.
struct RecordBatch {
    /// All tokens of the batch, document after document; `ends[i]` is where document i ends.
    var tokens: [TokenID] = []
    var ends: [Int] = []
    var docs: [DocRecord] = []
    /// Records of the input consumed once this batch is written.
    var recordsConsumed = 0
    /// Documents the tokenizer rejected under `--skip-bad`.
    var tokenizerSkipped = 0
    var endOfInput = false
    /// The documents of a referenced input by length only (`BatchReader.readInPlace`): `tokens`
    /// stays empty, `ends` are the running token totals and `counts` is precounted (it may be
    /// longer than the vocabulary; the entries past it are zero).
    var inPlace = false
    /// Per token id, its occurrences in `tokens` (ids below the vocabulary size), when `precounted`.
    var counts: [UInt32] = []
    /// Whether `counts` holds this batch's counts (filled by `countTokens` on the reader thread).
    var precounted = false
    /// On-disk bytes of the input read once this batch was read, and their XXH3 (nil for
    /// sources without a file): the resume cursor's proof of the consumed prefix.
    var inputBytes: Int?
    var inputDigest: UInt64?

    /// Counts `tokens` into `counts` (ids ≥ `vocabularySize` are left to the writer, which rejects them).
    mutating func countTokens(vocabularySize v: Int) {
        if counts.count != v { counts = [UInt32](repeating: 0, count: v) } else {
            counts.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        let limit = TokenID(truncatingIfNeeded: v)
        tokens.withUnsafeBufferPointer { t in
            counts.withUnsafeMutableBufferPointer { c in
                for x in t where x < limit { c[Int(x)] &+= 1 }
            }
        }
        precounted = true
    }

    /// Empties the batch, keeping the capacity of its buffers.
    mutating func clear() {
        tokens.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        docs.removeAll(keepingCapacity: true)
        recordsConsumed = 0
        tokenizerSkipped = 0
        endOfInput = false
        inPlace = false
        precounted = false
        inputBytes = nil
        inputDigest = nil
    }
}

final class PassOne {
    let store: IndexStore
    let manifest: IndexManifest
    let options: IndexBuildOptions
    let writer: SampleWriter
    private(set) var cursor: ResumeCursor
    private var batches = 0
    private var unreleased = 0
    /// The open reader of the last referenced Megatron input read, by token file
    /// (`tokenStore.files` index): pass 2 reads the same file through it, so the pages pass 1
    /// left mapped are not faulted in again (issue 16 item 5). Only the last one, so the
    /// resident set stays that of one input whatever the number of inputs.
    private(set) var referencedReaders: [Int: IndexedDatasetReader] = [:]

    /// Starts a fresh build (writing format, state, manifest and cursor) or, with `--resume`,
    /// checks the stored manifest against `manifest` and restores the cursor and token counts.
    init(store: IndexStore, manifest: inout IndexManifest, metrics: [any DifficultyMetric], options: IndexBuildOptions) throws {
        self.store = store
        self.options = options
        let vocabulary = manifest.tokenizer.vocabularySize
        if options.mode == .resume {
            guard let stored = try store.readJSON(IndexManifest.self, key: IndexFormat.manifestKey),
                  let saved = try store.readJSON(ResumeCursor.self, key: IndexFormat.resumeKey) else {
                throw IndexError.cannotResume(path: store.path, reason: "no resume point was committed; start over with --force")
            }
            guard stored.sameContent(as: manifest), stored.kind == manifest.kind, stored.shard == manifest.shard,
                  stored.shardCount == manifest.shardCount else {
                throw IndexError.cannotResume(path: store.path, reason: "the inputs, tokenizer, metrics, options or group fields differ from the interrupted run (\(stored.commandLine.joined(separator: " ")))")
            }
            manifest = stored
            cursor = saved
        } else {
            cursor = ResumeCursor(phase: "pass1", input: 0, recordsConsumed: 0, nextSample: 0, counts: IndexCounts(),
                                  carry: [], carryDocs: [])
            cursor.tokenSegments = []
            cursor.tokenItems = 0
            cursor.tokenBytes = 0
            cursor.pieces = []
            cursor.pieceStart = IndexCounts()
            cursor.startsSegment = true
        }
        self.manifest = manifest
        guard let files = manifest.tokenStore?.files, let segments = cursor.tokenSegments,
              let items = cursor.tokenItems, let bytes = cursor.tokenBytes else {
            throw IndexError.cannotResume(path: store.path, reason: "the resume point has no token store lengths; start over with --force")
        }
        var state = SampleWriter.State()
        state.nextSample = cursor.nextSample
        state.counts = cursor.counts
        state.carry = cursor.carry
        state.carryDocs = cursor.carryDocs
        state.tokenStore = TokenStoreInfo(files: files, segments: segments)
        state.pieces = cursor.pieces ?? []
        state.pieceStart = cursor.pieceStart ?? IndexCounts()
        state.startsSegment = cursor.startsSegment ?? true
        state.groups = cursor.groups ?? []
        let counts: [UInt64]
        if cursor.phase == "pass2" {
            counts = try IndexFinisher.readCounts(store: store, vocabularySize: vocabulary)
        } else {
            counts = try Self.recount(store: store, manifest: manifest, segments: segments, ownBytes: bytes)
        }
        writer = try SampleWriter(store: store, manifest: manifest, metrics: metrics, state: state, tokenCounts: counts,
                                  tokenItems: items, tokenBytes: bytes, storesSamples: cursor.phase == "pass1",
                                  maxGroups: options.maxGroups)
        _ = try store.database(IndexFormat.countsDB)
        if options.mode != .resume { try start() }
    }

    /// Writes the header of a fresh build.
    private func start() throws {
        let (m, c) = (manifest, cursor)
        try store.env.write { txn in
            try store.writeJSON(IndexFormatTag(), key: IndexFormat.formatKey, txn: txn)
            try store.writeState(.building, txn: txn)
            try store.writeJSON(m, key: IndexFormat.manifestKey, txn: txn)
            try store.writeJSON(c, key: IndexFormat.resumeKey, txn: txn)
        }
    }

    /// Token counts of the samples already stored (resume): recomputed from the first `ownBytes`
    /// bytes of the own `tokens.bin` and the referenced items of `segments`.
    private static func recount(store: IndexStore, manifest: IndexManifest, segments: [TokenSegmentInfo], ownBytes: Int) throws -> [UInt64] {
        var counts = [UInt64](repeating: 0, count: manifest.tokenizer.vocabularySize)
        func add(_ raw: UnsafeRawBufferPointer, _ dtype: IndexedDatasetDType, path: String) throws {
            var scratch = [TokenID](repeating: 0, count: raw.count / dtype.itemSize)
            try scratch.withUnsafeMutableBufferPointer { out in
                for t in TokenStore.decode(raw, dtype: dtype, into: out) {
                    guard Int(t) < counts.count else { throw IndexError.corrupt("\(path) holds token \(t), outside the vocabulary") }
                    counts[Int(t)] &+= 1
                }
            }
        }
        let dtype = MegatronTokenDatasetWriter.dtype(vocabularySize: manifest.tokenizer.vocabularySize)
        let binPath = store.path + "/" + TokenStoreInfo.ownPrefix + ".bin"
        if ownBytes > 0 {
            let bin = try PosixFile(path: binPath, mode: .read)
            guard let have = bin.size, have >= ownBytes else {
                throw IndexError.cannotResume(path: store.path, reason: "\(binPath) holds \(bin.size ?? 0) bytes, but the last committed batch "
                    + "recorded \(ownBytes) (data lost in a system crash?); start over with --force")
            }
            var buffer = [UInt8](repeating: 0, count: 4 << 20)
            var done = 0
            while done < ownBytes {
                let want = min(buffer.count, ownBytes - done)
                var got = 0
                while got < want {
                    let n = try buffer.withUnsafeMutableBytes {
                        try bin.read(at: done + got, into: UnsafeMutableRawBufferPointer(rebasing: $0[got..<want]))
                    }
                    guard n > 0 else {
                        throw IndexError.cannotResume(path: store.path, reason: "\(binPath) is shorter than the \(ownBytes) bytes committed; start over with --force")
                    }
                    got += n
                }
                try buffer.withUnsafeBytes { try add(UnsafeRawBufferPointer(rebasing: $0[0..<want]), dtype, path: binPath) }
                done += want
            }
        }
        guard let files = manifest.tokenStore?.files else { return counts }
        var readers: [Int: IndexedDatasetReader] = [:]
        for s in segments where s.file != 0 {
            let file = files[s.file]
            let reader = try readers[s.file] ?? IndexedDatasetReader(prefix: file.prefix, codeTable: DTypeCodeTable(rawValue: file.codeTable) ?? .megatron)
            readers[s.file] = reader
            for item in s.firstItem..<(s.firstItem + s.samples) {
                try reader.withItemBytes(item) { raw, dtype in try add(raw, dtype, path: reader.dataPath) }
            }
        }
        return counts
    }

    /// The pieces the inputs are cut into (one per input when the manifest has none).
    private var pieces: [InputPiece] {
        manifest.inputPieces ?? manifest.inputs.indices.map {
            InputPiece(input: $0, kind: .whole, start: 0, end: manifest.inputs[$0].size ?? 0, firstFrame: nil, endFrame: nil,
                       skip: nil, tail: nil, format: nil)
        }
    }

    /// Reads every piece this build owns from the cursor on (`cursor.input` counts pieces), then
    /// stores the counts and moves to pass 2.
    func readAll(openSource: RecordSourceOpener, progress: (IndexProgress) -> Void, onCommit: (Int) throws -> Void) throws {
        let pieces = self.pieces
        if options.mode == .resume { try verifyFinishedInputs(pieces) }
        let owned = try ownedPieces(pieces)
        let ownedBytes = pieces.indices.filter(owned.contains).map { pieces[$0].size }
        var finishedBytes = pieces.indices.filter { owned.contains($0) && $0 < cursor.input }.map { pieces[$0].size }.reduce(0, +)
        let total = manifest.inputs.allSatisfy { $0.size != nil } ? ownedBytes.reduce(0, +) : nil
        let tokenizer = manifest.tokenizer.name == "pretokenized" ? nil : options.tokenizer
        // Records of the pieces read so far, per input: a piece's ordinals count from its start,
        // so one process adds those of the input's earlier pieces (a merge adds them for a shard).
        var recordBase: [Int: Int] = [:]
        for stats in writer.state.pieces { recordBase[stats.input, default: 0] += stats.records }
        while cursor.input < pieces.count {
            let k = cursor.input
            let piece = pieces[k]
            guard owned.contains(k) else {  // another shard's piece: not read at all
                cursor.finished = (cursor.finished ?? []) + [InputDigest(contentHash: nil, modified: nil)]
                cursor.input += 1
                cursor.recordsConsumed = 0
                continue
            }
            let input = piece.input
            let path = manifest.inputs[input].path
            let source = piece.kind == .whole ? try openSource(path, input) : try InputSources.open(piece: piece, path: path, options: options.reader)
            let base = DocRecordBase(record: options.shard == nil ? recordBase[input, default: 0] : 0,
                                     byteOffset: piece.kind == .bytes ? piece.start : 0)
            let referencedFile = manifest.inputs[input].tokenFile
            let inPlace = referencedFile != nil && writer.acceptsInPlaceDocuments ? manifest.tokenizer.vocabularySize : nil
            let reader = BatchReader(source: source, input: input, options: options, tokenizer: tokenizer, base: base,
                                     inPlaceVocabulary: inPlace)
            if cursor.recordsConsumed > 0, let tracker = source.tracker, let bytes = cursor.inputBytes,
               let digest = cursor.inputHash.flatMap(InputTracker.parse) {
                try tracker.expectPrefix(bytes: bytes, digest: digest)  // checked while skipping
            }
            try reader.skip(cursor.recordsConsumed)
            try pipeline(reader) { batch in
                try commit(batch, piece: k, input: input, reader: reader, referencedFile: referencedFile)
                progress(IndexProgress(documents: writer.state.counts.documents, samples: writer.state.counts.samples,
                                       bytesRead: finishedBytes + source.bytesRead, totalBytes: total, phase: "pass1"))
                batches += 1
                unreleased += batch.inPlace ? batch.ends.count * Self.inPlaceMappedBytesPerSample : (batch.ends.last ?? 0) * manifest.tokenWidth
                if unreleased >= 64 << 20 {  // pages LMDB read through its map: keep RSS flat
                    store.env.releaseMappedPages()
                    unreleased = 0
                }
                try onCommit(batches)
            }
            recordBase[input, default: 0] += writer.state.pieces.last?.records ?? 0
            finishedBytes += piece.size
            referencedReaders = [:]
            if let referencedFile, let megatron = source as? MegatronRecordSource {
                referencedReaders[referencedFile] = megatron.datasetReader
            }
        }
        try writer.tokens.finish()  // tokens.idx written; .bin and .idx synced
        let counts = writer.tokenCounts
        let countsDB = try store.database(IndexFormat.countsDB)
        let groupDBs = GroupTable.hasGroups(manifest)
            ? (codes: try store.database(GroupTable.codesDB), dense: try store.database(GroupTable.groupsDB)) : nil
        cursor.phase = "pass2"
        try writer.transaction(store: store) { txn in
            cursor.counts = writer.state.counts
            cursor.carry = []
            cursor.carryDocs = []
            cursor.tokenSegments = writer.state.tokenStore.segments
            cursor.pieces = writer.state.pieces
            cursor.tokenItems = writer.tokens.itemCount
            cursor.tokenBytes = writer.tokens.byteCount
            if let groupDBs {  // the samples' codes renumbered (names ascending) into `groups`
                cursor.groups = try GroupTable.finish(writer.state.groups, samples: writer.state.counts.samples, store: store,
                                                      codesDB: groupDBs.codes, groupsDB: groupDBs.dense, txn: txn)
            }
            try IndexFinisher.writeCounts(counts, db: countsDB, txn: txn)
            try store.writeJSON(cursor, key: IndexFormat.resumeKey, txn: txn)
        }
    }

    /// What an in-place batch (a referenced input: no tokens pass through LMDB) adds to LMDB's
    /// map per sample, over-estimated: its `docs` entry (8-byte key, 21-byte record, node header)
    /// and its pass-1 values. Counting its tokens instead released the whole map every 64 MiB of
    /// tokens, each time parsing /proc/self/maps and tearing down page tables (≈ 2 % of a
    /// one-thread build of the Zipf corpus; issue 16 item 5).
    static let inPlaceMappedBytesPerSample = 128

    /// Writes batch after batch; with more than one thread, the next batch is read (text
    /// tokenized, and without packing its tokens counted) while the current one is written.
    ///
    /// This holds for pre-tokenized input too: the writer spends ~40 % of pass 1 in the kernel
    /// copying LMDB's dirty pages into the page cache (perf), which the reader's copy and count
    /// overlap — pass 1 of 200 000 documents 0.79 s → 0.59 s on 2 cores. (Session 1 measured the
    /// overlap as 2× slower, before `gradus bench index` synced between runs: the second run was
    /// paying for the first one's writeback.)
    private func pipeline(_ reader: BatchReader, _ write: (RecordBatch) throws -> Void) throws {
        let precount = writer.acceptsPrecountedBatches, vocabulary = manifest.tokenizer.vocabularySize
        let overlap = options.threads > 1
        var batch = RecordBatch(), next = RecordBatch()
        try reader.read(into: &batch)
        while true {
            if overlap && !batch.endOfInput {
                var written: Result<Void, Error> = .success(())
                var read: Result<Void, Error> = .success(())
                let current = batch
                withUnsafeMutablePointer(to: &next) { nextPointer in
                    let target = UncheckedSendable(nextPointer)
                    parallelFor(2) { w in
                        if w == 0 { written = Result { try write(current) } } else { read = Result {
                            try reader.read(into: &target.value.pointee)
                            if precount && !target.value.pointee.precounted {
                                target.value.pointee.countTokens(vocabularySize: vocabulary)
                            }
                        } }
                    }
                }
                try written.get()
                try read.get()
            } else {
                try write(batch)
                if !batch.endOfInput { try reader.read(into: &next) }
            }
            if batch.endOfInput { return }
            swap(&batch, &next)
        }
    }

    /// The pieces this build reads: all of them, or a shard's own (`InputPlan.assign`).
    /// - Throws: `IndexError.invalidArgument` for a shard of an input without a size (a stream).
    private func ownedPieces(_ pieces: [InputPiece]) throws -> Set<Int> {
        guard let shard = options.shard else { return Set(pieces.indices) }
        if let stream = manifest.inputs.first(where: { $0.size == nil }) {
            throw IndexError.invalidArgument("--shard needs files: \(stream.path) is a stream (its size is unknown)")
        }
        return Set(InputPlan.assign(pieces: pieces, shards: shard.count)[shard.index])
    }

    /// Resume: every input finished before the interruption must still hash to what was read
    /// then (a same-size edit is caught too). Streams cannot be read twice and are not checked.
    private func verifyFinishedInputs(_ pieces: [InputPiece]) throws {
        guard let finished = cursor.finished else { return }
        for (k, digest) in finished.enumerated() where k < pieces.count {
            let piece = pieces[k]
            guard let expected = digest.contentHash, manifest.inputs[piece.input].size != nil else { continue }
            let path = manifest.inputs[piece.input].path
            let file = try PosixFile(path: path, mode: .read)
            let tracker = piece.kind == .whole ? InputTracker(file: file) : InputTracker(file: file, range: piece.start..<piece.end)
            try tracker.readToEnd()
            let found = InputTracker.format(tracker.digest)
            if found != expected {
                throw InputChangedError(path: path, detail: "its content hash is \(found), not the \(expected) it had when it was indexed", onResume: true)
            }
        }
    }

    /// ISO-8601 UTC of a file's mtime, as `InputInfo.modified` records it.
    static func isoTime(_ time: (seconds: Int, nanoseconds: Int)?) -> String? {
        guard let time else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(time.seconds) + Double(time.nanoseconds) / 1e9))
    }

    /// Adds the batch's documents to the writer: by length when the batch is `inPlace`, else by tokens.
    private func addDocuments(of batch: RecordBatch, txn: LMDBWriteTransaction, referencedFile: Int?) throws {
        var start = 0
        if batch.inPlace, let referencedFile {
            try writer.add(inPlace: batch.ends, docs: batch.docs, txn: txn, referencedFile: referencedFile)
            return
        }
        try batch.tokens.withUnsafeBufferPointer { all in
            for (i, end) in batch.ends.enumerated() {
                try writer.add(document: UnsafeBufferPointer(rebasing: all[start..<end]), doc: batch.docs[i], txn: txn,
                               referencedFile: referencedFile)
                start = end
            }
        }
    }

    /// Stores `batch` and the cursor after it in one transaction.
    private func commit(_ batch: RecordBatch, piece: Int, input: Int, reader: BatchReader, referencedFile: Int?) throws {
        let vocabulary = manifest.tokenizer.vocabularySize
        try batch.counts.withUnsafeBufferPointer { counts in
          // An in-place batch's counts run past the vocabulary (all zero there): only its first part is handed on.
          let precounted = batch.precounted ? UnsafeBufferPointer(rebasing: counts[0..<vocabulary]) : nil
          try writer.transaction(store: store, precounted: precounted) { txn in
            try addDocuments(of: batch, txn: txn, referencedFile: referencedFile)
            if batch.tokenizerSkipped > 0 { writer.state.counts.skipped["tokenizer", default: 0] += batch.tokenizerSkipped }
            var next = ResumeCursor(phase: "pass1", input: piece, recordsConsumed: batch.recordsConsumed,
                                    nextSample: writer.state.nextSample, counts: writer.state.counts,
                                    carry: writer.state.carry, carryDocs: writer.state.carryDocs)
            next.finished = cursor.finished
            next.tokenSegments = writer.state.tokenStore.segments
            next.pieces = writer.state.pieces
            next.pieceStart = writer.state.pieceStart
            next.startsSegment = writer.state.startsSegment
            next.tokenItems = writer.tokens.itemCount
            next.tokenBytes = writer.tokens.byteCount
            next.groups = GroupTable.hasGroups(manifest) ? writer.state.groups : nil
            next.inputBytes = batch.inputBytes
            next.inputHash = batch.inputDigest.map(InputTracker.format)
            if batch.endOfInput {
                writer.state.counts.skipped.merge(reader.source.skipped, uniquingKeysWith: +)
                writer.endPiece(piece: piece, input: input, records: batch.recordsConsumed,
                                contentHash: batch.inputDigest.map(InputTracker.format))
                next.counts = writer.state.counts
                next.input = piece + 1
                next.recordsConsumed = 0
                let modified = Self.isoTime(reader.source.tracker?.modifiedAtOpen)
                next.finished = (cursor.finished ?? []) + [InputDigest(contentHash: next.inputHash, modified: modified)]
                next.inputBytes = nil
                next.inputHash = nil
            }
            try store.writeJSON(next, key: IndexFormat.resumeKey, txn: txn)
            cursor = next
          }
        }
    }
}
