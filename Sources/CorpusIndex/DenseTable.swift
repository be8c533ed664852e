// DenseTable.swift — reads the dense chunk tables of an index (issue 16 item 5, format 4), the only
// home of metric values and orders: `values/<m>` (chunk c → Float64 LE values of samples
// c·8192 ..< min((c+1)·8192, N)) and `ranks/<m>` (chunk c → sample id UInt64 LE + Float64 LE value
// per rank). An entry is one chunk lookup and pointer arithmetic; a range is one lookup per chunk.
// Every chunk read is checked for its length, so a damaged table is an error, never a misread.

import Storage

/// Reads entries of one dense table (`values/<m>` or `ranks/<m>`) inside a read transaction.
struct DenseTable {
    /// The table's name (for messages), its database, the number of entries N and bytes per entry.
    let name: String
    let db: LMDBDatabase
    let count: Int
    let width: Int

    /// The `values/<metric>` table of an index of `count` samples.
    static func values(_ metric: String, db: LMDBDatabase, count: Int) -> DenseTable {
        DenseTable(name: IndexFormat.valuesDB(metric), db: db, count: count, width: IndexFormat.valueEntryBytes)
    }

    /// The `ranks/<metric>` table of an index of `count` samples.
    static func ranks(_ metric: String, db: LMDBDatabase, count: Int) -> DenseTable {
        DenseTable(name: IndexFormat.ranksDB(metric), db: db, count: count, width: IndexFormat.rankEntryBytes)
    }

    /// Calls `body(index, bytes)` for every entry in `range` (clamped to 0 ..< N), in order.
    /// - Throws: `IndexError.corrupt` naming the table and chunk when a chunk is missing or not
    ///   `min(8192, N − c·8192) · width` bytes long.
    func forEach(_ range: Range<Int>, txn: LMDBReadTransaction, _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        let range = range.clamped(to: 0..<count)
        guard !range.isEmpty else { return }
        var first = range.lowerBound
        while first < range.upperBound {
            let c = first >> IndexFormat.denseChunkShift
            let chunkStart = c << IndexFormat.denseChunkShift
            let end = min(range.upperBound, chunkStart + IndexFormat.denseChunk)
            let expected = min(IndexFormat.denseChunk, count - chunkStart) * width
            let found: Void? = try txn.withValue(key: IndexFormat.idKey(c), in: db) { raw in
                guard raw.count == expected else {
                    throw IndexError.corrupt("\(name) chunk \(c) has \(raw.count) bytes, expected \(expected)")
                }
                for i in first..<end {
                    try body(i, UnsafeRawBufferPointer(rebasing: raw[((i - chunkStart) * width)..<((i - chunkStart + 1) * width)]))
                }
            }
            guard found != nil else { throw IndexError.corrupt("\(name) has no chunk \(c) (entries \(chunkStart)..<\(end))") }
            first = end
        }
    }

    /// The value of `values/<m>` entry `id`; nil when `id` is outside 0 ..< N.
    func value(_ id: Int, txn: LMDBReadTransaction) throws -> Double? {
        var v: Double?
        try forEach(id..<(id &+ 1), txn: txn) { _, raw in v = try IndexFormat.decodeValue(raw) }
        return v
    }

    /// The `ranks/<m>` row at `rank`; nil when `rank` is outside 0 ..< N.
    func row(_ rank: Int, txn: LMDBReadTransaction) throws -> (id: Int, value: Double)? {
        var r: (id: Int, value: Double)?
        try forEach(rank..<(rank &+ 1), txn: txn) { _, raw in r = try Self.decodeRank(raw) }
        return r
    }

    /// Every value of `values/<m>` in sample order (N of them).
    func allValues(txn: LMDBReadTransaction) throws -> [Double] {
        var out = [Double]()
        out.reserveCapacity(count)
        try forEach(0..<count, txn: txn) { _, raw in out.append(try IndexFormat.decodeValue(raw)) }
        return out
    }

    /// Decodes one `ranks/<m>` entry: sample id UInt64 LE, then the value Float64 LE.
    static func decodeRank(_ raw: UnsafeRawBufferPointer) throws -> (id: Int, value: Double) {
        guard raw.count == IndexFormat.rankEntryBytes else { throw IndexError.corrupt("rank entry of \(raw.count) bytes, expected 16") }
        let id = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard let exact = Int(exactly: id) else { throw IndexError.corrupt("rank entry with sample id \(id)") }
        return (exact, try IndexFormat.decodeValue(raw, at: 8))
    }
}
