// ExistingOutput.swift — what an `--out` directory that already has a `data.mdb` holds, so a
// plain `gradus index` rerun can replace the husk a failed or interrupted build left, and
// still refuses a complete index, a resumable one, or an LMDB file that is not a Gradus index
// (issue 15 item 6).

import Foundation
import Storage

/// The kind of index found in an existing output directory.
enum ExistingOutput: Equatable {
    /// A complete index: replaced only with `--force`.
    case complete
    /// A `building` index with committed progress (a resume cursor past the start), or one
    /// without resume cursor (a `gradus merge` output): continued with `--resume` or replaced
    /// with `--force`.
    case unfinished
    /// Nothing to keep: an empty `data.mdb`, an environment whose databases are all empty and
    /// carry no format tag, or a `building` index without committed progress. A plain rerun
    /// replaces it.
    case husk
    /// An LMDB environment that was never a Gradus index (`reason` says why it is kept).
    case foreign(reason: String)

    /// The files an index directory holds by itself; anything else belongs to someone else.
    static let indexFiles: Set<String> = Set(["data.mdb", "lock.mdb", IndexLock.fileName]).union(TokenStoreInfo.ownFileNames)

    /// Classifies the index directory `path`, which holds a `data.mdb`.
    /// - Throws: `IndexError.notAnIndex`/`.corrupt` when the file cannot be opened as LMDB or a
    ///   Gradus index's meta does not decode (left alone, as before).
    static func classify(_ path: String) throws -> ExistingOutput {
        let others = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !indexFiles.contains($0) }.sorted()
        let size = (try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb"))?[.size] as? Int
        if size == 0 {  // killed before LMDB wrote its first page
            return others.isEmpty ? .husk : .foreign(reason: "an empty data.mdb next to other files (\(others.joined(separator: ", ")))")
        }
        let (tagged, empty, cursor) = try look(path)
        guard tagged else {
            if !others.isEmpty {
                return .foreign(reason: "its data.mdb has no Gradus format tag and the directory holds other files (\(others.joined(separator: ", ")))")
            }
            return empty ? .husk : .foreign(reason: "its data.mdb has no Gradus format tag and holds data")
        }
        if try IndexStore.existingState(path) == .complete { return .complete }
        // `gradus index` writes its cursor with the format tag; only merges have none.
        guard let cursor else { return .unfinished }
        let started = cursor.phase != "pass1" || cursor.input > 0 || cursor.recordsConsumed > 0 || cursor.nextSample > 0
        return started ? .unfinished : .husk
    }

    /// Opens `path` read-only (closed again on return, before `IndexStore.existingState` opens
    /// it) and reports whether meta has a format tag, whether every database is empty, and the
    /// resume cursor.
    private static func look(_ path: String) throws -> (tagged: Bool, empty: Bool, cursor: ResumeCursor?) {
        let env: LMDBEnvironment
        do {
            env = try LMDBEnvironment(path: path, mapSize: IndexStore.initialMapSize, maxDatabases: 64, readOnly: true)
        } catch let error as LMDBError {
            throw IndexError.notAnIndex(path: path, reason: error.description)
        }
        guard let meta = try? env.database(IndexFormat.metaDB),
              try env.read({ try $0.get(key: Array(IndexFormat.formatKey.utf8), in: meta) }) != nil else {
            return (false, try allDatabasesEmpty(env), nil)
        }
        let cursor = try env.read { txn in try IndexStore.readJSON(ResumeCursor.self, key: IndexFormat.resumeKey, txn: txn, meta: meta) }
        return (true, false, cursor)
    }

    /// Whether every named database of `env` is empty and its main database holds nothing but
    /// their names (what `IndexStore` creates before it writes the format tag).
    private static func allDatabasesEmpty(_ env: LMDBEnvironment) throws -> Bool {
        let main = try env.database(nil)
        var names: [String] = []
        try env.read { txn in
            try txn.forEach(in: main) { key, _ in names.append(String(decoding: key, as: UTF8.self)); return true }
        }
        for name in names {
            guard let db = try? env.database(name), let count = try? env.read({ try $0.count(in: db) }), count == 0 else { return false }
        }
        return true
    }
}
