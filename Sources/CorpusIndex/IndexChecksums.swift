// IndexChecksums.swift — the `checksums` database of a format-2 index (issue 14 item 14): an
// XXH3-64 per chunk of every table, computed from what is stored when the index is marked
// complete (by `gradus index` and `gradus merge`, both through IndexFinisher), and recomputed
// for a chunk (or a whole table) by readers and `gradus verify`. What a checksum covers is
// defined in docs/index-format.md "Checksums"; keep the two in step (tools/python/
// test_index_format.py recomputes every checksum with the PyPI xxhash package).

import Corpus
import Foundation
import Storage

/// How the tables of an index are cut into checksummed chunks, and the hashing itself.
public enum IndexChecksums {
    /// Entries (samples, ranks, token ids) per chunk: the dense tables' chunk, so checksum c of
    /// every per-sample table covers samples (or ranks) c·8192 ..< (c+1)·8192.
    public static let chunkShift = IndexFormat.denseChunkShift
    public static let chunk = 1 << chunkShift

    /// How the entries of a table map to chunks and which bytes are hashed.
    public enum Layout: Sendable, Equatable {
        /// `samples`: the token store (`TokenStore`), not a database; a chunk hashes its samples'
        /// token bytes as stored in their `.bin` files, concatenated in id order.
        case tokens
        /// `docs`: keys are 0..<N; a chunk hashes key ‖ u32 LE value
        /// length ‖ value of each entry.
        case keyed
        /// `values/*`, `ranks/*`: entry c is itself chunk c; its checksum is that of the value.
        case dense
        /// `counts`: u32 BE token id keys; chunk c holds ids c·8192 ..< (c+1)·8192 (possibly no
        /// entry); hashed as `keyed`.
        case counts
        /// `meta`: one checksum per document, of its value, in the order `metaKeys`.
        case meta
    }

    /// The `meta` documents a complete index checksums, in order.
    public static let metaKeys = [IndexFormat.formatKey, IndexFormat.manifestKey, IndexFormat.stateKey]

    /// Every checksummed table of an index with `manifest`, with its layout and chunk count.
    public static func tables(_ manifest: IndexManifest) -> [(name: String, layout: Layout, chunks: Int)] {
        let n = manifest.counts.samples
        let perSample = (n + chunk - 1) >> chunkShift
        var out: [(String, Layout, Int)] = [
            (IndexFormat.metaDB, .meta, metaKeys.count),
            (IndexFormat.samplesDB, .tokens, manifest.tokenStore?.checksumChunks ?? perSample),
            (IndexFormat.docsDB, .keyed, perSample),
            (IndexFormat.countsDB, .counts, (manifest.tokenizer.vocabularySize + chunk - 1) >> chunkShift),
        ]
        if GroupTable.hasGroups(manifest) { out.append((GroupTable.groupsDB, .dense, perSample)) }
        if manifest.kind != IndexKind.shard {
            for m in manifest.metrics {
                out.append((IndexFormat.valuesDB(m.name), .dense, perSample))
                out.append((IndexFormat.ranksDB(m.name), .dense, perSample))
            }
        }
        return out
    }

    /// What chunk c of a per-sample table covers, for messages: "samples 0..<8192".
    public static func describe(_ layout: Layout, chunk c: Int, entries n: Int) -> String {
        switch layout {
        case .meta: return "document '\(metaKeys.indices.contains(c) ? metaKeys[c] : "?")'"
        case .counts: return "chunk \(c) (token ids \(c << chunkShift)..<\((c + 1) << chunkShift))"
        default: return "chunk \(c) (entries \(c << chunkShift)..<\(min(n, (c + 1) << chunkShift)))"
        }
    }

    /// The stored checksums of `table` (`checksums[table]`: UInt64 LE per chunk), nil when absent.
    static func stored(_ table: String, db: LMDBDatabase, txn: LMDBReadTransaction) throws -> [UInt64]? {
        try txn.withValue(key: Array(table.utf8), in: db) { raw -> [UInt64] in
            guard raw.count % 8 == 0 else {
                throw IndexError.corrupt("checksums of \(table) hold \(raw.count) bytes, not a multiple of 8")
            }
            return (0..<(raw.count / 8)).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)) }
        }
    }

    /// The checksums of chunks `chunks` of `table` (layout `layout`, `n` samples), computed from
    /// what `txn` sees. Checks the keys on the way: per-sample keys must be exactly the ids of
    /// the chunk, in order (a missing, extra or misplaced key throws, naming it).
    /// - Parameter maxValueBytes: a per-entry limit checked before a value is hashed (a corrupt
    ///   size must not make a read run through the map).
    /// - Throws: `IndexError.corrupt` naming the table and the entry.
    static func compute(_ table: String, layout: Layout, db: LMDBDatabase, chunks: Range<Int>, entries n: Int,
                        maxValueBytes: Int, txn: LMDBReadTransaction, path: String) throws -> [UInt64] {
        guard !chunks.isEmpty else { return [] }
        let hasher = XXH3Hasher()
        var out: [UInt64] = []
        out.reserveCapacity(chunks.count)
        func corrupt(_ what: String) -> IndexError { .corrupt("\(path): database '\(table)': \(what)") }
        switch layout {
        case .meta:
            for c in chunks {
                guard let v = try txn.withValue(key: Array(metaKeys[c].utf8), in: db, { XXH3.hash64($0) }) else {
                    throw corrupt("no '\(metaKeys[c])' document")
                }
                out.append(v)
            }
        case .dense:
            var expected = chunks.lowerBound
            try txn.forEach(in: db, from: IndexFormat.idKey(chunks.lowerBound).bytes, to: IndexFormat.idKey(chunks.upperBound).bytes) { key, value in
                let k = try keyID(key, table: table, path: path)
                guard k == expected else { throw corrupt("chunk \(expected) is missing (found key \(k))") }
                guard value.count <= maxValueBytes else { throw corrupt("chunk \(k) has \(value.count) bytes, at most \(maxValueBytes) expected") }
                out.append(XXH3.hash64(value))
                expected += 1
                return true
            }
            guard expected == chunks.upperBound else { throw corrupt("chunk \(expected) is missing") }
        case .tokens, .keyed:
            let end = min(n, chunks.upperBound << chunkShift)
            var expected = chunks.lowerBound << chunkShift
            try txn.forEach(in: db, from: IndexFormat.idKey(expected).bytes, to: IndexFormat.idKey(end).bytes) { key, value in
                let k = try keyID(key, table: table, path: path)
                guard k == expected else {
                    throw corrupt("entry \(expected) is missing (found key \(k); \(describe(layout, chunk: expected >> chunkShift, entries: n)))")
                }
                guard value.count <= maxValueBytes else {
                    throw corrupt("entry \(k) has \(value.count) bytes, at most \(maxValueBytes) expected")
                }
                if layout == .keyed {
                    hasher.update(key)
                    withUnsafeBytes(of: UInt32(value.count).littleEndian) { hasher.update($0) }
                }
                hasher.update(value)
                expected += 1
                if expected & (chunk - 1) == 0 || expected == end {
                    out.append(hasher.digest)
                    hasher.reset()
                }
                return true
            }
            guard expected == end else {
                throw corrupt("entry \(expected) is missing (\(describe(layout, chunk: expected >> chunkShift, entries: n)))")
            }
        case .counts:
            var current = chunks.lowerBound
            try txn.forEach(in: db, from: KeyBuilder().appending(UInt32(truncatingIfNeeded: chunks.lowerBound << chunkShift)).bytes,
                            to: chunks.upperBound << chunkShift > Int(UInt32.max) ? nil
                                : KeyBuilder().appending(UInt32(chunks.upperBound << chunkShift)).bytes) { key, value in
                guard key.count == 4 else { throw corrupt("a key of \(key.count) bytes, expected 4") }
                let id = Int(UInt32(bigEndian: key.loadUnaligned(as: UInt32.self)))
                guard value.count <= maxValueBytes else { throw corrupt("token id \(id) has a value of \(value.count) bytes") }
                while id >> chunkShift > current {
                    out.append(hasher.digest)
                    hasher.reset()
                    current += 1
                }
                hasher.update(key)
                withUnsafeBytes(of: UInt32(value.count).littleEndian) { hasher.update($0) }
                hasher.update(value)
                return true
            }
            while current < chunks.upperBound {
                out.append(hasher.digest)
                hasher.reset()
                current += 1
            }
        }
        return out
    }

    /// The checksums of chunks `chunks` of the token store `tokens`: XXH3-64 over the stored bytes
    /// of the chunk's samples in id order (chunks are cut per segment, `TokenStore.samples(ofChunk:)`).
    static func computeTokens(_ tokens: TokenStore, chunks: Range<Int>) throws -> [UInt64] {
        let hasher = XXH3Hasher()
        var out: [UInt64] = []
        out.reserveCapacity(chunks.count)
        var mapped = 0
        for c in chunks {
            hasher.reset()
            for id in tokens.samples(ofChunk: c) {
                try tokens.withRawTokens(id) { raw, _ in
                    hasher.update(raw)
                    mapped += raw.count
                }
            }
            out.append(hasher.digest)
            if mapped >= releaseBytes {  // a sequential read of every token must not keep them resident
                tokens.releaseMappedPages()
                mapped = 0
            }
        }
        return out
    }

    /// Token bytes hashed between two releases of the token files' mapped pages.
    static let releaseBytes = 256 << 20

    /// A UInt64 BE key.
    private static func keyID(_ key: UnsafeRawBufferPointer, table: String, path: String) throws -> Int {
        guard key.count == 8 else { throw IndexError.corrupt("\(path): database '\(table)': a key of \(key.count) bytes, expected 8") }
        let k = UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))
        guard k <= UInt64(Int.max) else { throw IndexError.corrupt("\(path): database '\(table)': key \(k) out of range") }
        return Int(k)
    }

    /// The largest value an entry of a table with `layout` may hold in an index with `manifest`.
    static func maxValueBytes(_ layout: Layout, table: String, manifest: IndexManifest) -> Int {
        switch layout {
        case .tokens: return max(manifest.counts.maxSampleLength, 0) * manifest.tokenWidth
        case .dense: return table == GroupTable.groupsDB ? chunk * 4 * max(manifest.groupFields?.count ?? 0, 1) : chunk * 16
        case .counts: return 8
        case .meta: return Int.max
        case .keyed: return table == IndexFormat.docsDB ? 1 << 20 : 16
        }
    }

    /// Computes and stores the checksums of every table of the index in `store`, the `meta`
    /// documents being `format`, `manifest` and `state` (written in the same transaction): the
    /// last step of `IndexFinisher` before the state becomes `complete`.
    static func write(store: IndexStore, manifest: IndexManifest, metaValues: [[UInt8]], txn: LMDBWriteTransaction,
                      sumsDB: LMDBDatabase, databases: [String: LMDBDatabase], tokens: TokenStore,
                      tokenSums: [UInt64]? = nil) throws {
        try txn.clear(sumsDB)
        for (name, layout, chunks) in tables(manifest) {
            var sums: [UInt64]
            if layout == .meta {
                sums = metaValues.map { XXH3.hash64($0) }
            } else if layout == .tokens {
                // A merge passes its shards' checksums (the same chunks): no token is read.
                sums = try tokenSums ?? computeTokens(tokens, chunks: 0..<chunks)
                guard sums.count == chunks else { throw IndexError.corrupt("\(store.path): \(sums.count) token checksums for \(chunks) chunks") }
            } else {
                guard let db = databases[name] else { throw IndexError.corrupt("\(store.path): no database '\(name)' to checksum") }
                sums = try compute(name, layout: layout, db: db, chunks: 0..<chunks, entries: manifest.counts.samples,
                                   maxValueBytes: maxValueBytes(layout, table: name, manifest: manifest), txn: txn, path: store.path)
            }
            var bytes = [UInt8]()
            bytes.reserveCapacity(8 * sums.count)
            for s in sums { appendLE(s, &bytes) }
            try txn.put(key: Array(name.utf8), value: bytes, in: sumsDB)
        }
    }
}
