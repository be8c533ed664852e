// RerunAfterFailureTests.swift — issue 15 item 6: a failed or interrupted `gradus index` never
// blocks its own plain rerun when it left nothing to keep, while a resumable build, a complete
// index and an LMDB directory that was never a Gradus index are still refused without --force.

import Foundation
import Storage
import TestSupport
import XCTest

final class RerunAfterFailureTests: XCTestCase {
    /// Three documents of token ids below 4.
    private let good = "{\"tokens\":[1,2,3]}\n{\"tokens\":[0,1]}\n{\"tokens\":[3,3,2,1]}\n"

    func testRerunReplacesBuildThatFailedBeforeItsFirstBatch() throws {
        let dir = try TemporaryDirectory("rerun-husk", removedAfter: self).path
        let out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)  // so the failure keeps it
        try "{\"tokens\":[1,9]}\n".write(toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
        try good.write(toFile: dir + "/good.jsonl", atomically: true, encoding: .utf8)
        let failed = try runGradus(["index", dir + "/bad.jsonl", "--vocab-size", "4", "--out", out])
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/data.mdb"), "the failed build should leave its building index")
        let rerun = try runGradus(["index", dir + "/good.jsonl", "--vocab-size", "4", "--out", out])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertEqual(try runGradus(["dump", out, "--tokens"]).stdout.split(separator: "\n").count, 3)
    }

    func testRerunReplacesEnvironmentWithoutFormatTag() throws {
        let dir = try TemporaryDirectory("rerun-notag", removedAfter: self).path
        let out = dir + "/out"
        do {  // what a build killed between creating the environment and writing its header leaves
            let env = try LMDBEnvironment(path: out, mapSize: 1 << 20)
            _ = try env.database("meta", create: true)
            _ = try env.database("samples", create: true)
        }
        try good.write(toFile: dir + "/good.jsonl", atomically: true, encoding: .utf8)
        let rerun = try runGradus(["index", dir + "/good.jsonl", "--vocab-size", "4", "--out", out])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertEqual(try runGradus(["dump", out, "--tokens"]).stdout.split(separator: "\n").count, 3)
        // Killed before LMDB wrote its first page: an empty data.mdb.
        let empty = dir + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: empty + "/data.mdb", contents: Data()))
        let again = try runGradus(["index", dir + "/good.jsonl", "--vocab-size", "4", "--out", empty])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try runGradus(["dump", empty, "--tokens"]).stdout.split(separator: "\n").count, 3)
    }

    func testRerunRefusesResumableBuildAndSaysHowToGoOn() throws {
        let dir = try TemporaryDirectory("rerun-resumable", removedAfter: self).path
        let out = dir + "/out"
        try good.write(toFile: dir + "/good.jsonl", atomically: true, encoding: .utf8)
        let args = ["index", dir + "/good.jsonl", "--vocab-size", "4", "--out", out, "--threads", "1"]
        let killed = try runGradus(args, env: ["GRADUS_TEST_BATCH_RECORDS": "1", "GRADUS_TEST_ABORT_AFTER_BATCHES": "1"])
        XCTAssertTrue(killed.killedBySIGKILL)
        let refused = try runGradus(args)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("resume it with --resume, or replace it with --force"), refused.stderr)
        XCTAssertEqual(try runGradus(args + ["--resume"]).status, 0)
        let complete = try runGradus(args)
        XCTAssertEqual(complete.status, 1)
        XCTAssertTrue(complete.stderr.contains("already holds a complete index; pass --force"), complete.stderr)
    }

    func testRerunNeverReplacesLMDBThatWasNotAGradusIndex() throws {
        let dir = try TemporaryDirectory("rerun-foreign", removedAfter: self).path
        try good.write(toFile: dir + "/good.jsonl", atomically: true, encoding: .utf8)
        // A user's LMDB environment with a record; one alone, one next to the user's file, and
        // an empty environment next to the user's file.
        for (name, withRecord, withFile) in [("data", true, false), ("mixed", true, true), ("emptyenv", false, true)] {
            let out = dir + "/" + name
            do {
                let env = try LMDBEnvironment(path: out, mapSize: 1 << 20)
                if withRecord {
                    let main = try env.database(nil)
                    try env.write { try $0.put(key: Array("user-key".utf8), value: Array("user-value".utf8), in: main) }
                }
            }
            if withFile { try "mine".write(toFile: out + "/notes.txt", atomically: true, encoding: .utf8) }
            let before = try Data(contentsOf: URL(fileURLWithPath: out + "/data.mdb"))
            let refused = try runGradus(["index", dir + "/good.jsonl", "--vocab-size", "4", "--out", out])
            XCTAssertEqual(refused.status, 1, name)
            XCTAssertTrue(refused.stderr.contains("is not a Gradus index") && refused.stderr.contains("--force"), refused.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/data.mdb")), before, name)
            if withFile { XCTAssertEqual(try String(contentsOfFile: out + "/notes.txt", encoding: .utf8), "mine") }
        }
    }
}
