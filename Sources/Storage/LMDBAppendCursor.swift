// LMDBAppendCursor.swift — one write cursor that appends many records in ascending key order
// (issue 16 item 5): `put(append: true)` opens LMDB's cursor machinery afresh and goes through
// two generic byte-lending closures for every record, which pass 1 paid once per sample for its
// `docs` table. The records and the database are exactly those of the same `put` calls.

import CLMDB

/// A cursor on one database of a write transaction that appends records (`MDB_APPEND`), valid
/// only inside `LMDBWriteTransaction.withAppendCursor`'s closure.
public final class LMDBAppendCursor {
    /// The cursor it appends through (opened and closed as every closure-scoped cursor).
    private let cursor: LMDBCursor
    private let transaction: LMDBWriteTransaction

    init(transaction: LMDBWriteTransaction, database: LMDBDatabase) throws {
        cursor = try LMDBCursor(transaction: transaction, database: database)
        self.transaction = transaction
    }

    func close() { cursor.close() }

    /// Stores `value` under `key`, which must sort after every key already in the database, as
    /// `put(key:value:in:append: true)` does.
    /// - Throws: `LMDBError` (e.g. `MDB_KEYEXIST` for a key out of order, `MDB_MAP_FULL`, which the
    ///   enclosing `write` retries on a larger map).
    /// - Complexity: amortised O(1) (LMDB appends to the rightmost leaf page).
    public func append(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws {
        let handle = try cursor.live()
        var k = MDB_val(key)
        var v = MDB_val(value)
        let rc = mdb_cursor_put(handle, &k, &v, UInt32(MDB_APPEND))
        if rc != 0 { try transaction.check(rc, "mdb_cursor_put (append) in \(cursor.database)") }
    }
}

extension LMDBWriteTransaction {
    /// Runs `body` with an append cursor on `db`, closed when `body` returns. The cursor must not escape.
    public func withAppendCursor<R>(in db: LMDBDatabase, _ body: (LMDBAppendCursor) throws -> R) throws -> R {
        let cursor = try LMDBAppendCursor(transaction: self, database: db)
        defer { cursor.close() }
        return try body(cursor)
    }
}
