// LMDBReleasePagesTests.swift — `releaseMappedPages` (issue 3: RSS must not grow with the data
// scanned): after reading 32 MiB through the map, the process's file-backed resident set drops
// by most of it, and the data still reads back the same.

import Foundation
import Storage
import TestSupport
import XCTest

final class LMDBReleasePagesTests: XCTestCase {
    /// `RssFile` of this process in KiB.
    private func fileResidentKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssFile:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else {
            throw XCTSkip("no RssFile in /proc/self/status")
        }
        return kib
    }

    func testReleasedPagesLeaveTheResidentSetAndReadBackTheSame() throws {
        #if !os(Linux)
        throw XCTSkip("/proc/self/maps is Linux-only; releaseMappedPages is a no-op elsewhere")
        #endif
        let dir = try TemporaryDirectory("lmdb")
        defer { dir.remove() }
        let env = try LMDBEnvironment(path: dir.file("r.idx"), mapSize: 64 << 20)
        let db = try env.database("big", create: true)
        let chunk = 4 << 20
        try env.write { txn in
            for i in 0..<8 {
                try txn.put(key: KeyCoding.encode(UInt64(i)), value: [UInt8](repeating: UInt8(i + 1), count: chunk), in: db)
            }
        }
        func checksum() throws -> Int {
            var sum = 0
            try env.read { txn in
                try txn.forEach(in: db) { _, value in
                    for i in Swift.stride(from: 0, to: value.count, by: 4096) { sum += Int(value[i]) }  // touch every page
                    return true
                }
            }
            return sum
        }
        let expected = (1...8).reduce(0) { $0 + $1 * chunk / 4096 }
        XCTAssertEqual(try checksum(), expected)
        let before = try fileResidentKiB()
        env.releaseMappedPages()
        let after = try fileResidentKiB()
        XCTAssertGreaterThan(before - after, 24 << 10, "RssFile \(before) KiB → \(after) KiB after reading 32 MiB")
        XCTAssertEqual(try checksum(), expected)
    }
}
