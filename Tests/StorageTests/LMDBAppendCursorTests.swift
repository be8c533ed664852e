// LMDBAppendCursorTests.swift — `withAppendCursor` (issue 16 item 5): records appended through
// one cursor read back as written, continue a table `put(append:)` started, refuse a key that
// does not sort after the last one (as `put(append: true)` does), and grow the map when it fills.

import Foundation
import Storage
import TestSupport
import XCTest

final class LMDBAppendCursorTests: XCTestCase {
    private func key(_ i: Int) -> [UInt8] { KeyBuilder().appending(UInt64(i)).bytes }
    private func value(_ i: Int) -> [UInt8] { (0..<(i % 37)).map { UInt8(truncatingIfNeeded: i &* 7 &+ $0) } }

    func testAppendedRecordsReadBackAndOutOfOrderKeysAreRefused() throws {
        let dir = try TemporaryDirectory("append-cursor", removedAfter: self)
        // A small map that grows: 20 000 records of up to 36 bytes do not fit 64 KiB.
        let env = try LMDBEnvironment(path: dir.file("a.idx"), mapSize: 64 << 10, maxMapSize: 64 << 20)
        let db = try env.database("docs", create: true)
        try env.write { txn in
            for i in 0..<10 { try txn.put(key: key(i), value: value(i), in: db, append: true) }
            try txn.withAppendCursor(in: db) { cursor in
                for i in 10..<20_000 {
                    try key(i).withUnsafeBytes { k in try value(i).withUnsafeBytes { v in try cursor.append(key: k, value: v) } }
                }
            }
        }
        try env.read { txn in
            XCTAssertEqual(try txn.count(in: db), 20_000)
            for i in [0, 9, 10, 11, 4_095, 19_999] { XCTAssertEqual(try txn.get(key: key(i), in: db), value(i), "key \(i)") }
            var next = 0
            try txn.forEach(in: db) { k, v in
                XCTAssertEqual(Array(k), self.key(next)); XCTAssertEqual(Array(v), self.value(next))
                next += 1
                return true
            }
            XCTAssertEqual(next, 20_000)
        }
        // A key equal to or below the last one is refused, and the transaction stores nothing.
        for bad in [19_999, 5] {
            XCTAssertThrowsError(try env.write { txn in
                try txn.withAppendCursor(in: db) { cursor in
                    try key(bad).withUnsafeBytes { k in try [1, 2, 3].withUnsafeBytes { v in try cursor.append(key: k, value: v) } }
                }
            }) { error in
                guard case LMDBError.keyExists = error else { return XCTFail("expected keyExists, got \(error)") }
            }
        }
        try env.read { txn in
            XCTAssertEqual(try txn.count(in: db), 20_000)
            XCTAssertEqual(try txn.get(key: key(5), in: db), value(5))
        }
    }
}
