// LMDBCursor.swift — closure-scoped LMDB cursors and ordered range scans (issue 2, DESIGN.md §3:
// the `order/<name>` tables are read by rank range). Keys come back in LMDB's order: memcmp of
// the bytes, then length — numeric for the big-endian keys of `KeyCoding`.

import CLMDB
import CLMDBGuard
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A position in one database of a transaction, valid only inside `withCursor`'s closure.
///
/// Positioning methods return `false` when there is no such entry (the cursor is then
/// unpositioned); `withCurrent` lends the entry at the current position.
public final class LMDBCursor {
    private let transaction: LMDBReadTransaction
    let database: LMDBDatabase
    private var handle: OpaquePointer?
    /// The entry found by the last positioning call (valid until the next write).
    private var key = MDB_val()
    private var value = MDB_val()

    init(transaction: LMDBReadTransaction, database: LMDBDatabase) throws {
        self.transaction = transaction
        self.database = database
        var created: OpaquePointer?
        try transaction.check(mdb_cursor_open(try transaction.live(), try transaction.dbi(database), &created),
                              "mdb_cursor_open on \(database)")
        handle = created
    }

    /// Closed by `withCursor` before its transaction ends; LMDB frees a write transaction's
    /// cursors itself at commit, so a cursor must never outlive its closure.
    deinit { close() }

    func close() {
        guard let handle else { return }
        self.handle = nil
        mdb_cursor_close(handle)
    }

    /// The open cursor; throws once it or its transaction is closed.
    func live() throws -> OpaquePointer {
        guard let handle, transaction.handle != nil else { throw LMDBError.transactionClosed }
        return handle
    }

    private func move(_ op: MDB_cursor_op, _ name: String) throws -> Bool {
        let rc = gradus_mdb_cursor_get(try live(), &key, &value, op)
        if rc == MDB_NOTFOUND { return false }
        try transaction.check(rc, "cursor \(name) in \(database)")
        return true
    }

    /// Moves to the first (smallest) key. - Complexity: O(log n).
    public func first() throws -> Bool { try move(MDB_FIRST, "first") }

    /// Moves to the last (largest) key. - Complexity: O(log n).
    public func last() throws -> Bool { try move(MDB_LAST, "last") }

    /// Moves to the next key. - Complexity: amortised O(1).
    public func next() throws -> Bool { try move(MDB_NEXT, "next") }

    /// Moves to the previous key. - Complexity: amortised O(1).
    public func previous() throws -> Bool { try move(MDB_PREV, "previous") }

    /// Moves to the smallest key `>= target` (`MDB_SET_RANGE`). - Complexity: O(log n).
    public func seek(atLeast target: some BorrowableBytes) throws -> Bool {
        let cursor = try live()
        let rc = target.withBorrowedBytes { raw -> Int32 in
            key = MDB_val(raw)
            return gradus_mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE)
        }
        if rc == MDB_NOTFOUND { return false }
        try transaction.check(rc, "cursor seek in \(database)")
        return true
    }

    /// Lends the current key and value to `body`; they must not escape it.
    /// - Throws: `LMDBError.notFound` if the cursor is not positioned.
    public func withCurrent<R>(
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        let rc = gradus_mdb_cursor_get(try live(), &key, &value, MDB_GET_CURRENT)
        if rc == MDB_NOTFOUND || rc == EINVAL {
            throw LMDBError.notFound(context: "\(transaction.environment.path): cursor on \(database) is not positioned")
        }
        try transaction.check(rc, "cursor current in \(database)")
        return try body(key.buffer, value.buffer)
    }

    /// Lends the entry found by the last positioning call, without asking LMDB again.
    func withLastFound<R>(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(key.buffer, value.buffer)
    }
}

extension LMDBReadTransaction {
    /// Runs `body` with a cursor on `db`, closed when `body` returns. The cursor must not escape.
    public func withCursor<R>(in db: LMDBDatabase, _ body: (LMDBCursor) throws -> R) throws -> R {
        let cursor = try LMDBCursor(transaction: self, database: db)
        defer { cursor.close() }
        return try body(cursor)
    }

    /// Calls `body` for each entry of `db` with `start <= key < end`, in key order, until it
    /// returns `false`. `nil` bounds mean "from the first" / "to the last" key.
    ///
    /// The buffers point into the memory map and must not escape `body`. Do not write to `db`
    /// from `body`.
    /// - Complexity: O(log n + k) for k entries visited.
    public func forEach(
        in db: LMDBDatabase, from start: [UInt8]? = nil, to end: [UInt8]? = nil,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let txn = try live()
        let dbi = try dbi(db)
        try withCursor(in: db) { cursor in
            var found = try start.map { try cursor.seek(atLeast: $0) } ?? cursor.first()
            while found {
                let proceed = try cursor.withLastFound { key, value -> Bool in
                    if let end, LMDBReadTransaction.compare(txn, dbi, key, end) >= 0 { return false }
                    return try body(key, value)
                }
                guard proceed else { return }
                found = try cursor.next()
            }
        }
    }

    /// A copy of the smallest key in `db`, or `nil` if it is empty. - Complexity: O(log n).
    public func firstKey(in db: LMDBDatabase) throws -> [UInt8]? {
        try withCursor(in: db) { cursor in try cursor.first() ? cursor.withLastFound { key, _ in Array(key) } : nil }
    }

    /// A copy of the largest key in `db`, or `nil` if it is empty (e.g. to resume appending
    /// after the last sample id). - Complexity: O(log n).
    public func lastKey(in db: LMDBDatabase) throws -> [UInt8]? {
        try withCursor(in: db) { cursor in try cursor.last() ? cursor.withLastFound { key, _ in Array(key) } : nil }
    }

    /// Compares two keys with the database's own comparator (`mdb_cmp`).
    private static func compare(_ txn: OpaquePointer, _ dbi: MDB_dbi, _ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Int32 {
        b.withUnsafeBytes { rawB in
            var valA = MDB_val(a)
            var valB = MDB_val(rawB)
            return mdb_cmp(txn, dbi, &valA, &valB)
        }
    }
}
