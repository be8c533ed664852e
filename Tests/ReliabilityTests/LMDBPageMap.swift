// LMDBPageMap.swift — an independent reading of an LMDB data file for the byte-flip test (issue
// 14 acceptance): which bytes of data.mdb no reader of the current snapshot ever reads. Built
// from the raw pages (lmdb.h / mdb.c 0.9 layouts: 16-byte page header pgno u64, pad u16, flags
// u16, lower u16, upper u16; meta after the header) and from LMDB's free database read through
// a cursor on FREE_DBI, not from anything gradus writes or checks.

import CLMDB
import Foundation
import XCTest

struct LMDBPageMap {
    let pageSize: Int
    let lastPage: Int
    let currentMeta: Int
    /// Pages listed in the freelist (free DB values), and the pages of the free DB's own tree.
    var freePages = Set<Int>()
    var freeTreePages = Set<Int>()
    /// Pages of the main and named databases' trees (branch, leaf and overflow pages).
    var livePages = Set<Int>()
    /// Byte ranges of live pages that readers never use (see `harmlessReason`), by page.
    var unusedRanges: [Int: [Range<Int>]] = [:]
    /// The flags (mn_flags, u16 LE) of every leaf node of a named database, by file offset.
    var leafNodeFlags: [Int: Int] = [:]
    /// Overflow runs: page → the byte range of the value it holds (absolute file offsets).
    var overflowValue: [Int: Range<Int>] = [:]

    private let bytes: [UInt8]

    /// Reads `directory`'s data.mdb (and its free database through liblmdb).
    init(directory: String) throws {
        bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/data.mdb")))
        pageSize = Int(Self.u32(bytes, 16 + 24))  // mm_dbs[FREE_DBI].md_pad holds the page size
        let txn0 = Self.u64(bytes, 144), txn1 = Self.u64(bytes, pageSize + 144)
        currentMeta = txn1 > txn0 ? 1 : 0
        let meta = currentMeta * pageSize
        lastPage = Int(Self.u64(bytes, meta + 136))
        let freeRoot = Self.u64(bytes, meta + 80), mainRoot = Self.u64(bytes, meta + 128)
        if freeRoot != UInt64.max { walk(Int(freeRoot), main: false, into: \.freeTreePages) }
        if mainRoot != UInt64.max { walk(Int(mainRoot), main: true, into: \.livePages) }
        freePages = try Self.freelist(directory)
    }

    static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * $1) } }
    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * $1) } }

    /// Walks the tree under `page`, recording its pages in `set`, and for live trees the unused
    /// ranges and overflow values.
    private mutating func walk(_ page: Int, main: Bool, into set: WritableKeyPath<LMDBPageMap, Set<Int>>) {
        guard page <= lastPage, !self[keyPath: set].contains(page) else { return }
        self[keyPath: set].insert(page)
        let base = page * pageSize
        let flags = Self.u16(bytes, base + 10), lower = Self.u16(bytes, base + 12), upper = Self.u16(bytes, base + 14)
        var unused: [Range<Int>] = [0..<10, lower..<upper]  // mp_pgno, mp_pad: never read by a lookup
        let nodes = (0..<max(0, (lower - 16) / 2)).map { Self.u16(bytes, base + 16 + 2 * $0) }
        for (i, at) in nodes.enumerated() {
            let node = base + at
            if flags & 0x01 != 0 {  // branch: child pgno in lo, hi, flags (48 bits)
                let child = Self.u16(bytes, node) | Self.u16(bytes, node + 2) << 16 | Self.u16(bytes, node + 4) << 32
                if i == 0 { unused.append((at + 8)..<(at + 8 + Self.u16(bytes, node + 6))) }  // the leftmost key is implicit
                walk(child, main: main, into: set)
            } else if flags & 0x02 != 0 {  // leaf
                let size = Self.u16(bytes, node) | Self.u16(bytes, node + 2) << 16
                let nodeFlags = Self.u16(bytes, node + 4), keySize = Self.u16(bytes, node + 6)
                let data = node + 8 + keySize
                if !main { leafNodeFlags[node + 4] = nodeFlags }
                if nodeFlags & 0x01 != 0 {  // F_BIGDATA: the value is in an overflow run
                    let first = Int(Self.u64(bytes, data))
                    guard first <= lastPage else { continue }
                    let pages = Int(Self.u32(bytes, first * pageSize + 12))
                    for p in first..<min(lastPage + 1, first + max(pages, 1)) {
                        self[keyPath: set].insert(p)
                        overflowValue[p] = (first * pageSize + 16)..<(first * pageSize + 16 + size)
                    }
                } else if main && nodeFlags & 0x02 != 0 {  // F_SUBDATA: an MDB_db record
                    unused.append((data - base)..<(data - base + 4))          // md_pad
                    unused.append((data - base + 8)..<(data - base + 32))     // branch/leaf/overflow page counts
                    walk(Int(Self.u64(bytes, data + 40)), main: false, into: set)
                }
            }
        }
        if set == \LMDBPageMap.livePages { unusedRanges[page] = unused }
    }

    /// The page numbers LMDB's freelist holds (every value of FREE_DBI is an IDL: count, then ids).
    private static func freelist(_ directory: String) throws -> Set<Int> {
        var env: OpaquePointer?
        XCTAssertEqual(mdb_env_create(&env), 0)
        defer { mdb_env_close(env) }
        XCTAssertEqual(mdb_env_set_maxdbs(env, 64), 0)
        XCTAssertEqual(mdb_env_open(env, directory, UInt32(MDB_RDONLY | MDB_NOLOCK), 0o644), 0)
        var txn: OpaquePointer?
        XCTAssertEqual(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), 0)
        defer { mdb_txn_abort(txn) }
        var cursor: OpaquePointer?
        XCTAssertEqual(mdb_cursor_open(txn, 0, &cursor), 0)  // FREE_DBI
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val(), value = MDB_val()
        var pages = Set<Int>()
        var op = MDB_FIRST
        while mdb_cursor_get(cursor, &key, &value, op) == 0 {
            op = MDB_NEXT
            let ids = UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size)
            let n = Int(ids.loadUnaligned(as: UInt64.self))
            for i in 0..<n { pages.insert(Int(ids.loadUnaligned(fromByteOffset: 8 * (i + 1), as: UInt64.self))) }
        }
        return pages
    }

    /// Why no reader can be affected by setting the byte at file offset `offset` to `new`, or nil.
    func harmlessReason(_ offset: Int, new: UInt8) -> String? {
        let page = offset / pageSize, at = offset % pageSize
        // In a leaf of a plain (not DUPSORT) named database liblmdb 0.9 reads only F_BIGDATA
        // (0x01) and F_DUPDATA (0x04) of a node's flags; F_SUBDATA and the other bits matter
        // only in the main database, which is walked separately.
        if let flags = leafNodeFlags[offset], (Int(new) ^ flags) & 0x05 == 0 { return "a node flag bit plain databases do not read" }
        if leafNodeFlags[offset - 1] != nil { return "a node flag bit plain databases do not read" }
        if page > lastPage { return "beyond the last used page" }
        if freePages.contains(page) { return "a free page" }
        if freeTreePages.contains(page) { return "a page of the freelist's own tree (read only by writers)" }
        if page < 2 {
            if page != currentMeta { return "the older meta page (LMDB uses the one with the larger txnid)" }
            // pgno/pad, lower/upper, mm_address, mm_mapsize, the free DB's depth/stats/root,
            // the main DB's pad and page counts, and the rest of the page after MDB_meta.
            let unused: [Range<Int>] = [0..<10, 12..<16, 24..<40, 46..<88, 88..<92, 96..<120, 152..<pageSize]
            return unused.contains { $0.contains(at) } ? "a meta field readers do not use" : nil
        }
        if let value = overflowValue[page] {
            // The run's 16-byte header (never checked when a value is read) or the space after it.
            return value.contains(offset) ? nil : "an overflow page's header or the space after its value"
        }
        if let unused = unusedRanges[page], unused.contains(where: { $0.contains(at) }) {
            return "unused space or a field lookups do not read in a live page"
        }
        return nil
    }
}
