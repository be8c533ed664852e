// IndexReader+DifficultyIndex.swift — the LMDB index seen through Curriculum's `DifficultyIndex`
// protocol (DESIGN.md §2–4): `order/<m>` rows by rank (UInt64 BE key → sample id UInt64 BE +
// Float64 LE value, sorted by (value, id)) and `metric/<m>` values by sample id. Rank ranges are
// read with one cursor walk in one read transaction.

import Curriculum
import Foundation
import Storage

/// A complete index opened for the curriculum sampler.
public final class LMDBDifficultyIndex: DifficultyIndex {
    public let reader: IndexReader
    public let sampleCount: Int
    public let metricNames: [String]
    /// FNV-1a of the manifest JSON (sorted keys): inputs, counts, metric definitions, creation.
    public let fingerprint: UInt64
    private let orderDBs: [LMDBDatabase]
    private let metricDBs: [LMDBDatabase]

    /// Opens the index at `path` (it must be complete and hold metrics).
    public init(path: String) throws {
        let r = try IndexReader(path: path)
        let names = r.metricNames
        reader = r
        sampleCount = r.sampleCount
        metricNames = names
        orderDBs = try names.map { try r.store.database(IndexFormat.orderDB($0)) }
        metricDBs = try names.map { try r.store.database(IndexFormat.metricDB($0)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hash = FNV1a64()
        hash.add(try encoder.encode(r.manifest))
        fingerprint = hash.value
    }

    public func entry(metric: Int, rank: Int) throws -> OrderEntry {
        let found = try reader.store.env.read { txn in
            try txn.withValue(key: IndexFormat.idKey(rank), in: orderDBs[metric]) { try IndexFormat.decodeOrderValue($0) }
        }
        guard let found else { throw IndexError.corrupt("order/\(metricNames[metric]) has no rank \(rank)") }
        return OrderEntry(sampleID: UInt64(found.id), value: found.value)
    }

    public func forEachEntry(metric: Int, ranks: Range<Int>, _ body: (Int, OrderEntry) throws -> Void) throws {
        guard !ranks.isEmpty else { return }
        try reader.store.env.read { txn in
            try txn.withCursor(in: orderDBs[metric]) { cursor in
                var found = try cursor.seek(atLeast: IndexFormat.idKey(ranks.lowerBound))
                for rank in ranks {
                    guard found else { throw IndexError.corrupt("order/\(metricNames[metric]) ends before rank \(rank)") }
                    let e = try cursor.withCurrent { _, raw in try IndexFormat.decodeOrderValue(raw) }
                    try body(rank, OrderEntry(sampleID: UInt64(e.id), value: e.value))
                    found = try cursor.next()
                }
            }
        }
    }

    public func value(metric: Int, sampleID: UInt64) throws -> Double {
        let v = try reader.store.env.read { txn in
            try txn.withValue(key: IndexFormat.idKey(Int(sampleID)), in: metricDBs[metric]) { try IndexFormat.decodeValue($0) }
        }
        guard let v else { throw IndexError.corrupt("metric/\(metricNames[metric]) has no sample \(sampleID)") }
        return v
    }
}
