// SuccessiveHalvingTests.swift — the rung bookkeeping of `gradus tune` (issue 18 §2): budgets and
// sizes per rung and the promotion rule, by hand; then a whole search with the fake trainer of
// TuneFixture, whose losses are a known function of each candidate's value, so who is promoted at
// each rung, each run's budget and the winner are computed here from that formula.

import Foundation
import Support
import TestSupport
import Training
import XCTest
@testable import Experiments

final class SuccessiveHalvingTests: XCTestCase {
    func testBudgetsAndSizesPerRung() {
        // 512·2^k below 2048, then 2048: 512, 1024, 2048; 5 → ⌈5/2⌉ = 3 → ⌈3/2⌉ = 2.
        var h = SuccessiveHalving(candidates: 5, eta: 2, minBudget: 512, maxBudget: 2048)
        XCTAssertEqual(h.budgets, [512, 1024, 2048])
        XCTAssertEqual(h.sizes, [5, 3, 2])
        // 1 + ⌊log_3(9)⌋ = 3 rungs; 9 → 3 → 1.
        h = SuccessiveHalving(candidates: 9, eta: 3, minBudget: 1000, maxBudget: 9000)
        XCTAssertEqual(h.budgets, [1000, 3000, 9000])
        XCTAssertEqual(h.sizes, [9, 3, 1])
        // 5000/1000 < 3²: 1 + ⌊log_3 5⌋ = 2 rungs, the last at the maximum.
        h = SuccessiveHalving(candidates: 4, eta: 3, minBudget: 1000, maxBudget: 5000)
        XCTAssertEqual(h.budgets, [1000, 5000])
        XCTAssertEqual(h.sizes, [4, 2])
        // 799/100 < 2³: 3 rungs 100, 200, then 799.
        h = SuccessiveHalving(candidates: 4, eta: 2, minBudget: 100, maxBudget: 799)
        XCTAssertEqual(h.budgets, [100, 200, 799])
        XCTAssertEqual(h.sizes, [4, 2, 1])
        h = SuccessiveHalving(candidates: 3, eta: 2, minBudget: 700, maxBudget: 700)
        XCTAssertEqual(h.budgets, [700])
        XCTAssertEqual(h.sizes, [3])
    }

    func testPromotionTakesTheLowestLossesAndBreaksTiesByIndex() {
        let losses: [(candidate: Int, loss: Double)] = [(1, 3.2), (2, 3.0), (3, .nan), (4, 3.0), (5, 2.9)]
        XCTAssertEqual(SuccessiveHalving.promote(losses, keep: 3), [5, 2, 4])
        XCTAssertEqual(SuccessiveHalving.rank(losses).map(\.candidate), [5, 2, 4, 1, 3])
    }

    /// Five candidates, η = 2, 512…2048 tokens: rung 0 runs all five at 512 tokens, rung 1 the best
    /// three at 1024, rung 2 the best two at 2048; the fake's loss falls fastest for
    /// total_curriculum_step nearest 30, so the ranking is by |s − 30| (then candidate number).
    func testPromotionsBudgetsAndWinnerOnAFakeTrainerWithKnownCurves() throws {
        let dir = try TemporaryDirectory("tune-sh", removedAfter: self).path
        try buildGeneratedIndex(at: dir + "/idx", stride: 3)
        let search = try TuneSearch.load(path: try TuneFixture.write(in: dir))
        let steps = search.candidates.map { $0.values[0].intValue! }
        XCTAssertEqual(steps.count, 5)
        XCTAssertTrue(steps.allSatisfy { (1...100).contains($0) }, "\(steps)")
        let order = steps.indices.sorted { (abs(steps[$0] - 30), $0) < (abs(steps[$1] - 30), $1) }.map { $0 + 1 }
        let outcome = try TuneRunner(search: search, indexPath: dir + "/idx", outputPath: dir + "/out", threads: 1, resume: false).run()
        try TuneReport.write(outcome, search: search, indexPath: dir + "/idx", directory: dir + "/out")

        XCTAssertEqual(outcome.rungs.map(\.budget), [512, 1024, 2048])
        XCTAssertEqual(outcome.rungs.map { $0.candidates.map(\.index) }, [[1, 2, 3, 4, 5], order.prefix(3).sorted(), order.prefix(2).sorted()])
        XCTAssertEqual(outcome.rungs.map(\.promoted), [Array(order.prefix(3)), Array(order.prefix(2)), []])
        XCTAssertEqual(outcome.winner.index, order[0])
        for (k, budget) in [512, 1024, 2048].enumerated() {
            let results = try RunResult.readLines(path: dir + "/out/rung-\(k)/results.jsonl")
            XCTAssertEqual(Set(results.map(\.tokens)), [budget], "rung \(k)")
            XCTAssertEqual(results.map(\.variant), ["baseline"] + outcome.rungs[k].candidates.map(\.name))
            for r in results {  // the fake's curve, so the ranking above is the formula's
                let s = r.variant == "baseline" ? nil : search.candidates.first { $0.name == r.variant }!.values[0].intValue
                XCTAssertEqual(r.finalValidationLoss, TuneFixture.finalLoss(s, tokens: budget), accuracy: 1e-9)
            }
        }
        // The confirmation: winner and baseline, fresh seeds, the maximum budget, on split seed 1.
        let confirm = try RunResult.readLines(path: dir + "/out/confirm/results.jsonl")
        XCTAssertEqual(confirm.map(\.variant), ["baseline", "baseline", outcome.winner.name, outcome.winner.name])
        XCTAssertEqual(confirm.map(\.seed), [5, 6, 5, 6])
        let config = try JSONValue.parse(String(contentsOfFile: dir + "/out/confirm/runs/baseline-seed5/config.json", encoding: .utf8))
        XCTAssertEqual(config.value(at: ["gradus", "train", "validation_split_seed"]), .int(1))
        // The external trainer is handed that split's held-out ids (the generated index has no groups).
        let heldOut = try JSONValue.parse(String(contentsOfFile: dir + "/out/confirm/runs/baseline-seed5/heldout.json", encoding: .utf8))
        XCTAssertEqual(heldOut["ids"], .array(HeldOutSplit.split(count: 20, fraction: 0.25, seed: 1).heldOut.map { .int(Int64($0)) }))
        XCTAssertNotEqual(HeldOutSplit.split(count: 20, fraction: 0.25, seed: 1).heldOut, HeldOutSplit.split(count: 20, fraction: 0.25).heldOut)
        // Saving by hand: the baseline's final loss (seed 5 and 6: 5 − 1.5·2 + 0.0055) is reached by
        // the winner (slope g) at 1.5·2048/g tokens: saving g / 1.5.
        let g = 2.0 - Double(abs(steps[order[0] - 1] - 30)) / 100
        let saving = TuneReport.confirmedSaving(outcome)
        XCTAssertEqual(saving.saving!, g / 1.5, accuracy: 1e-6)
        let report = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("the ranking is reproduced"), report)
        XCTAssertTrue(report.contains("| \(outcome.winner.name) | \(steps[order[0] - 1]) |"), report)
        // Every candidate reached the baseline's loss at rung 0 (slope > 1.5 for s within 50 of 30,
        // else none: the plot needs two), so the parameter is plotted against the saving.
        let savers = steps.filter { abs($0 - 30) < 50 }.count
        let plots = try FileManager.default.contentsOfDirectory(atPath: dir + "/out/plots")
        XCTAssertTrue(plots.contains("tune-val-loss-last-rung.png"), "\(plots)")
        XCTAssertTrue(plots.contains(savers >= 2 ? "tune-saving-vs-schedule_config_total_curriculum_step.png"
                                                 : "tune-loss-advantage-vs-schedule_config_total_curriculum_step.png"), "\(plots)")
    }

    /// When the confirmation split disagrees (the fake gives slope 1 + |s − 30|/100 there: 1.05 for
    /// s = 25 or 35, below the baseline's 1.5, while the search saw 1.95), the report says plainly
    /// that the ranking is not reproduced.
    func testAConfirmationThatDisagreesIsReportedPlainly() throws {
        let dir = try TemporaryDirectory("tune-sh", removedAfter: self).path
        try buildGeneratedIndex(at: dir + "/idx", stride: 3)
        let path = try TuneFixture.write(in: dir, candidates: 2, space: "{\"\(TuneFixture.stepPath)\": {\"choice\": [25, 35]}}")
        try "".write(toFile: dir + "/INVERT", atomically: true, encoding: .utf8)
        let search = try TuneSearch.load(path: path)
        let outcome = try TuneRunner(search: search, indexPath: dir + "/idx", outputPath: dir + "/out", threads: 1, resume: false).run()
        try TuneReport.write(outcome, search: search, indexPath: dir + "/idx", directory: dir + "/out")
        let report = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("**The confirmation does not reproduce the search's ranking**"), report)
        XCTAssertTrue(report.contains("the ranking is NOT reproduced"), report)
        XCTAssertFalse(report.contains("It did not beat the baseline even in the search"), report)
    }

    /// `--confirm-index`: the confirmation runs on the second index with the search's own split
    /// (no split seed), and the report names that index.
    func testTheConfirmationRunsOnTheConfirmIndexWhenGiven() throws {
        let dir = try TemporaryDirectory("tune-sh", removedAfter: self).path
        try buildGeneratedIndex(at: dir + "/idx", stride: 3)
        try buildGeneratedIndex(at: dir + "/other", stride: 7)
        let search = try TuneSearch.load(path: try TuneFixture.write(in: dir, candidates: 1))
        var runner = TuneRunner(search: search, indexPath: dir + "/idx", outputPath: dir + "/out", threads: 1, resume: false)
        runner.confirmIndexPath = dir + "/other"
        let outcome = try runner.run()
        try TuneReport.write(outcome, search: search, indexPath: dir + "/idx", directory: dir + "/out")
        XCTAssertEqual(outcome.confirmIndex, dir + "/other")
        XCTAssertEqual(outcome.confirmSplitSeed, 0)
        let handOver = try JSONValue.parse(String(contentsOfFile: dir + "/out/confirm/runs/baseline-seed5/run.json", encoding: .utf8))
        XCTAssertEqual(handOver["index"], .string(dir + "/other"))
        let config = try JSONValue.parse(String(contentsOfFile: dir + "/out/confirm/runs/baseline-seed5/config.json", encoding: .utf8))
        XCTAssertNil(config.value(at: ["gradus", "train", "validation_split_seed"]))
        let report = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("a second index, `\(dir)/other` (`--confirm-index`)"), report)
        // One candidate: fewer than two savings, so the parameter is plotted against the loss advantage.
        let plots = try FileManager.default.contentsOfDirectory(atPath: dir + "/out/plots")
        XCTAssertTrue(plots.contains("tune-loss-advantage-vs-schedule_config_total_curriculum_step.png"), "\(plots)")
    }
}
