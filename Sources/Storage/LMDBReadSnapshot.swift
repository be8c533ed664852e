// LMDBReadSnapshot.swift — a long-lived read-only transaction (issue 4 item 2). Closure-scoped
// `LMDBEnvironment.read` begins and ends an `MDB_txn` per call, which dominates point reads on a
// hot path (the curriculum sampler reads millions of order-table rows). A snapshot owns one
// `MDB_RDONLY` transaction for its lifetime instead: reads see the database as of `open`/`renew`,
// `reset()` releases the snapshot (LMDB's `mdb_txn_reset`, so writers can reclaim pages and the
// map can grow) and `renew()` starts a fresh one on the same handle. The transaction is aborted
// in `deinit`.
//
// Safety rules are those of the closure API: buffers that point into the memory map are only lent
// to closures (`withValue`, `withTransaction`, cursors inside `withCursor`) and must not escape
// them; a snapshot must not be used from two threads at once (it is not `Sendable`). While a
// snapshot is active it holds the environment's shared resize lock, so a `write` of this process
// that needs to grow the map waits for `reset()` (or deinit) — up to 30 s, then throws
// `LMDBError.resizeBlocked`. The environment is opened with `MDB_NOTLS`, so one thread may hold
// several snapshots and closure transactions at once.

import CLMDB

/// A read-only view of an environment that stays open between calls.
public final class LMDBReadSnapshot {
    public let environment: LMDBEnvironment
    /// The transaction object lent to closures; its handle stays valid while `isActive`.
    private let transaction: LMDBReadTransaction
    /// False between `reset()` and `renew()`.
    public private(set) var isActive = true

    init(environment: LMDBEnvironment) throws {
        self.environment = environment
        let handle = try environment.beginTransaction(readOnly: true, context: "mdb_txn_begin (snapshot)")
        transaction = LMDBReadTransaction(environment: environment, handle: handle)
    }

    deinit {
        transaction.abort()
        if isActive { environment.resizeLock.unlock() }
    }

    /// Releases the snapshot's view of the data (pages may then be reused by writers, and map
    /// growth is no longer blocked). Reads throw `LMDBError.transactionClosed` until `renew()`.
    public func reset() {
        guard isActive, let handle = transaction.handle else { return }
        mdb_txn_reset(handle)
        isActive = false
        environment.resizeLock.unlock()
    }

    /// Starts a new snapshot of the current data after `reset()` (no-op when active).
    public func renew() throws {
        guard !isActive, let handle = transaction.handle else { return }
        environment.resizeLock.lockShared()
        let rc = mdb_txn_renew(handle)
        guard rc == 0 else {
            environment.resizeLock.unlock()
            throw environment.error(rc, "mdb_txn_renew")
        }
        isActive = true
    }

    /// Lends the snapshot's transaction to `body` (all read operations, cursors). It must not
    /// escape `body`.
    public func withTransaction<R>(_ body: (LMDBReadTransaction) throws -> R) throws -> R {
        guard isActive else { throw LMDBError.transactionClosed }
        return try body(transaction)
    }

    /// Lends the value stored under `key` to `body`; nil if absent. The buffer must not escape.
    /// - Complexity: O(log n) B-tree lookup, no transaction setup.
    public func withValue<R>(key: some BorrowableBytes, in db: LMDBDatabase,
                             _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        guard isActive else { throw LMDBError.transactionClosed }
        return try transaction.withValue(key: key, in: db, body)
    }

    /// The values of `db` in key order, as buffers into the memory map
    /// that stay valid until `reset()` or deinit: LMDB does not move or reuse the pages a read
    /// transaction sees while it lives. This is the one exception to the no-escape rule, for
    /// dense chunk tables read by pointer arithmetic (a value larger than a page is contiguous in
    /// the map). Do not use a buffer after `reset()`.
    /// - Complexity: O(entries) once; afterwards a read is a pointer offset.
    public func pinnedValues(in db: LMDBDatabase) throws -> [UnsafeRawBufferPointer] {
        guard isActive else { throw LMDBError.transactionClosed }
        var out: [UnsafeRawBufferPointer] = []
        try transaction.forEach(in: db) { _, value in
            out.append(value)
            return true
        }
        return out
    }

    /// Runs `body` with a cursor on `db`, closed when `body` returns; it must not escape.
    public func withCursor<R>(in db: LMDBDatabase, _ body: (LMDBCursor) throws -> R) throws -> R {
        guard isActive else { throw LMDBError.transactionClosed }
        return try transaction.withCursor(in: db, body)
    }
}

extension LMDBEnvironment {
    /// Opens a long-lived read-only snapshot (see `LMDBReadSnapshot`). Open the databases it will
    /// read first (`database(_:)`).
    public func openReadSnapshot() throws -> LMDBReadSnapshot {
        try LMDBReadSnapshot(environment: self)
    }
}
