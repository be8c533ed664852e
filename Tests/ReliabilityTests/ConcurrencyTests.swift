// ConcurrencyTests.swift — several processes on one index (issue 8 item 3), with the built
// `gradus` binary: concurrent readers (`info`, `batches`, `dump`, and `train` on a packed index)
// all succeed with the output of a lone run; a second writer on the same output directory is refused with a message naming the
// first writer's pid; the network-filesystem warning.

import Foundation
import Storage
import TestSupport
import XCTest

final class ConcurrencyTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws { dir = try TemporaryDirectory("concurrency", removedAfter: self).path }

    private func buildIndex(_ out: String) throws {
        let r = try runGradus(["index", repositoryRoot + "/corpora/udhr.sample.jsonl.zst", "--tokenizer", "bytes", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testConcurrentReadersAgreeWithALoneReader() throws {
        let index = dir + "/udhr.idx"
        try buildIndex(index)
        // A two-metric curriculum over the index's seqlen (80...7843) and vocabulary rarity.
        let config = dir + "/curriculum.json"
        try """
        {"train_batch_size": 8, "data_efficiency": {"seed": 7, "data_sampling": {"curriculum_learning": {"enabled": true,
          "curriculum_metrics": {
            "seqlen": {"difficulty_type": "value", "clustering_type": "schedule_based", "min_difficulty": 200,
              "max_difficulty": 8000, "schedule_type": "fixed_linear", "schedule_config": {"total_curriculum_step": 15, "difficulty_step": 8}},
            "vocabularyrarity": {"difficulty_type": "percentile", "clustering_type": "schedule_based", "min_difficulty": 30,
              "max_difficulty": 100, "schedule_type": "fixed_root", "schedule_config": {"total_curriculum_step": 15, "difficulty_step": 1, "root_degree": 2}}}}}}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let commands: [[String]] = [
            ["info", index],
            ["dump", index, "--metrics", "--tokens"],
            ["batches", index, "--config", config, "--steps", "20", "--tokens"],
        ]
        let alone = try commands.map { try runGradus($0) }
        for (c, r) in zip(commands, alone) {
            XCTAssertEqual(r.status, 0, "\(c): \(r.stderr)")
            XCTAssertFalse(r.stdout.isEmpty, "\(c)")
        }
        // Three copies of each command at once (nine processes, every reader open together).
        let started = try (0..<3).flatMap { _ in try commands.map { try GradusProcess($0) } }
        let runs = started.map { $0.wait() }
        for (i, r) in runs.enumerated() {
            let c = i % commands.count
            XCTAssertEqual(r.status, 0, "\(commands[c]): \(r.stderr)")
            XCTAssertEqual(r.stdout, alone[c].stdout, "concurrent \(commands[c][0]) differs from a lone run")
        }
        // Readers create no lock file of Gradus's own (only a writer takes gradus.lock).
        let after = try FileManager.default.contentsOfDirectory(atPath: index).sorted()
        XCTAssertEqual(after, ["data.mdb", "gradus.lock", "lock.mdb", "tokens.bin", "tokens.idx"])
    }

    func testTrainAmongConcurrentReaders() throws {
        // Bytes tokenizer (vocabulary 258 = configs/tiny.json's vocab) packed to 65 tokens, so
        // tiny.json's context 64 fits.
        let index = dir + "/packed.idx"
        try indexUDHRPacked(at: index)
        let config = dir + "/rarity.json"
        try """
        {"train_batch_size": 4, "data_efficiency": {"seed": 3, "data_sampling": {"curriculum_learning": {"enabled": true,
          "curriculum_metrics": {"vocabularyrarity": {"difficulty_type": "percentile", "clustering_type": "schedule_based",
            "min_difficulty": 20, "max_difficulty": 100, "schedule_type": "fixed_linear",
            "schedule_config": {"total_curriculum_step": 10, "difficulty_step": 1}}}}}}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let tiny = repositoryRoot + "/configs/tiny.json"
        func train(_ out: String) -> [String] { ["train", tiny, "--index", index, "--out", dir + "/" + out, "--steps", "3", "--threads", "1"] }
        let readers: [[String]] = [["info", index], ["batches", index, "--config", config, "--steps", "12", "--tokens"]]
        let alone = try readers.map { try runGradus($0) }
        for (c, r) in zip(readers, alone) { XCTAssertEqual(r.status, 0, "\(c): \(r.stderr)") }
        let loneTrain = try runGradus(train("alone"))
        XCTAssertEqual(loneTrain.status, 0, loneTrain.stderr)
        // The summary line: steps, tokens, loss and held-out loss (checkpoint files are not
        // byte-comparable: their JSON header's key order varies between processes).
        let reference = loneTrain.stdout.replacingOccurrences(of: dir + "/alone/", with: "RUN/")
        XCTAssertTrue(reference.hasPrefix("{\"steps\":3,\"tokens\":768,\"loss\":"), reference)

        // Two of each reader and two trainings, all at once (six processes on one index).
        let started = try (0..<2).flatMap { i in try readers.map { try GradusProcess($0) } + [GradusProcess(train("run\(i)"))] }
        let runs = started.map { $0.wait() }
        for (i, r) in runs.enumerated() {
            let kind = i % 3
            if kind < 2 {
                XCTAssertEqual(r.status, 0, "\(readers[kind]): \(r.stderr)")
                XCTAssertEqual(r.stdout, alone[kind].stdout, "concurrent \(readers[kind][0]) differs from a lone run")
            } else {
                // Each concurrent training ends where the lone one did: same steps and losses.
                XCTAssertEqual(r.status, 0, "train: \(r.stderr)")
                let summary = r.stdout.replacingOccurrences(of: dir + "/run\(i / 3)/", with: "RUN/")
                XCTAssertEqual(summary, reference, "concurrent training \(i / 3) differs from a lone one")
                XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/run\(i / 3)/checkpoint.bin"))
            }
        }
    }

    func testSecondWriterIsRefusedNamingTheFirst() throws {
        // A writer that holds the lock for a while: the two larger shipped corpora on one thread.
        let inputs = [repositoryRoot + "/corpora/gnomehelp.sample.jsonl.zst", repositoryRoot + "/corpora/appstream.sample.jsonl.zst"]
        let out = dir + "/busy.idx"
        let first = try GradusProcess(["index"] + inputs + ["--tokenizer", "bytes", "--out", out, "--threads", "1"])
        // The lock file holds the pid once the lock is taken (written after flock succeeds).
        let lockFile = out + "/gradus.lock"
        let deadline = Date().addingTimeInterval(60)
        while (try? String(contentsOfFile: lockFile, encoding: .utf8)) != "\(first.pid)\n" {
            guard Date() < deadline, first.process.isRunning else {
                first.process.terminate(); _ = first.wait()
                return XCTFail("the first writer never took the lock")
            }
            usleep(10_000)
        }
        for args in [["index"] + inputs + ["--tokenizer", "bytes", "--out", out],
                     ["index"] + inputs + ["--tokenizer", "bytes", "--out", out, "--force"],
                     ["index"] + inputs + ["--tokenizer", "bytes", "--out", out, "--resume"]] {
            let second = try runGradus(args)
            XCTAssertEqual(second.status, 1, "\(args.suffix(2))")
            XCTAssertTrue(second.stderr.contains("pid \(first.pid)"), "refusal does not name the writer: \(second.stderr)")
        }
        XCTAssertTrue(first.process.isRunning, "the test needs the first writer still running; make its input larger")
        kill(first.pid, SIGKILL)
        XCTAssertTrue(first.wait().killedBySIGKILL)
        // The lock dies with its holder: another process can now take it and resume the build
        // (it is stopped after one more committed batch to keep the test short).
        let resumed = try runGradus(["index"] + inputs + ["--tokenizer", "bytes", "--out", out, "--resume"],
                                    env: ["GRADUS_TEST_ABORT_AFTER_BATCHES": "1"])
        XCTAssertTrue(resumed.killedBySIGKILL, "the resume did not get past the lock: \(resumed.status) \(resumed.stderr)")
    }

    func testNetworkFilesystemDetection() throws {
        // This machine's temporary directory and /dev/shm are local (ext4/overlay, tmpfs).
        XCTAssertNil(networkFilesystemName(at: dir))
        XCTAssertNil(networkFilesystemName(at: dir + "/does/not/exist/yet"), "walks up to an existing parent")
        XCTAssertNil(networkFilesystemName(at: "/dev/shm"))
        XCTAssertNil(networkFilesystemWarning(at: dir))
        XCTAssertEqual(networkFilesystemMagics[0x6969], "NFS")
        XCTAssertEqual(networkFilesystemMagics[0x6573_5546], "FUSE")
        // No real NFS/CIFS/9p/FUSE mount is available here, so the CLI path is driven through the
        // test override; the statfs magic table is checked above.
        let index = dir + "/x.idx"
        let build = try runGradus(["index", repositoryRoot + "/corpora/udhr.sample.jsonl.zst", "--tokenizer", "bytes", "--out", index],
                                  env: ["GRADUS_FAKE_NETWORK_FS": "NFS"])
        XCTAssertEqual(build.status, 0, build.stderr)
        XCTAssertTrue(build.stderr.contains("warning: \(index) is on a network filesystem (NFS); LMDB and flock locking are not reliable there"), build.stderr)
        let info = try runGradus(["info", index], env: ["GRADUS_FAKE_NETWORK_FS": "CIFS"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stderr.contains("is on a network filesystem (CIFS)"), info.stderr)
        let local = try runGradus(["info", index])
        XCTAssertFalse(local.stderr.contains("network filesystem"), local.stderr)
    }
}
