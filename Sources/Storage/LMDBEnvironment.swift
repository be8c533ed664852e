// LMDBEnvironment.swift — the safe owner of an LMDB environment (`MDB_env`): opening with an
// explicit map size, named databases, closure-scoped read and write transactions, and automatic
// map growth on MDB_MAP_FULL (issue 2, DESIGN.md §2–3, STYLE.md §5).
//
// Map growth: LMDB's map size is fixed while transactions run, and `mdb_env_set_mapsize` may only
// be called when no transaction of this process is active. Every transaction therefore holds a
// shared lock on `resizeLock`; growth takes it exclusively between two attempts of a write closure.

import CLMDB
import Dispatch
import CLMDBGuard
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A named (or the unnamed main) database of an environment. A plain value: valid for the
/// lifetime of the environment that opened it, usable in any of its transactions.
public struct LMDBDatabase: Sendable, Hashable, CustomStringConvertible {
    /// The name given to `LMDBEnvironment.database(_:create:)`; `nil` for the main database.
    public let name: String?
    let handle: UInt32
    let environment: ObjectIdentifier

    public var description: String { name.map { "database '\($0)'" } ?? "main database" }
}

/// An LMDB environment: one directory holding `data.mdb` and `lock.mdb` (no `lock.mdb` is
/// created when opened with `noLock`).
///
/// Thread-safe: transactions may run on several threads at once (one writer at a time, as LMDB
/// enforces). Transactions are closure-scoped; open databases before starting transactions.
public final class LMDBEnvironment: @unchecked Sendable {
    /// Default growth limit for the map: 1 TiB (virtual address space, not disk).
    public static let defaultMaxMapSize = 1 << 40

    /// The environment directory.
    public let path: String
    /// Whether the environment was opened read-only.
    public let readOnly: Bool
    /// Whether the environment was opened without LMDB's lock file (`MDB_NOLOCK`, read-only only).
    public let noLock: Bool
    /// The map size beyond which `write` stops growing the map and throws `LMDBError.mapFull`.
    public let maxMapSize: Int
    /// The `maxDatabases` the environment was opened with.
    public let maxDatabases: Int

    let env: OpaquePointer
    /// Shared by every live transaction (and active `LMDBReadSnapshot`); exclusive for map growth.
    let resizeLock: ResizeLock
    private let state = Mutex(State())
    /// Serialises `mdb_dbi_open`, which LMDB forbids in concurrent transactions.
    private let openLock = Mutex(())

    private struct State {
        var databases: [String?: UInt32] = [:]
        var writer: pthread_t?
    }

    /// Opens (and by default creates) the environment at directory `path`.
    ///
    /// - Parameters:
    ///   - mapSize: initial map size in bytes (a multiple of the OS page size). LMDB reserves this
    ///     much address space; disk is used only for data written. An existing environment keeps
    ///     at least its current data size.
    ///   - maxMapSize: growth limit for `write` on `MDB_MAP_FULL`. A value `<= mapSize` disables
    ///     growth, so a full map throws `LMDBError.mapFull`.
    ///   - maxDatabases: maximum number of named databases.
    ///   - readOnly: open with `MDB_RDONLY`; writes throw `LMDBError.readOnly`.
    ///   - createDirectory: create `path` (mode 0755) if missing; ignored when `readOnly`.
    ///   - noSync: `MDB_NOSYNC` — don't fsync on commit (fast bulk loads; call `sync()` at the
    ///     end). A crash may lose recent transactions but does not corrupt the database.
    ///   - noLock: with `readOnly`, also `MDB_NOLOCK`: `lock.mdb` is neither created nor opened,
    ///     so the environment can be read from a read-only directory or a shared copy. The caller
    ///     promises that no process writes the environment while it is open (LMDB's reader table
    ///     is not used, so a writer could reuse pages a reader still sees). Requires `readOnly`.
    /// - Throws: `LMDBError` (e.g. `.invalid` for a non-LMDB file, `.noSuchFile`, `.permissionDenied`).
    public init(
        path: String, mapSize: Int, maxMapSize: Int = LMDBEnvironment.defaultMaxMapSize,
        maxDatabases: Int = 32, readOnly: Bool = false, createDirectory: Bool = true, noSync: Bool = false,
        noLock: Bool = false
    ) throws {
        precondition(mapSize > 0, "LMDBEnvironment: mapSize must be positive")
        precondition(maxDatabases >= 0, "LMDBEnvironment: maxDatabases must be non-negative")
        precondition(!noLock || readOnly, "LMDBEnvironment: noLock requires readOnly")
        if createDirectory && !readOnly { try Self.makeDirectory(path) }
        var flags = UInt32(MDB_NOTLS)
        if readOnly { flags |= UInt32(MDB_RDONLY) }
        if noLock { flags |= UInt32(MDB_NOLOCK) }
        if noSync { flags |= UInt32(MDB_NOSYNC) }
        try Self.checkFilesBeforeOpen(path: path, readOnly: readOnly)
        gradus_lmdb_install_fault_guard()  // reads of damaged pages fail with MDB_CORRUPTED (shim.h)
        let handle: OpaquePointer
        do {
            handle = try Self.openHandle(path: path, mapSize: mapSize, maxDatabases: maxDatabases, flags: flags)
        } catch { throw Self.truncationError(path: path) ?? error }
        do { try Self.checkNotTruncated(handle, path: path) } catch {
            mdb_env_close(handle)
            throw error
        }
        guard let lock = ResizeLock() else {
            mdb_env_close(handle)
            throw LMDBError.other(code: ENOMEM, message: "pthread_rwlock_init failed", context: path)
        }
        self.env = handle
        self.resizeLock = lock
        self.path = path
        self.readOnly = readOnly
        self.noLock = noLock
        self.maxDatabases = maxDatabases
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        let page = Self.pageSize(handle)
        self.maxMapSize = max(info.me_mapsize, maxMapSize / page * page)
        guardMapTail()
    }

    deinit {
        mdb_env_close(env)
    }

    /// Creates `path` if needed; throws if it exists and is not a directory.
    private static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw LMDBError(code: errno, path: path, operation: "mkdir")
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw LMDBError(code: errno, path: path, operation: "stat") }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw LMDBError.notADirectory(path: path) }
    }

    /// Creates, configures and opens an `MDB_env`, closing it before throwing.
    private static func openHandle(path: String, mapSize: Int, maxDatabases: Int, flags: UInt32) throws -> OpaquePointer {
        var created: OpaquePointer?
        var rc = mdb_env_create(&created)
        guard rc == 0, let handle = created else {
            throw LMDBError(code: rc, path: path, operation: "mdb_env_create")
        }
        rc = mdb_env_set_mapsize(handle, mapSize)
        if rc == 0 { rc = mdb_env_set_maxdbs(handle, MDB_dbi(maxDatabases)) }
        if rc == 0 { rc = mdb_env_open(handle, path, flags, 0o644) }
        if rc != 0 {
            mdb_env_close(handle)
            throw LMDBError(code: rc, path: path, operation: "opening the environment", maxDatabases: maxDatabases)
        }
        return handle
    }

    static func pageSize(_ handle: OpaquePointer) -> Int {
        var stat = MDB_stat()
        mdb_env_stat(handle, &stat)
        return Int(stat.ms_psize)
    }

    // MARK: Properties

    /// The current map size in bytes (grows as `write` needs it).
    public var mapSize: Int {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return info.me_mapsize
    }

    /// Drops the pages of the memory map from this process's resident set (`MADV_DONTNEED`):
    /// they stay in the page cache, and any later read faults them back in. A long scan over an
    /// environment larger than memory calls this between chunks so that its RSS stays flat.
    /// (liblmdb does not expose the map's address — `me_mapaddr` is only set with `MDB_FIXEDMAP` —
    /// so on Linux the mappings of `data.mdb` are found in /proc/self/maps; elsewhere a no-op.)
    public func releaseMappedPages() {
        releaseMappedPages(within: 0..<UInt.max)
    }

    /// Like `releaseMappedPages()`, for the pages of the map that overlap `addresses` only (e.g.
    /// the span of the values a scan has just read): much cheaper than the whole map when the
    /// map is large. Addresses outside the map are never touched.
    public func releaseMappedPages(within addresses: Range<UInt>) {
        #if os(Linux)
        resizeLock.lockShared()
        defer { resizeLock.unlock() }
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        for mapping in mappings() {
            let start = max(mapping.lowerBound, addresses.lowerBound / page * page)
            let end = min(mapping.upperBound, addresses.upperBound)
            guard end > start, let address = UnsafeMutableRawPointer(bitPattern: start) else { continue }
            _ = madvise(address, Int(end - start), MADV_DONTNEED)
        }
        #endif
    }

    /// The address ranges where `data.mdb` is mapped in this process, from /proc/self/maps.
    func mappings() -> [Range<UInt>] {
        guard let resolved = realpath(path + "/data.mdb", nil) else { return [] }
        let file = String(cString: resolved)
        free(resolved)
        guard let bytes = try? PosixFile(path: "/proc/self/maps", mode: .read).readAll() else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard line.hasSuffix(" " + file) else { return nil }
            let range = line.prefix { $0 != " " }.split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16),
                  end > start else { return nil }
            return start..<end
        }
    }

    /// The database page size in bytes.
    public var pageSize: Int { Self.pageSize(env) }

    /// The longest key LMDB accepts, in bytes (511 for the default build).
    public var maxKeySize: Int { Int(mdb_env_get_maxkeysize(env)) }

    /// Starts an `fdatasync` of the data file on a background thread and returns at once: a bulk
    /// load that ends in `sync()` calls it before its last CPU-bound stage, so the disk writes the
    /// pages already committed while that stage computes, and the final `sync()` has less left to
    /// wait for. Call `wait()` on the result before closing the environment. A head start only:
    /// pages committed later are durable only after `sync()`.
    public func startBackgroundSync() -> BackgroundSync {
        let group = DispatchGroup()
        var fd: Int32 = -1
        if mdb_env_get_fd(env, &fd) == 0, fd >= 0 {
            let file = fd
            DispatchQueue.global().async(group: group) { _ = fdatasync(file) }
        }
        return BackgroundSync(group: group)
    }

    /// Flushes data to disk; needed after writes to an environment opened with `noSync`.
    /// - Complexity: one `fsync` of the data file.
    public func sync() throws {
        let rc = mdb_env_sync(env, 1)
        if rc != 0 { throw error(rc, "mdb_env_sync") }
    }

    func error(_ code: Int32, _ operation: String) -> LMDBError {
        LMDBError(code: code, path: path, operation: operation, mapSize: mapSize, maxMapSize: maxMapSize,
                  maxDatabases: maxDatabases)
    }

    // MARK: Databases

    /// Opens the named database `name` (`nil`: the main database), creating it if `create`.
    ///
    /// Handles are cached: opening a name twice returns the same handle. Call this before
    /// starting transactions that use it, not inside a write closure.
    /// - Throws: `LMDBError.notFound` if it does not exist and `create` is false,
    ///   `.readOnly` when creating in a read-only environment, `.databasesFull`.
    public func database(_ name: String?, create: Bool = false) throws -> LMDBDatabase {
        if let handle = state.withLock({ $0.databases[name] }) { return wrap(name, handle) }
        if isWriterThread { throw LMDBError.nestedWrite(path: path) }
        if create && readOnly { throw LMDBError.readOnly(path: path) }
        return try openLock.withLock { _ in
            if let handle = state.withLock({ $0.databases[name] }) { return wrap(name, handle) }
            let handle: UInt32
            if create {
                handle = try write { txn in try txn.openDatabase(name, flags: UInt32(MDB_CREATE)) }
            } else {
                // A handle opened in a read transaction survives only if that transaction commits.
                handle = try withRawTransaction(readOnly: true) { raw in
                    let txn = LMDBReadTransaction(environment: self, handle: raw)
                    defer { txn.abort() }
                    let handle = try txn.openDatabase(name, flags: 0)
                    try txn.commit()
                    return handle
                }
            }
            state.withLock { $0.databases[name] = handle }
            return wrap(name, handle)
        }
    }

    private func wrap(_ name: String?, _ handle: UInt32) -> LMDBDatabase {
        LMDBDatabase(name: name, handle: handle, environment: ObjectIdentifier(self))
    }

    /// Forgets a cached handle (after `drop`).
    func forgetDatabase(_ db: LMDBDatabase) {
        state.withLock { $0.databases[db.name] = nil }
    }

    // MARK: Transactions

    /// Runs `body` in a read-only snapshot transaction.
    ///
    /// The transaction and every buffer it hands out are valid only inside `body`; they must not
    /// escape (after `body` returns, the transaction throws `LMDBError.transactionClosed`).
    public func read<R>(_ body: (LMDBReadTransaction) throws -> R) throws -> R {
        try withRawTransaction(readOnly: true) { handle in
            let txn = LMDBReadTransaction(environment: self, handle: handle)
            defer { txn.abort() }
            return try body(txn)
        }
    }

    /// Runs `body` in a write transaction: committed when `body` returns, aborted when it throws.
    ///
    /// If a put or the commit fails with `MDB_MAP_FULL`, the transaction is aborted, the map is
    /// doubled (up to `maxMapSize`) and **`body` runs again from the start** — so `body` must be
    /// re-runnable: do only LMDB reads and writes in it, no other side effects. Past `maxMapSize`
    /// it throws `LMDBError.mapFull`. Batch many puts into one call: each commit syncs to disk.
    ///
    /// The transaction must not escape `body`. Do not call `write` or `database` inside `body`
    /// (throws `.nestedWrite`), nor `write` inside a `read` closure on the same thread.
    public func write<R>(_ body: (LMDBWriteTransaction) throws -> R) throws -> R {
        if readOnly { throw LMDBError.readOnly(path: path) }
        if isWriterThread { throw LMDBError.nestedWrite(path: path) }
        while true {
            let sizeBefore = mapSize
            if case .done(let result) = try attemptWrite(body) { return result }
            try grow(from: sizeBefore)
        }
    }

    private enum Attempt<R> {
        case done(R)
        case mapFull
    }

    /// One run of `body` in a fresh write transaction; `.mapFull` asks the caller to grow and retry.
    private func attemptWrite<R>(_ body: (LMDBWriteTransaction) throws -> R) throws -> Attempt<R> {
        try withRawTransaction(readOnly: false) { handle in
            let txn = LMDBWriteTransaction(environment: self, handle: handle)
            state.withLock { $0.writer = pthread_self() }
            defer {
                state.withLock { $0.writer = nil }
                txn.abort()
            }
            do {
                let result = try body(txn)
                if txn.hitMapFull { return .mapFull }
                try txn.commit()
                return .done(result)
            } catch {
                if txn.hitMapFull { return .mapFull }
                throw error
            }
        }
    }

    /// Doubles the map (capped at `maxMapSize`) unless another writer already grew it past `size`.
    private func grow(from size: Int) throws {
        let current = mapSize
        if current > size { return }
        guard current < maxMapSize else {
            throw LMDBError.mapFull(path: path, mapSize: current, maxMapSize: maxMapSize)
        }
        let doubled = current > maxMapSize / 2 ? maxMapSize : current * 2
        try setMapSize(doubled)
    }

    /// Calls `mdb_env_set_mapsize` with no transaction of this process active (`0`: adopt the
    /// size another process set).
    func setMapSize(_ size: Int) throws {
        guard resizeLock.lockExclusive(timeoutSeconds: 30) else { throw LMDBError.resizeBlocked(path: path) }
        defer { resizeLock.unlock() }
        let rc = mdb_env_set_mapsize(env, size)
        if rc != 0 { throw error(rc, "mdb_env_set_mapsize(\(size))") }
    }

    /// Begins a transaction holding the shared resize lock, runs `body` with its handle, and
    /// releases the lock. `body` must commit or abort the handle.
    private func withRawTransaction<R>(readOnly: Bool, _ body: (OpaquePointer) throws -> R) throws -> R {
        let handle = try beginTransaction(readOnly: readOnly)
        defer { resizeLock.unlock() }
        return try body(handle)
    }

    /// Begins a transaction (`MDB_RDONLY` when `readOnly`) and returns with the shared resize lock
    /// held, for the caller to release once the handle is committed or aborted. When another
    /// process grew the map, adopts its size once and retries.
    /// - Throws: `LMDBError` naming `context`.
    func beginTransaction(readOnly: Bool, context: String = "mdb_txn_begin") throws -> OpaquePointer {
        var adopted = false
        while true {
            resizeLock.lockShared()
            var created: OpaquePointer?
            let rc = mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &created)
            if rc == 0, let handle = created { return handle }
            resizeLock.unlock()
            guard rc == MDB_MAP_RESIZED, !adopted else { throw error(rc, context) }
            adopted = true
            try setMapSize(0)
        }
    }

    private var isWriterThread: Bool {
        state.withLock { s in s.writer.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }
}

/// A pthread read-write lock at a stable address: transactions share it, map growth excludes them.
final class ResizeLock: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init?() {
        guard pthread_rwlock_init(lock, nil) == 0 else {
            lock.deallocate()
            return nil
        }
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func lockShared() { pthread_rwlock_rdlock(lock) }

    func unlock() { pthread_rwlock_unlock(lock) }

    /// Takes the lock exclusively, giving up after `timeoutSeconds` (returns false).
    func lockExclusive(timeoutSeconds: Int) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        deadline.tv_sec += timeoutSeconds
        return pthread_rwlock_timedwrlock(lock, &deadline) == 0
    }
}

/// An `fdatasync` started by `LMDBEnvironment.startBackgroundSync()`.
public struct BackgroundSync {
    fileprivate let group: DispatchGroup

    /// Returns when the background `fdatasync` has finished (its result is not needed: the
    /// caller's own `sync()` reports any failure).
    public func wait() { group.wait() }
}
