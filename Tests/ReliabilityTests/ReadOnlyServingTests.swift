// ReadOnlyServingTests.swift — `--no-lock` (issue 8 item 3, "--read-only-copy or equivalent"):
// every reading command opens a copy of an index that has no lock.mdb, in a directory made
// read-only, without creating a lock file, and prints what a normal open of the same copy prints.
// Tests run as root here, where chmod does not stop writes, so the test asserts on the directory
// listing instead of relying on EACCES.

import Foundation
import Storage
import TestSupport
import XCTest

final class ReadOnlyServingTests: XCTestCase {
    private var dir: String!

    private var scratch: TemporaryDirectory!
    override func setUpWithError() throws { scratch = try TemporaryDirectory("no-lock"); dir = scratch.path }
    override func tearDownWithError() throws {
        _ = chmod(dir + "/copy.idx", 0o755)
        scratch.remove()
    }

    private func listing(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    func testLMDBNoLockOpensWithoutLockFile() throws {
        let path = dir + "/env"
        do {
            let env = try LMDBEnvironment(path: path, mapSize: 1 << 20)
            let db = try env.database("d", create: true)
            try env.write { txn in try txn.put(key: Array("k".utf8), value: Array("v".utf8), in: db) }
        }
        try FileManager.default.removeItem(atPath: path + "/lock.mdb")
        do {
            let env = try LMDBEnvironment(path: path, mapSize: 1 << 20, readOnly: true, noLock: true)
            XCTAssertTrue(env.noLock)
            let db = try env.database("d")
            XCTAssertEqual(try env.read { txn in try txn.get(key: Array("k".utf8), in: db) }, Array("v".utf8))
            XCTAssertThrowsError(try env.write { txn in try txn.put(key: [1], value: [1], in: db) })
        }
        XCTAssertEqual(try listing(path), ["data.mdb"])
        // A plain read-only open creates the lock file: the assertion above is not vacuous.
        do { _ = try LMDBEnvironment(path: path, mapSize: 1 << 20, readOnly: true) }
        XCTAssertEqual(try listing(path), ["data.mdb", "lock.mdb"])
    }

    func testEveryReadingCommandServesAReadOnlyCopyWithoutLockFiles() throws {
        let built = dir + "/built.idx"
        try indexUDHRPacked(at: built)
        // The shared copy: data.mdb only, file 0444 in a 0555 directory.
        let copy = dir + "/copy.idx"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: false)
        for name in ["data.mdb", "tokens.bin", "tokens.idx"] {
            try FileManager.default.copyItem(atPath: built + "/" + name, toPath: copy + "/" + name)
            XCTAssertEqual(chmod(copy + "/" + name, 0o444), 0)
        }
        XCTAssertEqual(chmod(copy, 0o555), 0)

        let curriculum = dir + "/rarity.json"
        try """
        {"train_batch_size": 4, "data_efficiency": {"seed": 3, "data_sampling": {"curriculum_learning": {"enabled": true,
          "curriculum_metrics": {"vocabularyrarity": {"difficulty_type": "percentile", "clustering_type": "schedule_based",
            "min_difficulty": 20, "max_difficulty": 100, "schedule_type": "fixed_linear",
            "schedule_config": {"total_curriculum_step": 10, "difficulty_step": 1}}}}}}}
        """.write(toFile: curriculum, atomically: true, encoding: .utf8)
        let tiny = repositoryRoot + "/configs/tiny.json"
        let matrix = dir + "/matrix.json"
        try """
        {"base": "\(tiny)", "seeds": [1], "budget": {"tokens": 768}, "eval_interval_tokens": 256,
         "validation": {"fraction": 0.1, "batches": 1}, "variants": [{"name": "baseline", "override": {}}]}
        """.write(toFile: matrix, atomically: true, encoding: .utf8)

        /// The reading commands; `tag` keeps the output directories of the two passes apart.
        func commands(_ tag: String) -> [[String]] {
            [["info", copy],
             ["info", copy, "--json"],
             ["dump", copy, "--metrics", "--tokens"],
             ["batches", copy, "--config", curriculum, "--steps", "12", "--tokens"],
             ["schedule", curriculum, "--steps", "10", "--index", copy],
             ["export", copy, "--format", "deepspeed", "--out", dir + "/export-" + tag],
             ["train", tiny, "--index", copy, "--out", dir + "/train-" + tag, "--steps", "3", "--threads", "1"],
             ["experiment", matrix, "--index", copy, "--out", dir + "/experiment-" + tag, "--threads", "1"]]
        }
        let served = try commands("nolock").map { try runGradus($0 + ["--no-lock"]) }
        for (c, r) in zip(commands("nolock"), served) {
            XCTAssertEqual(r.status, 0, "\(c) --no-lock: \(r.stderr)")
        }
        XCTAssertEqual(try listing(copy), ["data.mdb", "tokens.bin", "tokens.idx"], "--no-lock created a file in the index directory")

        // The same commands with a normal open of the same copy (root may write the 0555
        // directory): LMDB creates lock.mdb, and every output is the same.
        XCTAssertEqual(chmod(copy, 0o755), 0)
        let normal = try commands("locked").map { try runGradus($0) }
        XCTAssertEqual(try listing(copy), ["data.mdb", "lock.mdb", "tokens.bin", "tokens.idx"])
        // Output paths differ only in the tag; everything else printed is the same.
        func normalized(_ text: String) -> String {
            text.replacingOccurrences(of: "-nolock", with: "-TAG").replacingOccurrences(of: "-locked", with: "-TAG")
        }
        for (i, c) in commands("locked").enumerated() {
            XCTAssertEqual(normal[i].status, 0, "\(c): \(normal[i].stderr)")
            XCTAssertEqual(normalized(served[i].stdout), normalized(normal[i].stdout), "\(c): --no-lock output differs")
            if c[0] != "export" { XCTAssertFalse(served[i].stdout.isEmpty, "\(c)") }  // export reports on stderr
        }
        // Files written from the index are byte-identical.
        let exported = try FileManager.default.subpathsOfDirectory(atPath: dir + "/export-locked").sorted()
        XCTAssertFalse(exported.isEmpty)
        XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: dir + "/export-nolock").sorted(), exported)
        for file in exported {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: dir + "/export-locked/" + file, isDirectory: &isDirectory)
            if isDirectory.boolValue { continue }
            XCTAssertEqual(FileManager.default.contents(atPath: dir + "/export-nolock/" + file),
                           FileManager.default.contents(atPath: dir + "/export-locked/" + file), "export \(file)")
        }
        // Training's summary line (steps, tokens, losses) was compared above; checkpoint files are
        // not byte-comparable (their JSON header's key order varies between processes).
        let t = commands("locked").firstIndex { $0[0] == "train" }!
        XCTAssertTrue(served[t].stdout.hasPrefix("{\"steps\":3,\"tokens\":768,"), served[t].stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/train-nolock/checkpoint.bin"))
        XCTAssertEqual(served.last?.stdout, "{\"runs\":1,\"results\":\"\(dir!)/experiment-nolock/results.jsonl\",\"report\":\"\(dir!)/experiment-nolock/report.md\"}\n")
    }

    func testNoLockRefusesABuildingIndexLikeANormalOpen() throws {
        // --no-lock changes only how LMDB is opened: the completeness check still applies.
        let missing = try runGradus(["info", dir + "/absent.idx", "--no-lock"])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("no data.mdb in the directory"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/absent.idx"))
    }
}
