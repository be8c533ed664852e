// IndexMerge.swift — `gradus merge` (issue 16 item 3): the shards of `gradus index --shard I/N`
// become one index by a map-reduce that moves no tokens. Each shard read only its own inputs and
// stored their samples (packed per input) in its token files. The merge runs in three stages,
// each a `gradus merge` subcommand a scheduler can run and each safe to run again:
//
//   plan     (one job)         place every input's samples in corpus order, sum the shards'
//                              `counts` (vocabulary-sized), write the output's manifest, whose
//                              token store references the shards' token files
//   metrics  (one job a shard) every metric of the shard's samples, from its tokens and the
//                              global counts, into `<out>/parts/shard-I.values`
//   finish   (one job)         docs and group codes copied with global ids, the values into `values/`
//                              and, sorted, `ranks/`; checksums (the token chunks' are
//                              the shards'); complete
//
// The result equals the single-process index in content (ids, tokens, docs, counts, metric values
// and order tables) for any N and --threads, because samples never cross an input.

import Corpus
import Foundation
import Storage
import Support

/// `meta["merge"]` of a merge output while it is built: where each input's samples come from.
public struct MergePlan: Codable, Equatable, Sendable {
    public struct Shard: Codable, Equatable, Sendable {
        /// The shard directory (absolute).
        public var path: String
        public var samples: Int
        /// The shard manifest's content fingerprint: stages refuse a shard rebuilt meanwhile.
        public var fingerprint: String
    }
    public struct Piece: Codable, Equatable, Sendable {
        /// The input piece (`manifest.inputPieces`) and its input.
        public var piece: Int
        public var input: Int
        /// Records of the input's earlier pieces: added to the shard's docs ordinals, which count
        /// from the piece's start.
        public var recordBase: Int
        public var shard: Int
        /// The piece's first sample id in the shard and in the merged index.
        public var localFirst: Int
        public var globalFirst: Int
        public var samples: Int
    }
    public var shards: [Shard]
    public var pieces: [Piece]
    /// `--copy`: `finish` copies the shards' tokens into the output's own `tokens.bin/.idx`.
    public var copyTokens: Bool?
}

public enum IndexMerge {
    static let planKey = "merge"
    /// The directory of the metric stage's outputs inside the merge output.
    static let partsDirectory = "parts"

    /// All three stages in one process.
    public static func merge(shards paths: [String], output: String, mode: IndexStore.WriteMode, threads: Int,
                             commandLine: [String], runSamples: Int = IndexBuildOptions.defaultRunSamples, copyTokens: Bool = false,
                             onPhase: (String) -> Void = { _ in }) throws -> IndexManifest {
        let plan = try self.plan(shards: paths, output: output, mode: mode, commandLine: commandLine, copyTokens: copyTokens)
        onPhase("metrics")
        for i in plan.shards.indices { try metrics(output: output, shard: i, threads: threads) }
        return try finish(output: output, threads: threads, runSamples: runSamples, onPhase: onPhase)
    }

    // MARK: plan

    /// Stage 1: checks that `paths` are the N complete shards of one `--shard I/N` run, places
    /// every input's samples (inputs in order; an input's samples keep their order), sums the
    /// shards' token counts and writes the output's manifest, counts and plan (state `building`).
    /// - Throws: `IndexError.invalidArgument` when the shards do not form one complete set; the
    ///   refusals of `IndexStore.openForWriting`.
    @discardableResult
    /// - Parameter copyTokens: `--copy`: the output gets its own copy of the tokens (at `finish`).
    public static func plan(shards paths: [String], output: String, mode: IndexStore.WriteMode, commandLine: [String],
                            copyTokens: Bool = false) throws -> MergePlan {
        let shards = try paths.map { try IndexReader(path: $0) }
        var manifest = try combinedManifest(shards, paths: paths)
        manifest.commandLine = commandLine
        manifest.created = ISO8601DateFormatter().string(from: Date())
        let absolute = paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        // Which shard read which piece.
        let inputPieces = manifest.inputPieces ?? []
        var owner: [Int: (shard: Int, stats: PieceStats)] = [:]
        for (s, reader) in shards.enumerated() {
            for p in reader.manifest.pieces ?? [] {
                if let other = owner[p.piece] {
                    throw IndexError.invalidArgument("piece \(p.piece) of \(manifest.inputs[p.input].path) was read by both \(paths[other.shard]) and \(paths[s])")
                }
                owner[p.piece] = (s, p)
            }
        }
        var pieces: [MergePlan.Piece] = []
        var files: [TokenFileInfo] = []
        var fileIndex: [String: Int] = [:]
        var segments: [TokenSegmentInfo] = []
        var counts = IndexCounts()
        var tokenCounts = [UInt64](repeating: 0, count: manifest.tokenizer.vocabularySize)
        var globalPieces: [PieceStats] = []
        var digests: [InputDigest] = []
        var records: [Int: Int] = [:]
        for input in manifest.inputs.indices { manifest.inputs[input].tokenFile = nil }
        for k in inputPieces.indices {
            let input = inputPieces[k].input
            guard let (s, stats) = owner[k] else {
                throw IndexError.invalidArgument("no shard read piece \(k) of \(manifest.inputs[input].path); merge all N shards of one run")
            }
            let reader = shards[s]
            pieces.append(MergePlan.Piece(piece: k, input: input, recordBase: records[input, default: 0], shard: s,
                                          localFirst: stats.firstSample, globalFirst: counts.samples, samples: stats.samples))
            records[input, default: 0] += stats.records
            var global = stats
            global.firstSample = counts.samples
            globalPieces.append(global)
            digests.append(InputDigest(contentHash: stats.contentHash, modified: reader.manifest.inputs[input].modified))
            // The shard's segments of this piece (segments never span pieces), pointing at its files.
            let info = reader.tokens.info
            var local = 0
            for seg in info.segments {
                defer { local += seg.samples }
                guard local >= stats.firstSample && local < stats.firstSample + stats.samples else { continue }
                var file = info.files[seg.file]
                file.prefix = file.path(in: absolute[s])
                file.owned = false
                let f = fileIndex[file.prefix] ?? {
                    files.append(file)
                    fileIndex[file.prefix] = files.count - 1
                    return files.count - 1
                }()
                if !info.files[seg.file].owned { manifest.inputs[input].tokenFile = f }
                segments.append(TokenSegmentInfo(file: f, firstItem: seg.firstItem, samples: seg.samples))
            }
            counts.samples += stats.samples
            counts.documents += stats.documents
            counts.tokens += stats.tokens
            counts.droppedTokens += stats.droppedTokens
        }
        manifest.setInputDigests(pieces: inputPieces, digests: digests)
        for reader in shards {
            counts.maxSampleLength = max(counts.maxSampleLength, reader.manifest.counts.maxSampleLength)
            counts.skipped.merge(reader.manifest.counts.skipped, uniquingKeysWith: +)
            let c = try reader.tokenCounts()
            for t in c.indices { tokenCounts[t] &+= c[t] }
        }
        guard counts.samples > 0 else { throw IndexError.noSamples(reason: "the shards hold no sample") }
        manifest.counts = counts
        manifest.pieces = globalPieces
        if GroupTable.hasGroups(manifest) { manifest.groups = GroupTable.union(shards.map { $0.manifest.groups ?? [] }) }
        manifest.tokenStore = TokenStoreInfo(files: files, segments: segments)
        let plan = MergePlan(shards: zip(shards, absolute).map {
            MergePlan.Shard(path: $1, samples: $0.sampleCount, fingerprint: $0.manifest.contentFingerprint)
        }, pieces: pieces, copyTokens: copyTokens ? true : nil)
        let store = try IndexStore.openForWriting(output, mode: mode == .resume ? .force : mode)
        try? FileManager.default.removeItem(atPath: output + "/" + partsDirectory)
        let countsDB = try store.database(IndexFormat.countsDB)
        let finalManifest = manifest
        try store.env.write { txn in
            try store.writeJSON(IndexFormatTag(), key: IndexFormat.formatKey, txn: txn)
            try store.writeState(.building, txn: txn)
            try store.writeJSON(finalManifest, key: IndexFormat.manifestKey, txn: txn)
            try store.writeJSON(plan, key: planKey, txn: txn)
            try IndexFinisher.writeCounts(tokenCounts, db: countsDB, txn: txn)
        }
        try store.env.sync()
        return plan
    }

    /// The manifest of the merged index, after checking that the shards belong together.
    private static func combinedManifest(_ shards: [IndexReader], paths: [String]) throws -> IndexManifest {
        guard let first = shards.first?.manifest else { throw IndexError.invalidArgument("no shards to merge") }
        for (reader, path) in zip(shards, paths) {
            let m = reader.manifest
            guard m.kind == IndexKind.shard else { throw IndexError.invalidArgument("\(path) is not a shard (made without --shard)") }
            guard m.shardCount == first.shardCount else {
                throw IndexError.invalidArgument("\(path) is shard \(m.shard.map(String.init) ?? "?")/\(m.shardCount.map(String.init) ?? "?") "
                    + "but \(paths[0]) is one of \(first.shardCount.map(String.init) ?? "?") shards; merge the shards of one --shard I/N run")
            }
            guard m.sameContent(as: first) else {
                throw IndexError.invalidArgument("\(path) was made from other inputs, tokenizer, metrics, options or group fields than \(paths[0])")
            }
        }
        let indices = shards.compactMap { $0.manifest.shard }.sorted()
        guard indices == Array(0..<(first.shardCount ?? 0)), shards.count == first.shardCount else {
            throw IndexError.invalidArgument("merge needs each of the \(first.shardCount ?? 0) shards exactly once; got shard indices \(indices)")
        }
        var m = first
        m.kind = IndexKind.index
        m.shard = nil
        m.shardCount = nil
        m.counts = IndexCounts()
        return m
    }

    // MARK: metrics

    /// The metric stage's output for shard `shard`: Float64 LE values, metric after metric (the
    /// manifest's order), each over the shard's samples in its own order.
    static func partPath(output: String, shard: Int) -> String { output + "/" + partsDirectory + "/shard-\(shard).values" }

    /// Stage 2, for one shard: every metric of shard `shard`'s samples, from its tokens (and doc
    /// ids, for `file:` metrics) with the corpus counts of the plan, written to
    /// `partPath` through a `.partial` file that is synced and renamed (a rerun redoes it).
    /// - Parameters:
    ///   - onPhase: called with `metrics-commit` before the values are renamed into place.
    ///   - progress: called after each chunk with the samples done and the shard's samples.
    public static func metrics(output: String, shard: Int, threads: Int, onPhase: (String) -> Void = { _ in },
                               progress: (Int, Int) -> Void = { _, _ in }) throws {
        let (store, manifest, plan) = try openPlanned(output)
        guard plan.shards.indices.contains(shard) else {
            throw IndexError.invalidArgument("--shard \(shard): the merge at \(output) has shards 0..<\(plan.shards.count)")
        }
        let entry = plan.shards[shard]
        let reader = try IndexReader(path: entry.path)
        guard reader.manifest.contentFingerprint == entry.fingerprint else {
            throw IndexError.invalidArgument("\(entry.path) changed since `gradus merge plan` (fingerprint \(reader.manifest.contentFingerprint), "
                + "planned \(entry.fingerprint)); run the plan again")
        }
        let metrics = try MetricRegistry.parseList(manifest.options["metric_specs"] ?? "")
        let counts = try IndexFinisher.readCounts(store: store, vocabularySize: manifest.tokenizer.vocabularySize)
        let context = MetricContext(sequenceLength: max(manifest.counts.maxSampleLength, 1),
                                    rarity: metrics.contains(where: \.needsTokenCounts) ? try RarityWeights(tokenCounts: counts) : nil,
                                    skipBad: manifest.options["skip_bad"] == "true")
        let n = reader.sampleCount
        let path = partPath(output: output, shard: shard)
        try FileManager.default.createDirectory(atPath: output + "/" + partsDirectory, withIntermediateDirectories: true)
        let file = try PosixFile(path: path + ".partial", mode: .replace)
        let chunk = 1 << 16
        var values = [Double](repeating: 0, count: chunk)
        for first in stride(from: 0, to: n, by: chunk) {
            let ids = first..<min(n, first + chunk)
            for (m, metric) in metrics.enumerated() {
                try values.withUnsafeMutableBufferPointer { out in
                    try shardValues(metric, reader: reader, ids: ids, context: context, threads: threads, into: out)
                }
                try values.withUnsafeBytes { raw in
                    try file.write(at: 8 * (m * n + first), UnsafeRawBufferPointer(rebasing: raw[0..<(8 * ids.count)]))
                }
            }
            reader.tokens.releaseMappedPages()
            progress(ids.upperBound, n)
        }
        try file.sync()
        onPhase("metrics-commit")
        try AtomicFile.commit(path + ".partial", to: path)
    }

    /// Values of `metric` for the shard samples `ids` into `out[0..<ids.count]`: over `threads`
    /// workers from the tokens, or in order with the doc ids for metrics that score documents.
    private static func shardValues(_ metric: any DifficultyMetric, reader: IndexReader, ids: Range<Int>, context: MetricContext,
                                    threads: Int, into out: UnsafeMutableBufferPointer<Double>) throws {
        let vocabulary = reader.manifest.tokenizer.vocabularySize
        if metric is FileScoreMetric {
            var scratch = MetricScratch(vocabularySize: 0)
            var i = 0
            try reader.forEach(in: ids, tokens: true) { _, tokens, doc, _ in
                try tokens.withUnsafeBufferPointer {
                    out[i] = try metric.value(of: MetricSample(tokens: $0, documentID: doc.docID), context: context, scratch: &scratch)
                }
                i += 1
            }
            return
        }
        let parts = splitRange(ids.count, parts: max(1, min(threads, ids.count)))
        var failures = [Error?](repeating: nil, count: parts.count)
        let longest = max(reader.manifest.counts.maxSampleLength, 1)
        try reader.store.env.read { txn in
            try reader.verifier.checkTokens(ids: ids, tokens: reader.tokens, txn: txn)
        }
        failures.withUnsafeMutableBufferPointer { fail in
            let shared = UncheckedSendable((out, fail))
            parallelFor(parts.count) { p in
                let tokens = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: longest)
                defer { tokens.deallocate() }
                var scratch = MetricScratch(vocabularySize: vocabulary)
                do {
                    for k in parts[p] {
                        let sample = MetricSample(tokens: try reader.tokens.tokens(ids.lowerBound + k, into: tokens))
                        shared.value.0[k] = try metric.value(of: sample, context: context, scratch: &scratch)
                    }
                } catch { shared.value.1[p] = error }
            }
        }
        if let error = failures.compactMap({ $0 }).first { throw error }
    }

    // MARK: finish

    /// Stage 3: with every shard's values in place, copies the docs with global ids, writes the
    /// metric tables and the order tables (sorted from the values: no token is read), the
    /// checksums (the token chunks' taken from the shards) and marks the index complete.
    @discardableResult
    public static func finish(output: String, threads: Int, runSamples: Int = IndexBuildOptions.defaultRunSamples,
                              onPhase: (String) -> Void = { _ in }) throws -> IndexManifest {
        try IndexFinisher.validate(runSamples: runSamples)
        let store = try IndexStore.openForWriting(output, mode: .resume)
        guard var manifest = try store.readJSON(IndexManifest.self, key: IndexFormat.manifestKey),
              let plan = try store.readJSON(MergePlan.self, key: planKey) else {
            throw IndexError.invalidArgument("\(output) is not a planned merge; run `gradus merge plan SHARDS --out \(output)` first")
        }
        let metrics = try MetricRegistry.parseList(manifest.options["metric_specs"] ?? "")
        let shards = try plan.shards.map { entry -> IndexReader in
            let reader = try IndexReader(path: entry.path)
            guard reader.manifest.contentFingerprint == entry.fingerprint else {
                throw IndexError.invalidArgument("\(entry.path) changed since `gradus merge plan`; run the plan again")
            }
            return reader
        }
        let parts = try plan.shards.indices.map { s -> MappedFile in
            let path = partPath(output: output, shard: s)
            guard FileManager.default.fileExists(atPath: path) else {
                throw IndexError.invalidArgument("\(path) is missing: run `gradus merge metrics \(output) --shard \(s)` first")
            }
            let file = try MappedFile(path: path)
            guard file.bytes.count == 8 * metrics.count * plan.shards[s].samples else {
                throw IndexError.corrupt("\(path) holds \(file.bytes.count) bytes, expected \(8 * metrics.count * plan.shards[s].samples); "
                    + "run `gradus merge metrics \(output) --shard \(s)` again")
            }
            return file
        }
        onPhase("docs")
        try copyDocs(plan: plan, shards: shards, into: store)
        if let groups = manifest.groups, GroupTable.hasGroups(manifest) {
            try GroupTable.merge(plan: plan, shards: shards, groups: groups, into: store)
        }
        var tokenSums: [UInt64]? = try tokenChecksums(plan: plan, shards: shards)
        if plan.copyTokens == true {
            onPhase("copy")
            manifest.tokenStore = try copyTokens(plan: plan, shards: shards, manifest: manifest, into: store)
            for i in manifest.inputs.indices { manifest.inputs[i].tokenFile = nil }
            tokenSums = nil  // recomputed from the copy (a referenced input of another dtype gives other bytes)
        }
        onPhase("pass2")
        let pieceStarts = plan.pieces.map(\.globalFirst)
        let complete = try IndexFinisher.finish(store: store, manifest: manifest, metrics: metrics, tokenCounts: [], threads: threads,
                                                runLength: runSamples, onPhase: onPhase, tokenSums: tokenSums) { m, ids, out in
            // Global ids → (piece, shard, local id): a piece's samples are consecutive in both.
            var k = max(0, (pieceStarts.lastIndex { $0 <= ids.lowerBound }) ?? 0)
            var id = ids.lowerBound
            while id < ids.upperBound {
                while k + 1 < plan.pieces.count && plan.pieces[k + 1].globalFirst <= id { k += 1 }
                let piece = plan.pieces[k]
                let end = min(ids.upperBound, piece.globalFirst + piece.samples)
                let n = plan.shards[piece.shard].samples
                let base = 8 * (m * n + piece.localFirst + id - piece.globalFirst)
                parts[piece.shard].bytes.baseAddress!.advanced(by: base)
                    .withMemoryRebound(to: UInt64.self, capacity: end - id) { src in
                        for j in 0..<(end - id) { out[id - ids.lowerBound + j] = Double(bitPattern: UInt64(littleEndian: src[j])) }
                    }
                id = end
            }
        }
        try store.env.write { txn in _ = try txn.delete(key: Array(planKey.utf8), in: store.meta) }
        try store.env.sync()
        try? FileManager.default.removeItem(atPath: output + "/" + partsDirectory)
        return complete
    }

    /// The store, manifest and plan of a planned merge output (read-only).
    private static func openPlanned(_ output: String) throws -> (IndexStore, IndexManifest, MergePlan) {
        let store = try IndexStore.openBuilding(output)
        guard let manifest = try store.readJSON(IndexManifest.self, key: IndexFormat.manifestKey),
              let plan = try store.readJSON(MergePlan.self, key: planKey) else {
            throw IndexError.invalidArgument("\(output) is not a planned merge; run `gradus merge plan SHARDS --out \(output)` first")
        }
        return (store, manifest, plan)
    }

    /// The shards' `docs` entries under their global ids, a piece at a time (one transaction per
    /// 65 536 entries).
    private static func copyDocs(plan: MergePlan, shards: [IndexReader], into store: IndexStore) throws {
        let docsDB = try store.database(IndexFormat.docsDB)
        try store.env.write { txn in try txn.clear(docsDB) }
        for piece in plan.pieces {
            let reader = shards[piece.shard]
            let shardDocs = try reader.store.database(IndexFormat.docsDB)
            var first = 0
            while first < piece.samples {
                let count = min(1 << 16, piece.samples - first)
                var rows: [[UInt8]] = []
                rows.reserveCapacity(count)
                try reader.store.env.read { txn in
                    for id in (piece.localFirst + first)..<(piece.localFirst + first + count) {
                        if id == piece.localFirst + first || id & (IndexChecksums.chunk - 1) == 0 {
                            try reader.verifier.check(IndexFormat.docsDB, db: shardDocs, entry: id, txn: txn)
                        }
                        guard let row = try txn.get(key: IndexFormat.idKey(id), in: shardDocs) else {
                            throw IndexError.corrupt("\(reader.store.path): docs has no entry for sample \(id)")
                        }
                        rows.append(row)
                    }
                }
                let base = piece.globalFirst + first
                if piece.recordBase > 0 {  // the shard counted this piece's records from its start
                    for j in rows.indices {
                        var doc = try rows[j].withUnsafeBytes { try DocRecord.decode($0) }
                        doc.record += piece.recordBase
                        rows[j].removeAll(keepingCapacity: true)
                        doc.encode(into: &rows[j])
                    }
                }
                try store.env.write { txn in
                    for (j, row) in rows.enumerated() { try txn.put(key: IndexFormat.idKey(base + j), value: row, in: docsDB, append: true) }
                }
                first += count
            }
        }
    }

    /// `--copy`: the shards' samples, piece after piece, into the output's own token files (one
    /// segment per piece, as in the shards); returns the token store that describes them.
    private static func copyTokens(plan: MergePlan, shards: [IndexReader], manifest: IndexManifest,
                                   into store: IndexStore) throws -> TokenStoreInfo {
        let writer = try TokenStoreWriter(directory: store.path, vocabularySize: manifest.tokenizer.vocabularySize, items: 0, bytes: 0)
        var info = TokenStoreInfo(files: [TokenFileInfo(prefix: TokenStoreInfo.ownPrefix, owned: true, codeTable: .megatron)])
        let width = writer.dtype.itemSize
        var tokens = [TokenID]()
        for piece in plan.pieces where piece.samples > 0 {
            let reader = shards[piece.shard]
            var done = 0
            while done < piece.samples {
                writer.beginBatch()
                let count = min(1 << 14, piece.samples - done)
                for local in (piece.localFirst + done)..<(piece.localFirst + done + count) {
                    tokens.removeAll(keepingCapacity: true)
                    try reader.tokens.appendTokens(of: local, to: &tokens)
                    writer.append(count: tokens.count) { raw in
                        for (j, t) in tokens.enumerated() {
                            if width == 2 { raw.storeBytes(of: UInt16(truncatingIfNeeded: t).littleEndian, toByteOffset: 2 * j, as: UInt16.self) }
                            else { raw.storeBytes(of: t.littleEndian, toByteOffset: 4 * j, as: UInt32.self) }
                        }
                    }
                    info.append(file: 0, item: writer.itemCount - 1, newSegment: local == piece.localFirst)
                }
                try writer.writePending()
                writer.commitPending()
                done += count
            }
            reader.tokens.releaseMappedPages()
        }
        try writer.finish()
        writer.removeSizes()
        return info
    }

    /// The token checksums of the merged index: each shard's chunk checksums of the segments of
    /// each input, in input order (segments, and so chunks, never span inputs).
    private static func tokenChecksums(plan: MergePlan, shards: [IndexReader]) throws -> [UInt64] {
        let stored = try shards.map { reader -> [UInt64] in
            let sumsDB = try reader.store.database(IndexFormat.checksumsDB)
            return try reader.store.env.read { txn in
                guard let sums = try IndexChecksums.stored(IndexFormat.samplesDB, db: sumsDB, txn: txn) else {
                    throw IndexError.corrupt("\(reader.store.path): no token checksums")
                }
                return sums
            }
        }
        var out: [UInt64] = []
        for piece in plan.pieces {
            let info = shards[piece.shard].tokens.info
            var local = 0, chunk = 0
            for seg in info.segments {
                let chunks = (seg.samples + IndexChecksums.chunk - 1) / IndexChecksums.chunk
                if local >= piece.localFirst && local < piece.localFirst + piece.samples {
                    out += stored[piece.shard][chunk..<(chunk + chunks)]
                }
                local += seg.samples
                chunk += chunks
            }
        }
        return out
    }
}
