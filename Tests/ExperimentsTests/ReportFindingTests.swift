// ReportFindingTests.swift — the paragraph report.md opens with (issue 17 item 6) follows from
// the table: hand-made results whose seed ranges and crossings are worked out in the comments.

import XCTest
@testable import Experiments

final class ReportFindingTests: XCTestCase {
    private func curve(_ points: [(Double, Double, Double)]) -> [CurvePoint] {
        points.map { CurvePoint(tokens: $0.0, wall: $0.1, loss: $0.2) }
    }

    private func result(_ variant: String, _ seed: UInt64, _ final: Double, layerTokens: Int = 200) -> RunResult {
        let c = curve([(0, 0, 5), (100, 10, final)])
        return RunResult(variant: variant, seed: seed, finalValidationLoss: final, steps: 1, tokens: 100, layerTokens: layerTokens,
                         flops: 1, wallSeconds: 10, curve: c, schedule: [], sampler: "uniform", randomLTDApplied: false,
                         curriculumRequested: false, randomLTDRequested: false)
    }

    /// base ends at 3.0 / 3.2 (target 3.1). `fast` ends at 2.5 / 2.7 (range [2.5, 2.7], apart from
    /// [3.0, 3.2]); its mean curve 5 → 2.6 crosses 3.1 at 100·1.9/2.4 = 79.1666… tokens, saving
    /// 100 / 79.1666… = 1.2631… → "1.26×". `slow` ends at 3.5 / 3.7: higher. `same` ends at 3.1 / 3.3:
    /// overlaps (wall: 79.1666… tokens is 7.9166… s on fast's curve, the baseline's 10 s: 1.26× less).
    /// `ltd` overlaps too but spent 150 of 200 layer-tokens: 25.0% fewer.
    func testFindingNamesBetterWorseSameAndTheLargestSaving() throws {
        let results = [result("base", 1, 3.0), result("base", 2, 3.2), result("fast", 1, 2.5), result("fast", 2, 2.7),
                       result("slow", 1, 3.5), result("slow", 2, 3.7), result("same", 1, 3.1), result("same", 2, 3.3),
                       result("ltd", 1, 3.05, layerTokens: 150), result("ltd", 2, 3.25, layerTokens: 150)]
        let text = try ReportTable(results: results, baseline: "base").finding(budget: "100 tokens")
        XCTAssertTrue(text.hasPrefix("**Finding.** At 100 tokens per run and 2 seeds per variant, "), text)
        XCTAssertTrue(text.contains("`fast` ended with a lower validation loss than the baseline `base`"), text)
        XCTAssertTrue(text.contains("`slow` ended higher"), text)
        XCTAssertTrue(text.contains("`same` and `ltd` showed no difference"), text)
        XCTAssertTrue(text.contains("`fast` reached the baseline's final loss (3.1000) after 79 tokens, 1.26× fewer than the baseline and 1.26× less training wall-clock"), text)
        XCTAssertTrue(text.contains("`ltd` processed 25.0% fewer layer-tokens"), text)
        XCTAssertTrue(text.contains("not a significance test"), text)
    }

    /// `flat` ends at 3.2 / 3.4 (mean 3.3, never reaching the target 3.1), overlapping [3.0, 3.2]:
    /// nothing separates from noise and no saving is named.
    func testFindingWhenNothingSeparates() throws {
        let results = [result("base", 1, 3.0), result("base", 2, 3.2), result("flat", 1, 3.2), result("flat", 2, 3.4)]
        let text = try ReportTable(results: results, baseline: "base").finding(budget: nil)
        XCTAssertTrue(text.hasPrefix("**Finding.** With 2 seeds per variant, "), text)  // results.jsonl without matrix.json
        XCTAssertTrue(text.contains("`flat` showed no difference (its seed range overlaps the baseline's)"), text)
        XCTAssertTrue(text.contains("Nothing here separates from seed noise at this budget."), text)
        XCTAssertTrue(text.contains("No variant reached the baseline's final loss with fewer tokens."), text)
    }

    /// With a unigram reference recorded: base ends at mean 3.1; reference 3.12 → only 0.020 nats
    /// below (< 0.05): "barely learned context"; reference 3.5 → "0.400 nats below".
    func testFindingComparesTheBaselineWithTheUnigramReference() throws {
        func results(_ unigram: Double) -> [RunResult] {
            [result("base", 1, 3.0), result("base", 2, 3.2), result("v", 1, 3.0), result("v", 2, 3.2)].map {
                var r = $0
                r.unigramValidationLoss = unigram
                return r
            }
        }
        let close = try ReportTable(results: results(3.12), baseline: "base").finding(budget: nil)
        XCTAssertTrue(close.contains("The baseline ends at 3.1000, only 0.020 nats below the unigram reference 3.1200"), close)
        XCTAssertTrue(close.contains("barely learned context"), close)
        let far = try ReportTable(results: results(3.5), baseline: "base").finding(budget: nil)
        XCTAssertTrue(far.contains("The baseline ends 0.400 nats below the unigram reference 3.5000"), far)
        XCTAssertFalse(far.contains("barely"), far)
        let none = try ReportTable(results: [result("base", 1, 3.0), result("base", 2, 3.2)], baseline: "base").finding(budget: nil)
        XCTAssertFalse(none.contains("unigram"), none)
    }

    /// The loss-vs-tokens plot draws the recorded unigram reference (3.5) as a line from the first
    /// to the last evaluation (0 to 100 tokens), after the variants; without one it has no such line.
    func testLossPlotDrawsTheUnigramReferenceAcrossTheCurves() throws {
        let runs = [result("base", 1, 3.0), result("base", 2, 3.2)]
        let with = runs.map { r -> RunResult in var r = r; r.unigramValidationLoss = 3.5; return r }
        let plot = Report.lossPlot(table: try ReportTable(results: with, baseline: "base"), title: "t", xLabel: "x") { $0.tokens }
        XCTAssertEqual(plot.series.map(\.name), ["base", "unigram reference"])
        XCTAssertEqual(plot.series[1].x, [0, 100])
        XCTAssertEqual(plot.series[1].y, [3.5, 3.5])
        XCTAssertTrue(SVGWriter.render(plot).contains("unigram reference"))
        let without = Report.lossPlot(table: try ReportTable(results: runs, baseline: "base"), title: "t", xLabel: "x") { $0.tokens }
        XCTAssertEqual(without.series.map(\.name), ["base"])
    }

    /// One seed: no claim either way.
    func testFindingWithOneSeedClaimsNothing() throws {
        let results = [result("base", 1, 3.0), result("v", 1, 2.0)]
        let text = try ReportTable(results: results, baseline: "base").finding(budget: "100 tokens")
        XCTAssertTrue(text.contains("a single seed gives no spread"), text)
        XCTAssertFalse(text.contains("ended with a lower"), text)
    }
}
