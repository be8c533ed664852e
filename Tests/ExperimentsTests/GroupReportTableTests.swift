// GroupReportTableTests.swift — the per-group report (issue 17 item 2): final loss per group × variant
// over seeds, tokens-to-target on the group against the baseline's mean final group loss
// (interpolated by hand), the worse-than-baseline flag only where seed ranges do not overlap,
// single-seed and missing cells, the plot's series, report.md's section and plot files, the
// group curves read off the evaluations, and results.jsonl lines with and without groups.

import Foundation
import TestSupport
import XCTest
@testable import Experiments
@testable import Training

final class GroupReportTableTests: XCTestCase {
    private func curve(_ points: [(Double, Double)]) -> [CurvePoint] {
        points.map { CurvePoint(tokens: $0.0, wall: $0.0 / 10, loss: $0.1) }
    }

    private func result(_ variant: String, _ seed: UInt64, _ groups: [String: [(Double, Double)]]?) -> RunResult {
        let overall = curve([(0, 5), (100, 3)])
        return RunResult(variant: variant, seed: seed, finalValidationLoss: 3, steps: 1, tokens: 100, layerTokens: 200, flops: 1,
                         wallSeconds: 10, curve: overall, schedule: [], sampler: "uniform", randomLTDApplied: false,
                         curriculumRequested: false, randomLTDRequested: false,
                         groupCurves: groups.map { ["lang": $0.mapValues(curve)] })
    }

    /// base: en ends 3.0 / 3.2 (mean 3.1), fr 4.0 / 4.2 (mean 4.1).
    /// cl: en ends 3.0 / 3.1 (mean 3.05, range overlaps base's); its mean en curve (0, 4.1) → (100, 3.05)
    /// reaches 3.1 at (4.1 − 3.1) / (4.1 − 3.05) · 100 = 95.24 tokens. fr ends 4.5 / 4.6: range [4.5, 4.6]
    /// above base's [4.0, 4.2] → worse; its mean curve (5.1 → 4.55) never reaches 4.1.
    /// one (a single seed): en ends 3.5 > 3.1 but cannot be judged; no fr curve.
    private func results() -> [RunResult] {
        [result("base", 1, ["en": [(0, 4.0), (100, 3.0)], "fr": [(0, 5.0), (100, 4.0)]]),
         result("base", 2, ["en": [(0, 4.2), (100, 3.2)], "fr": [(0, 5.2), (100, 4.2)]]),
         result("cl", 1, ["en": [(0, 4.0), (100, 3.0)], "fr": [(0, 5.0), (100, 4.5)]]),
         result("cl", 2, ["en": [(0, 4.2), (100, 3.1)], "fr": [(0, 5.2), (100, 4.6)]]),
         result("one", 1, ["en": [(0, 4.0), (100, 3.5)]])]
    }

    func testCellsFinalLossTargetReachAndFlagsByHand() throws {
        let tables = GroupReportTable.tables(results: results(), order: ["base", "cl", "one"], baseline: "base")
        XCTAssertEqual(tables.count, 1)
        let t = tables[0]
        XCTAssertEqual(t.groups, ["en", "fr"])
        XCTAssertEqual(t.row(group: 0, variant: 0), ["1. en", "base", "2", "3.1000", "[3.0000, 3.2000]", "3.1000", "100", ""])
        XCTAssertEqual(t.row(group: 0, variant: 1), ["1. en", "cl", "2", "3.0500", "[3.0000, 3.1000]", "3.1000", "95", ""])
        guard case .reached(let tokens, _) = try XCTUnwrap(t.cells[0][1]).reach else { return XCTFail("en reached") }
        XCTAssertEqual(tokens, 100 / 1.05, accuracy: 1e-9)
        XCTAssertEqual(t.row(group: 0, variant: 2), ["1. en", "one", "1", "3.5000", "[3.5000, 3.5000]", "3.1000", "not reached",
                                                     "higher (single seed: not judged)"])
        XCTAssertEqual(t.row(group: 1, variant: 1), ["2. fr", "cl", "2", "4.5500", "[4.5000, 4.6000]", "4.1000", "not reached",
                                                     "**worse than baseline**"])
        XCTAssertNil(t.cells[1][2])
        XCTAssertEqual(t.row(group: 1, variant: 2).suffix(2), ["no evaluation", ""])
        XCTAssertTrue(t.markdown().contains("Ends worse than the baseline (seed ranges do not overlap): cl on fr."), t.markdown())
        let plot = t.plot()
        XCTAssertEqual(plot.series.map(\.name), ["base", "cl", "one"])
        XCTAssertEqual(plot.series[1].x, [1, 2])
        XCTAssertEqual(plot.series[1].y[1], 4.55, accuracy: 1e-12)
        XCTAssertEqual(plot.series[2].x, [1])
    }

    func testNoGroupsNoTables() {
        XCTAssertTrue(GroupReportTable.tables(results: [result("base", 1, nil)], order: ["base"], baseline: "base").isEmpty)
    }

    func testReportWritesTheGroupSectionAndPlotOnlyWithGroups() throws {
        let dir = try TemporaryDirectory("experiments", removedAfter: self).path
        for (name, rs) in [("g", results()), ("p", [result("base", 1, nil), result("cl", 1, nil)])] {
            try FileManager.default.createDirectory(atPath: dir + "/" + name, withIntermediateDirectories: true)
            let lines = try rs.map { String(decoding: try $0.jsonLine(), as: UTF8.self) }.joined(separator: "\n") + "\n"
            try lines.write(toFile: dir + "/\(name)/results.jsonl", atomically: true, encoding: .utf8)
            try Report.generate(directory: dir + "/" + name)
        }
        let grouped = try String(contentsOfFile: dir + "/g/report.md", encoding: .utf8)
        XCTAssertTrue(grouped.contains("## Validation loss per group"))
        // The finding names the flagged group (cl on fr, as the table flags it).
        XCTAssertTrue(grouped.contains("Per lang group (2 evaluated), these end worse than the baseline with seed ranges apart: `cl` on fr"), grouped)
        XCTAssertTrue(grouped.contains("### Field `lang`"))
        // One line per group, a column per variant (the wide form of `row`'s cells).
        let fr = try XCTUnwrap(grouped.split(separator: "\n").first { $0.hasPrefix("| 2. fr | ") }, grouped)
        XCTAssertTrue(fr.contains("| 4.5500 [4.5000, 4.6000] · not reached · **worse than baseline** |"), String(fr))
        XCTAssertTrue(grouped.contains("plots/val-loss-per-group-lang.svg"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/g/plots/val-loss-per-group-lang.svg"))
        let plain = try String(contentsOfFile: dir + "/p/report.md", encoding: .utf8)
        XCTAssertFalse(plain.contains("per group"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/p/plots/val-loss-per-group-lang.svg"))
    }

    func testGroupCurvesAreReadOffTheEvaluations() {
        func eval(_ step: Int, _ tokens: Int, _ groups: [String: [String: GroupLoss]]?) -> EvalRecord {
            EvalRecord(step: step, tokens: tokens, valLoss: 3, elapsed: 1, trainingSeconds: Double(step), valGroups: groups)
        }
        XCTAssertNil(RunExecutor.groupCurves([eval(0, 0, nil), eval(1, 36, nil)]))
        let curves = RunExecutor.groupCurves([
            eval(0, 0, ["lang": ["en": GroupLoss(loss: 4, positions: 10), "fr": GroupLoss(loss: 5, positions: 7)]]),
            eval(2, 72, ["lang": ["en": GroupLoss(loss: 3, positions: 10)]])])
        XCTAssertEqual(curves?["lang"]?["en"], [CurvePoint(tokens: 0, wall: 0, loss: 4), CurvePoint(tokens: 72, wall: 2, loss: 3)])
        XCTAssertEqual(curves?["lang"]?["fr"], [CurvePoint(tokens: 0, wall: 0, loss: 5)])
    }

    func testResultLinesDecodeWithAndWithoutGroupCurvesAndRefuseADamagedOne() throws {
        let grouped = result("base", 1, ["en": [(0, 4.0), (100, 3.0)]])
        XCTAssertEqual(try JSONDecoder().decode(RunResult.self, from: try grouped.jsonLine()), grouped)
        let plainLine = String(decoding: try result("base", 1, nil).jsonLine(), as: UTF8.self)
        XCTAssertFalse(plainLine.contains("val_group_curves"), "omitted without groups, as lines written before groups")
        XCTAssertNil(try JSONDecoder().decode(RunResult.self, from: Data(plainLine.utf8)).groupCurves)
        XCTAssertNil(grouped.problem)
        let damaged = result("base", 1, ["en": [(100, 4.0), (0, 3.0)]])
        XCTAssertEqual(damaged.problem?.hasPrefix("val_group_curves.lang.en[1] tokens: 0 is below"), true, damaged.problem ?? "")
    }
}
