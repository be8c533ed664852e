// MatrixTests.swift — the matrix file: RFC 7396 merge semantics, every problem reported at once
// with its key path, the matrix-owned keys (seed, split) written into each run config, and the
// shipped matrices (configs/ablation.json, configs/demo-matrix.json) accepted by the matrix
// parser and every run config by both config parsers (training and DeepSpeed data_efficiency).

import Foundation
import TestSupport
import XCTest
import Training
@testable import Experiments

final class MatrixTests: XCTestCase {
    private let repo = URL(fileURLWithPath: repositoryRoot)

    func testMergeFollowsRFC7396() {
        let base: [String: Any] = ["a": ["b": 1, "c": [1, 2]], "d": "x", "e": 5]
        let patch: [String: Any] = ["a": ["c": [3], "f": true], "d": NSNull(), "g": ["h": 1]]
        let merged = JSONMerge.merge(base, patch) as! [String: Any]
        XCTAssertEqual(merged.keys.sorted(), ["a", "e", "g"])
        let a = merged["a"] as! [String: Any]
        XCTAssertEqual(a["b"] as? Int, 1)
        XCTAssertEqual(a["c"] as? [Int], [3])
        XCTAssertEqual(a["f"] as? Bool, true)
        XCTAssertEqual((merged["g"] as? [String: Any])?["h"] as? Int, 1)
    }

    func testParseReportsEveryProblemWithItsPath() throws {
        let dir = NSTemporaryDirectory()
        let bad: [String: Any] = [
            "base": "missing-base.json", "seeds": [1, 1], "budget": ["tokens": 10, "seconds": 2], "colour": 1,
            "eval_interval_tokens": 0, "validation": ["fraction": 2, "extra": 1],
            "variants": [["name": "a", "override": [:], "typo": 1], ["name": "b/c"],
                         ["name": "d", "override": ["gradus": ["train": ["seed": 3]]]]],
        ]
        XCTAssertThrowsError(try ExperimentMatrix.parse(bad, directory: dir)) { error in
            guard case ExperimentError.invalidMatrix(let problems) = error else { return XCTFail("\(error)") }
            let text = problems.joined(separator: "\n")
            for expected in ["colour: unknown key", "seeds: a seed is listed twice", "budget: give exactly one",
                             "eval_interval_tokens:", "validation.fraction:", "validation.extra: unknown key",
                             "variants[0].typo: unknown key", "variants[1].name:", "gradus.train.seed is set by the matrix",
                             "base: \(dir)/missing-base.json is not a readable JSON object"] {
                XCTAssertTrue(text.contains(expected), "missing \(expected) in\n\(text)")
            }
        }
    }

    func testRunConfigWritesSeedSplitAndEvalBatches() throws {
        let base = repo.appendingPathComponent("configs/tiny.json").path
        let m = try ExperimentMatrix.parse([
            "base": base, "seeds": [7], "budget": ["tokens": 100], "eval_interval_tokens": 50,
            "validation": ["fraction": 0.1, "batches": 3],
            "variants": [["name": "v", "override": ["gradus": ["train": ["grad_clip": 0.5]]]]],
        ], directory: "/")
        let config = m.runConfig(variant: m.variants[0], seed: 7)
        let train = try XCTUnwrap(JSONMerge.value(config, at: ["gradus", "train"]) as? [String: Any])
        XCTAssertEqual(train["seed"] as? Int, 7)
        XCTAssertEqual(train["validation_fraction"] as? Double, 0.1)
        XCTAssertEqual(train["eval_batches"] as? Int, 3)
        XCTAssertEqual(train["grad_clip"] as? Double, 0.5)
        XCTAssertEqual(train["batch_size"] as? Int, 4)   // kept from configs/tiny.json
    }

    /// The shipped matrices parse, and every (variant, seed) config passes the training parser
    /// and DeepSpeed's data_efficiency parser (strict: unknown keys are errors).
    func testShippedMatricesEveryRunConfigParses() throws {
        let tmp = try TemporaryDirectory("matrix", removedAfter: self).file("run.json")
        for name in ["ablation", "demo-matrix"] {
            let m = try ExperimentMatrix.load(path: repo.appendingPathComponent("configs/\(name).json").path)
            XCTAssertGreaterThanOrEqual(m.seeds.count, 2, name)
            for v in m.variants {
                let text = try JSONMerge.text(m.runConfig(variant: v, seed: m.seeds[0]))
                try text.write(to: URL(fileURLWithPath: tmp))
                let training = try RunConfig.load(path: tmp)
                let plan = try CurriculumPlan(configText: String(decoding: text, as: UTF8.self),
                                              tokensPerStep: training.train.batchSize * training.sequenceLength)
                XCTAssertEqual(plan.curriculumRequested, v.name.contains("cl"), "\(name)/\(v.name)")
                XCTAssertEqual(plan.randomLTDRequested, v.name.contains("ltd"), "\(name)/\(v.name)")
            }
        }
        let ablation = try ExperimentMatrix.load(path: repo.appendingPathComponent("configs/ablation.json").path)
        XCTAssertEqual(ablation.variants.map(\.name), ["baseline", "cl-seqlen", "cl-vocab", "cl-seqlen-vocab", "ltd", "cl-ltd"])
    }
}
