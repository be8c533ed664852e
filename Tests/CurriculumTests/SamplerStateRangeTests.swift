// SamplerStateRangeTests.swift — a sampler state is range-checked against the sampler it is
// restored into (issue 14 item 13) before anything is adopted, so values that would overflow
// later (a pass counter at UInt64.max, a difficulty of 1e300 in percentile mode) are refused
// with the field, the value and the allowed range.

import Curriculum
import Foundation
import XCTest

final class SamplerStateRangeTests: XCTestCase {
    /// 20 samples with values 0…19; metric `a` in value mode, 2 → 12 over 6 steps in steps of 2;
    /// global batch 4.
    private func sampler() throws -> CurriculumSampler<InMemoryDifficultyIndex> {
        let index = try InMemoryDifficultyIndex(metrics: [(name: "a", values: (0..<20).map(Double.init))])
        return try CurriculumSampler(index: index, metrics: [metric("a", pacing: .linear(min: 2, max: 12, totalSteps: 6, difficultyStep: 2))],
                                     seed: 3, globalBatchSize: 4)
    }

    private func assertRefused(_ state: SamplerState, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var s = try sampler()
        XCTAssertThrowsError(try s.restore(state), file: file, line: line) { error in
            XCTAssertEqual(error as? CurriculumError, .invalidState(message), file: file, line: line)
        }
    }

    func testPassCounterThatWouldOverflowIsRefused() throws {
        var s = try sampler()
        for _ in 0..<2 { _ = try s.nextGlobalBatch() }
        var state = s.state()
        XCTAssertEqual(state.consumedSamples, 8)
        XCTAssertEqual(state.clusters.count, 2)  // difficulties 2 and 4: values ≤ 2, then 3…4
        // Without the check the restore succeeded and the first exhausted pass trapped in `pass += 1`.
        state.cursors[0].pass = .max
        try assertRefused(state, "cursors[0].pass: 18446744073709551615 is outside the allowed range 0...8 (every pass after the first "
                          + "serves at least one sample)")
        var fine = s.state()
        fine.cursors[0].pass = 8
        var t = try sampler()
        XCTAssertNoThrow(try t.restore(fine))
    }

    func testDifficultiesAndCountsOutsideTheirRangesAreRefused() throws {
        var s = try sampler()
        _ = try s.nextGlobalBatch()
        let saved = s.state()
        var state = saved
        // The schedule floors to multiples of 2 from min 2: its values lie in 2 − 2 − 1 … 12.
        state.schedulerDifficulties = [1e300]
        try assertRefused(state, "schedulerDifficulties[0]: 1e+300 is outside the range -1.0...12.0 that the schedule of metric \"a\" can produce")
        state = saved
        state.globalBatchSize = 0
        try assertRefused(state, "globalBatchSize: 0 is outside the allowed range 1...16777216 (the global batch size limit)")
        state = saved
        state.step = 2
        state.clusters += state.clusters
        state.cursors += state.cursors
        state.step = 1
        try assertRefused(state, "clusters: 2 clusters after 1 steps (a step creates at most one cluster)")
    }

    /// Percentile rank counts are clamped before the conversion to Int: a difficulty far above
    /// max_difficulty (a fixed_discrete list may hold one) selects every sample instead of trapping.
    func testPercentileRankCountIsClamped() {
        XCTAssertEqual(percentileRankCount(1e30, maxDifficulty: 1, sampleCount: 10), 10)
        XCTAssertEqual(percentileRankCount(.nan, maxDifficulty: 100, sampleCount: 10), 0)
        XCTAssertEqual(percentileRankCount(-3, maxDifficulty: 100, sampleCount: 1000), 0)
        XCTAssertEqual(percentileRankCount(37, maxDifficulty: 100, sampleCount: 1000), 370)  // ⌊1000/100⌋ · 37
    }
}
