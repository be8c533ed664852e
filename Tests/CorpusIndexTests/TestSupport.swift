// TestSupport.swift — shared helpers for the CorpusIndex tests: a per-test temporary directory and
// hex/byte helpers for spelling out expected file bytes (the seeded generator is CorpusIndex's
// `SplitMix64`).

import Curriculum
import Foundation
import TestSupport
import XCTest
import Support

/// A fresh directory (`TemporaryDirectory`) removed when the test case finishes.
class TemporaryDirectoryTestCase: XCTestCase {
    private(set) var directory = ""

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("index", removedAfter: self).path
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func bytes(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            XCTFail("cannot read \(path)"); return []
        }
        return [UInt8](data)
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}

/// Bytes from a hex string such as "4d 4d 49 00"; spaces and "|" are ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { $0.isHexDigit }
    precondition(digits.count % 2 == 0, "odd hex string")
    var out: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        out.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return out
}

/// Little-endian bytes of an 8-byte integer (used for the spec's "00…00 | 06 00…00" fields).
func le64(_ value: Int64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: value) >> (8 * UInt64($0))) }
}

/// Little-endian bytes of a 4-byte integer.
func le32(_ value: Int32) -> [UInt8] {
    (0..<4).map { UInt8(truncatingIfNeeded: UInt32(bitPattern: value) >> (8 * UInt32($0))) }
}
