// LMDBFileCheck.swift — what is checked about an environment's files around `mdb_env_open`
// (issue 14 items 5 and 12): `data.mdb`/`lock.mdb` must not be symbolic links (LMDB would follow
// them and write through them), an empty or truncated `data.mdb` is refused before any page is
// touched (LMDB maps the file and a page past its end is SIGBUS, not an error), and a read-only
// map is backed past the end of the file by zero pages, so that a corrupt node pointing past the
// data reads zeros (caught by the index checksums) instead of killing the process.

import CLMDB
import CLMDBGuard
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension LMDBEnvironment {
    /// The size in bytes of the regular file at `path`, nil when absent.
    /// - Throws: `LMDBError.symbolicLink` when `path` is a symbolic link.
    static func fileSize(noFollow path: String) throws -> Int? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        if info.st_mode & S_IFMT == S_IFLNK { throw LMDBError.symbolicLink(path: path) }
        return Int(info.st_size)
    }

    /// Before `mdb_env_open`: refuses `data.mdb`/`lock.mdb` that are symbolic links and, read-only,
    /// an empty `data.mdb`.
    static func checkFilesBeforeOpen(path: String, readOnly: Bool) throws {
        let dataSize = try fileSize(noFollow: path + "/data.mdb")
        _ = try fileSize(noFollow: path + "/lock.mdb")
        if readOnly, dataSize == 0 { throw LMDBError.emptyDataFile(path: path + "/data.mdb") }
    }

    /// After a failed `mdb_env_open`: a `data.mdb` shorter than its two meta pages is truncated,
    /// whatever liblmdb said.
    static func truncationError(path: String) -> LMDBError? {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let size = try? fileSize(noFollow: path + "/data.mdb"), size > 0, size < 2 * page else { return nil }
        return .truncated(path: path + "/data.mdb", size: size, needed: 2 * page)
    }

    /// After `mdb_env_open`: the bytes the environment's last committed transaction uses,
    /// (last page + 1) × page size, must all be in `data.mdb`.
    /// - Throws: `LMDBError.truncated` naming both sizes.
    static func checkNotTruncated(_ handle: OpaquePointer, path: String) throws {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        let needed = (Int(info.me_last_pgno) + 1) * pageSize(handle)
        let file = path + "/data.mdb"
        guard let size = try fileSize(noFollow: file) else { throw LMDBError.noSuchFile(path: path) }
        if size < needed { throw LMDBError.truncated(path: file, size: size, needed: needed) }
    }

    /// Read-only: replaces the part of the memory map past the end of `data.mdb` (rounded up to
    /// the OS page) by private zero pages, so that a read past the data (a corrupt size or
    /// offset) returns zeros instead of raising SIGBUS. The map is found through a key of the
    /// main database (an environment without one has nothing to read). Linux only; a no-op when
    /// anything does not fit.
    func guardMapTail() {
        #if os(Linux)
        guard readOnly, let size = try? Self.fileSize(noFollow: path + "/data.mdb") else { return }
        var inMap: UInt = 0
        _ = try? read { txn in
            var cursor: OpaquePointer?
            guard let handle = txn.handle, mdb_cursor_open(handle, 1, &cursor) == 0, let cursor else { return }
            defer { mdb_cursor_close(cursor) }
            var key = MDB_val(), value = MDB_val()
            if gradus_mdb_cursor_get(cursor, &key, &value, MDB_FIRST) == 0, let p = key.mv_data { inMap = UInt(bitPattern: p) }
        }
        guard inMap != 0, let map = mappings().first(where: { $0.contains(inMap) }) else { return }
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let start = map.lowerBound + (UInt(size) + page - 1) / page * page
        guard start < map.upperBound, let address = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = mmap(address, Int(map.upperBound - start), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0)
        #endif
    }
}
