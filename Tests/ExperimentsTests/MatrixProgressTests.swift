// MatrixProgressTests.swift — the matrix's share done and its ETA (issue 17 item 5), worked by
// hand: the ETA extrapolates only the work done in this process, so a resumed matrix whose
// finished runs are skipped at once does not look nearly done.

import XCTest
@testable import Experiments
@testable import Training

final class MatrixProgressTests: XCTestCase {
    /// Step `step` of 50 tokens (or of `stepTokens`), at 50 tokens/s (1 s a step).
    private func step(_ step: Int, tokens: Int, seconds: Double = 0, stepTokens: Int = 50) -> StepRecord {
        StepRecord(step: step, samples: step, tokens: tokens, layerTokens: tokens, loss: 1, lr: 0, gradNorm: 0, seqLength: 1,
                   tokensPerSecond: 50, elapsed: 0, stepTokens: stepTokens, rows: 1, curriculumStep: nil, difficulty: nil,
                   reserved: nil, flops: 0, trainingSeconds: seconds)
    }

    /// 4 runs of 1000 tokens. Run 0 was finished before (skipped: counts as done, not as work
    /// here); run 1 resumes at 500 tokens (its first step here: 500 → 550) and reaches 750; run 2
    /// starts (first step 0 → 50) and reaches 250. Done: (1 + 0.75 + 0.25 + 0) / 4 = 50%. Work
    /// here: 0.25 + 0.25 = 0.5 runs; left: 2 runs, so the ETA is 4× the time so far.
    func testShareDoneAndETACountOnlyTheWorkOfThisProcess() throws {
        let p = MatrixProgress(runs: 4, budget: .tokens(1000))
        XCTAssertNil(p.secondsLeft, "no estimate before any work")
        p.finish(run: 0)
        XCTAssertNil(p.secondsLeft, "a skipped finished run is no work done here")
        p.update(run: 1, after: step(11, tokens: 550))
        p.update(run: 1, after: step(15, tokens: 750))
        p.update(run: 2, after: step(1, tokens: 50))
        p.update(run: 2, after: step(5, tokens: 250))
        XCTAssertEqual(p.done, 0.5, accuracy: 1e-12)
        Thread.sleep(forTimeInterval: 0.05)
        let left = try XCTUnwrap(p.secondsLeft)
        // elapsed (≥ 0.05 s) × 2 / 0.5: at least 0.2 s, and far below a second on any machine.
        XCTAssertGreaterThanOrEqual(left, 0.2)
        XCTAssertLessThan(left, 4 * 5.0)
        XCTAssertTrue(p.summary.hasPrefix("matrix 50% done, about "), p.summary)
    }

    /// Fractions per budget kind: steps, seconds of training; clamped at 1. A run's first step
    /// here counts from the state before it: the first step of a 4-step budget is 25% of work here.
    func testFractionPerBudgetKind() throws {
        XCTAssertEqual(MatrixProgress(runs: 1, budget: .steps(40)).fraction(step(10, tokens: 0)), 0.25)
        XCTAssertEqual(MatrixProgress(runs: 1, budget: .seconds(8)).fraction(step(1, tokens: 0, seconds: 2)), 0.25)
        XCTAssertEqual(MatrixProgress(runs: 1, budget: .tokens(100)).fraction(step(1, tokens: 120)), 1)
        let fresh = MatrixProgress(runs: 2, budget: .seconds(4))
        fresh.update(run: 0, after: step(1, tokens: 50, seconds: 1))  // 1 s step (50 tokens at 50/s)
        XCTAssertEqual(fresh.done, 0.125, accuracy: 1e-12)
        XCTAssertNotNil(fresh.secondsLeft, "an estimate from the first step on")
    }
}
