// SampleWriter.swift — the single-threaded, in-order end of pass 1 (issue 3 item 3): turns
// documents, in corpus order, into samples with dense ids (one per document, or packed to L+1
// tokens), appends their tokens to the index's own Megatron token files (`TokenStoreWriter`) or,
// for a referenced Megatron input, records where they already are (`TokenStoreInfo` segments),
// stores `docs` with MDB_APPEND and the pass-1 metrics (those that need no token counts, computed
// through `DifficultyMetric`) straight into their dense `values/<m>` chunks (a batch's values are
// put once per chunk at its end, not once per sample), and counts tokens.
// Shared by `gradus index` and `gradus merge`, so both give identical indexes.

import Corpus
import Storage

/// Writes samples into an index being built.
final class SampleWriter {
    /// What survives a commit (and is saved in the resume cursor).
    struct State {
        var nextSample = 0
        var counts = IndexCounts()
        var carry: [TokenID] = []
        var carryDocs: [CarryDoc] = []
        /// The token files and the segments of the samples stored so far.
        var tokenStore = TokenStoreInfo(files: [])
        /// What each finished input gave, and the counts when the current one started.
        var pieces: [PieceStats] = []
        var pieceStart = IndexCounts()
        /// The next sample starts a token segment (it is the first of its input).
        var startsSegment = true
        /// `--group-field`: per field, the groups seen so far (first-appearance codes) and tallies.
        var groups: [GroupSummary] = []

        /// Counts one stored sample of `length` tokens (after its tables were written).
        @inline(__always)
        mutating func countSample(length: Int) {
            startsSegment = false
            nextSample += 1
            counts.samples += 1
            counts.tokens += length
            counts.maxSampleLength = max(counts.maxSampleLength, length)
        }
    }

    var state: State
    /// Corpus token counts over every stored sample token, indexed by token id.
    private(set) var tokenCounts: [UInt64]
    private let vocabularySize: Int
    private let width: Int
    private let pack: Int?
    private let endOfDocument: TokenID?
    /// The index's own token files.
    let tokens: TokenStoreWriter
    private let docsDB: LMDBDatabase
    /// The pass-1 metrics and their `values/<name>` databases.
    private let sampleMetrics: [(metric: any DifficultyMetric, db: LMDBDatabase)]
    /// Per pass-1 metric, the values of the batch being written (samples `batchFirstSample` ...),
    /// put into `values/<name>` at the end of the batch's transaction (`flushValues`).
    private var batchValues: [[Double]] = []
    private var batchFirstSample = 0
    /// The index directory (for messages).
    private let indexPath: String
    private let context: MetricContext
    /// Counts of the batch being written; added to `tokenCounts` after its commit.
    /// UInt32 (half the cache footprint of the hot histogram): a transaction holds fewer than
    /// 2^32 tokens (checked in `emit`).
    private var batchCounts: [UInt32]
    private var batchTokens = 0
    /// Metric scratch (always left all-zero between samples).
    private var scratch: MetricScratch
    /// The token counts of the batch being written when its reader counted them (set only
    /// inside `transaction`); `emit` then encodes without counting.
    private var precounted: UnsafeBufferPointer<UInt32>?
    /// Whether a batch's document tokens are exactly the stored sample tokens (no packing), so a
    /// reader thread may count them ahead (`transaction(precounted:)`).
    var acceptsPrecountedBatches: Bool { pack == nil }
    /// Whether documents of a referenced input may be added by their length alone
    /// (`add(inPlace:doc:txn:referencedFile:)`): no packing, and every pass-1 metric is `seqlen`.
    /// (Computed once: the dynamic casts, checked per sample, were ≈ 2 % of a one-thread build.)
    let acceptsInPlaceDocuments: Bool
    private var docBytes = [UInt8]()
    /// `--group-field`: the pass-1 table of the samples' group codes (nil without group fields),
    /// each field's name → code (rebuilt from `state.groups` at every transaction attempt), and
    /// the codes of the sample being emitted.
    private let groupCodesDB: LMDBDatabase?
    private var groupLookup: [[String: UInt32]] = []
    private var sampleGroupCodes: [UInt32] = []
    private var groupBytes = [UInt8]()
    /// The most groups a field may have (`IndexBuildOptions.maxGroups`).
    private let maxGroups: Int

    /// - Parameter metrics: the index's metrics; those that need no token counts are computed here.
    /// - Parameter tokenItems/tokenBytes: the lengths of the own token files at the last commit.
    /// - Parameter maxGroups: the most groups a `--group-field` may have.
    /// - Parameter storesSamples: false once pass 1 is over (a resumed pass 2): no sample is
    ///   added, and the pass-1 `groupcodes` table, dropped when pass 1 ended, is not reopened.
    init(store: IndexStore, manifest: IndexManifest, metrics: [any DifficultyMetric], state: State,
         tokenCounts: [UInt64], tokenItems: Int = 0, tokenBytes: Int = 0, storesSamples: Bool = true,
         maxGroups: Int = IndexBuildOptions.defaultMaxGroups) throws {
        self.maxGroups = maxGroups
        var state = state
        if let fields = manifest.groupFields, state.groups.isEmpty { state.groups = fields.map(GroupSummary.init(field:)) }
        self.state = state
        vocabularySize = manifest.tokenizer.vocabularySize
        width = manifest.tokenWidth
        // A shard packs its own inputs (samples never cross an input); its metrics are computed
        // by `gradus merge metrics`.
        let isShard = manifest.kind == IndexKind.shard
        pack = manifest.pack
        endOfDocument = manifest.tokenizer.endOfDocumentID
        self.tokenCounts = tokenCounts
        batchCounts = [UInt32](repeating: 0, count: vocabularySize)
        tokens = try TokenStoreWriter(directory: store.path, vocabularySize: vocabularySize, items: tokenItems, bytes: tokenBytes)
        precondition(tokens.dtype.itemSize == width, "token width \(width) is not that of \(tokens.dtype)")
        docsDB = try store.database(IndexFormat.docsDB)
        indexPath = store.path
        sampleMetrics = isShard ? [] : try metrics.filter { !$0.needsTokenCounts }.map {
            ($0, try store.database(IndexFormat.valuesDB($0.name)))
        }
        batchValues = sampleMetrics.map { _ in [] }
        acceptsInPlaceDocuments = pack == nil && sampleMetrics.allSatisfy { $0.metric is SequenceLengthMetric }
        groupCodesDB = GroupTable.hasGroups(manifest) && storesSamples ? try store.database(GroupTable.codesDB) : nil
        context = MetricContext(sequenceLength: 0, skipBad: manifest.options["skip_bad"] == "true")
        scratch = MetricScratch(vocabularySize: sampleMetrics.isEmpty ? 0 : vocabularySize)
        if manifest.pack != nil && endOfDocument == nil {
            throw IndexError.invalidArgument("--pack needs an end-of-document token, and tokenizer '\(manifest.tokenizer.name)' has none; "
                + "pass --eod-id N (the id that ends each document)")
        }
    }

    /// Runs `body` (which calls `add`) in one write transaction together with `extra` (e.g. the
    /// resume cursor). Safe against LMDB re-running the closure on map growth: the state is
    /// restored at every attempt and token counts are merged only after the commit.
    /// - Parameter precounted: the token counts of every document `body` adds, counted by the
    ///   reader (only when `acceptsPrecountedBatches`); nil: counted here while encoding.
    func transaction(store: IndexStore, precounted: UnsafeBufferPointer<UInt32>? = nil,
                     _ body: (LMDBWriteTransaction) throws -> Void) throws {
        precondition(precounted == nil || (acceptsPrecountedBatches && precounted!.count == vocabularySize))
        let saved = state
        self.precounted = precounted
        defer { self.precounted = nil }
        try store.env.write { txn in
            state = saved
            if groupCodesDB != nil { rebuildGroupLookup() }
            tokens.beginBatch()
            if precounted == nil { batchCounts.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
            batchTokens = 0
            batchFirstSample = state.nextSample
            for m in batchValues.indices { batchValues[m].removeAll(keepingCapacity: true) }
            try body(txn)
            try flushValues(txn: txn)
            try tokens.writePending()  // before the commit that records the new lengths
        }
        tokens.commitPending()
        if let precounted {
            for t in 0..<vocabularySize { tokenCounts[t] &+= UInt64(precounted[t]) }
        } else {
            for t in 0..<vocabularySize { tokenCounts[t] &+= UInt64(batchCounts[t]) }
        }
    }

    /// Adds one document (already in corpus order).
    /// - Parameter referencedFile: for a document of a referenced Megatron input, the input's
    ///   token file (`tokenStore.files` index): its tokens stay there, as item `doc.record`.
    /// - Throws: `IndexError.badInput` for a token id outside the vocabulary.
    func add(document tokens: UnsafeBufferPointer<TokenID>, doc: DocRecord, txn: LMDBWriteTransaction,
             referencedFile: Int? = nil) throws {
        state.counts.documents += 1
        if groupCodesDB != nil {
            for f in state.groups.indices where groupName(doc, field: f) == GroupTable.none { state.groups[f].noneDocuments += 1 }
        }
        guard let length = pack, let eod = endOfDocument else {
            if groupCodesDB != nil {
                sampleGroupCodes = try state.groups.indices.map { try groupCode(groupName(doc, field: $0), field: $0, doc: doc) }
            }
            try emit(tokens, doc: doc, txn: txn, referencedFile: referencedFile)
            return
        }
        precondition(referencedFile == nil, "packed samples are stored, never referenced")
        state.carryDocs.append(CarryDoc(offset: state.carry.count, doc: doc))
        state.carry.append(contentsOf: tokens)
        state.carry.append(eod)
        var start = 0
        while state.carry.count - start >= length + 1 {
            let first = state.carryDocs.lastIndex { $0.offset <= start } ?? 0
            if groupCodesDB != nil { sampleGroupCodes = try majorityGroups(first: first, tokens: start..<(start + length + 1)) }
            try state.carry.withUnsafeBufferPointer { all in
                try emit(UnsafeBufferPointer(rebasing: all[start..<(start + length + 1)]), doc: state.carryDocs[first].doc, txn: txn)
            }
            start += length
        }
        if start > 0 { compactCarry(from: start) }
    }

    /// Adds one document of a referenced input by its length alone: its tokens stay in the
    /// input as item `doc.record` of token file `referencedFile`, and the reader has counted and
    /// checked them (`precounted`). The same sample, tables and counts as `add(document:)`.
    /// - Precondition: inside `transaction(precounted:)` with counts, and `acceptsInPlaceDocuments`.
    func add(inPlace length: Int, doc: DocRecord, txn: LMDBWriteTransaction, referencedFile: Int) throws {
        precondition(acceptsInPlaceDocuments && precounted != nil)
        state.counts.documents += 1
        if groupCodesDB != nil {
            for f in state.groups.indices where groupName(doc, field: f) == GroupTable.none { state.groups[f].noneDocuments += 1 }
            sampleGroupCodes = try state.groups.indices.map { try groupCode(groupName(doc, field: $0), field: $0, doc: doc) }
        }
        try countBatchTokens(length)
        state.tokenStore.append(file: referencedFile, item: doc.record, newSegment: state.startsSegment)
        try record(length: length, doc: doc, txn: txn) { _ in Double(length) }  // every metric is seqlen
    }

    /// Adds the documents of an in-place batch (`RecordBatch.inPlace`: document i has
    /// `ends[i] - ends[i - 1]` tokens, item `docs[i].record` of token file `referencedFile`):
    /// the same samples, tables and counts as `add(inPlace:doc:txn:referencedFile:)` for each in
    /// turn, with the per-sample work on local copies and the `docs` records appended through one
    /// cursor (issue 16 item 5: that per-sample path was ≈ 12 % of a one-thread build).
    /// - Precondition: inside `transaction(precounted:)` with counts, and `acceptsInPlaceDocuments`.
    func add(inPlace ends: [Int], docs: [DocRecord], txn: LMDBWriteTransaction, referencedFile: Int) throws {
        precondition(acceptsInPlaceDocuments && precounted != nil && ends.count == docs.count)
        guard groupCodesDB == nil else {  // group codes: the per-document path
            var start = 0
            for (i, end) in ends.enumerated() {
                try add(inPlace: end - start, doc: docs[i], txn: txn, referencedFile: referencedFile)
                start = end
            }
            return
        }
        guard let total = ends.last else { return }
        try countBatchTokens(total)
        // Worked on locally (no exclusivity check or reference count per sample) and put back,
        // also when a put throws (the transaction's next attempt restores `state` anyway).
        var s = State(), values: [[Double]] = []
        swap(&s, &state)
        swap(&values, &batchValues)
        defer { swap(&s, &state); swap(&values, &batchValues) }
        var fixed = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))  // key (8 bytes) and a string-less record (21 bytes)
        try withUnsafeMutableBytes(of: &fixed) { raw in
            precondition(raw.count >= 8 + DocRecord.fixedBytes)
            let key = UnsafeMutableRawBufferPointer(rebasing: raw[0..<8])
            let record = UnsafeMutableRawBufferPointer(rebasing: raw[8..<(8 + DocRecord.fixedBytes)])
            try txn.withAppendCursor(in: docsDB) { cursor in
                var start = 0
                for i in 0..<ends.count {
                    let length = ends[i] &- start
                    start = ends[i]
                    let doc = docs[i]
                    s.tokenStore.append(file: referencedFile, item: doc.record, newSegment: s.startsSegment)
                    key.storeBytes(of: UInt64(s.nextSample).bigEndian, as: UInt64.self)
                    if doc.encodeFixed(into: record) {
                        try cursor.append(key: UnsafeRawBufferPointer(key), value: UnsafeRawBufferPointer(record))
                    } else {
                        docBytes.removeAll(keepingCapacity: true)
                        doc.encode(into: &docBytes)
                        try docBytes.withUnsafeBytes { try cursor.append(key: UnsafeRawBufferPointer(key), value: $0) }
                    }
                    for m in values.indices { values[m].append(Double(length)) }  // every metric is seqlen
                    s.counts.documents += 1
                    s.countSample(length: length)
                }
            }
        }
    }

    /// Adds `n` tokens to the batch's count, refusing a batch whose counts would overflow the
    /// UInt32 histogram.
    private func countBatchTokens(_ n: Int) throws {
        batchTokens += n
        guard batchTokens <= Int(UInt32.max) else {
            throw IndexError.invalidArgument("a batch of more than 2^32 tokens; use smaller batches")
        }
    }

    /// The group of `doc` along field `f`: its value, or `GroupTable.none`.
    private func groupName(_ doc: DocRecord, field f: Int) -> String {
        guard let groups = doc.groups, f < groups.count, let name = groups[f] else { return GroupTable.none }
        return name
    }

    /// The code of group `name` of field `f`, giving a new name the next code.
    /// - Throws: `IndexError.badInput` naming `doc` when the field would get more than
    ///   `maxGroups` groups (a field of near-unique values, e.g. a URL, is no grouping).
    private func groupCode(_ name: String, field f: Int, doc: DocRecord) throws -> UInt32 {
        if let code = groupLookup[f][name] { return code }
        guard state.groups[f].names.count < maxGroups else {
            throw IndexError.badInput(path: "input \(doc.input)", problem: "record \(doc.record): --group-field \(state.groups[f].field) "
                + "has more than \(maxGroups) distinct values; group by a field of a few labels (a language, a source), "
                + "and start over with --force")
        }
        let code = UInt32(state.groups[f].names.count)
        state.groups[f].names.append(name)
        state.groups[f].samples.append(0)
        state.groups[f].tokens.append(0)
        groupLookup[f][name] = code
        return code
    }

    private func rebuildGroupLookup() {
        groupLookup = state.groups.map { s in
            Dictionary(uniqueKeysWithValues: s.names.enumerated().map { ($0.element, UInt32($0.offset)) })
        }
    }

    /// Per field, the group of the packed sample made of carry tokens `range`, whose first token
    /// belongs to `carryDocs[first]`: the group holding most of its tokens (a document owns its
    /// tokens and the end-of-document id after them); on a tie, the group whose first token
    /// comes first in the sample.
    private func majorityGroups(first: Int, tokens range: Range<Int>) throws -> [UInt32] {
        try state.groups.indices.map { f in
            var tally: [(code: UInt32, tokens: Int)] = []  // in order of first appearance in the sample
            var j = first
            while j < state.carryDocs.count && state.carryDocs[j].offset < range.upperBound {
                let end = j + 1 < state.carryDocs.count ? state.carryDocs[j + 1].offset : state.carry.count
                let owned = min(end, range.upperBound) - max(state.carryDocs[j].offset, range.lowerBound)
                if owned > 0 {
                    let doc = state.carryDocs[j].doc
                    let code = try groupCode(groupName(doc, field: f), field: f, doc: doc)
                    if let k = tally.firstIndex(where: { $0.code == code }) { tally[k].tokens += owned } else { tally.append((code, owned)) }
                }
                j += 1
            }
            guard var best = tally.first else { return try groupCode(GroupTable.none, field: f, doc: state.carryDocs[first].doc) }
            for t in tally.dropFirst() where t.tokens > best.tokens { best = t }
            return best.code
        }
    }

    /// Drops the first `start` carry tokens, keeping the docs that still own carry tokens.
    private func compactCarry(from start: Int) {
        state.carry.removeFirst(start)
        let keepFrom = state.carryDocs.lastIndex { $0.offset <= start } ?? 0
        state.carryDocs.removeFirst(keepFrom)
        for i in state.carryDocs.indices { state.carryDocs[i].offset = max(0, state.carryDocs[i].offset - start) }
    }

    /// Ends input `input` (inside the transaction of its last batch): with `--pack` the carry-over
    /// too short for a sample is dropped (samples never cross an input, so an index is the same
    /// whichever shard read which input), and what the input gave is recorded.
    func endPiece(piece: Int, input: Int, records: Int, contentHash: String?) {
        let start = state.pieceStart
        if pack != nil {
            let emitted = state.counts.samples > start.samples
            state.counts.droppedTokens += max(0, state.carry.count - (emitted ? 1 : 0))
            state.carry.removeAll()
            state.carryDocs.removeAll()
        }
        let c = state.counts
        state.pieces.append(PieceStats(piece: piece, input: input, records: records, contentHash: contentHash,
                                       firstSample: start.samples, samples: c.samples - start.samples,
                                       documents: c.documents - start.documents, tokens: c.tokens - start.tokens,
                                       droppedTokens: c.droppedTokens - start.droppedTokens))
        state.pieceStart = c
        state.startsSegment = true
    }

    /// Stores one sample and its pass-1 metrics.
    private func emit(_ tokens: UnsafeBufferPointer<TokenID>, doc: DocRecord, txn: LMDBWriteTransaction,
                      referencedFile: Int? = nil) throws {
        // Encoded straight into the token buffer and counted in the same loop; a bad id throws after
        // the append, which aborts the whole transaction (the buffer and counts are reset on every attempt).
        try countBatchTokens(tokens.count)
        var bad: TokenID?
        let limit = TokenID(truncatingIfNeeded: vocabularySize)
        let width = self.width
        if let file = referencedFile {
            // Already on disk in the input: checked and counted, not copied.
            if precounted != nil {
                bad = Self.firstOutside(tokens, limit: limit)
            } else {
                bad = batchCounts.withUnsafeMutableBufferPointer { Self.count(tokens, counts: $0, limit: limit) }
            }
            state.tokenStore.append(file: file, item: doc.record, newSegment: state.startsSegment)
        } else {
            if precounted != nil {
                self.tokens.append(count: tokens.count) { raw in
                    bad = width == 2 ? Self.encode(tokens, as: UInt16.self, into: raw, limit: limit)
                                     : Self.encode(tokens, as: UInt32.self, into: raw, limit: limit)
                }
            } else {
                batchCounts.withUnsafeMutableBufferPointer { counts in
                    self.tokens.append(count: tokens.count) { raw in
                        bad = width == 2 ? Self.encodeAndCount(tokens, as: UInt16.self, into: raw, counts: counts, limit: limit)
                                         : Self.encodeAndCount(tokens, as: UInt32.self, into: raw, counts: counts, limit: limit)
                    }
                }
            }
            state.tokenStore.append(file: 0, item: self.tokens.itemCount - 1, newSegment: state.startsSegment)
        }
        if let bad { throw Self.outsideVocabulary(bad, doc: doc, vocabularySize: vocabularySize) }
        try record(length: tokens.count, doc: doc, txn: txn) { metric in
            try metric.value(of: MetricSample(tokens: tokens, documentID: doc.docID), context: context, scratch: &scratch)
        }
    }

    /// The error for token id `bad` of document `doc`, outside a vocabulary of `vocabularySize` ids.
    static func outsideVocabulary(_ bad: TokenID, doc: DocRecord, vocabularySize: Int) -> IndexError {
        .badInput(path: "input \(doc.input)",
                  problem: "record \(doc.record): token id \(bad) is outside the vocabulary of \(vocabularySize) (check --vocab-size)")
    }

    /// Records the sample of `length` tokens whose tokens are stored: its `docs` record, its
    /// pass-1 metric values (`value(metric)`), its group codes and the counts.
    private func record(length: Int, doc: DocRecord, txn: LMDBWriteTransaction,
                        value metricValue: (any DifficultyMetric) throws -> Double) throws {
        let id = state.nextSample
        let key = IndexFormat.idKey(id)
        docBytes.removeAll(keepingCapacity: true)
        doc.encode(into: &docBytes)
        try txn.put(key: key, value: docBytes, in: docsDB, append: true)
        for (m, (metric, _)) in sampleMetrics.enumerated() {
            do {
                batchValues[m].append(try metricValue(metric))
            } catch let error as MetricError {
                throw IndexError.badInput(path: "input \(doc.input)", problem: "record \(doc.record): \(error)")
            }
        }
        if let groupCodesDB {
            groupBytes.removeAll(keepingCapacity: true)
            for (f, code) in sampleGroupCodes.enumerated() {
                appendLE(code, &groupBytes)
                state.groups[f].samples[Int(code)] += 1
                state.groups[f].tokens[Int(code)] += length
            }
            try txn.put(key: key, value: groupBytes, in: groupCodesDB, append: true)
        }
        state.countSample(length: length)
    }

    /// Puts the batch's pass-1 metric values into their `values/<name>` chunks: a chunk the batch
    /// continues (the previous batch ended inside it) is read back and put again longer, the
    /// following ones are appended. Part of the batch's transaction, so the tables always hold
    /// exactly the committed samples (resume after kill -9 continues from there).
    /// - Throws: `IndexError.corrupt` when the continued chunk does not hold the committed samples.
    private func flushValues(txn: LMDBWriteTransaction) throws {
        let first = batchFirstSample
        for (m, (metric, db)) in sampleMetrics.enumerated() where !batchValues[m].isEmpty {
            let values = batchValues[m]
            precondition(first + values.count == state.nextSample, "pass-1 values out of step with the samples")
            var id = first
            while id < state.nextSample {
                let c = id >> IndexFormat.denseChunkShift
                let chunkStart = c << IndexFormat.denseChunkShift
                let end = min(state.nextSample, chunkStart + IndexFormat.denseChunk)
                var kept: [UInt8] = []
                if id > chunkStart {
                    let expected = (id - chunkStart) * IndexFormat.valueEntryBytes
                    kept = try txn.get(key: IndexFormat.idKey(c), in: db) ?? []
                    guard kept.count == expected else {
                        throw IndexError.corrupt("\(indexPath): \(IndexFormat.valuesDB(metric.name)) chunk \(c) holds \(kept.count) bytes where "
                            + "the committed samples need \(expected); start over with --force")
                    }
                }
                let from = id
                try txn.putReserved(key: IndexFormat.idKey(c), count: (end - chunkStart) * IndexFormat.valueEntryBytes,
                                    in: db, append: kept.isEmpty) { raw in
                    kept.withUnsafeBytes { raw.copyMemory(from: $0) }
                    for i in from..<end {
                        raw.storeBytes(of: IndexFormat.encodeValue(values[i - first]), toByteOffset: (i - chunkStart) * 8, as: UInt64.self)
                    }
                }
                id = end
            }
        }
    }

    /// The first id at or above `limit` in `tokens` (already counted), if any.
    @inline(__always)
    private static func firstOutside(_ tokens: UnsafeBufferPointer<TokenID>, limit: TokenID) -> TokenID? {
        var maxID: TokenID = 0
        for t in tokens { maxID = max(maxID, t) }
        return maxID < limit ? nil : tokens.first { $0 >= limit }
    }

    /// Counts `tokens`; returns the first id at or above `limit` (not counted), if any.
    @inline(__always)
    private static func count(_ tokens: UnsafeBufferPointer<TokenID>, counts: UnsafeMutableBufferPointer<UInt32>,
                              limit: TokenID) -> TokenID? {
        var bad: TokenID?
        for t in tokens { if t < limit { counts[Int(t)] &+= 1 } else if bad == nil { bad = t } }
        return bad
    }

    /// Writes `tokens` as little-endian `T` into `raw` (already counted); returns the first id at or
    /// above `limit`, if any.
    @inline(__always)
    private static func encode<T: FixedWidthInteger & UnsignedInteger>(
        _ tokens: UnsafeBufferPointer<TokenID>, as _: T.Type, into raw: UnsafeMutableRawBufferPointer, limit: TokenID
    ) -> TokenID? {
        var maxID: TokenID = 0
        for i in 0..<tokens.count {
            let t = tokens[i]
            raw.storeBytes(of: T(truncatingIfNeeded: t).littleEndian, toByteOffset: i * MemoryLayout<T>.size, as: T.self)
            maxID = max(maxID, t)
        }
        return maxID < limit ? nil : tokens.first { $0 >= limit }
    }

    /// Writes `tokens` as little-endian `T` into `raw` and counts them; returns the first id at or
    /// above `limit` (not counted), if any.
    @inline(__always)
    private static func encodeAndCount<T: FixedWidthInteger & UnsignedInteger>(
        _ tokens: UnsafeBufferPointer<TokenID>, as _: T.Type, into raw: UnsafeMutableRawBufferPointer,
        counts: UnsafeMutableBufferPointer<UInt32>, limit: TokenID
    ) -> TokenID? {
        var bad: TokenID?
        for i in 0..<tokens.count {
            let t = tokens[i]
            raw.storeBytes(of: T(truncatingIfNeeded: t).littleEndian, toByteOffset: i * MemoryLayout<T>.size, as: T.self)
            if t < limit { counts[Int(t)] &+= 1 } else if bad == nil { bad = t }
        }
        return bad
    }
}
