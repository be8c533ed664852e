// GracefulStopTests.swift — SIGTERM during `gradus index` (issue 14): the build stops after
// committing the batch in hand, leaves a resumable `building` index, exits non-zero saying to
// rerun with --resume, and the resumed build equals an uninterrupted one. The input comes
// through a FIFO whose writer pauses half-way, so the signal arrives after the first commits and
// before the end of the input, deterministically.

import Foundation
import TestSupport
import XCTest

final class GracefulStopTests: XCTestCase {
    private func shellWriter(_ script: String, _ arguments: [String]) throws -> Process {
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", script, "sh"] + arguments
        try writer.run()
        return writer
    }

    func testSIGTERMStopsAtACommitAndTheResumedBuildEqualsAnUninterruptedOne() throws {
        let dir = try TemporaryDirectory("stop", removedAfter: self).path
        let lines = (0..<200).map { "{\"id\":\"d\($0)\",\"text\":\"" + String(repeating: "w\($0 % 11) ", count: 1 + $0 % 7) + "\"}\n" }
        try lines[..<100].joined().write(toFile: dir + "/first.jsonl", atomically: true, encoding: .utf8)
        try lines[100...].joined().write(toFile: dir + "/second.jsonl", atomically: true, encoding: .utf8)
        try lines.joined().write(toFile: dir + "/all.jsonl", atomically: true, encoding: .utf8)
        let reference = try runGradus(["index", dir + "/all.jsonl", "--out", dir + "/ref.idx"])
        XCTAssertEqual(reference.status, 0, reference.stderr)

        let fifo = dir + "/input.fifo", flag = dir + "/go", out = dir + "/cut.idx"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let small = ["GRADUS_TEST_BATCH_RECORDS": "10"]
        let writer = try shellWriter("{ cat \"$1\"; while [ ! -e \"$3\" ]; do sleep 0.05; done; cat \"$2\"; } > \"$4\"",
                                     [dir + "/first.jsonl", dir + "/second.jsonl", flag, fifo])
        let index = try GradusProcess(["index", fifo, "--out", out, "--threads", "2"], env: small)
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: out + "/data.mdb") && Date() < deadline { usleep(20_000) }
        usleep(500_000)
        XCTAssertTrue(index.process.isRunning, "the build waits for the rest of the input")
        kill(index.pid, SIGTERM)
        FileManager.default.createFile(atPath: flag, contents: Data())
        let stopped = index.wait()
        writer.waitUntilExit()
        XCTAssertFalse(stopped.signaled, "SIGTERM is handled, not fatal: \(stopped.stderr)")
        XCTAssertEqual(stopped.status, 128 + SIGTERM, stopped.stderr)
        XCTAssertTrue(stopped.stderr.contains("stopped by SIGTERM after the last committed batch"), stopped.stderr)
        XCTAssertTrue(stopped.stderr.contains("rerun the same command with --resume"), stopped.stderr)
        XCTAssertFalse(stopped.stderr.contains("indexed "), stopped.stderr)
        let info = try runGradus(["info", out])
        XCTAssertTrue(info.stderr.contains("state: building"), info.stderr)

        let again = try shellWriter("cat \"$1\" > \"$2\"", [dir + "/all.jsonl", fifo])
        let resumed = try runGradus(["index", fifo, "--out", out, "--threads", "2", "--resume"], env: small)
        again.waitUntilExit()
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("indexed 200 documents"), resumed.stderr)
        XCTAssertEqual(try dumpAll(out), try dumpAll(dir + "/ref.idx"))
    }
}
