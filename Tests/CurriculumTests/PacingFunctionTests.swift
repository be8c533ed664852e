// PacingFunctionTests.swift — the pacing functions against every scheduler vector: DeepSpeed
// 0.19.8's (../shared/reference/peer-figures.md, which override spec T4) and spec §2.5 T5–T10,
// plus the freeze rule (T7), properties over many configs, and the Gradus extensions.

import Curriculum
import Foundation
import XCTest
import Support

final class PacingFunctionTests: XCTestCase {
    /// Asserts value(s) == expected for each (s, expected).
    private func check(_ f: PacingFunction, _ steps: [Int], _ expected: [Double], _ name: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(steps.count, expected.count, "\(name): table shape", file: file, line: line)
        for (s, e) in zip(steps, expected) {
            XCTAssertEqual(f.value(at: Double(s)), e, "\(name) at s = \(s)", file: file, line: line)
        }
    }

    func testPeerFiguresT1FixedLinear() {
        check(.linear(min: 2, max: 10, totalSteps: 8, difficultyStep: 2), Array(0...11),
              [2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 10, 10], "T1")
    }

    func testPeerFiguresT2FixedRootSquare() {
        let f = PacingFunction.root(min: 1, max: 100, totalSteps: 110_000, difficultyStep: 1, rootDegree: 2)
        check(f, [0, 1, 2, 10, 100, 1000, 10000, 27500, 55000, 109_999, 110_000, 120_000],
              [1, 1, 1, 1, 3, 10, 30, 50, 71, 99, 100, 100], "T2")
    }

    func testPeerFiguresT3FixedRootDegreeOne() {
        let f = PacingFunction.root(min: 80, max: 2048, totalSteps: 110_000, difficultyStep: 8, rootDegree: 1)
        check(f, [0, 1, 447, 448, 449, 1000, 55000, 109_999, 110_000, 110_001, 200_000],
              [80, 80, 80, 88, 88, 96, 1064, 2040, 2048, 2048, 2048], "T3")
    }

    /// The current release's floor: 8 at s = 0 (the spec's older T4 had 0).
    func testPeerFiguresT4CurrentReleaseFloor() {
        check(.linear(min: 5, max: 101, totalSteps: 10, difficultyStep: 8), Array(0...12),
              [8, 8, 24, 32, 40, 48, 56, 72, 80, 88, 96, 101, 101], "T4 (0.19.8)")
    }

    /// Without the floor (minimumRule .none) the same config gives the spec's older T4.
    func testSpecT4WithoutFloor() {
        check(.linear(min: 5, max: 101, totalSteps: 10, difficultyStep: 8, minimumRule: .none), Array(0...12),
              [0, 8, 24, 32, 40, 48, 56, 72, 80, 88, 96, 101, 101], "T4 (spec, ≤ 0.19.6)")
    }

    func testPeerFiguresT8CubeRoot() {
        let f = PacingFunction.root(min: 0, max: 64, totalSteps: 1000, difficultyStep: 4, rootDegree: 3)
        check(f, [0, 1, 8, 27, 125, 343, 512, 729, 1000, 1001], [0, 4, 12, 16, 32, 44, 48, 56, 64, 64], "T8")
    }

    func testPeerFiguresLinearStepAboveMin() {
        check(.linear(min: 8, max: 64, totalSteps: 10, difficultyStep: 16), Array(0...11),
              [16, 16, 16, 16, 16, 32, 32, 32, 48, 48, 64, 64], "8→64 Δ16")
    }

    func testSpecT5T6Discrete() {
        check(.discrete(min: 1, max: 5, difficulties: [1, 2, 3, 4, 5], maxSteps: [2, 4, 6, 8]), Array(0...10),
              [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5], "T5")
        check(.discrete(min: 1, max: 3, difficulties: [1, 2, 3], maxSteps: [5, 10]), [0, 1, 5, 6, 10, 11, 100],
              [1, 1, 1, 2, 2, 3, 3], "T6")
    }

    func testSpecT7FreezeAtMax() {
        var scheduler = CurriculumScheduler(pacing: .discrete(min: 1, max: 3, difficulties: [1, 4, 2], maxSteps: [2, 4]))
        let values = (1...7).map { scheduler.update(step: Double($0)) }
        XCTAssertEqual(values, [1, 1, 4, 4, 4, 4, 4])
        XCTAssertEqual(scheduler.pacing.value(at: 5), 2, "get_difficulty itself is not frozen")
    }

    func testSpecT9T10() {
        check(.linear(min: 0, max: 10, totalSteps: 3, difficultyStep: 1), Array(0...3), [0, 3, 6, 10], "T9")
        check(.linear(min: 0, max: 100, totalSteps: 7, difficultyStep: 1), Array(0...7),
              [0, 14, 28, 42, 57, 71, 85, 100], "T10")
    }

    /// Monotone, within [first multiple of Δ ≥ min capped at max, max], and max is reached once
    /// x·(max−min) ≥ (max−min) + Δ, i.e. by s = T·(1 + (Δ+1)/(max−min))^d.
    func testPropertiesOverManyConfigs() {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<300 {
            let lo = Double(rng.nextInt(below: 200)), span = Double(1 + rng.nextInt(below: 3000))
            let hi = lo + span
            let total = Double(1 + rng.nextInt(below: 5000)), step = Double(1 + rng.nextInt(below: 32))
            let degree = Double(1 + rng.nextInt(below: 3))
            let f = PacingFunction.root(min: lo, max: hi, totalSteps: total, difficultyStep: step, rootDegree: degree)
            let floor = Swift.min(hi, (lo / step).rounded(.up) * step)
            var previous = -Double.infinity
            let reach = (total * Foundation.pow(1 + (step + 1) / span, degree)).rounded(.up) + 1
            for s in stride(from: 0.0, through: reach, by: Swift.max(1, (reach / 97).rounded(.down))) {
                let v = f.value(at: s)
                XCTAssertGreaterThanOrEqual(v, previous, "monotone")
                XCTAssertGreaterThanOrEqual(v, floor)
                XCTAssertLessThanOrEqual(v, hi)
                XCTAssert(v == hi || pythonMod(v, step) == 0, "multiple of Δ or max")
                previous = v
            }
            XCTAssertEqual(f.value(at: reach), hi, "reaches max")
        }
    }

    private func pythonMod(_ a: Double, _ b: Double) -> Double { a - b * (a / b).rounded(.down) }

    func testTokenUnitUsesTheSameFormula() {
        let f = PacingFunction.linear(min: 8, max: 64, totalSteps: 1_000_000, difficultyStep: 8, stepUnit: .tokens)
        XCTAssertEqual(f.value(at: 0), 8)
        XCTAssertEqual(f.value(at: 500_000), 32)  // 0.5·56 + 8 = 36 → 32
        XCTAssertEqual(f.value(at: 2_000_000), 64)
    }

    func testCustomPointsInterpolate() {
        let f = PacingFunction.custom(min: 8, max: 64, points: [.init(step: 0, difficulty: 8), .init(step: 10, difficulty: 64)])
        XCTAssertEqual(f.value(at: 0), 8)
        XCTAssertEqual(f.value(at: 5), 36)
        XCTAssertEqual(f.value(at: 3), 24)  // 8 + 0.3·56 = 24.8 → 24
        XCTAssertEqual(f.value(at: 99), 64)
        XCTAssertTrue(f.validationProblems().isEmpty)
    }

    func testValidation() {
        XCTAssertFalse(PacingFunction.discrete(min: 1, max: 3, difficulties: [1, 2], maxSteps: [1, 2]).validationProblems().isEmpty)
        XCTAssertFalse(PacingFunction.linear(min: 1, max: 3, totalSteps: 0, difficultyStep: 1).validationProblems().isEmpty)
        XCTAssertTrue(PacingFunction.linear(min: 1, max: 3, totalSteps: 5, difficultyStep: 1).validationProblems().isEmpty)
    }

    func testDifficultyFormatting() {
        XCTAssertEqual(formatDifficulty(80, integral: true), "80")
        XCTAssertEqual(formatDifficulty(40, integral: false), "40.0")
    }
}

/// random-LTD reserved length and layer-token accounting (spec §9.1 L1–L4, peer-figures.md).
final class RandomLTDSchedulerTests: XCTestCase {
    func testL1GPT() {
        var s = RandomLTDScheduler(minValue: 128, maxValue: 2048, requireSteps: 200_000, seqPerStep: 16,
                                   totalLayers: 24, droppingLayers: 22, globalBatchSize: 512)
        let table: [(Int, Int, Double)] = [
            (0, 128, 3_538_944), (0, 128, 3_538_944), (1, 128, 7_077_888), (2, 128, 10_616_832),
            (1000, 128, 14_155_776), (100_000, 1088, 28_508_160), (199_999, 2032, 53_493_760),
            (200_000, 2048, 78_659_584), (200_001, 2048, 103_825_408),
        ]
        for (step, value, consumed) in table {
            XCTAssertEqual(s.update(step: step), value, "r at \(step)")
            XCTAssertEqual(s.consumedLayerTokens, consumed, "consumed at \(step)")
        }
    }

    func testL2ViTReachesMaxLate() {
        let s = RandomLTDScheduler(minValue: 32, maxValue: 197, requireSteps: 3910, seqPerStep: 8,
                                   totalLayers: 12, droppingLayers: 10, globalBatchSize: 32)
        for step in [3909, 3910, 3911, 3981] { XCTAssertEqual(s.value(at: step), 192, "s = \(step)") }
        XCTAssertEqual(s.value(at: 3982), 197)
        var t = s
        t.update(step: 0)
        XCTAssertEqual(t.consumedLayerTokens, 22_848)
    }

    func testL3Accounting() {
        var s = RandomLTDScheduler(minValue: 4, maxValue: 10, requireSteps: 5, seqPerStep: 2,
                                   totalLayers: 4, droppingLayers: 2, globalBatchSize: 3)
        let values = [4, 4, 6, 6, 8, 10, 10, 10], consumed: [Double] = [84, 168, 264, 360, 468, 588, 708, 828]
        for step in 0..<8 {
            XCTAssertEqual(s.update(step: step), values[step])
            XCTAssertEqual(s.consumedLayerTokens, consumed[step])
        }
        var fresh = RandomLTDScheduler(minValue: 4, maxValue: 10, requireSteps: 5, seqPerStep: 2,
                                       totalLayers: 4, droppingLayers: 2, globalBatchSize: 3)
        XCTAssertEqual(fresh.totalLayerTokens(steps: 8), 828)
        XCTAssertEqual(fresh.currentStep, 7)
        XCTAssertEqual(fresh.currentValue, 10)
    }

    /// L4 and peer-figures.md: no floor for random-LTD (100 with step 16 → 96 at steps 0–1... and 1 → 128).
    func testL4NoFloor() {
        let s = RandomLTDScheduler(minValue: 100, maxValue: 500, requireSteps: 10, seqPerStep: 16,
                                   totalLayers: 4, droppingLayers: 2, globalBatchSize: 1)
        XCTAssertEqual([0, 1, 5, 10, 11].map { s.value(at: $0) }, [96, 128, 288, 496, 500])
    }

    /// The spec's documented GPT (config-json.md) and BERT template schedules (§1.2, §1.4).
    func testDocumentedExamples() {
        let gpt = RandomLTDScheduler(minValue: 128, maxValue: 2048, requireSteps: 200_000, seqPerStep: 16,
                                     totalLayers: 24, droppingLayers: 22, globalBatchSize: 512)
        XCTAssertEqual(gpt.value(at: 0), 128)
        XCTAssertEqual(gpt.value(at: 100_000), 1088)
        let bert = RandomLTDScheduler(minValue: 128, maxValue: 512, requireSteps: 200_000, seqPerStep: 16,
                                      totalLayers: 24, droppingLayers: 22, globalBatchSize: 1024)
        XCTAssertEqual(bert.value(at: 100_000), 320)  // 0.5·384 + 128 = 320
        XCTAssertEqual(bert.value(at: 200_000), 512)
    }
}
