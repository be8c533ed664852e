// RunLogCheckTests.swift — a resumed experiment run rebuilds its result from log.jsonl, so a log
// that lost an evaluation line is refused rather than giving a curve with a hole (issue 14 item
// 18: runs now resume from checkpoints between evaluations, so the check is on the whole log).

import Foundation
import Support
import TestSupport
import XCTest
@testable import Experiments

final class RunLogCheckTests: XCTestCase {
    func testALogMissingAnEvaluationIsRefusedOnResume() throws {
        let dir = try TemporaryDirectory("runlogcheck", removedAfter: self).path
        let index = try buildGeneratedIndex(in: dir)
        // 4 steps of 4 × 64 tokens, evaluated at 0 and every 512 tokens: steps 0, 2 and 4.
        let matrix = try ExperimentMatrix.parse(try JSONValue.parse("""
            {"base": "\(repositoryRoot)/configs/tiny.json", "seeds": [1], "budget": {"tokens": 1024},
             "eval_interval_tokens": 512, "validation": {"fraction": 0.1, "batches": 1},
             "variants": [{"name": "base", "override": {}}]}
            """), directory: "/")
        var executor = RunExecutor(matrix: matrix, variant: matrix.variants[0], seed: 1, directory: dir + "/run", indexPath: index)
        executor.threads = .one
        let result = try executor.run()
        XCTAssertEqual(result.curve.map(\.tokens), [0, 512, 1024])
        try FileManager.default.removeItem(atPath: dir + "/run/result.json")
        let log = dir + "/run/log.jsonl"
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let kept = lines.filter { !($0.contains("\"val_loss\"") && $0.contains("\"step\":2,")) }
        XCTAssertEqual(kept.count, lines.count - 1, "the step-2 evaluation is in the log")
        try (kept.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try executor.run()) { error in
            XCTAssertEqual(error as? ExperimentError, .outputInUse(
                path: dir + "/run", reason: "log.jsonl misses evaluations of the run; remove the run directory to rerun it"))
        }
    }
}
