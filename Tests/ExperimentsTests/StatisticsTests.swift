// StatisticsTests.swift — tokens-to-target and savings (issue 7 acceptance): a hand-worked
// example with interpolation, a variant that never reaches the target (reported as such, also in
// the report's cells), the mean curve over seeds with different evaluation grids, and the summary
// statistics — every expected value worked out by hand in the comments.

import XCTest
@testable import Experiments

final class StatisticsTests: XCTestCase {
    private func curve(_ points: [(Double, Double, Double)]) -> [CurvePoint] {
        points.map { CurvePoint(tokens: $0.0, wall: $0.1, loss: $0.2) }
    }

    /// Baseline ends at loss 3.0 (the target) at 200 tokens / 20 s. The variant's losses are
    /// 5.0, 3.5, 2.5 at 0, 100, 200 tokens: it crosses 3.0 halfway between 100 and 200
    /// ((3.5 − 3.0) / (3.5 − 2.5) = 0.5), i.e. at 150 tokens and 8 + 0.5·(16 − 8) = 12 s.
    /// Savings: 200 / 150 = 1.3333…, 20 / 12 = 1.6666….
    func testTokensToTargetInterpolatesTheFirstCrossing() {
        let baseline = curve([(0, 0, 5.0), (100, 10, 4.0), (200, 20, 3.0)])
        let variant = curve([(0, 0, 5.0), (100, 8, 3.5), (200, 16, 2.5), (300, 24, 2.9)])
        let c = TargetAnalysis.compare(baseline: baseline, variant: variant)
        XCTAssertEqual(c.target, 3.0)
        XCTAssertEqual(c.baseline, .reached(tokens: 200, wall: 20))
        XCTAssertEqual(c.variant, .reached(tokens: 150, wall: 12))
        XCTAssertEqual(try XCTUnwrap(c.dataSaving), 4.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(c.wallSaving), 5.0 / 3.0, accuracy: 1e-12)
    }

    /// A curve that is already at the target at its first point reaches it there (no extrapolation).
    func testTokensToTargetFirstPointAtTarget() {
        XCTAssertEqual(TargetAnalysis.reach(curve([(10, 1, 2.0), (20, 2, 1.0)]), target: 2.5), .reached(tokens: 10, wall: 1))
    }

    /// The variant bottoms out at 3.2 > 3.0: not reached, and no saving number.
    func testTokensToTargetNeverReachingVariantIsNotANumber() throws {
        let baseline = curve([(0, 0, 5.0), (100, 10, 4.0), (200, 20, 3.0)])
        let variant = curve([(0, 0, 5.0), (100, 5, 4.0), (200, 10, 3.2)])
        let c = TargetAnalysis.compare(baseline: baseline, variant: variant)
        XCTAssertEqual(c.variant, .notReached)
        XCTAssertNil(c.dataSaving)
        XCTAssertNil(c.wallSaving)

        let results = [result("base", 1, baseline), result("slow", 1, variant)]
        let table = try ReportTable(results: results, baseline: "base")
        let cells = ReportTable.cells(table.rows[1])
        XCTAssertEqual(cells[4], "not reached")
        XCTAssertEqual(cells[5], "—")
        XCTAssertEqual(cells[6], "not reached")
        XCTAssertTrue(table.verdict(table.rows[1]).contains("did not reach"))
    }

    /// Seed curves on grids {0, 100} and {0, 50, 100}: at 50 the first is interpolated to loss 3,
    /// wall 5; the second has loss 5, wall 4 → mean loss 4, wall 4.5, band [3, 5]. At 100: losses
    /// 2 and 4 → mean 3, walls 10 and 8 → 9.
    func testMeanCurveInterpolatesSeedsOnTheUnionGrid() {
        let m = MeanCurve(curves: [curve([(0, 0, 4), (100, 10, 2)]), curve([(0, 0, 6), (50, 4, 5), (100, 8, 4)])])
        XCTAssertEqual(m.points, curve([(0, 0, 5), (50, 4.5, 4), (100, 9, 3)]))
        XCTAssertEqual(m.lower, [4, 3, 2])
        XCTAssertEqual(m.upper, [6, 5, 4])
    }

    /// [1, 2, 3, 4]: mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, / 3 → sd √(5/3).
    func testSummaryMeanSampleSdAndRangeOverlap() {
        let s = Summary([1, 2, 3, 4])
        XCTAssertEqual(s.mean, 2.5)
        XCTAssertEqual(s.std, (5.0 / 3.0).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(s.min, 1)
        XCTAssertEqual(s.max, 4)
        XCTAssertTrue(s.overlaps(Summary([4, 9])))
        XCTAssertFalse(s.overlaps(Summary([4.5, 9])))
        XCTAssertEqual(Summary([7]).std, 0)
    }

    /// Two seeds each, ranges [3.0, 3.2] vs [2.5, 2.7]: no overlap → "lower", with the caveat.
    /// Ranges [3.0, 3.2] vs [3.1, 3.3]: overlap → "no significant difference".
    func testVerdictClaimsOnlyWhatTheSpreadSupports() throws {
        let b = [result("base", 1, curve([(0, 0, 5), (100, 1, 3.0)])), result("base", 2, curve([(0, 0, 5), (100, 1, 3.2)]))]
        let better = [result("v", 1, curve([(0, 0, 5), (100, 1, 2.5)])), result("v", 2, curve([(0, 0, 5), (100, 1, 2.7)]))]
        let same = [result("w", 1, curve([(0, 0, 5), (100, 1, 3.1)])), result("w", 2, curve([(0, 0, 5), (100, 1, 3.3)]))]
        let table = try ReportTable(results: b + better + same, baseline: "base")
        XCTAssertTrue(table.verdict(table.rows[1]).contains("lower than the baseline"), table.verdict(table.rows[1]))
        XCTAssertTrue(table.verdict(table.rows[1]).contains("not a significance test"))
        XCTAssertTrue(table.verdict(table.rows[2]).hasPrefix("No significant difference at this budget"), table.verdict(table.rows[2]))
        // Target 3.1 (mean of 3.0, 3.2); the v mean curve 5 → 2.6 crosses it at 100·(5 − 3.1)/(5 − 2.6) = 79.1666….
        XCTAssertEqual(ReportTable.cells(table.rows[1])[4], "79")
        XCTAssertEqual(ReportTable.cells(table.rows[1])[5], String(format: "%.2f×", 100 / (100 * 1.9 / 2.4)))
    }

    func testReportTableMissingBaselineThrows() {
        XCTAssertThrowsError(try ReportTable(results: [result("v", 1, curve([(0, 0, 1)]))], baseline: "base"))
    }

    private func result(_ variant: String, _ seed: UInt64, _ curve: [CurvePoint]) -> RunResult {
        RunResult(variant: variant, seed: seed, finalValidationLoss: curve.last!.loss, steps: 1, tokens: Int(curve.last!.tokens),
                  layerTokens: 2 * Int(curve.last!.tokens), flops: 1, wallSeconds: curve.last!.wall, curve: curve, schedule: [],
                  sampler: "uniform", randomLTDApplied: false, curriculumRequested: false, randomLTDRequested: false)
    }
}
