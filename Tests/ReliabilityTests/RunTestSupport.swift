// RunTestSupport.swift — fixtures of the run-side reliability tests (issue 14 items 7, 8, 11, 12,
// 17–20): two small generated JSONL corpora, indexes of them with the bytes tokenizer packed to
// 64 tokens (configs/tiny.json's context), configs/tiny.json with overrides, a `gradus` child that
// is signalled once its run log has a line, and run logs compared without their timing fields.

import Foundation
import TestSupport
import XCTest

/// Writes `count` documents of 60 pseudo-random words (letters a–j) as JSONL to `path`.
func writeWordDocuments(_ path: String, seed: UInt64, count: Int) throws {
    var state = seed
    func next() -> UInt64 { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return state >> 33 }
    let letters = Array("abcdefghij")
    let lines = (0..<count).map { _ in
        let words = (0..<60).map { _ in String((0..<(2 + Int(next() % 7))).map { _ in letters[Int(next() % 10)] }) }
        return #"{"text": ""# + words.joined(separator: " ") + #""}"#
    }
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

/// `gradus index INPUTS --tokenizer bytes --pack 64 --out OUT`, failing the test when it fails.
func indexBytes(_ inputs: [String], out: String, extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
    let r = try runGradus(["index"] + inputs + ["--tokenizer", "bytes", "--pack", "64", "--out", out] + extra)
    XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
}

/// configs/tiny.json with `train` merged into gradus.train and `top` into the top level, written
/// to `path`.
func tinyConfig(_ path: String, train: [String: Any] = [:], top: [String: Any] = [:]) throws -> String {
    var config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/configs/tiny.json"))) as? [String: Any])
    var gradus = try XCTUnwrap(config["gradus"] as? [String: Any])
    gradus["train"] = try XCTUnwrap(gradus["train"] as? [String: Any]).merging(train) { $1 }
    config["gradus"] = gradus
    config.merge(top) { $1 }
    try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
    return path
}

/// The records of a run log without the fields that measure time (elapsed, tokens per second,
/// training seconds), so an interrupted-and-resumed run compares equal to an uninterrupted one.
func logRecords(_ path: String) throws -> [NSDictionary] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
        var record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        for key in ["elapsed", "tokens_per_s", "train_s"] { record[key] = nil }
        return record as NSDictionary
    }
}

/// The step records of a run log (`logRecords` without the evaluations): a run that finished a
/// shorter budget before it was resumed has one more evaluation (at its end) than an
/// uninterrupted run, but the same steps.
func stepRecords(_ path: String) throws -> [NSDictionary] {
    try logRecords(path).filter { $0["grad_norm"] != nil }
}

/// Starts `gradus arguments`, waits until `log` has a complete line (a first step), sends
/// `signal`, and returns how the process ended; fails the test when the log never appears.
func runAndSignal(_ arguments: [String], log: String, signal: Int32, file: StaticString = #filePath, line: UInt = #line) throws -> GradusRun {
    let child = try GradusProcess(arguments)
    let deadline = Date().addingTimeInterval(120)
    while !((try? String(contentsOfFile: log, encoding: .utf8))?.contains("\n") ?? false) {
        guard Date() < deadline, child.process.isRunning else {
            XCTFail("the run never logged a step", file: file, line: line)
            child.process.terminate()
            return child.wait()
        }
        usleep(5_000)
    }
    kill(child.pid, signal)
    return child.wait()
}
