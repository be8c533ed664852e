// OutputDeletedTests.swift — the output directory deleted while `gradus index` runs (issue 14
// item 10). LMDB keeps writing into the unlinked files without an error; before the fix the
// build then printed "indexed … -> DIR" and exited 0 with nothing on disk. The input comes
// through a FIFO from a writer that pauses half-way, so the directory is deleted between
// committed batches, deterministically.

import Foundation
import TestSupport
import XCTest

final class OutputDeletedTests: XCTestCase {
    func testDeletingTheOutputDuringTheBuildFailsTheBuild() throws {
        let dir = try TemporaryDirectory("deleted", removedAfter: self).path
        let lines = (0..<200).map { "{\"text\":\"document number \($0)\"}\n" }
        try lines[..<100].joined().write(toFile: dir + "/first.jsonl", atomically: true, encoding: .utf8)
        try lines[100...].joined().write(toFile: dir + "/second.jsonl", atomically: true, encoding: .utf8)
        let fifo = dir + "/input.fifo", flag = dir + "/go", out = dir + "/sub/out.idx"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "{ cat \"$1\"; while [ ! -e \"$3\" ]; do sleep 0.05; done; cat \"$2\"; } > \"$4\"",
                            "sh", dir + "/first.jsonl", dir + "/second.jsonl", flag, fifo]
        try writer.run()
        let index = try GradusProcess(["index", fifo, "--out", out, "--threads", "1"], env: ["GRADUS_TEST_BATCH_RECORDS": "10"])
        // Wait for the first committed batches, then delete the output and let the rest flow.
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: out + "/data.mdb") && Date() < deadline { usleep(20_000) }
        usleep(500_000)
        XCTAssertTrue(index.process.isRunning, "the build waits for the rest of the input")
        try FileManager.default.removeItem(atPath: dir + "/sub")
        FileManager.default.createFile(atPath: flag, contents: Data())
        let r = index.wait()
        writer.waitUntilExit()
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertFalse(r.stderr.contains("indexed "), r.stderr)
        XCTAssertTrue(r.stderr.contains("cannot write the index at \(out): the index directory (or its data.mdb) was deleted or replaced while the index was being built; the index was not completed"), r.stderr)
    }
}
