// ChunkVerifier.swift — checksum verification on read (issue 14 item 14): before a reader uses an
// entry of a checksummed table it makes sure the entry's whole chunk (8 192 samples, ranks or
// token ids) matches its stored XXH3-64, once per chunk: a bit per chunk remembers what was
// verified (⌈N/8192⌉ bits per table, so the memory is bounded by the index, not by the reads).
// A sequential read hashes every byte once more; a random one pays for a chunk on its first touch.
// Indexes of format 1 carry no checksums and are read unverified.

import Foundation
import Storage
import Synchronization

/// Verifies chunks of one open index against its `checksums` database. Thread-safe.
final class ChunkVerifier: Sendable {
    private let path: String
    private let manifest: IndexManifest
    private let sumsDB: LMDBDatabase?
    private let layouts: [String: (layout: IndexChecksums.Layout, chunks: Int)]
    private let state = Mutex<[String: Table]>([:])

    /// One table's stored checksums and which chunks were verified.
    private struct Table {
        var stored: [UInt64]
        var verified: [Bool]
    }

    /// Whether reads are verified (format ≥ 2).
    var enabled: Bool { sumsDB != nil }

    /// For the index in `store` (format version `version`), whose manifest is `manifest`.
    /// - Throws: `IndexError.corrupt` when a format-2 index has no `checksums` database.
    init(store: IndexStore, manifest: IndexManifest, version: Int) throws {
        path = store.path
        self.manifest = manifest
        layouts = Dictionary(uniqueKeysWithValues: IndexChecksums.tables(manifest).map { ($0.name, ($0.layout, $0.chunks)) })
        if version >= IndexFormat.checksummedVersion {
            do { sumsDB = try store.env.database(IndexFormat.checksumsDB) } catch {
                throw IndexError.corrupt("\(store.path): no '\(IndexFormat.checksumsDB)' database in a format-\(version) index "
                    + "(restore or rebuild it)")
            }
        } else {
            sumsDB = nil
        }
    }

    /// Checks that chunk `entry >> 13` of `table` (opened as `db`) matches its checksum, unless
    /// already verified, reading through `txn`. For `meta`, `entry` is the document's position
    /// in `IndexChecksums.metaKeys`.
    /// - Throws: `IndexError.corrupt` naming the index, the database and the chunk's range.
    func check(_ table: String, db: LMDBDatabase, entry: Int, txn: LMDBReadTransaction) throws {
        guard sumsDB != nil else { return }
        let c = layouts[table]?.layout == .meta || layouts[table]?.layout == .dense ? entry : entry >> IndexChecksums.chunkShift
        try check(table, db: db, chunks: c..<(c + 1), txn: txn)
    }

    /// Checks every chunk of `table`.
    func checkAll(_ table: String, db: LMDBDatabase, txn: LMDBReadTransaction) throws {
        guard sumsDB != nil, let chunks = layouts[table]?.chunks else { return }
        try check(table, db: db, chunks: 0..<chunks, txn: txn)
    }

    /// Checks the chunks `chunks` of `table` that are not yet verified (a contiguous run is read
    /// with one cursor walk).
    func check(_ table: String, db: LMDBDatabase, chunks: Range<Int>, txn: LMDBReadTransaction) throws {
        guard let sumsDB, let (layout, count) = layouts[table] else { return }
        guard chunks.lowerBound >= 0, chunks.upperBound <= count else {
            throw IndexError.corrupt("\(path): database '\(table)' has no chunk \(chunks.upperBound - 1) (it has \(count))")
        }
        var entry = state.withLock { $0[table] }
        if entry == nil {
            guard let stored = try IndexChecksums.stored(table, db: sumsDB, txn: txn) else {
                throw IndexError.corrupt("\(path): no checksums for database '\(table)' (restore or rebuild the index)")
            }
            guard stored.count == count else {
                throw IndexError.corrupt("\(path): database '\(table)' has \(stored.count) checksums, expected \(count) chunks")
            }
            entry = Table(stored: stored, verified: [Bool](repeating: false, count: count))
        }
        guard var table_ = entry else { return }
        let todo = chunks.filter { !table_.verified[$0] }
        guard let first = todo.first, let last = todo.last else { return }
        let n = manifest.counts.samples
        let computed = try IndexChecksums.compute(table, layout: layout, db: db, chunks: first..<(last + 1), entries: n,
                                                  maxValueBytes: IndexChecksums.maxValueBytes(layout, table: table, manifest: manifest),
                                                  txn: txn, path: path)
        for (i, sum) in computed.enumerated() {
            let c = first + i
            guard sum == table_.stored[c] else {
                throw IndexError.corrupt("\(path): database '\(table)' \(IndexChecksums.describe(layout, chunk: c, entries: n)) "
                    + "does not match its checksum (stored \(hex(table_.stored[c])), computed \(hex(sum))): the index is damaged; "
                    + "restore it or rebuild it, and run `gradus verify \(path)` for the full list")
            }
            table_.verified[c] = true
        }
        let done = table_
        state.withLock { $0[table] = done }
    }

    /// Checks that the token chunk holding sample `entry` matches its checksum (the `samples`
    /// entry of `checksums`), unless already verified.
    func checkTokens(entry: Int, tokens: TokenStore, txn: LMDBReadTransaction) throws {
        guard let sumsDB else { return }
        let table = IndexFormat.samplesDB
        let c = tokens.chunk(of: entry)
        guard let count = layouts[table]?.chunks, c >= 0, c < count else {
            throw IndexError.corrupt("\(path): the token store has no chunk \(c)")
        }
        var entry_ = state.withLock { $0[table] }
        if entry_ == nil {
            guard let stored = try IndexChecksums.stored(table, db: sumsDB, txn: txn), stored.count == count else {
                throw IndexError.corrupt("\(path): no checksums for the token store (restore or rebuild the index)")
            }
            entry_ = Table(stored: stored, verified: [Bool](repeating: false, count: count))
        }
        guard var t = entry_, !t.verified[c] else { return }
        let sum = try IndexChecksums.computeTokens(tokens, chunks: c..<(c + 1))[0]
        guard sum == t.stored[c] else {
            let ids = tokens.samples(ofChunk: c)
            throw IndexError.corrupt("\(path): database '\(table)' chunk \(c) (entries \(ids.lowerBound)..<\(ids.upperBound)) "
                + "does not match its checksum (stored \(hex(t.stored[c])), computed \(hex(sum))): a token file (\(tokens.info.files.map(\.prefix).joined(separator: ", "))) "
                + "is damaged or was changed; restore it or rebuild the index, and run `gradus verify \(path)` for the full list")
        }
        t.verified[c] = true
        let done = t
        state.withLock { $0[table] = done }
    }

    /// Checks every token chunk that holds a sample of `ids`.
    func checkTokens(ids: Range<Int>, tokens: TokenStore, txn: LMDBReadTransaction) throws {
        guard !ids.isEmpty else { return }
        var id = ids.lowerBound
        while id < ids.upperBound {
            try checkTokens(entry: id, tokens: tokens, txn: txn)
            id = tokens.samples(ofChunk: tokens.chunk(of: id)).upperBound
        }
    }

    private func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
}
