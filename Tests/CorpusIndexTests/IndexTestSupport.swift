// IndexTestSupport.swift — helpers for the CorpusIndex tests: building from in-memory records, and
// a byte-exact dump of every table for equality checks.

import Corpus
@testable import CorpusIndex
import Foundation
import TestSupport
import Storage

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
    var names = [IndexFormat.docsDB, IndexFormat.countsDB]
    if reader.manifest.groups != nil { names.append(GroupTable.groupsDB) }
    for m in reader.metricNames {
        names += [IndexFormat.valuesDB(m), IndexFormat.ranksDB(m)]
    }
    var out: [String: [String]] = [:]
    for name in names {
        let db = try reader.store.database(name)
        var rows: [String] = []
        try reader.store.env.read { txn in
            try txn.forEach(in: db) { k, v in
                rows.append(hex(k) + ":" + hex(v))
                return true
            }
        }
        out[name] = rows
    }
    var samples: [String] = []
    for id in 0..<reader.sampleCount {
        try reader.tokens.withRawTokens(id) { raw, dtype in samples.append("\(dtype):" + hex(raw)) }
    }
    out["tokens"] = samples
    return out
}

/// Lower-case hex of `bytes`.
private func hex(_ bytes: UnsafeRawBufferPointer) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(unsafeUninitializedCapacity: 2 * bytes.count) { out in
        for (i, b) in bytes.enumerated() {
            out[2 * i] = digits[Int(b >> 4)]
            out[2 * i + 1] = digits[Int(b & 15)]
        }
        return 2 * bytes.count
    }
}
