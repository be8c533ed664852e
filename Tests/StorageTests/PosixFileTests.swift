// PosixFileTests.swift — Storage's POSIX file type: positioned and sequential writes and reads
// (short at the end of the file), truncate, an exclusive flock refused to a second open file,
// errors that name the path, read-only maps (empty files, directories refused), the atomic write
// and commit, and zlib's CRC-32 against the ISO 3309 check value.

import Foundation
import Storage
import TestSupport
import XCTest

final class PosixFileTests: XCTestCase {
    func testPositionedWritesReadBackAndAShortReadStopsAtTheEnd() throws {
        let dir = try TemporaryDirectory("posix", removedAfter: self)
        let file = try PosixFile(path: dir.file("f"), mode: .replace)
        try Array("hello".utf8).withUnsafeBytes { try file.write(at: 0, $0) }
        try Array("XY".utf8).withUnsafeBytes { try file.write(at: 7, $0) }  // a hole of two zero bytes
        XCTAssertEqual(file.size, 9)
        var buffer = [UInt8](repeating: 0xFF, count: 16)
        let n = try buffer.withUnsafeMutableBytes { try file.read(at: 3, into: $0) }
        XCTAssertEqual(n, 6)
        XCTAssertEqual(Array(buffer[0..<6]), [UInt8(ascii: "l"), UInt8(ascii: "o"), 0, 0, UInt8(ascii: "X"), UInt8(ascii: "Y")])
        XCTAssertEqual(try file.readAll(), Array("hello".utf8) + [0, 0] + Array("XY".utf8))  // from offset 0
        try file.truncate(to: 2)
        XCTAssertEqual(file.size, 2)
        try file.close()
    }

    func testAnExclusiveLockIsRefusedToASecondOpenFileUntilReleased() throws {
        let dir = try TemporaryDirectory("posix", removedAfter: self)
        let first = try PosixFile(path: dir.file("lock"), mode: .update)
        let second = try PosixFile(path: dir.file("lock"), mode: .update)
        XCTAssertTrue(first.tryLockExclusive())
        XCTAssertFalse(second.tryLockExclusive())
        first.unlock()
        XCTAssertTrue(second.tryLockExclusive())
    }

    func testErrorsNameThePath() throws {
        let dir = try TemporaryDirectory("posix", removedAfter: self)
        let missing = dir.file("absent")
        XCTAssertThrowsError(try PosixFile(path: missing, mode: .read)) { error in
            XCTAssertEqual(error as? FileError, .cannotOpen(path: missing, reason: "No such file or directory"))
        }
        try Data().write(to: URL(fileURLWithPath: dir.file("plain")))
        XCTAssertThrowsError(try PosixFile.makeDirectories(dir.file("plain") + "/sub")) { error in
            XCTAssertEqual((error as? FileError)?.description, "\(dir.file("plain"))/sub: mkdir failed: Not a directory")
        }
        try PosixFile.makeDirectories(dir.file("a/b/c"))
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("a/b/c"), isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    func testMappedFileReadsBytesAndRefusesADirectory() throws {
        let dir = try TemporaryDirectory("posix", removedAfter: self)
        try Data([1, 0, 0, 0, 2, 1]).write(to: URL(fileURLWithPath: dir.file("m")))
        let mapped = try MappedFile(path: dir.file("m"))
        XCTAssertEqual(mapped.bytes.count, 6)
        XCTAssertEqual(mapped.load(UInt32.self, at: 0), 1)
        XCTAssertEqual(mapped.load(UInt16.self, at: 4), 0x0102)
        try Data().write(to: URL(fileURLWithPath: dir.file("empty")))
        XCTAssertEqual(try MappedFile(path: dir.file("empty")).bytes.count, 0)
        XCTAssertNil(try PosixFile(path: "/dev/null", mode: .read).size)  // not a regular file
        XCTAssertThrowsError(try MappedFile(path: dir.path)) { error in
            XCTAssertEqual(error as? FileError, .cannotOpen(path: dir.path, reason: "is a directory"))
        }
    }

    func testZlibCRC32MatchesTheCheckValue() {
        XCTAssertEqual(Zlib.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(Zlib.crc32([]), 0)
    }

    func testAtomicWriteReplacesTheFileAndLeavesNoTemporary() throws {
        let dir = try TemporaryDirectory("atomic", removedAfter: self)
        let path = dir.file("out.json")
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        try Array("new contents".utf8).withUnsafeBytes { try AtomicFile.write($0, to: path) }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new contents")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.json"])
    }

    /// A symbolic link planted at the predictable temporary name (`path.tmp-<pid>`) is not
    /// written through: the link's target keeps its bytes and the link itself is gone.
    func testAtomicWriteDoesNotFollowALinkAtTheTemporaryName() throws {
        let dir = try TemporaryDirectory("atomic", removedAfter: self)
        let path = dir.file("out.json"), victim = dir.file("victim")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: AtomicFile.temporaryPath(for: path), withDestinationPath: victim)
        try Array("new contents".utf8).withUnsafeBytes { try AtomicFile.write($0, to: path) }
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new contents")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["out.json", "victim"])
    }

    func testAtomicWriteIntoAMissingDirectoryNamesTheTemporaryFile() throws {
        let dir = try TemporaryDirectory("atomic", removedAfter: self)
        let path = dir.file("missing/out.json")
        XCTAssertThrowsError(try [UInt8](repeating: 1, count: 4).withUnsafeBytes { try AtomicFile.write($0, to: path) }) { error in
            XCTAssertEqual(error as? FileError,
                           .cannotOpen(path: AtomicFile.temporaryPath(for: path), reason: "No such file or directory"))
        }
    }

    func testCommitRenamesAStreamedFileOverTheTarget() throws {
        let dir = try TemporaryDirectory("atomic", removedAfter: self)
        try Data("streamed".utf8).write(to: URL(fileURLWithPath: dir.file("a.partial")))
        try AtomicFile.commit(dir.file("a.partial"), to: dir.file("a"))
        XCTAssertEqual(try String(contentsOfFile: dir.file("a"), encoding: .utf8), "streamed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("a.partial")))
        XCTAssertThrowsError(try AtomicFile.commit(dir.file("gone.partial"), to: dir.file("b"))) { error in
            XCTAssertEqual(error as? FileError, .cannotOpen(path: dir.file("gone.partial"), reason: "No such file or directory"))
        }
    }
}
