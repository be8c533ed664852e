// LMDBTransaction.swift — closure-scoped LMDB transactions (issue 2, STYLE.md §5). Each object
// owns one `MDB_txn` for the duration of an `LMDBEnvironment.read`/`write` closure; afterwards it
// is invalidated and every call throws `LMDBError.transactionClosed`. Buffers pointing into LMDB's
// memory map are only lent to closures (`withValue`, `forEach`), never returned.

import CLMDB
import CLMDBGuard

extension MDB_val {
    /// An `MDB_val` viewing `bytes` (LMDB never writes through key/value inputs).
    init(_ bytes: UnsafeRawBufferPointer) {
        self.init(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
    }

    /// The bytes this value points at.
    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: mv_data, count: mv_size) }
}

/// A read-only snapshot of the environment, valid only inside `LMDBEnvironment.read` (or, as the
/// superclass of `LMDBWriteTransaction`, inside `write`). Must not escape its closure or be used
/// from another thread.
public class LMDBReadTransaction {
    let environment: LMDBEnvironment
    var handle: OpaquePointer?
    /// Set when LMDB reported `MDB_MAP_FULL`: the write closure is then retried on a larger map.
    var hitMapFull = false

    init(environment: LMDBEnvironment, handle: OpaquePointer) {
        self.environment = environment
        self.handle = handle
    }

    deinit { abort() }

    // MARK: Internals shared with the write transaction and cursors

    func live() throws -> OpaquePointer {
        guard let handle else { throw LMDBError.transactionClosed }
        return handle
    }

    func dbi(_ db: LMDBDatabase) throws -> MDB_dbi {
        guard db.environment == ObjectIdentifier(environment) else {
            throw LMDBError.wrongEnvironment(database: db.description)
        }
        return db.handle
    }

    /// Throws the `LMDBError` for a non-zero `rc`, remembering `MDB_MAP_FULL` for the retry.
    func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws {
        guard rc != 0 else { return }
        if rc == MDB_MAP_FULL { hitMapFull = true }
        throw environment.error(rc, operation())
    }

    func abort() {
        guard let handle else { return }
        self.handle = nil
        mdb_txn_abort(handle)
    }

    func commit() throws {
        let handle = try live()
        self.handle = nil  // mdb_txn_commit frees the transaction even when it fails
        try check(mdb_txn_commit(handle), "mdb_txn_commit")
    }

    func openDatabase(_ name: String?, flags: UInt32) throws -> MDB_dbi {
        let txn = try live()
        var dbi: MDB_dbi = 0
        let rc = gradus_mdb_dbi_open(txn, name, flags, &dbi)
        try check(rc, "opening \(name.map { "database '\($0)'" } ?? "the main database")")
        return dbi
    }

    // MARK: Reading

    /// Lends the value stored under `key` to `body`; returns `nil` if the key is absent.
    ///
    /// The buffer points into the memory map: it must not escape `body`, and in a write
    /// transaction it is invalidated by the next put or delete.
    /// - Complexity: O(log n) B-tree lookup, no copy.
    public func withValue<R>(
        key: some BorrowableBytes, in db: LMDBDatabase, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        let txn = try live()
        let dbi = try dbi(db)
        var value = MDB_val()
        let rc = key.withBorrowedBytes { raw -> Int32 in
            var k = MDB_val(raw)
            return gradus_mdb_get(txn, dbi, &k, &value)
        }
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_get in \(db)")
        return try body(value.buffer)
    }

    /// A copy of the value stored under `key`, or `nil` if absent.
    /// - Complexity: O(log n) lookup plus a copy of the value.
    public func get(key: some BorrowableBytes, in db: LMDBDatabase) throws -> [UInt8]? {
        try withValue(key: key, in: db) { Array($0) }
    }

    /// The number of entries in `db` (`mdb_stat`).
    /// - Complexity: O(1).
    public func count(in db: LMDBDatabase) throws -> Int {
        let txn = try live()
        var stat = MDB_stat()
        try check(mdb_stat(txn, try dbi(db), &stat), "mdb_stat of \(db)")
        return stat.ms_entries
    }
}

/// A write transaction, valid only inside `LMDBEnvironment.write`; committed when the closure
/// returns, aborted when it throws. Also offers every read operation (it sees its own writes).
public final class LMDBWriteTransaction: LMDBReadTransaction {
    /// Stores `value` under `key`, replacing any existing value.
    ///
    /// - Parameter append: use `MDB_APPEND` — much faster for sorted bulk loads, but `key` must be
    ///   greater than every key already in `db` (else `LMDBError.keyExists`).
    /// - Throws: `.badValueSize` for an empty or too long key (see `maxKeySize`), `.mapFull` (the
    ///   enclosing `write` grows the map and retries before letting this escape).
    /// - Complexity: O(log n); O(1) amortised with `append`.
    public func put(key: some BorrowableBytes, value: some BorrowableBytes, in db: LMDBDatabase,
                    append: Bool = false) throws {
        let txn = try live()
        let dbi = try dbi(db)
        let flags = append ? UInt32(MDB_APPEND) : 0
        let rc = key.withBorrowedBytes { rawKey in
            value.withBorrowedBytes { rawValue -> Int32 in
                var k = MDB_val(rawKey)
                var v = MDB_val(rawValue)
                return mdb_put(txn, dbi, &k, &v, flags)
            }
        }
        try check(rc, append ? "mdb_put (append) in \(db)" : "mdb_put in \(db)")
    }

    /// Stores a value of `count` bytes under `key`, written in place by `fill` (`MDB_RESERVE`:
    /// no intermediate buffer). `fill` must write all `count` bytes and must not keep the pointer.
    ///
    /// - Parameter append: as in `put`.
    /// - Throws: as `put`.
    /// - Complexity: as `put`, plus `fill`.
    public func putReserved(key: some BorrowableBytes, count: Int, in db: LMDBDatabase, append: Bool = false,
                            fill: (UnsafeMutableRawBufferPointer) -> Void) throws {
        let txn = try live()
        let dbi = try dbi(db)
        let flags = UInt32(MDB_RESERVE) | (append ? UInt32(MDB_APPEND) : 0)
        var v = MDB_val(mv_size: count, mv_data: nil)
        let rc = key.withBorrowedBytes { rawKey -> Int32 in
            var k = MDB_val(rawKey)
            return mdb_put(txn, dbi, &k, &v, flags)
        }
        try check(rc, append ? "mdb_put (reserve, append) in \(db)" : "mdb_put (reserve) in \(db)")
        fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
    }

    /// Deletes `key`; returns whether it was present.
    /// - Complexity: O(log n).
    @discardableResult
    public func delete(key: some BorrowableBytes, in db: LMDBDatabase) throws -> Bool {
        let txn = try live()
        let dbi = try dbi(db)
        let rc = key.withBorrowedBytes { raw -> Int32 in
            var k = MDB_val(raw)
            return mdb_del(txn, dbi, &k, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        try check(rc, "mdb_del in \(db)")
        return true
    }

    /// Removes every entry of `db`, keeping the database and its handle.
    /// - Complexity: O(pages of `db`).
    public func clear(_ db: LMDBDatabase) throws {
        try check(mdb_drop(try live(), try dbi(db), 0), "clearing \(db)")
    }

    /// Opens the named database `name` inside this transaction (creating it when `create`), so
    /// that a new database appears atomically with what this transaction writes into it. LMDB
    /// keeps the handle if the transaction commits and closes it if it aborts (a map-full retry of
    /// the enclosing `write` opens it again).
    /// - Throws: `LMDBError.notFound` when it does not exist and `create` is false.
    public func openDatabase(named name: String, create: Bool) throws -> LMDBDatabase {
        let handle = try openDatabase(name, flags: create ? UInt32(MDB_CREATE) : 0)
        return LMDBDatabase(name: name, handle: handle, environment: ObjectIdentifier(environment))
    }

    /// Deletes the named database `db` itself. LMDB closes the handle at once, even if this
    /// transaction later aborts: do not use `db` again (reopen by name), and do the drop in a
    /// write closure of its own, since a map-full retry would re-run it with the closed handle.
    /// - Complexity: O(pages of `db`).
    public func drop(_ db: LMDBDatabase) throws {
        precondition(db.name != nil, "LMDBWriteTransaction.drop: the main database cannot be dropped; use clear")
        let rc = mdb_drop(try live(), try dbi(db), 1)
        environment.forgetDatabase(db)
        try check(rc, "dropping \(db)")
    }
}
