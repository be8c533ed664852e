// ExperimentEpochLimitTests.swift — `gradus experiment` ends curriculum data where DeepSpeed does
// (issue 15): on an index of 20 samples with num_epochs 1 and 4-sample batches, DeepSpeed's sampler
// yields ⌊20/4⌋ + 1 = 6 micro-batches, so a curriculum variant under a budget of 8 steps (2048
// tokens of 4 × 64) stops after step 6, says so, records `data_ended_at_step` and the report's
// verdict notes it; the uniform baseline (no such limit) trains the whole budget.

import Corpus
import CorpusIndex
import Foundation
import Support
import TestSupport
import XCTest
@testable import Experiments

final class ExperimentEpochLimitTests: XCTestCase {
    func testACurriculumVariantStopsWhereDeepSpeedsDataEndsAndTheReportSaysSo() throws {
        let dir = try TemporaryDirectory("epoch-limit", removedAfter: self).path
        try buildGeneratedIndex(at: dir + "/index", stride: 7)
        let curriculum: [String: Any] = ["name": "cl", "override": [
            "train_batch_size": 4,
            "data_efficiency": ["enabled": true, "seed": 3, "data_sampling": ["enabled": true, "num_epochs": 1, "curriculum_learning": [
                "enabled": true, "curriculum_metrics": ["seqlen": [
                    "difficulty_type": "value", "clustering_type": "schedule_based", "min_difficulty": 80,
                    "max_difficulty": 100, "schedule_type": "fixed_linear",
                    "schedule_config": ["total_curriculum_step": 4, "difficulty_step": 1]]]]]]]]
        let object: [String: Any] = [
            "base": repositoryRoot + "/configs/tiny.json", "seeds": [1], "baseline": "uniform",
            "budget": ["tokens": 2048], "eval_interval_tokens": 1024, "validation": ["fraction": 0.1, "batches": 1],
            "variants": [["name": "uniform", "override": [:] as [String: Any]], curriculum],
        ]
        let matrix = try ExperimentMatrix.parse(
            try JSONValue.parse(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)), directory: "/")
        var results: [RunResult] = []
        var messages: [String] = []
        for variant in matrix.variants {
            var executor = RunExecutor(matrix: matrix, variant: variant, seed: 1, directory: dir + "/" + variant.name, indexPath: dir + "/index")
            executor.threads = .one
            results.append(try executor.run { messages.append($0) })
        }
        XCTAssertEqual(results.map(\.steps), [8, 6])
        XCTAssertEqual(results.map(\.tokens), [8 * 4 * 64, 6 * 4 * 64])
        XCTAssertEqual(results.map(\.dataEndedAtStep), [nil, 6])
        XCTAssertTrue(messages.contains("cl seed 1: the curriculum data ended after step 6 (data_sampling.num_epochs 1 × 20 samples, "
                                        + "DeepSpeed's rule), before the budget; the run stops there"), "\(messages)")
        // Recorded in result.json, read back as results.jsonl lines are.
        let stored = try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/cl/result.json")))
        XCTAssertEqual(stored.dataEndedAtStep, 6)
        XCTAssertNil(stored.problem)
        var damaged = stored
        damaged.dataEndedAtStep = 5
        XCTAssertEqual(damaged.problem, "data_ended_at_step: 5 is not the run's last step (6); the data ends a run at its last step")

        let table = try ReportTable(results: results, baseline: "uniform")
        let note = "**Note:** the curriculum data ended before the budget (data_sampling.num_epochs, DeepSpeed's end of data) for seed 1 after step 6"
        XCTAssertTrue(table.verdict(table.rows[1]).contains(note), table.verdict(table.rows[1]))
        XCTAssertFalse(table.verdict(table.rows[0]).contains("**Note:**"))
    }
}
