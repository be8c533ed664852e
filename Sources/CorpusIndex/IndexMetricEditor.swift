// IndexMetricEditor.swift — `gradus metric add` and `gradus metric remove` (issue 15 item 4):
// scores after the fact on a complete index, tokens untouched. Everything one change writes (the
// `values/` and `ranks/` tables, the manifest and the checksums) goes into
// ONE LMDB write transaction with a synced commit, under the index lock: a crash at any point
// leaves the index as it was, and a finished change is on disk. The tables are those `gradus index`
// writes for a metric with the same values (docs/index-format.md).

import Foundation
import Storage
import Support

/// Adding and removing metrics of a complete index.
public enum IndexMetricEditor {
    /// What a change did: the manifest before and after (their `contentFingerprint`s differ).
    public struct Change: Sendable {
        /// The manifest the index had.
        public let before: IndexManifest
        /// The manifest the index has now (committed).
        public let after: IndexManifest
    }

    /// Adds (or, with `replace`, replaces) the metric `name` of the index at `index` with the
    /// values in `file` (see `MetricValueFile`, `MetricSampleValues`).
    /// - Parameter onPhase: called with `values` once the values are read and matched, and with
    ///   `commit` when everything is written and the transaction is about to commit (fault tests).
    /// - Throws: `IndexError.invalidArgument` for a name that is not a safe metric name, that of a
    ///   built-in metric, or already in the index without `replace`; what opening the index for
    ///   writing throws (`locked`, `notComplete`, …); `IndexError.badInput` for the values file.
    public static func add(index: String, name: String, from file: String, per: MetricGranularity, replace: Bool = false,
                           onPhase: (String) -> Void = { _ in }) throws -> Change {
        try checkName(name)
        let store = try IndexStore.openForChangingMetrics(index)
        let before = try changeable(store)
        let existing = before.metrics.firstIndex { $0.name == name }
        if existing != nil && !replace {
            throw IndexError.invalidArgument("\(index) already has a metric \(name): pass --replace to overwrite its values, "
                + "or choose another name")
        }
        if existing == nil && before.metrics.count >= maxMetrics(store) {
            throw IndexError.invalidArgument("\(index) has \(before.metrics.count) metrics, as many as an index can hold (\(tablesPerMetric) of "
                + "LMDB's \(store.env.maxDatabases) named databases each): remove one with gradus metric remove first")
        }
        let matched = try MetricSampleValues(path: file, per: per, store: store, manifest: before)
        var after = before
        let info = MetricInfo(name: name, definition: matched.definition)
        if let existing { after.metrics[existing] = info } else { after.metrics.append(info) }
        onPhase("values")
        let order = matched.values.withUnsafeBufferPointer { sampleIDsSortedByValue($0) }
        try store.env.write { txn in
            var written: [String: LMDBDatabase] = [:]
            for table in tableNames(name) {
                let db = try txn.openDatabase(named: table, create: true)
                try txn.clear(db)  // empty unless replacing
                written[table] = db
            }
            try writeTables(matched.values, order: order, name: name, databases: written, txn: txn)
            try commitManifest(after, store: store, txn: txn, added: written)
            onPhase("commit")
        }
        return Change(before: before, after: after)
    }

    /// Removes the metric `name` (not a built-in one, not the last one) from the index at `index`.
    /// - Parameter onPhase: called with `commit` before the transaction commits.
    /// - Throws: `IndexError.invalidArgument` for a built-in metric, a name the index does not have
    ///   or its only metric; what opening the index for writing throws.
    public static func remove(index: String, name: String, onPhase: (String) -> Void = { _ in }) throws -> Change {
        try checkRemovable(name)
        let store = try IndexStore.openForChangingMetrics(index)
        let before = try changeable(store)
        guard before.metrics.contains(where: { $0.name == name }) else {
            throw IndexError.invalidArgument("\(index) has no metric \(name) (it has \(before.metrics.map(\.name).joined(separator: ", ")))")
        }
        guard before.metrics.count > 1 else {
            throw IndexError.invalidArgument("\(name) is the only metric of \(index), and an index needs one: add another first")
        }
        var after = before
        after.metrics.removeAll { $0.name == name }
        try store.env.write { txn in
            let sums = try txn.openDatabase(named: IndexFormat.checksumsDB, create: false)
            for table in tableNames(name) {
                let db: LMDBDatabase
                do { db = try txn.openDatabase(named: table, create: false) } catch LMDBError.notFound {
                    throw IndexError.corrupt("\(index): the manifest lists metric \(name) but there is no database '\(table)'; "
                        + "check the index with gradus verify")
                }
                try txn.drop(db)
                try txn.delete(key: Array(table.utf8), in: sums)
            }
            try commitManifest(after, store: store, txn: txn, added: [:])
            onPhase("commit")
        }
        return Change(before: before, after: after)
    }

    /// Throws unless `name` can name an added metric: a safe path component, not a built-in
    /// metric (or one of its DeepSpeed aliases).
    /// - Throws: `IndexError.invalidArgument` saying why.
    public static func checkName(_ name: String) throws {
        guard isSafePathComponent(name) else {
            throw IndexError.invalidArgument("\(name.debugDescription) is not a metric name: use letters, digits and - _ + . only")
        }
        if isBuiltIn(name) {
            throw IndexError.invalidArgument("\(name) is a built-in metric, computed by `gradus index --metrics`; "
                + "give the added metric another name")
        }
    }

    /// Throws unless `name` can name a removable metric: a safe path component, not a built-in
    /// metric (those stay; `gradus index --metrics` without them drops them).
    /// - Throws: `IndexError.invalidArgument` saying why.
    public static func checkRemovable(_ name: String) throws {
        guard !isBuiltIn(name) else {
            throw IndexError.invalidArgument("\(name) is a built-in metric and stays: rebuild the index without it "
                + "(gradus index --metrics) to drop it")
        }
        try checkName(name)
    }

    /// Whether `name` is a metric `gradus index --metrics` computes (or a DeepSpeed alias of one).
    static func isBuiltIn(_ name: String) -> Bool {
        guard let metric = try? MetricRegistry.parse(name) else { return false }
        return !(metric is FileScoreMetric)
    }

    /// The manifest of `store`, if its metrics may be changed: a complete index, not a shard.
    private static func changeable(_ store: IndexStore) throws -> IndexManifest {
        let manifest = try store.manifest()
        guard manifest.kind != IndexKind.shard else {
            throw IndexError.invalidArgument("\(store.path) is a shard, which holds no metrics: merge the shards with gradus merge first")
        }
        guard try store.formatVersion() >= IndexFormat.checksummedVersion else {
            throw IndexError.invalidArgument("\(store.path) predates checksums (format 1): rebuild it with this gradus to change its metrics")
        }
        return manifest
    }

    /// Named databases per metric: `values/<m>` and `ranks/<m>` (format 4).
    static let tablesPerMetric = 2

    /// How many metrics an index can hold: two databases each besides `meta`, `docs`, `counts`,
    /// `checksums` and `groups`, within the environment's named databases (29 of 64).
    static func maxMetrics(_ store: IndexStore) -> Int { (store.env.maxDatabases - 5) / tablesPerMetric }

    /// The databases of metric `name`: `values/`, `ranks/`.
    private static func tableNames(_ name: String) -> [String] {
        [IndexFormat.valuesDB(name), IndexFormat.ranksDB(name)]
    }

    /// Writes the tables of a metric with `values` (sample order) and `order` (sample ids by
    /// (value, id)) into the empty `databases`, as `IndexFinisher` does.
    private static func writeTables(_ values: [Double], order: [UInt32], name: String, databases: [String: LMDBDatabase],
                                    txn: LMDBWriteTransaction) throws {
        let (dense, ranks) = (databases[IndexFormat.valuesDB(name)]!, databases[IndexFormat.ranksDB(name)]!)
        try IndexFinisher.writeDense(count: values.count, firstIndex: 0, entryBytes: 8, db: dense, txn: txn) { i, raw, offset in
            raw.storeBytes(of: IndexFormat.encodeValue(values[i]), toByteOffset: offset, as: UInt64.self)
        }
        try IndexFinisher.writeDense(count: order.count, firstIndex: 0, entryBytes: 16, db: ranks, txn: txn) { i, raw, offset in
            let id = Int(order[i])
            raw.storeBytes(of: UInt64(id).littleEndian, toByteOffset: offset, as: UInt64.self)
            raw.storeBytes(of: IndexFormat.encodeValue(values[id]), toByteOffset: offset + 8, as: UInt64.self)
        }
    }

    /// Stores `manifest`, the checksums of the `added` tables (computed from what `txn` wrote) and
    /// of the `meta` documents.
    private static func commitManifest(_ manifest: IndexManifest, store: IndexStore, txn: LMDBWriteTransaction,
                                       added: [String: LMDBDatabase]) throws {
        let manifestBytes = try IndexStore.encodeJSON(manifest)
        try txn.put(key: Array(IndexFormat.manifestKey.utf8), value: manifestBytes, in: store.meta)
        let sums = try txn.openDatabase(named: IndexFormat.checksumsDB, create: false)
        func put(_ table: String, _ checksums: [UInt64]) throws {
            var bytes = [UInt8]()
            for c in checksums { appendLE(c, &bytes) }
            try txn.put(key: Array(table.utf8), value: bytes, in: sums)
        }
        for (table, layout, chunks) in IndexChecksums.tables(manifest) {
            if layout == .meta {
                let documents = try IndexChecksums.metaKeys.map { key in
                    key == IndexFormat.manifestKey ? manifestBytes : try txn.get(key: Array(key.utf8), in: store.meta) ?? []
                }
                try put(table, documents.map { XXH3.hash64($0) })
            } else if let db = added[table] {
                try put(table, try IndexChecksums.compute(
                    table, layout: layout, db: db, chunks: 0..<chunks, entries: manifest.counts.samples,
                    maxValueBytes: IndexChecksums.maxValueBytes(layout, table: table, manifest: manifest), txn: txn, path: store.path))
            }
        }
    }
}
