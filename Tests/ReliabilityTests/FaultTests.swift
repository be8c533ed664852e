// FaultTests.swift — kill -9 and disk full (issue 8 item 2), on the built `gradus` binary:
// - `gradus index` killed in pass 1 (after K committed batches, in the first and in the second
//   input), at the start of pass 2, after pass 2's values are computed (before the order tables)
//   and after the order tables are written (before the state becomes `complete`), and once more
//   while resuming; every killed index is refused by readers and `--resume` gives an index whose
//   `dump --metrics --tokens` equals an uninterrupted build's;
// - `gradus merge` killed before the copy, before the order tables and before completion: the
//   output is refused by readers and `merge --force` equals an uninterrupted merge;
// - `gradus train` killed in the middle of a checkpoint write: the previous checkpoint loads and
//   the resumed run ends with a checkpoint byte-identical to an uninterrupted run's;
// - disk full on a 2 MB tmpfs: a clear "no space left" error, the index left `building`, and
//   `--resume` after space is freed equals an uninterrupted build.
// Kill points use the hidden test hooks GRADUS_TEST_ABORT_AFTER_BATCHES, GRADUS_TEST_ABORT_AT_PHASE
// (Sources/gradus/Index.swift) and GRADUS_TEST_ABORT_IN_CHECKPOINT_AT_STEP (Checkpoint.swift),
// which die by raise(SIGKILL) — exactly what `kill -9` does at that instant.

import Foundation
import TestSupport
import XCTest

final class FaultTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws { dir = try TemporaryDirectory("fault", removedAfter: self).path }

    /// Two JSONL inputs of 150 documents each, of varied lengths and words (so that both metrics
    /// have distinct values and the order tables are non-trivial).
    private func writeCorpus() throws -> [String] {
        try (0..<2).map { part in
            let lines = (0..<150).map { i -> String in
                let n = part * 150 + i
                return "{\"id\":\"d\(n)\",\"text\":\"" + String(repeating: "w\(n % 17) x\(n % 5) ", count: 1 + n % 11) + "\"}"
            }
            let path = dir + "/part\(part).jsonl"
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    private let small = ["GRADUS_TEST_BATCH_RECORDS": "10"]

    func testIndexKilledAtEachPhaseResumesToTheSameIndex() throws {
        let inputs = try writeCorpus()
        let full = try runGradus(["index"] + inputs + ["--out", dir + "/full", "--threads", "2"], env: small)
        XCTAssertEqual(full.status, 0, full.stderr)
        let reference = try dumpAll(dir + "/full")
        XCTAssertEqual(reference.split(separator: "\n").count, 300)

        let points: [(String, [String: String])] = [
            ("pass 1, first input", ["GRADUS_TEST_ABORT_AFTER_BATCHES": "3"]),
            ("pass 1, second input", ["GRADUS_TEST_ABORT_AFTER_BATCHES": "22"]),
            ("start of pass 2", ["GRADUS_TEST_ABORT_AT_PHASE": "pass2"]),
            ("pass 2 computed, before the order tables", ["GRADUS_TEST_ABORT_AT_PHASE": "order"]),
            ("order tables written, before completion", ["GRADUS_TEST_ABORT_AT_PHASE": "sync"]),
        ]
        for (n, (point, hook)) in points.enumerated() {
            let out = dir + "/cut\(n)"
            let killed = try runGradus(["index"] + inputs + ["--out", out, "--threads", "2"], env: small.merging(hook) { $1 })
            XCTAssertTrue(killed.killedBySIGKILL, "\(point): expected death by SIGKILL, got \(killed.status) \(killed.stderr)")
            // Nothing that looks complete is left: readers refuse and say how to finish.
            let refused = try runGradus(["info", out])
            XCTAssertEqual(refused.status, 1, point)
            XCTAssertTrue(refused.stderr.contains("state: building") && refused.stderr.contains("--resume"), "\(point): \(refused.stderr)")
            let plain = try runGradus(["index"] + inputs + ["--out", out])
            XCTAssertEqual(plain.status, 1, point)
            XCTAssertTrue(plain.stderr.contains("--resume"), "\(point): \(plain.stderr)")
            let resumed = try runGradus(["index"] + inputs + ["--out", out, "--resume", "--threads", "1"], env: small)
            XCTAssertEqual(resumed.status, 0, "\(point): \(resumed.stderr)")
            XCTAssertEqual(try dumpAll(out), reference, "\(point): the resumed index differs from an uninterrupted build")
            let info = try runGradus(["info", out]), infoFull = try runGradus(["info", dir + "/full"])
            XCTAssertEqual(info.stdout.split(separator: "\n").dropFirst(), infoFull.stdout.split(separator: "\n").dropFirst(), point)
        }
    }

    func testIndexKilledTwiceWhileResumingStillConverges() throws {
        let inputs = try writeCorpus()
        XCTAssertEqual(try runGradus(["index"] + inputs + ["--out", dir + "/full"], env: small).status, 0)
        let out = dir + "/cut"
        XCTAssertTrue(try runGradus(["index"] + inputs + ["--out", out], env: small.merging(["GRADUS_TEST_ABORT_AFTER_BATCHES": "5"]) { $1 }).killedBySIGKILL)
        // The resumed run commits more batches and is killed again in pass 1, then in pass 2.
        XCTAssertTrue(try runGradus(["index"] + inputs + ["--out", out, "--resume"],
                                    env: small.merging(["GRADUS_TEST_ABORT_AFTER_BATCHES": "4"]) { $1 }).killedBySIGKILL)
        XCTAssertTrue(try runGradus(["index"] + inputs + ["--out", out, "--resume"],
                                    env: small.merging(["GRADUS_TEST_ABORT_AT_PHASE": "order"]) { $1 }).killedBySIGKILL)
        let resumed = try runGradus(["index"] + inputs + ["--out", out, "--resume"], env: small)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try dumpAll(out), try dumpAll(dir + "/full"))
    }

    func testMergeKilledAtEachPhaseIsRefusedAndRedoneWithForce() throws {
        let inputs = try writeCorpus()
        for shard in 0..<2 {
            let r = try runGradus(["index"] + inputs + ["--out", dir + "/s\(shard)", "--shard", "\(shard)/2"], env: small)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let shards = [dir + "/s0", dir + "/s1"]
        let merged = try runGradus(["merge"] + shards + ["--out", dir + "/merged"])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        let reference = try dumpAll(dir + "/merged")
        XCTAssertEqual(reference.split(separator: "\n").count, 300)
        XCTAssertEqual(try runGradus(["index"] + inputs + ["--out", dir + "/whole"], env: small).status, 0)
        XCTAssertEqual(try dumpAll(dir + "/whole"), reference, "merge of shards differs from one build")

        for phase in ["metrics", "docs", "order", "sync"] {
            let out = dir + "/m-\(phase)"
            let killed = try runGradus(["merge"] + shards + ["--out", out], env: ["GRADUS_TEST_ABORT_AT_PHASE": phase])
            XCTAssertTrue(killed.killedBySIGKILL, "\(phase): \(killed.status) \(killed.stderr)")
            let refused = try runGradus(["info", out])
            XCTAssertEqual(refused.status, 1, phase)
            XCTAssertTrue(refused.stderr.contains("not a complete index"), "\(phase): \(refused.stderr)")
            let plain = try runGradus(["merge"] + shards + ["--out", out])
            XCTAssertEqual(plain.status, 1, phase)
            XCTAssertTrue(plain.stderr.contains("--force"), "\(phase): \(plain.stderr)")
            let redone = try runGradus(["merge"] + shards + ["--out", out, "--force"])
            XCTAssertEqual(redone.status, 0, "\(phase): \(redone.stderr)")
            XCTAssertEqual(try dumpAll(out), reference, phase)
        }
    }

    func testEachMergeStageKilledIsRunAgainToTheSameIndex() throws {
        let inputs = try writeCorpus()
        var shards: [String] = []
        for shard in 0..<3 {
            let out = dir + "/t\(shard)"
            // Killed in pass 1, then resumed: a stage 1 job re-queued by the scheduler (a shard
            // with fewer batches finishes before the kill).
            let first = try runGradus(["index"] + inputs + ["--out", out, "--shard", "\(shard)/3"],
                                      env: small.merging(["GRADUS_TEST_ABORT_AFTER_BATCHES": "1"]) { $1 })
            if first.status != 0 {
                XCTAssertTrue(first.killedBySIGKILL, first.stderr)
                let resumed = try runGradus(["index"] + inputs + ["--out", out, "--shard", "\(shard)/3", "--resume"], env: small)
                XCTAssertEqual(resumed.status, 0, resumed.stderr)
            }
            shards.append(out)
        }
        XCTAssertEqual(try runGradus(["index"] + inputs + ["--out", dir + "/whole"], env: small).status, 0)
        let reference = try dumpAll(dir + "/whole")
        let out = dir + "/staged"
        XCTAssertEqual(try runGradus(["merge", "plan"] + shards + ["--out", out]).status, 0)
        // A metrics job killed before its values are in place leaves nothing the finish would take.
        let killed = try runGradus(["merge", "metrics", out, "--shard", "1"], env: ["GRADUS_TEST_ABORT_AT_PHASE": "metrics-commit"])
        XCTAssertTrue(killed.killedBySIGKILL, killed.stderr)
        for shard in [0, 2] { XCTAssertEqual(try runGradus(["merge", "metrics", out, "--shard", "\(shard)"]).status, 0) }
        let early = try runGradus(["merge", "finish", out])
        XCTAssertEqual(early.status, 1)
        XCTAssertTrue(early.stderr.contains("run `gradus merge metrics \(out) --shard 1` first"), early.stderr)
        XCTAssertEqual(try runGradus(["merge", "metrics", out, "--shard", "1"]).status, 0)
        for phase in ["docs", "order", "sync"] {
            let r = try runGradus(["merge", "finish", out], env: ["GRADUS_TEST_ABORT_AT_PHASE": phase])
            XCTAssertTrue(r.killedBySIGKILL, "\(phase): \(r.stderr)")
            XCTAssertEqual(try runGradus(["info", out]).status, 1, phase)
        }
        let finished = try runGradus(["merge", "finish", out])
        XCTAssertEqual(finished.status, 0, finished.stderr)
        XCTAssertEqual(try dumpAll(out), reference)
        XCTAssertEqual(try runGradus(["verify", out]).status, 0)
    }

    func testTrainKilledDuringCheckpointWriteResumesFromThePreviousCheckpoint() throws {
        let index = dir + "/udhr.idx"
        try indexUDHRPacked(at: index)
        // configs/tiny.json with a checkpoint every 2 steps and no evaluation.
        let config = dir + "/tiny-ckpt.json"
        var tiny = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/configs/tiny.json"))) as? [String: Any])
        var gradusBlock = try XCTUnwrap(tiny["gradus"] as? [String: Any])
        var train = try XCTUnwrap(gradusBlock["train"] as? [String: Any])
        train["checkpoint_interval"] = 2
        train["eval_interval"] = 0
        gradusBlock["train"] = train
        tiny["gradus"] = gradusBlock
        try JSONSerialization.data(withJSONObject: tiny).write(to: URL(fileURLWithPath: config))

        let reference = dir + "/reference"
        let whole = try runGradus(["train", config, "--index", index, "--out", reference, "--steps", "6", "--threads", "1"])
        XCTAssertEqual(whole.status, 0, whole.stderr)

        let run = dir + "/run"
        let killed = try runGradus(["train", config, "--index", index, "--out", run, "--steps", "6", "--threads", "1"],
                                   env: ["GRADUS_TEST_ABORT_IN_CHECKPOINT_AT_STEP": "4"])
        XCTAssertTrue(killed.killedBySIGKILL, "\(killed.status) \(killed.stderr)")
        // The half-written temporary file is left beside the intact step-2 checkpoint.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix("checkpoint.bin.tmp-") }
        XCTAssertEqual(leftovers.count, 1, "\(leftovers)")
        // The previous checkpoint (step 2) loads and the run continues from it to step 6.
        let resumed = try runGradus(["train", config, "--index", index, "--out", run, "--steps", "6", "--resume", "--threads", "1"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("\"steps\":6"), resumed.stdout)
        // The killed writer's temporary file is gone after the resumed run's next checkpoint.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix("checkpoint.bin.tmp-") }, [])
        // Parameters and AdamW moments bit for bit, and an equal header. (The header's JSON is not
        // byte-reproducible — JSONEncoder's key order varies between processes, also in the
        // batch source's state blob — so it is compared as decoded JSON.)
        let a = try CheckpointParts(reference + "/checkpoint.bin"), b = try CheckpointParts(run + "/checkpoint.bin")
        XCTAssertEqual(a.payload.count, b.payload.count)
        XCTAssertTrue(a.payload == b.payload, "the resumed run's parameters/moments differ from the uninterrupted run's")
        XCTAssertEqual(a.header, b.header, "the resumed run's checkpoint header differs")
        XCTAssertEqual((a.header["progress"] as? [String: Any])?["steps"] as? Int, 6)
    }

    func testDiskFullLeavesABuildingIndexThatResumesAfterSpaceIsFreed() throws {
        guard getuid() == 0 else { throw XCTSkip("disk-full test mounts a 2 MB tmpfs, which needs root") }
        let mountPoint = dir + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = shell("mount -t tmpfs -o size=2m gradus-test-tmpfs '\(mountPoint)'")
        guard mounted == 0 else { throw XCTSkip("mount -t tmpfs failed (status \(mounted)): no mount permission in this container") }
        defer { _ = shell("umount '\(mountPoint)'") }
        // ~6.4 M byte tokens (2 bytes each) do not fit in 2 MB.
        let inputs = [repositoryRoot + "/corpora/appstream.sample.jsonl.zst", repositoryRoot + "/corpora/udhr.sample.jsonl.zst"]
        let out = mountPoint + "/x.idx"
        let full = try runGradus(["index"] + inputs + ["--tokenizer", "bytes", "--out", out])
        XCTAssertEqual(full.status, 1)
        XCTAssertTrue(full.stderr.contains("Error: \(out): no space left on device; free disk space"), full.stderr)
        let refused = try runGradus(["info", out])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("state: building") && refused.stderr.contains("--resume"), refused.stderr)
        // Free space (grow the tmpfs) and resume.
        XCTAssertEqual(shell("mount -o remount,size=64m '\(mountPoint)'"), 0)
        let resumed = try runGradus(["index"] + inputs + ["--tokenizer", "bytes", "--out", out, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let reference = try runGradus(["index"] + inputs + ["--tokenizer", "bytes", "--out", dir + "/ref.idx"])
        XCTAssertEqual(reference.status, 0, reference.stderr)
        XCTAssertEqual(try dumpAll(out), try dumpAll(dir + "/ref.idx"))
    }
}

/// A checkpoint file split into its header (JSON, with the batch source's base64 state blob
/// decoded as JSON too) and its payload (parameters, m, v; the trailing checksum dropped, as it
/// covers the header's bytes). Layout: Sources/Training/Checkpoint.swift.
struct CheckpointParts {
    var header: NSDictionary
    var payload: Data

    init(_ path: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let start = try XCTUnwrap(bytes.firstIndex(of: UInt8(ascii: "{")))
        let length = bytes[(start - 8)..<start].reversed().reduce(0) { $0 << 8 | Int($1) }
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: bytes[start..<(start + length)]) as? [String: Any])
        if let blob = json["sourceState"] as? String, let decoded = Data(base64Encoded: blob) {
            json["sourceState"] = try JSONSerialization.jsonObject(with: decoded)
        }
        header = json as NSDictionary
        payload = bytes[(start + length)..<(bytes.count - 8)]
    }
}

/// Runs a shell command, returning its exit status.
func shell(_ command: String) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command + " 2>/dev/null"]
    do { try p.run() } catch { return -1 }
    p.waitUntilExit()
    return p.terminationStatus
}
