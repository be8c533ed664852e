// IndexStore.swift — opening an index directory: for writing (lock, refusal of a complete or
// unfinished index unless --force/--resume, fresh databases) and for reading (format and state
// checks). The only place that decides whether a directory may be touched (issue 3 items 4, 6).

import Foundation
import Storage
import Support
import Synchronization

/// How a command opens the indexes it reads: the CLI builds it (`--no-lock`) and passes it to
/// every reader (`IndexStore.openForReading`, `IndexReader`, `LMDBDifficultyIndex`).
public struct IndexReadOptions: Sendable, Equatable {
    /// `MDB_RDONLY | MDB_NOLOCK`: no `lock.mdb` is created or touched (a read-only directory or a
    /// shared copy). The caller promises that no process writes the index meanwhile; nothing
    /// checks it (`gradus index` takes its own flock, not LMDB's reader table).
    public var noLock: Bool
    /// Fault tests only: warn as if the index were on this network filesystem.
    public var fakeFilesystem: String?
    /// The default opens with LMDB's lock file, no fault.
    public init(noLock: Bool = false, fakeFilesystem: String? = nil) { (self.noLock, self.fakeFilesystem) = (noLock, fakeFilesystem) }
}

/// An open index environment with its databases.
public final class IndexStore {
    public let path: String
    public let env: LMDBEnvironment
    public let meta: LMDBDatabase
    /// Held for the lifetime of a writable store; nil when reading.
    private let lock: IndexLock?

    /// Initial LMDB map (address space only; grows on demand).
    static let initialMapSize = 1 << 36

    private init(path: String, env: LMDBEnvironment, lock: IndexLock?) throws {
        self.path = path; self.env = env; self.lock = lock
        meta = try env.database(IndexFormat.metaDB, create: !env.readOnly)
    }

    /// How `openForWriting` treats an existing index.
    public enum WriteMode: Sendable { case create, force, resume }

    /// Opens `path` for building: takes the directory lock, then
    /// - `create`: refuses a complete index, an unfinished one (committed progress, or a merge's
    ///   output) and an LMDB
    ///   file that is not a Gradus index; replaces what a failed build left with nothing to
    ///   keep (no format tag and no data, or `building` without committed progress; see
    ///   `ExistingOutput`);
    /// - `force`: deletes any index there and starts fresh;
    /// - `resume`: requires an unfinished index.
    /// `fakeFilesystem` (fault tests only): warn as if `path` were on that network filesystem.
    /// - Throws: `IndexError.alreadyComplete`, `.unfinishedOutput`, `.cannotResume`, `.locked`,
    ///   `.notWritable`.
    public static func openForWriting(_ path: String, mode: WriteMode, fakeFilesystem: String? = nil) throws -> IndexStore {
        let lock = try IndexLock(directory: path)
        warnIfNetworkFilesystem(path, fakeFilesystem: fakeFilesystem)
        let dataFile = path + "/data.mdb"
        let exists = FileManager.default.fileExists(atPath: dataFile)
        var replace = exists && mode == .force
        if exists && mode == .create {
            switch try ExistingOutput.classify(path) {
            case .complete: throw IndexError.alreadyComplete(path: path)
            case .unfinished: throw IndexError.unfinishedOutput(path: path)
            case let .foreign(reason): throw IndexError.notAnIndex(path: path, reason: reason
                + "; not replacing it: choose another --out, or pass --force to replace its data.mdb")
            case .husk: replace = true  // a failed or interrupted build left nothing to keep
            }
        } else if exists && mode == .resume {
            if try existingState(path) == .complete { throw IndexError.cannotResume(path: path, reason: "the index is already complete") }
        } else if mode == .resume {
            throw IndexError.cannotResume(path: path, reason: "no unfinished index there")
        }
        if replace {
            for name in ["data.mdb", "lock.mdb"] + TokenStoreInfo.ownFileNames.sorted() {
                try? FileManager.default.removeItem(atPath: path + "/" + name)
            }
        }
        let env = try environment(path, readOnly: false) { IndexError.notWritable(path: path, reason: $0) }
        return try IndexStore(path: path, env: env, lock: lock)
    }

    /// Opens a complete index (or, with `allowShard`, a complete shard) read-only, as `options` says.
    /// - Throws: `IndexError.notAnIndex`, `.notComplete` (with how to finish it).
    public static func openForReading(_ path: String, options: IndexReadOptions = IndexReadOptions()) throws -> IndexStore {
        guard FileManager.default.fileExists(atPath: path + "/data.mdb") else {
            throw IndexError.notAnIndex(path: path, reason: "no data.mdb in the directory")
        }
        warnIfNetworkFilesystem(path, fakeFilesystem: options.fakeFilesystem)
        let env = try environment(path, readOnly: true, noLock: options.noLock) { IndexError.notAnIndex(path: path, reason: $0) }
        let store = try IndexStore(path: path, env: env, lock: nil)
        let state = try store.state()
        guard state == .complete else { throw IndexError.notComplete(path: path, state: state.rawValue) }
        return store
    }

    /// Opens an index that is being built (a planned merge) read-only, without lock file.
    /// - Throws: `IndexError.notAnIndex`, `.cannotResume` when it is complete.
    public static func openBuilding(_ path: String) throws -> IndexStore {
        guard FileManager.default.fileExists(atPath: path + "/data.mdb") else {
            throw IndexError.notAnIndex(path: path, reason: "no data.mdb in the directory")
        }
        let env = try environment(path, readOnly: true, noLock: true) { IndexError.notAnIndex(path: path, reason: $0) }
        let store = try IndexStore(path: path, env: env, lock: nil)
        guard try store.state() == .building else {
            throw IndexError.cannotResume(path: path, reason: "the index is already complete")
        }
        return store
    }

    /// Opens the complete index at `path` to change its metrics (`gradus metric add/remove`):
    /// takes the directory lock, refuses anything but a complete index, and opens LMDB with synced
    /// commits (no `MDB_NOSYNC`), so the one transaction that changes the index is atomic and,
    /// once committed, durable.
    /// - Throws: `IndexError.notAnIndex`, `.locked`, `.notComplete`, `.notWritable`.
    public static func openForChangingMetrics(_ path: String) throws -> IndexStore {
        guard FileManager.default.fileExists(atPath: path + "/data.mdb") else {
            throw IndexError.notAnIndex(path: path, reason: "no data.mdb in the directory")
        }
        let lock = try IndexLock(directory: path)
        warnIfNetworkFilesystem(path, fakeFilesystem: nil)
        let env = try environment(path, readOnly: false, syncedCommits: true) { IndexError.notWritable(path: path, reason: $0) }
        let store = try IndexStore(path: path, env: env, lock: lock)
        let state = try store.state()
        guard state == .complete else { throw IndexError.notComplete(path: path, state: state.rawValue) }
        return store
    }

    /// Prints `networkFilesystemWarning` on stderr (once per path and process) when `path` is on
    /// a network or FUSE filesystem, where LMDB's and flock's locking cannot be trusted.
    private static func warnIfNetworkFilesystem(_ path: String, fakeFilesystem: String?) {
        guard let warning = networkFilesystemWarning(at: path, fakeFilesystem: fakeFilesystem) else { return }
        let first = warnedPaths.withLock { $0.insert(path).inserted }
        if first { FileHandle.standardError.write(Data(warning.utf8)) }
    }
    private static let warnedPaths = Mutex<Set<String>>([])

    /// The state of the index at `path`, opened briefly read-only.
    static func existingState(_ path: String) throws -> IndexState {
        let env = try environment(path, readOnly: true) { IndexError.notAnIndex(path: path, reason: $0) }
        return try IndexStore(path: path, env: env, lock: nil).state()
    }

    /// The LMDB environment of the index at `path`: read-only, or writable without an fsync per
    /// commit (the finished index is synced as it is marked complete) unless `syncedCommits`; an
    /// LMDB failure becomes `failure(reason)`.
    private static func environment(_ path: String, readOnly: Bool, noLock: Bool = false, syncedCommits: Bool = false,
                                    _ failure: (String) -> IndexError) throws -> LMDBEnvironment {
        do {
            return try LMDBEnvironment(path: path, mapSize: initialMapSize, maxDatabases: 64, readOnly: readOnly,
                                       noSync: !readOnly && !syncedCommits, noLock: noLock)
        } catch let error as LMDBError {
            switch error {
            case .truncated, .emptyDataFile: throw IndexError.corrupt(error.description)
            default: throw failure(error.description)
            }
        }
    }

    /// Checks the format tag and returns the state.
    public func state() throws -> IndexState {
        try env.read { txn in
            guard let tag = try txn.get(key: Array(IndexFormat.formatKey.utf8), in: meta),
                  let format = try? JSONDecoder().decode(IndexFormatTag.self, from: Data(tag)),
                  format.magic == IndexFormat.magic else {
                throw IndexError.notAnIndex(path: path, reason: "no Gradus format tag in meta")
            }
            guard format.version >= IndexFormat.readableVersions.lowerBound else {
                struct Built: Decodable { var commandLine: [String]? }
                let built = try? txn.get(key: Array(IndexFormat.manifestKey.utf8), in: meta)
                    .flatMap { try? JSONDecoder().decode(Built.self, from: Data($0)) }
                throw IndexError.oldFormat(path: path, version: format.version, commandLine: built?.commandLine ?? [])
            }
            guard IndexFormat.readableVersions.contains(format.version) else {
                throw IndexError.notAnIndex(path: path, reason: "format version \(format.version), this gradus reads versions "
                    + "\(IndexFormat.readableVersions.lowerBound)–\(IndexFormat.readableVersions.upperBound) (a newer gradus wrote it)")
            }
            guard let raw = try txn.get(key: Array(IndexFormat.stateKey.utf8), in: meta),
                  let state = IndexState(rawValue: String(decoding: raw, as: UTF8.self)) else {
                throw IndexError.notAnIndex(path: path, reason: "no state in meta")
            }
            return state
        }
    }

    /// The format version in `meta["format"]` (checked by `state()`): 1 = no checksums.
    public func formatVersion() throws -> Int {
        try readJSON(IndexFormatTag.self, key: IndexFormat.formatKey)?.version ?? 0
    }

    /// Opens (creating when writable) the database `name`.
    public func database(_ name: String) throws -> LMDBDatabase {
        do { return try env.database(name, create: !env.readOnly) } catch let error as LMDBError {
            throw IndexError.corrupt("\(path): \(name): \(error.description)")
        }
    }

    /// Reads and decodes the JSON document `meta[key]`, or nil when absent.
    public func readJSON<T: Decodable>(_ type: T.Type, key: String) throws -> T? {
        do { return try env.read { txn in try Self.readJSON(type, key: key, txn: txn, meta: meta) } } catch IndexError.corrupt(let problem) {
            throw IndexError.corrupt("\(path): \(problem) (restore or rebuild the index)")
        }
    }

    static func readJSON<T: Decodable>(_ type: T.Type, key: String, txn: LMDBReadTransaction, meta: LMDBDatabase) throws -> T? {
        guard let raw = try txn.get(key: Array(key.utf8), in: meta) else { return nil }
        do { return try JSONDecoder().decode(type, from: Data(raw)) } catch {
            throw IndexError.corrupt("meta[\(key)]: \(error)")
        }
    }

    /// Stores `value` as JSON under `meta[key]` inside `txn`.
    func writeJSON<T: Encodable>(_ value: T, key: String, txn: LMDBWriteTransaction) throws {
        try txn.put(key: Array(key.utf8), value: try Self.encodeJSON(value), in: meta)
    }

    /// The bytes `writeJSON` stores for `value` (JSON, sorted keys).
    static func encodeJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    /// Sets `meta["state"]`.
    func writeState(_ state: IndexState, txn: LMDBWriteTransaction) throws {
        try txn.put(key: Array(IndexFormat.stateKey.utf8), value: Array(state.rawValue.utf8), in: meta)
    }

    /// The manifest of the index.
    public func manifest() throws -> IndexManifest {
        guard let m = try readJSON(IndexManifest.self, key: IndexFormat.manifestKey) else {
            throw IndexError.notAnIndex(path: path, reason: "no manifest in meta")
        }
        // Metric names become file names (export, plots): a name that could leave a directory
        // means the manifest was not written by gradus.
        if let bad = m.metrics.first(where: { !isSafePathComponent($0.name) }) {
            throw IndexError.corrupt("\(path): the manifest names a metric \(bad.name.debugDescription), which is not a metric "
                + "name (letters, digits and - _ + . only)")
        }
        return m
    }
}
