// IndexTestSupport.swift — helpers for the CorpusIndex tests: temporary directories, building
// from in-memory records, and a byte-exact dump of every table for equality checks.

import Corpus
@testable import CorpusIndex
import Foundation
import Storage

/// A fresh directory removed at deinit.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "gradus-index-test-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Builds an index from in-memory inputs (each input a list of texts or of token arrays).
@discardableResult
func buildIndex(_ options: IndexBuildOptions, texts: [[String]] = [], tokens: [[[TokenID]]] = [],
                onCommit: (Int) throws -> Void = { _ in }) throws -> IndexManifest {
    try IndexBuilder.build(options, openSource: { _, i in
        texts.isEmpty ? ArrayRecordSource(tokens: tokens[i]) : ArrayRecordSource(texts: texts[i])
    }, onCommit: onCommit)
}

/// Every entry of every data table (all but `meta`), as hex, keyed by table name.
func tableDump(_ path: String) throws -> [String: [String]] {
    let reader = try IndexReader(path: path)
    var names = [IndexFormat.samplesDB, IndexFormat.docsDB, IndexFormat.countsDB]
    for m in reader.metricNames { names += [IndexFormat.metricDB(m), IndexFormat.orderDB(m)] }
    var out: [String: [String]] = [:]
    for name in names {
        let db = try reader.store.database(name)
        var rows: [String] = []
        try reader.store.env.read { txn in
            try txn.forEach(in: db) { k, v in
                rows.append(k.map { String(format: "%02x", $0) }.joined() + ":" + v.map { String(format: "%02x", $0) }.joined())
                return true
            }
        }
        out[name] = rows
    }
    return out
}
