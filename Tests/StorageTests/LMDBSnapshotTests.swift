// LMDBSnapshotTests.swift — `LMDBReadSnapshot` (issue 4 item 2): a long-lived read transaction
// sees the data as of its start, refuses reads after reset, sees new data after renew, and does
// not block map growth once reset.

import Foundation
import TestSupport
import XCTest
import Storage

final class LMDBSnapshotTests: XCTestCase {
    func testSnapshotIsolationResetAndRenew() throws {
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let env = try LMDBEnvironment(path: dir.file("s.idx"), mapSize: 1 << 20, maxMapSize: 64 << 20)
        let db = try env.database("t", create: true)
        try env.write { try $0.put(key: [UInt8(1)], value: [UInt8(10)], in: db) }
        let snapshot = try env.openReadSnapshot()
        XCTAssertEqual(try snapshot.withValue(key: [UInt8(1)], in: db) { Array($0) }, [10])
        try env.write { try $0.put(key: [UInt8(1)], value: [UInt8(20)], in: db) }
        XCTAssertEqual(try snapshot.withValue(key: [UInt8(1)], in: db) { Array($0) }, [10], "a snapshot keeps its view")
        XCTAssertEqual(try snapshot.withCursor(in: db) { c in try c.first() ? try c.withCurrent { _, v in Array(v) } : nil }, [10])
        snapshot.reset()
        XCTAssertFalse(snapshot.isActive)
        XCTAssertThrowsError(try snapshot.withValue(key: [UInt8(1)], in: db) { Array($0) }) { error in
            XCTAssertEqual(error as? LMDBError, .transactionClosed)
        }
        // With the snapshot reset, a write that must grow the map is not blocked.
        let big = [UInt8](repeating: 7, count: 3 << 20)
        try env.write { try $0.put(key: [UInt8(2)], value: big, in: db) }
        try snapshot.renew()
        XCTAssertEqual(try snapshot.withValue(key: [UInt8(1)], in: db) { Array($0) }, [20], "renew sees committed data")
        XCTAssertEqual(try snapshot.withTransaction { try $0.count(in: db) }, 2)
    }
}
