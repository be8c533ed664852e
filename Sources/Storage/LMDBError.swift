// LMDBError.swift — every LMDB (and errno) return code as a case of one error enum, each with
// liblmdb's own message where it has one and a hint saying what to do (issue 2, STYLE.md §6).

import CLMDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors from the LMDB wrapper. `description` names the environment path or operation and
/// says how to fix the problem.
public enum LMDBError: Error, CustomStringConvertible, Equatable {
    /// The map reached `mapSize` bytes and could not grow (growth limit `maxMapSize`).
    case mapFull(path: String, mapSize: Int, maxMapSize: Int)
    /// `MDB_NOTFOUND` where something had to exist (e.g. opening a missing named database).
    case notFound(context: String)
    /// `MDB_KEYEXIST`: with `append: true`, the key was not greater than the last key.
    case keyExists(context: String)
    /// The environment was opened read-only and a write was attempted.
    case readOnly(path: String)
    /// `EACCES`: the process may not read or write the files under `path`.
    case permissionDenied(path: String, context: String)
    /// `ENOENT`: the environment directory (or its `data.mdb`) does not exist.
    case noSuchFile(path: String)
    /// `ENOTDIR` or an existing non-directory where the environment directory should be.
    case notADirectory(path: String)
    /// `ENOSPC`: the disk is full.
    case noSpace(path: String)
    /// `MDB_INVALID`: the file is not an LMDB environment.
    case invalid(path: String)
    /// `MDB_VERSION_MISMATCH`: written by an incompatible liblmdb version.
    case versionMismatch(path: String)
    /// `MDB_CORRUPTED`, `MDB_PAGE_NOTFOUND` or `MDB_PANIC`.
    case corrupted(path: String, message: String)
    /// `MDB_DBS_FULL`: more named databases than `maxDatabases`.
    case databasesFull(path: String, maxDatabases: Int)
    /// `MDB_READERS_FULL`: too many concurrent read transactions.
    case readersFull(path: String)
    /// `MDB_TXN_FULL`: one write transaction dirtied too many pages.
    case transactionFull(path: String)
    /// `MDB_BAD_VALSIZE`: empty key, key longer than the maximum key size, or bad value size.
    case badValueSize(context: String)
    /// `MDB_INCOMPATIBLE`: a database opened with flags that do not match how it was created.
    case incompatible(context: String)
    /// A transaction or cursor was used after its closure returned.
    case transactionClosed
    /// `write` (or `database`) was called on a thread already inside a write closure.
    case nestedWrite(path: String)
    /// Map growth waited too long for other transactions in this process to finish.
    case resizeBlocked(path: String)
    /// A database handle from another environment was passed in.
    case wrongEnvironment(database: String)
    /// `data.mdb` is shorter than the pages its last committed transaction uses.
    case truncated(path: String, size: Int, needed: Int)
    /// `data.mdb` is empty (opened read-only).
    case emptyDataFile(path: String)
    /// `data.mdb` or `lock.mdb` is a symbolic link, which LMDB would follow and write through.
    case symbolicLink(path: String)
    /// Any other code, with liblmdb's message.
    case other(code: Int32, message: String, context: String)

    public var description: String {
        switch self {
        case let .mapFull(path, mapSize, maxMapSize):
            return "\(path): LMDB map is full at \(mapSize) bytes (growth limit \(maxMapSize) bytes). "
                + "Fix: raise --map-size / --max-map-size (LMDB only uses disk for data actually written), "
                + "or free disk space."
        case let .notFound(context):
            return "\(context): not found"
        case let .keyExists(context):
            return "\(context): key already exists (MDB_KEYEXIST); with append: true keys must be strictly increasing"
        case let .readOnly(path):
            return "\(path): environment is open read-only; open it with readOnly: false to write"
        case let .permissionDenied(path, context):
            return "\(path): permission denied (\(context)); check the directory's and data.mdb/lock.mdb's permissions"
        case let .noSuchFile(path):
            return "\(path): no such LMDB environment (missing directory or data.mdb); check the path or create it"
        case let .notADirectory(path):
            return "\(path): not a directory; an LMDB environment is a directory holding data.mdb"
        case let .noSpace(path):
            return "\(path): no space left on device; free disk space"
        case let .invalid(path):
            return "\(path): not an LMDB environment (MDB_INVALID: bad magic or truncated data.mdb)"
        case let .versionMismatch(path):
            return "\(path): LMDB version mismatch; the environment was written by an incompatible liblmdb"
        case let .corrupted(path, message):
            return "\(path): LMDB environment is corrupted (\(message)); rebuild it from its sources"
        case let .databasesFull(path, maxDatabases):
            return "\(path): too many named databases (limit \(maxDatabases)); raise maxDatabases"
        case let .readersFull(path):
            return "\(path): too many concurrent readers (MDB_READERS_FULL); use fewer reading threads or processes"
        case let .transactionFull(path):
            return "\(path): write transaction too large (MDB_TXN_FULL); commit in smaller batches"
        case let .badValueSize(context):
            return "\(context): bad key or value size (MDB_BAD_VALSIZE); keys must be 1...511 bytes"
        case let .incompatible(context):
            return "\(context): database flags incompatible with the existing database (MDB_INCOMPATIBLE)"
        case .transactionClosed:
            return "LMDB transaction or cursor used after its closure returned; it must not escape the closure"
        case let .nestedWrite(path):
            return "\(path): write transaction or database(_:) called inside a write closure on the same thread; "
                + "open databases first and use the enclosing write transaction"
        case let .resizeBlocked(path):
            return "\(path): cannot grow the LMDB map while other transactions in this process stay open "
                + "(e.g. write called inside read); finish them first or raise --map-size"
        case let .wrongEnvironment(database):
            return "database \(database) belongs to another LMDB environment"
        case let .truncated(path, size, needed):
            return "\(path) is truncated (restore or rebuild it): the file has \(size) bytes, its LMDB meta page says it needs \(needed)"
        case let .emptyDataFile(path):
            return "\(path) is empty (0 bytes): not an LMDB environment (restore or rebuild it)"
        case let .symbolicLink(path):
            return "\(path) is a symbolic link; LMDB would follow it and write through it, so it is refused: "
                + "replace it with the file itself"
        case let .other(code, message, context):
            return "\(context): LMDB error \(code): \(message)"
        }
    }

    /// Maps a non-zero return code of liblmdb (or errno) to a case.
    /// - Parameters:
    ///   - operation: what was being done, e.g. `"mdb_put in samples"`.
    ///   - mapSize/maxMapSize/maxDatabases: the environment's settings, for the hints.
    init(code: Int32, path: String, operation: String, mapSize: Int = 0, maxMapSize: Int = 0, maxDatabases: Int = 0) {
        let context = "\(path): \(operation)"
        let message = String(cString: mdb_strerror(code))
        switch code {
        case MDB_MAP_FULL: self = .mapFull(path: path, mapSize: mapSize, maxMapSize: maxMapSize)
        case MDB_NOTFOUND: self = .notFound(context: context)
        case MDB_KEYEXIST: self = .keyExists(context: context)
        case MDB_INVALID: self = .invalid(path: path)
        case MDB_VERSION_MISMATCH: self = .versionMismatch(path: path)
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_PANIC: self = .corrupted(path: path, message: message)
        case MDB_DBS_FULL: self = .databasesFull(path: path, maxDatabases: maxDatabases)
        case MDB_READERS_FULL: self = .readersFull(path: path)
        case MDB_TXN_FULL: self = .transactionFull(path: path)
        case MDB_BAD_VALSIZE: self = .badValueSize(context: context)
        case MDB_INCOMPATIBLE: self = .incompatible(context: context)
        case EACCES, EPERM: self = .permissionDenied(path: path, context: operation)
        case ENOENT: self = .noSuchFile(path: path)
        case ENOTDIR: self = .notADirectory(path: path)
        case ENOSPC: self = .noSpace(path: path)
        // liblmdb turns a short write into EIO, and a short write is how a full disk shows up
        // (the write fills the last free blocks): report it as a full disk when it is one.
        case EIO where freeBytes(path).map({ $0 < 1 << 20 }) ?? false: self = .noSpace(path: path)
        default: self = .other(code: code, message: message, context: context)
        }
    }
}

/// Bytes available to unprivileged users on the filesystem holding `path`, nil if unknown.
func freeBytes(_ path: String) -> Int? {
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { return nil }
    return Int(info.f_bavail) * Int(info.f_frsize)
}
