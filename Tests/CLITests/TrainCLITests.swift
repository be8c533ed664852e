// TrainCLITests.swift — `gradus train` end to end on a small bytes-tokenized index of the shipped
// UDHR sample: a short run, its log and summary; refusal to overwrite a run; --resume continuing
// to a larger budget; a damaged checkpoint refused with a clear message; an index whose samples
// are shorter than the model's sequence length refused.

import Foundation
import XCTest

final class TrainCLITests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func makeIndex(pack: Int) throws -> String {
        let out = dir.appendingPathComponent("bytes-\(pack).idx").path
        let r = try gradus(["index", repoRoot.appendingPathComponent("corpora/udhr.sample.jsonl.zst").path,
                            "--tokenizer", "bytes", "--pack", String(pack), "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        return out
    }

    func test_train_runsResumesAndRefusesBadState() throws {
        let index = try makeIndex(pack: 64)
        let config = repoRoot.appendingPathComponent("configs/tiny.json").path
        let run = dir.appendingPathComponent("run").path
        let first = try gradus(["train", config, "--index", index, "--out", run, "--steps", "3", "--threads", "1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["steps"] as? Int, 3)
        XCTAssertEqual(summary["tokens"] as? Int, 3 * 4 * 64)
        XCTAssertNotNil(summary["val_loss"])
        let log = try String(contentsOfFile: run + "/log.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.filter { $0.contains("\"grad_norm\"") }.count, 3)
        XCTAssertEqual(log.filter { $0.contains("\"val_loss\"") }.count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/config.json"))

        let again = try gradus(["train", config, "--index", index, "--out", run, "--steps", "3"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("--resume"), again.stderr)

        let resumed = try gradus(["train", config, "--index", index, "--out", run, "--steps", "5", "--resume", "--threads", "1"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("\"steps\":5"), resumed.stdout)

        let checkpoint = URL(fileURLWithPath: run + "/checkpoint.bin")
        let bytes = try Data(contentsOf: checkpoint)
        try bytes.prefix(bytes.count / 2).write(to: checkpoint)
        let damaged = try gradus(["train", config, "--index", index, "--out", run, "--steps", "6", "--resume"])
        XCTAssertNotEqual(damaged.status, 0)
        XCTAssertTrue(damaged.stderr.contains("corrupt"), damaged.stderr)
    }

    func test_train_refusesIndexWithSamplesShorterThanTheContext() throws {
        let index = try makeIndex(pack: 32)
        let config = repoRoot.appendingPathComponent("configs/tiny.json").path
        let r = try gradus(["train", config, "--index", index, "--out", dir.appendingPathComponent("short").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("packed samples"), r.stderr)
    }
}
