// RunDirectoryTests.swift — run directories and the files in them (issue 14 items 11, 12, 19):
// `train --out R` and `experiment --out D` are locked like indexes (a second process is refused
// naming the first's pid, and the first's log is untouched); lock files, the run log and
// `batches --save-state` never write through a planted symbolic link; `train --resume` without a
// checkpoint says so and creates nothing; `batches --save-state` into a missing directory fails
// before streaming.

import Foundation
import TestSupport
import XCTest

final class RunDirectoryTests: XCTestCase {
    private var dir = ""
    private var index = ""

    override func setUpWithError() throws {
        dir = try TemporaryDirectory("rundir", removedAfter: self).path
        try writeWordDocuments(dir + "/a.jsonl", seed: 1, count: 20)
        index = dir + "/a.idx"
        try indexBytes([dir + "/a.jsonl"], out: index)
    }

    /// A matrix of one run on configs/tiny.json (for the lock tests; it never gets to train).
    private func matrix() throws -> String {
        let path = dir + "/matrix.json"
        try #"{"base": "\#(repositoryRoot)/configs/tiny.json", "seeds": [1], "budget": {"tokens": 1024}, "eval_interval_tokens": 512, "variants": [{"name": "base", "override": {}}]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testSecondTrainOrExperimentOnABusyRunDirectoryIsRefusedNamingTheFirst() throws {
        let config = try tinyConfig(dir + "/long.json", train: ["eval_interval": 0, "checkpoint_interval": 0])
        let run = dir + "/run"
        let first = try GradusProcess(["train", config, "--index", index, "--out", run, "--steps", "100000", "--threads", "1"])
        defer { if first.process.isRunning { kill(first.pid, SIGKILL) }; _ = first.wait() }
        let deadline = Date().addingTimeInterval(60)
        // The first run holds the lock and has logged a step.
        while (try? String(contentsOfFile: run + "/gradus.lock", encoding: .utf8)) != "\(first.pid)\n"
                || !((try? String(contentsOfFile: run + "/log.jsonl", encoding: .utf8))?.contains("\n") ?? false) {
            guard Date() < deadline, first.process.isRunning else { return XCTFail("the first run never started training") }
            usleep(10_000)
        }
        for args in [["train", config, "--index", index, "--out", run, "--steps", "3", "--threads", "1"],
                     ["experiment", try matrix(), "--index", index, "--out", run, "--threads", "1"]] {
            let second = try runGradus(args)
            XCTAssertEqual(second.status, 1, "\(args[0]): \(second.stderr)")
            XCTAssertTrue(second.stderr.contains("\(run) is in use by another gradus process (pid \(first.pid))"), second.stderr)
        }
        XCTAssertTrue(first.process.isRunning, "the test needs the first run still running")
        kill(first.pid, SIGKILL)
        _ = first.wait()
        // Every line of the log is the first run's: steps 1, 2, 3, … once each, nothing else.
        let steps = try logRecords(run + "/log.jsonl").map { $0["step"] as? Int }
        XCTAssertFalse(steps.isEmpty)
        XCTAssertEqual(steps, (1...steps.count).map { $0 })
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/matrix.json"), "the refused experiment wrote into the run")
    }

    func testPlantedLockSymlinksAreRefusedAndTheVictimIsUnchanged() throws {
        let victim = dir + "/victim"
        try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)
        let config = try tinyConfig(dir + "/tiny.json")
        let commands: [(String, [String])] = [
            ("idx", ["index", dir + "/a.jsonl", "--tokenizer", "bytes", "--out"]),
            ("run", ["train", config, "--index", index, "--steps", "1", "--threads", "1", "--out"]),
            ("exp", ["experiment", try matrix(), "--index", index, "--threads", "1", "--out"]),
        ]
        for (name, command) in commands {
            let target = dir + "/" + name
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: target + "/gradus.lock", withDestinationPath: victim)
            let r = try runGradus(command + [target])
            XCTAssertEqual(r.status, 1, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("\(target)/gradus.lock") && r.stderr.contains("is a symbolic link"), r.stderr)
            XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious\n", name)
        }
    }

    func testResumeDoesNotWriteTheRunLogThroughASymlink() throws {
        let config = try tinyConfig(dir + "/tiny.json", train: ["eval_interval": 0, "checkpoint_interval": 0])
        let run = dir + "/run"
        let first = try runGradus(["train", config, "--index", index, "--out", run, "--steps", "2", "--threads", "1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        // The victim holds the run's own lines and a later step: following the link, a resume
        // would cut it back to step 2.
        let victim = dir + "/victim.jsonl"
        let lines = try String(contentsOfFile: run + "/log.jsonl", encoding: .utf8)
        let later = lines.split(separator: "\n")[1].replacingOccurrences(of: #""step":2"#, with: #""step":9"#)
        try (lines + later + "\n").write(toFile: victim, atomically: true, encoding: .utf8)
        let before = try Data(contentsOf: URL(fileURLWithPath: victim))
        try FileManager.default.removeItem(atPath: run + "/log.jsonl")
        try FileManager.default.createSymbolicLink(atPath: run + "/log.jsonl", withDestinationPath: victim)
        let resumed = try runGradus(["train", config, "--index", index, "--out", run, "--steps", "3", "--resume", "--threads", "1"])
        XCTAssertEqual(resumed.status, 1, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("\(run)/log.jsonl") && resumed.stderr.contains("symbolic link"), resumed.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: victim)), before)
    }

    /// A curriculum config for `gradus batches` (vocabularyrarity percentile 50 → 100 over 4 steps).
    private func curriculumConfig() throws -> String {
        let path = dir + "/cl.json"
        try """
        {"train_batch_size": 4, "data_efficiency": {"enabled": true, "seed": 3, "data_sampling": {"enabled": true,
          "curriculum_learning": {"enabled": true, "curriculum_metrics": {
            "vocabularyrarity": {"difficulty_type": "percentile", "clustering_type": "schedule_based", "min_difficulty": 50,
              "max_difficulty": 100, "schedule_type": "fixed_linear", "schedule_config": {"total_curriculum_step": 4, "difficulty_step": 1}}}}}}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testSaveStateReplacesASymlinkInsteadOfWritingThroughIt() throws {
        let victim = dir + "/victim", state = dir + "/state.json"
        try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: state, withDestinationPath: victim)
        let r = try runGradus(["batches", index, "--config", try curriculumConfig(), "--steps", "2", "--save-state", state])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: state)
        XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeRegular, "the link is replaced by the state file")
        XCTAssertTrue(try String(contentsOfFile: state, encoding: .utf8).contains("consumedSamples"))
    }

    func testSaveStateIntoAMissingDirectoryFailsBeforeStreaming() throws {
        let state = dir + "/missing/state.json"
        let r = try runGradus(["batches", index, "--config", try curriculumConfig(), "--steps", "3", "--save-state", state])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "", "no batch may be streamed before the failure")
        XCTAssertTrue(r.stderr.contains("--save-state \(state): the directory \(dir)/missing does not exist"), r.stderr)
    }

    func testResumeWithoutACheckpointSaysSoAndCreatesNothing() throws {
        let run = dir + "/never-ran"
        let r = try runGradus(["train", try tinyConfig(dir + "/tiny.json"), "--index", index, "--out", run, "--resume"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("no checkpoint in \(run) (nothing to resume; drop --resume to start)"), r.stderr)
        XCTAssertFalse(r.stderr.contains("corrupt"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run), "a refused resume created the run directory")
    }
}
