// LMDBTests.swift — the safe LMDB wrapper (issue 2): round trips, numeric cursor order of
// big-endian keys, half-open range scans, abort on throw, map-full handling with and without
// growth, persistence, read-only environments and bad paths. Each test owns a `TemporaryDirectory`.

import Foundation
import XCTest
import Storage
import Synchronization
import Support
import TestSupport

private struct Boom: Error {}

final class LMDBTests: XCTestCase {
    private let mebibyte = 1 << 20

    private func bytes(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    func testRoundTripManyKeysBinaryAndEmptyValues() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let env = try LMDBEnvironment(path: dir.file("rt.idx"), mapSize: 16 * mebibyte)
        let db = try env.database("samples", create: true)
        var rng = SplitMix64(seed: 11)
        // Binary values of varied length, including empty ones and ones full of zero bytes.
        let values: [[UInt8]] = (0..<3_000).map { i in
            i % 100 == 0 ? [] : (i % 101 == 0 ? [UInt8](repeating: 0, count: 40) : bytes(Int(rng.next() % 600), &rng))
        }
        try env.write { txn in
            for (i, value) in values.enumerated() {
                try txn.put(key: KeyCoding.encode(UInt64(i)), value: value, in: db)
            }
        }
        try env.read { txn in
            XCTAssertEqual(try txn.count(in: db), values.count)
            for (i, value) in values.enumerated() {
                XCTAssertEqual(try txn.get(key: KeyCoding.encode(UInt64(i)), in: db), value, "key \(i)")
            }
            XCTAssertEqual(try txn.get(key: KeyCoding.encode(UInt64(0)), in: db), [])
            XCTAssertNil(try txn.get(key: KeyCoding.encode(UInt64(values.count)), in: db))
            let length = try txn.withValue(key: KeyBuilder().appending(UInt64(7)), in: db) { $0.count }
            XCTAssertEqual(length, values[7].count)
        }
        try env.write { txn in
            XCTAssertTrue(try txn.delete(key: KeyCoding.encode(UInt64(5)), in: db))
            XCTAssertFalse(try txn.delete(key: KeyCoding.encode(UInt64(5)), in: db))
            try txn.put(key: KeyCoding.encode(UInt64(6)), value: [9, 9], in: db)
        }
        try env.read { txn in
            XCTAssertNil(try txn.get(key: KeyCoding.encode(UInt64(5)), in: db))
            XCTAssertEqual(try txn.get(key: KeyCoding.encode(UInt64(6)), in: db), [9, 9])
            XCTAssertEqual(try txn.count(in: db), values.count - 1)
        }
    }

    func testCursorOrderIsNumericForBigEndianKeys() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let env = try LMDBEnvironment(path: dir.path, mapSize: 4 * mebibyte)
        let db = try env.database(nil)
        var keys = Array(UInt64(0)..<1_000) + [65_535, 65_536, 70_000, 1 << 24, 1 << 32, UInt64.max]
        var rng = SplitMix64(seed: 12)
        keys.shuffle(using: &rng)
        try env.write { txn in
            for key in keys { try txn.put(key: KeyCoding.encode(key), value: KeyCoding.encode(key &* 3), in: db) }
        }
        var seen: [UInt64] = []
        try env.read { txn in
            try txn.forEach(in: db) { key, value in
                let k = try KeyCoding.decodeUInt64(key)
                XCTAssertEqual(try KeyCoding.decodeUInt64(value), k &* 3)
                seen.append(k)
                return true
            }
            XCTAssertEqual(try txn.firstKey(in: db), KeyCoding.encode(UInt64(0)))
            XCTAssertEqual(try txn.lastKey(in: db), KeyCoding.encode(UInt64.max))
        }
        XCTAssertEqual(seen, keys.sorted())
    }

    func testRangeScanIsHalfOpenAndStopsEarly() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let env = try LMDBEnvironment(path: dir.path, mapSize: 4 * mebibyte)
        let db = try env.database("even", create: true)
        try env.write { txn in
            for k in stride(from: UInt64(0), to: 600, by: 2) {
                try txn.put(key: KeyCoding.encode(k), value: [], in: db, append: true)
            }
        }
        func scan(_ from: UInt64?, _ to: UInt64?, limit: Int = .max) throws -> [UInt64] {
            var out: [UInt64] = []
            try env.read { txn in
                try txn.forEach(in: db, from: from.map { KeyCoding.encode($0) }, to: to.map { KeyCoding.encode($0) }) { key, _ in
                    out.append(try KeyCoding.decodeUInt64(key))
                    return out.count < limit
                }
            }
            return out
        }
        XCTAssertEqual(try scan(10, 20), [10, 12, 14, 16, 18])
        XCTAssertEqual(try scan(11, 17), [12, 14, 16])  // start between keys: first key >= start
        XCTAssertEqual(try scan(254, 260), [254, 256, 258])  // crosses the one-byte boundary
        XCTAssertEqual(try scan(20, 20), [])
        XCTAssertEqual(try scan(700, nil), [])
        XCTAssertEqual(try scan(594, nil), [594, 596, 598])
        XCTAssertEqual(try scan(nil, 5), [0, 2, 4])
        XCTAssertEqual(try scan(100, nil, limit: 3), [100, 102, 104])
        try env.read { txn in
            try txn.withCursor(in: db) { cursor in
                XCTAssertTrue(try cursor.last())
                XCTAssertTrue(try cursor.previous())
                XCTAssertEqual(try cursor.withCurrent { key, _ in try KeyCoding.decodeUInt64(key) }, 596)
                XCTAssertTrue(try cursor.seek(atLeast: KeyCoding.encode(UInt64(597))))
                XCTAssertEqual(try cursor.withCurrent { key, _ in try KeyCoding.decodeUInt64(key) }, 598)
                XCTAssertFalse(try cursor.next())
            }
        }
    }

    func testCompositeKeysScanInValueThenIDOrder() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let env = try LMDBEnvironment(path: dir.path, mapSize: 4 * mebibyte)
        let db = try env.database("order/x", create: true)
        let rows: [(Double, UInt64)] = [(2.5, 1), (-1, 9), (2.5, 0), (0, 3), (-0.5, 300), (Double.leastNonzeroMagnitude, 2)]
        try env.write { txn in
            for (value, id) in rows { try txn.put(key: KeyBuilder().appending(value).appending(id), value: [], in: db) }
        }
        var seen: [(Double, UInt64)] = []
        try env.read { txn in
            try txn.forEach(in: db) { key, _ in
                seen.append((try KeyCoding.decodeDouble(key), try KeyCoding.decodeUInt64(key, at: 8)))
                return true
            }
        }
        XCTAssertEqual(seen.map { "\($0.0),\($0.1)" }, ["-1.0,9", "-0.5,300", "0.0,3", "5e-324,2", "2.5,0", "2.5,1"])
    }

    func testThrowingClosureAbortsTheTransaction() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let env = try LMDBEnvironment(path: dir.path, mapSize: 4 * mebibyte)
        let db = try env.database("a", create: true)
        try env.write { txn in try txn.put(key: [1], value: [1], in: db) }
        XCTAssertThrowsError(try env.write { txn in
            try txn.put(key: [2], value: [2], in: db)
            XCTAssertTrue(try txn.delete(key: [1], in: db))
            XCTAssertEqual(try txn.count(in: db), 1)  // the transaction sees its own writes
            throw Boom()
        }) { XCTAssertTrue($0 is Boom, "the closure's own error must propagate, got \($0)") }
        try env.read { txn in
            XCTAssertEqual(try txn.count(in: db), 1)
            XCTAssertEqual(try txn.get(key: [1], in: db), [1])
            XCTAssertNil(try txn.get(key: [2], in: db))
        }
    }

    func testMapFullWithoutGrowthThrowsWithHint() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let size = 64 * 1024
        let env = try LMDBEnvironment(path: dir.path, mapSize: size, maxMapSize: size)
        let db = try env.database("big", create: true)
        let value = [UInt8](repeating: 0xAB, count: 8 * 1024)
        var runs = 0
        XCTAssertThrowsError(try env.write { txn in
            runs += 1
            for i in 0..<32 { try txn.put(key: KeyCoding.encode(UInt64(i)), value: value, in: db) }
        }) { error in
            guard case .mapFull(_, let mapSize, _)? = error as? LMDBError else {
                return XCTFail("expected mapFull, got \(error)")
            }
            XCTAssertEqual(mapSize, size)
            XCTAssertTrue("\(error)".contains("--map-size"), "\(error)")
            XCTAssertTrue("\(error)".contains(dir.path), "\(error)")
        }
        XCTAssertEqual(runs, 1, "growth disabled: no retry")
        XCTAssertEqual(env.mapSize, size)
        XCTAssertEqual(try env.read { try $0.count(in: db) }, 0)
    }

    func testMapGrowsAndRetriesTheClosure() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let size = 64 * 1024
        let env = try LMDBEnvironment(path: dir.path, mapSize: size)
        let db = try env.database("big", create: true)
        var runs = 0
        try env.write { txn in
            runs += 1
            for i in 0..<32 {
                try txn.put(key: KeyCoding.encode(UInt64(i)), value: [UInt8](repeating: UInt8(i), count: 8 * 1024), in: db)
            }
        }
        XCTAssertGreaterThan(runs, 1, "the closure must have been retried after MDB_MAP_FULL")
        XCTAssertGreaterThan(env.mapSize, size)
        try env.read { txn in
            XCTAssertEqual(try txn.count(in: db), 32)
            XCTAssertEqual(try txn.get(key: KeyCoding.encode(UInt64(31)), in: db), [UInt8](repeating: 31, count: 8 * 1024))
        }
    }

    /// Map growth must wait for (and not corrupt) read transactions running on other threads.
    func testMapGrowsWhileOtherThreadsRead() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let env = try LMDBEnvironment(path: dir.path, mapSize: 64 * 1024)
        let db = try env.database("d", create: true)
        try env.write { txn in try txn.put(key: [0], value: [42], in: db) }
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { worker in
            do {
                if worker == 0 {
                    for i in UInt64(1)...40 {
                        try env.write { txn in
                            try txn.put(key: KeyCoding.encode(i), value: [UInt8](repeating: 7, count: 6_000), in: db)
                        }
                    }
                } else {
                    for _ in 0..<300 {
                        let value = try env.read { txn in try txn.get(key: [0], in: db) }
                        if value != [42] { failures.withLock { $0.append("reader saw \(String(describing: value))") } }
                    }
                }
            } catch {
                failures.withLock { $0.append("worker \(worker): \(error)") }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertEqual(try env.read { try $0.count(in: db) }, 41)
        XCTAssertGreaterThan(env.mapSize, 64 * 1024)
    }

    func testReopenPersistsDataAndNamedDatabases() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let path = dir.file("persist.idx")
        do {
            let env = try LMDBEnvironment(path: path, mapSize: 4 * mebibyte, noSync: true)
            let meta = try env.database("meta", create: true)
            let samples = try env.database("samples", create: true)
            try env.write { txn in
                try txn.put(key: Array("state".utf8), value: Array("complete".utf8), in: meta)
                for i in UInt64(0)..<100 { try txn.put(key: KeyCoding.encode(i), value: [UInt8(i)], in: samples, append: true) }
            }
            try env.sync()
        }
        let env = try LMDBEnvironment(path: path, mapSize: 4 * mebibyte)
        let meta = try env.database("meta")
        let samples = try env.database("samples")
        try env.read { txn in
            XCTAssertEqual(try txn.get(key: Array("state".utf8), in: meta), Array("complete".utf8))
            XCTAssertEqual(try txn.count(in: samples), 100)
            XCTAssertEqual(try txn.get(key: KeyCoding.encode(UInt64(42)), in: samples), [42])
        }
        XCTAssertThrowsError(try env.database("missing")) { error in
            guard case .notFound? = error as? LMDBError else { return XCTFail("expected notFound, got \(error)") }
        }
    }

    func testReadOnlyEnvironmentRefusesWrites() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        do {
            let env = try LMDBEnvironment(path: dir.path, mapSize: 4 * mebibyte)
            let db = try env.database("a", create: true)
            try env.write { txn in try txn.put(key: [1], value: [2], in: db) }
        }
        let env = try LMDBEnvironment(path: dir.path, mapSize: 4 * mebibyte, readOnly: true)
        let db = try env.database("a")
        XCTAssertEqual(try env.read { try $0.get(key: [1], in: db) }, [2])
        XCTAssertThrowsError(try env.write { txn in try txn.put(key: [3], value: [4], in: db) }) { error in
            XCTAssertEqual(error as? LMDBError, .readOnly(path: dir.path))
            XCTAssertTrue("\(error)".contains(dir.path) && "\(error)".contains("read-only"), "\(error)")
        }
        XCTAssertThrowsError(try env.database("b", create: true)) {
            XCTAssertEqual($0 as? LMDBError, .readOnly(path: dir.path))
        }
    }

    func testOpeningWhatIsNotAnEnvironmentFails() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        // A directory whose data.mdb is not LMDB.
        let bogus = dir.file("bogus")
        try FileManager.default.createDirectory(atPath: bogus, withIntermediateDirectories: false)
        let junk = Data(String(repeating: "this is not an LMDB file\n", count: 1_000).utf8)
        XCTAssertTrue(FileManager.default.createFile(atPath: bogus + "/data.mdb", contents: junk))
        XCTAssertThrowsError(try LMDBEnvironment(path: bogus, mapSize: mebibyte)) { error in
            XCTAssertEqual(error as? LMDBError, .invalid(path: bogus))
            XCTAssertTrue("\(error)".contains("not an LMDB environment"), "\(error)")
        }
        // A regular file where the environment directory should be.
        let file = dir.file("file.txt")
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("hello".utf8)))
        XCTAssertThrowsError(try LMDBEnvironment(path: file, mapSize: mebibyte)) {
            XCTAssertEqual($0 as? LMDBError, .notADirectory(path: file))
        }
        // A missing directory opened read-only (not created).
        let missing = dir.file("missing")
        XCTAssertThrowsError(try LMDBEnvironment(path: missing, mapSize: mebibyte, readOnly: true)) {
            XCTAssertEqual($0 as? LMDBError, .noSuchFile(path: missing))
        }
    }

    func testMisuseIsReportedNotUndefined() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let env = try LMDBEnvironment(path: dir.path, mapSize: 4 * mebibyte)
        let db = try env.database("a", create: true)
        XCTAssertEqual(try env.database("a"), db, "handles are cached")
        var escaped: LMDBReadTransaction?
        try env.read { escaped = $0 }
        XCTAssertThrowsError(try escaped?.count(in: db)) { XCTAssertEqual($0 as? LMDBError, .transactionClosed) }
        XCTAssertThrowsError(try env.write { _ in try env.write { _ in } }) {
            XCTAssertEqual($0 as? LMDBError, .nestedWrite(path: dir.path))
        }
        XCTAssertThrowsError(try env.write { txn in try txn.put(key: [UInt8](), value: [1], in: db) }) { error in
            guard case .badValueSize? = error as? LMDBError else { return XCTFail("expected badValueSize, got \(error)") }
        }
        XCTAssertThrowsError(try env.write { txn in
            try txn.put(key: [5], value: [], in: db, append: true)
            try txn.put(key: [4], value: [], in: db, append: true)
        }) { error in
            guard case .keyExists? = error as? LMDBError else { return XCTFail("expected keyExists, got \(error)") }
        }
        let other = try LMDBEnvironment(path: dir.file("other"), mapSize: mebibyte)
        XCTAssertThrowsError(try other.read { try $0.count(in: db) }) { error in
            guard case .wrongEnvironment? = error as? LMDBError else { return XCTFail("got \(error)") }
        }
    }

    func testClearAndDrop() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let env = try LMDBEnvironment(path: dir.path, mapSize: 4 * mebibyte)
        let a = try env.database("a", create: true)
        let b = try env.database("b", create: true)
        try env.write { txn in
            for i in UInt8(0)..<10 {
                try txn.put(key: [i], value: [i], in: a)
                try txn.put(key: [i], value: [i], in: b)
            }
        }
        try env.write { txn in try txn.clear(a) }
        XCTAssertEqual(try env.read { try $0.count(in: a) }, 0)
        try env.write { txn in try txn.drop(b) }
        XCTAssertThrowsError(try env.database("b")) { error in
            guard case .notFound? = error as? LMDBError else { return XCTFail("expected notFound, got \(error)") }
        }
        let again = try env.database("b", create: true)
        XCTAssertEqual(try env.read { try $0.count(in: again) }, 0)
    }
}
