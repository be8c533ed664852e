// IndexMerge.swift — `gradus merge` (issue 3 item 5): combines the shards of `--shard I/N`
// runs into one index identical in content to a single-process run. Shards hold documents
// keyed by their global position (input, record); the merge walks them k-way in that order
// through the same SampleWriter and IndexFinisher as `gradus index`, so ids, packing, counts,
// metrics and order tables come out the same.

import Corpus
import Foundation
import Storage

public enum IndexMerge {
    /// Merges the complete shards at `shards` into a new index at `output`.
    /// - Throws: `IndexError.invalidArgument` when the shards do not form one complete set
    ///   (same inputs, tokenizer, metrics and options; indices 0..<N each once), plus the
    ///   refusals of `IndexStore.openForWriting`.
    /// - Parameter onPhase: called with `copy` before the samples are copied, then `order` and
    ///   `sync` (from `IndexFinisher`), for progress and the CLI's fault-test hook.
    public static func merge(shards paths: [String], output: String, mode: IndexStore.WriteMode, threads: Int,
                             commandLine: [String], runSamples: Int = IndexBuildOptions.defaultRunSamples,
                             onPhase: (String) -> Void = { _ in }) throws -> IndexManifest {
        try IndexFinisher.validate(runSamples: runSamples)
        let shards = try paths.map { try IndexReader(path: $0) }
        var manifest = try combinedManifest(shards, paths: paths)
        manifest.tokenStore = TokenStoreInfo(files: [TokenFileInfo(prefix: TokenStoreInfo.ownPrefix, owned: true, codeTable: .megatron)])
        manifest.commandLine = commandLine
        manifest.created = ISO8601DateFormatter().string(from: Date())
        let metrics = try MetricRegistry.parseList(manifest.options["metric_specs"] ?? "")
        let store = try IndexStore.openForWriting(output, mode: mode == .resume ? .force : mode)
        try start(store: store, manifest: manifest)
        var state = SampleWriter.State()
        state.tokenStore = manifest.tokenStore!
        let writer = try SampleWriter(store: store, manifest: manifest, metrics: metrics, state: state,
                                      tokenCounts: [UInt64](repeating: 0, count: manifest.tokenizer.vocabularySize))
        let cursors = shards.map { ShardCursor(reader: $0) }
        onPhase("copy")
        var batch: [(DocRecord, [TokenID])] = []
        while true {
            batch.removeAll(keepingCapacity: true)
            while batch.count < 8192, let next = try nextInOrder(cursors) { batch.append(next) }
            if batch.isEmpty { break }
            try writer.transaction(store: store) { txn in
                for (doc, tokens) in batch {
                    try tokens.withUnsafeBufferPointer { try writer.add(document: $0, doc: doc, txn: txn) }
                }
            }
        }
        writer.finishPacking()
        try writer.tokens.finish()
        let skipped = manifest.counts.skipped
        manifest.counts = writer.state.counts
        manifest.tokenStore = writer.state.tokenStore
        manifest.counts.skipped = skipped
        let countsDB = try store.database(IndexFormat.countsDB)
        try store.env.write { txn in try IndexFinisher.writeCounts(writer.tokenCounts, db: countsDB, txn: txn) }
        guard manifest.counts.samples > 0 else { throw IndexError.noSamples(reason: "the shards hold no sample") }
        return try IndexFinisher.finish(store: store, manifest: manifest, metrics: metrics, tokenCounts: writer.tokenCounts,
                                        threads: threads, runLength: runSamples, onPhase: onPhase)
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
                throw IndexError.invalidArgument("\(path) was made from other inputs, tokenizer, metrics or options than \(paths[0])")
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
        for reader in shards { m.counts.skipped.merge(reader.manifest.counts.skipped, uniquingKeysWith: +) }
        return m
    }

    private static func start(store: IndexStore, manifest: IndexManifest) throws {
        try store.env.write { txn in
            try store.writeJSON(IndexFormatTag(), key: IndexFormat.formatKey, txn: txn)
            try store.writeState(.building, txn: txn)
            try store.writeJSON(manifest, key: IndexFormat.manifestKey, txn: txn)
        }
    }

    /// The next document over all shards in (input, record) order.
    private static func nextInOrder(_ cursors: [ShardCursor]) throws -> (DocRecord, [TokenID])? {
        var best: ShardCursor?
        for c in cursors {
            guard let head = try c.head() else { continue }
            if let b = try best?.head(), (b.0.input, b.0.record) <= (head.0.input, head.0.record) { continue }
            best = c
        }
        return best?.pop()
    }
}

/// Reads a shard's documents in id order, a chunk at a time.
final class ShardCursor {
    private let reader: IndexReader
    private var next = 0
    private var chunk: [(DocRecord, [TokenID])] = []
    private var position = 0

    init(reader: IndexReader) { self.reader = reader }

    func head() throws -> (DocRecord, [TokenID])? {
        if position == chunk.count {
            let end = min(reader.sampleCount, next + 4096)
            chunk.removeAll(keepingCapacity: true)
            position = 0
            try reader.forEach(in: next..<end, tokens: true) { _, tokens, doc, _ in chunk.append((doc, tokens)) }
            next = end
        }
        return position < chunk.count ? chunk[position] : nil
    }

    func pop() -> (DocRecord, [TokenID])? {
        guard position < chunk.count else { return nil }
        defer { position += 1 }
        return chunk[position]
    }
}
