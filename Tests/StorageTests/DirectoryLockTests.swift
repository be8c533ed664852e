// DirectoryLockTests.swift — `DirectoryLock` (issue 14 items 11–12): a second lock on a locked
// directory is refused naming the holder's pid; a lock file that is a symbolic link (to a file,
// or dangling) or not a regular file is refused without writing, or creating, anything.

import Foundation
import Storage
import TestSupport
import XCTest

final class DirectoryLockTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = try TemporaryDirectory("dirlock", removedAfter: self).path
    }

    func testSecondLockIsRefusedNamingTheHolderAndFreedWithIt() throws {
        var lock: DirectoryLock? = try DirectoryLock(directory: dir + "/new/run")
        XCTAssertEqual(try String(contentsOfFile: dir + "/new/run/gradus.lock", encoding: .utf8), "\(getpid())\n")
        XCTAssertThrowsError(try DirectoryLock(directory: dir + "/new/run")) { error in
            XCTAssertEqual(error as? DirectoryLockError, .locked(path: dir + "/new/run", pid: getpid()))
        }
        withExtendedLifetime(lock) {}
        lock = nil
        XCTAssertNoThrow(try DirectoryLock(directory: dir + "/new/run"))
    }

    func testSymlinkedLockFileIsRefusedAndItsTargetUntouched() throws {
        let victim = dir + "/victim", missing = dir + "/would-be-created"
        try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)
        for (name, target) in [("to-file", victim), ("dangling", missing)] {
            let run = dir + "/" + name
            try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: run + "/gradus.lock", withDestinationPath: target)
            XCTAssertThrowsError(try DirectoryLock(directory: run), name) { error in
                XCTAssertEqual(error as? DirectoryLockError, .unusable(
                    path: run, reason: "\(run)/gradus.lock: cannot open: is a symbolic link (refused: it could redirect the write; remove it)"))
            }
        }
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing), "the dangling link's target was created")
    }

    func testLockFileThatIsNotARegularFileIsRefused() throws {
        XCTAssertEqual(mkfifo(dir + "/gradus.lock", 0o644), 0)
        XCTAssertThrowsError(try DirectoryLock(directory: dir)) { error in
            XCTAssertEqual(error as? DirectoryLockError, .unusable(
                path: dir, reason: "\(dir)/gradus.lock: cannot open: is not a regular file (remove it)"))
        }
    }
}
