// LMDBAppendCursor.swift — one write cursor that appends many records in ascending key order
// (issue 16 item 5): `put(append: true)` opens LMDB's cursor machinery afresh and goes through
// two generic byte-lending closures for every record, which pass 1 paid once per sample for its
// `docs` table. The records and the database are exactly those of the same `put` calls.

import CLMDB

/// A cursor on one database of a write transaction that appends records (`MDB_APPEND`), valid
/// only inside `LMDBWriteTransaction.withAppendCursor`'s closure.
public final class LMDBAppendCursor {
    private let transaction: LMDBWriteTransaction
    private let database: LMDBDatabase
    private var handle: OpaquePointer?

    init(transaction: LMDBWriteTransaction, database: LMDBDatabase) throws {
        self.transaction = transaction
        self.database = database
        var created: OpaquePointer?
        try transaction.check(mdb_cursor_open(try transaction.live(), try transaction.dbi(database), &created),
                              "mdb_cursor_open on \(database)")
        handle = created
    }

    /// Closed by `withAppendCursor` before its transaction ends (LMDB frees a write
    /// transaction's cursors itself at commit).
    deinit { close() }

    func close() {
        guard let handle else { return }
        self.handle = nil
        mdb_cursor_close(handle)
    }

    /// Stores `value` under `key`, which must sort after every key already in the database, as
    /// `put(key:value:in:append: true)` does.
    /// - Throws: `LMDBError` (e.g. `MDB_KEYEXIST` for a key out of order, `MDB_MAP_FULL`, which the
    ///   enclosing `write` retries on a larger map).
    /// - Complexity: amortised O(1) (LMDB appends to the rightmost leaf page).
    public func append(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws {
        guard let handle, transaction.handle != nil else { throw LMDBError.transactionClosed }
        var k = MDB_val(key)
        var v = MDB_val(value)
        let rc = mdb_cursor_put(handle, &k, &v, UInt32(MDB_APPEND))
        if rc != 0 { try transaction.check(rc, "mdb_cursor_put (append) in \(database)") }
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
