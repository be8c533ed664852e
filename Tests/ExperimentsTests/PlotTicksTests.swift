// PlotTicksTests.swift — an axis's ticks and labels (issue 17 item 4): hand-worked ranges (the LR
// axis whose labels used to read "5e-04, 0.001, 0.002, 0.002", a narrow loss range, a token budget,
// a flat range, tiny and huge magnitudes), then a seeded sweep of ranges checking the properties:
// ticks inside the range and increasing, labels distinct and each reading as its tick.

import Foundation
import XCTest
@testable import Experiments

final class PlotTicksTests: XCTestCase {
    /// Expected values by hand: step = the one of 1, 2, 5 × 10^k nearest raw = (hi − lo) / 5 by ratio;
    /// ticks are its multiples inside [lo, hi]; decimals = the fewest that write every tick exactly.
    func testTicksAndLabelsOfHandWorkedRanges() {
        // (0.002 − 0.0002) / 5 = 0.00036 → step 0.0005 (× 1.39; 0.0002 would be ÷ 1.8).
        assertAxis(0.0002, 0.002, ticks: [0.0005, 0.001, 0.0015, 0.002], labels: ["0.0005", "0.0010", "0.0015", "0.0020"])
        // 0.05 / 5 = 0.01 → step 0.01, both ends included.
        assertAxis(3.1, 3.15, ticks: [3.1, 3.11, 3.12, 3.13, 3.14, 3.15], labels: ["3.10", "3.11", "3.12", "3.13", "3.14", "3.15"])
        // 614400 / 5 = 122880 → step 100000 (÷ 1.23; 200000 would be × 1.63).
        assertAxis(0, 614_400, ticks: [0, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000],
                   labels: ["0", "100k", "200k", "300k", "400k", "500k", "600k"])
        // A flat range: its one value.
        assertAxis(7, 7, ticks: [7], labels: ["7"])
        // Tiny: 4e-9 / 5 = 8e-10 → step 1e-9 (× 1.25); below 0.001 the labels are scientific.
        assertAxis(1e-9, 5e-9, ticks: [1e-9, 2e-9, 3e-9, 4e-9, 5e-9], labels: ["1e-09", "2e-09", "3e-09", "4e-09", "5e-09"])
        // Tiny and narrow: 8e-14 / 5 = 1.6e-14 → step 2e-14; five significant digits tell them apart.
        assertAxis(1.0001e-9, 1.0009e-9, ticks: [1.0002e-9, 1.0004e-9, 1.0006e-9, 1.0008e-9],
                   labels: ["1.0002e-09", "1.0004e-09", "1.0006e-09", "1.0008e-09"])
        // Huge: 3e15 / 5 = 6e14 → step 5e14 (÷ 1.2); from 10^12 the labels are scientific, and 1.5e+15
        // needs a decimal, so every label of the axis has one.
        assertAxis(0, 3e15, ticks: [0, 5e14, 1e15, 1.5e15, 2e15, 2.5e15, 3e15],
                   labels: ["0", "5.0e+14", "1.0e+15", "1.5e+15", "2.0e+15", "2.5e+15", "3.0e+15"])
        // Huge and narrow: 10 / 5 = 2 → step 2 on 10^15, i.e. 2e-15 of the mantissa: fifteen decimals.
        assertAxis(1e15, 1e15 + 10, ticks: [1e15, 1e15 + 2, 1e15 + 4, 1e15 + 6, 1e15 + 8, 1e15 + 10],
                   labels: ["1.000000000000000e+15", "1.000000000000002e+15", "1.000000000000004e+15",
                            "1.000000000000006e+15", "1.000000000000008e+15", "1.000000000000010e+15"])
        // Millions (7e6 / 5 = 1.4e6 → step 1e6), then billions where 1.5 needs one decimal.
        assertAxis(0, 7e6, ticks: [0, 1e6, 2e6, 3e6, 4e6, 5e6, 6e6, 7e6], labels: ["0", "1M", "2M", "3M", "4M", "5M", "6M", "7M"])
        XCTAssertEqual(Plot.tickLabels([1e9, 1.5e9, 2e9]), ["1.0G", "1.5G", "2.0G"])
        // Negative values (0.4 / 5 = 0.08 → step 0.1), and the whole double range without overflow
        // (raw 7.2e307 → step 1e308).
        assertAxis(-0.3, 0.1, ticks: [-0.3, -0.2, -0.1, 0, 0.1], labels: ["-0.3", "-0.2", "-0.1", "0", "0.1"])
        assertAxis(-.greatestFiniteMagnitude, .greatestFiniteMagnitude, ticks: [-1e308, 0, 1e308], labels: ["-1e+308", "0", "1e+308"])
        // No ticks where there is no range to tick.
        XCTAssertEqual(Plot.ticks(.nan, 1), [])
        XCTAssertEqual(Plot.ticks(0, .infinity), [])
        XCTAssertEqual(Plot.ticks(2, 1), [])
    }

    /// A seeded sweep over magnitudes 10^-12 … 10^15 and widths down to 10^-9 of the values.
    func testTicksStayInsideOrderedAndLabelsDistinct() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double { state = state &* 6_364_136_223_846_793_005 &+ 1; return Double(state >> 11) / Double(1 << 53) }
        for _ in 0..<2000 {
            let magnitude = pow(10, -12 + 27 * uniform()), width = magnitude * pow(10, -9 + 10 * uniform())
            let lo = (uniform() < 0.3 ? -1 : 1) * magnitude * uniform(), hi = lo + width
            let ticks = Plot.ticks(lo, hi), labels = Plot.tickLabels(ticks)
            let context = "range [\(lo), \(hi)]: ticks \(ticks), labels \(labels)"
            XCTAssertGreaterThanOrEqual(ticks.count, 2, context)
            XCTAssertLessThanOrEqual(ticks.count, 11, context)
            XCTAssertTrue(ticks.allSatisfy { $0 >= lo && $0 <= hi }, context)
            XCTAssertTrue(zip(ticks, ticks.dropFirst()).allSatisfy { $0 < $1 }, context)
            XCTAssertEqual(Set(labels).count, labels.count, context)
            let spacing = zip(ticks, ticks.dropFirst()).map { $1 - $0 }.min() ?? 1
            for (t, label) in zip(ticks, labels) {
                XCTAssertLessThanOrEqual(abs(readLabel(label) - t), spacing * 1e-6, context)
            }
        }
    }

    /// The number a label writes: k, M and G are 10^3, 10^6 and 10^9.
    private func readLabel(_ label: String) -> Double {
        let scales: [Character: Double] = ["k": 1e3, "M": 1e6, "G": 1e9]
        if let last = label.last, let scale = scales[last] { return (Double(label.dropLast()) ?? .nan) * scale }
        return Double(label) ?? .nan
    }

    private func assertAxis(_ lo: Double, _ hi: Double, ticks expected: [Double], labels: [String], line: UInt = #line) {
        let ticks = Plot.ticks(lo, hi)
        XCTAssertEqual(ticks.count, expected.count, "ticks \(ticks)", line: line)
        for (t, e) in zip(ticks, expected) { XCTAssertEqual(t, e, accuracy: abs(e) * 1e-12, "ticks \(ticks)", line: line) }
        XCTAssertEqual(Plot.tickLabels(ticks), labels, line: line)
    }
}
