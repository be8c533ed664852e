// VectorKernelTests.swift — the Float-only vector kernels of issue 19 (VectorMath.swift and the
// Float branches of GELU, LayerNorm, CrossEntropy, Attention) against independent references:
// eˣ and tanh against libm in Double, each layer's Float pass against the same layer's scalar
// Double code (the formulas the finite-difference checks verify), on odd sizes so the vector
// loops' tails run; and GELU's result independent of how rows are split over threads.

import Foundation
import TestSupport
import XCTest
@testable import Model
import Support

final class VectorKernelTests: XCTestCase {
    /// Float16x → array.
    private func lanes(_ v: Float16x) -> [Float] { (0..<16).map { v[$0] } }

    func testVectorExpIsWithinTwoUlpOfLibm() {
        var xs: [Float] = stride(from: -87.3, through: 88.3, by: 0.0137).map { Float($0) }
        var rng = SplitMix64(seed: 11)
        xs += (0..<4000).map { _ in Float((rng.nextDouble() * 2 - 1) * 20) }
        xs += [0, -0.0, 1e-30, -1e-30, 0.3465736, -0.3465736, 0.6931472, -87.33, 88.36]
        var worst: Float = 0
        for start in stride(from: 0, to: xs.count, by: 16) {
            var v = Float16x()
            for k in 0..<16 { v[k] = xs[min(start + k, xs.count - 1)] }
            let y = lanes(VectorMath.exp(v))
            for k in 0..<16 {
                let x = v[k], reference = Float(Foundation.exp(Double(x)))
                let ulps = abs(y[k] - reference) / reference.ulp
                worst = max(worst, ulps)
                XCTAssertLessThanOrEqual(ulps, 2, "exp(\(x)) = \(y[k]), libm \(reference)")
            }
        }
        XCTAssertGreaterThan(worst, 0)  // the kernel is not libm itself
    }

    func testVectorExpEdgeCases() {
        let x = Float16x(lowHalf: Float8(0, -100, 100, .nan, -.infinity, .infinity, -87.5, 88.5), highHalf: Float8())
        let y = lanes(VectorMath.exp(x))
        XCTAssertEqual(y[0], 1)
        XCTAssertEqual(y[1], 0)
        XCTAssertEqual(y[2], .infinity)
        XCTAssertTrue(y[3].isNaN)
        XCTAssertEqual(y[4], 0)
        XCTAssertEqual(y[5], .infinity)
        XCTAssertEqual(y[6], 0)  // e^−87.5 ≈ 9.9e−39 is subnormal in Float
        XCTAssertEqual(y[7], .infinity)
    }

    func testVectorTanhMatchesLibm() {
        for start in stride(from: -12.0, to: 12.0, by: 0.08) {
            let v = Float16x((0..<16).map { Float(start + 0.005 * Double($0)) })
            let y = lanes(VectorMath.tanh(v))
            for k in 0..<16 {
                XCTAssertEqual(Double(y[k]), Foundation.tanh(Double(v[k])), accuracy: 3e-7, "tanh(\(v[k]))")
            }
        }
        XCTAssertEqual(lanes(VectorMath.tanh(Float16x(repeating: 50)))[0], 1)
        XCTAssertEqual(lanes(VectorMath.tanh(Float16x(repeating: -50)))[0], -1)
    }

    /// Runs `body` in Float and in Double on the same inputs; compares every output array.
    private func compare(
        _ what: String, _ inputs: [[Double]], rel: Double = 2e-5, abs: Double = 2e-6,
        _ body: ([UnsafeMutablePointer<Float>]) -> Void, _ reference: ([UnsafeMutablePointer<Double>]) -> Void,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let float = withPointers(inputs.map { $0.map(Float.init) }, body)
        let double = withPointers(inputs, reference)
        for (k, (f, d)) in zip(float, double).enumerated() {
            assertClose(f.map(Double.init), d, abs: abs, rel: rel, "\(what): array \(k)", file: file, line: line)
        }
    }

    func testFloatGELUMatchesDoubleReference() {
        var rng = SplitMix64(seed: 12)
        for n in [37, 45] {  // sixteen-lane tails of 5 and of 13 (eight at once, then 5)
            let inputs = [randomArray(n, &rng, scale: 6), randomArray(n, &rng), randomArray(n, &rng), randomArray(n, &rng),
                          randomArray(n, &rng)]
            compare("gelu", inputs, { p in
                GELU.forward(out: p[1], derivative: p[4], inp: p[0], count: n, threads: 1)
                GELU.backward(dInp: p[3], dOut: p[2], derivative: p[4], rows: 1, columns: n, threads: 1)
            }, { p in
                GELU.forward(out: p[1], derivative: p[4], inp: p[0], count: n, threads: 1)
                GELU.backward(dInp: p[3], dOut: p[2], derivative: p[4], rows: 1, columns: n, threads: 1)
            })
        }
    }

    /// The exp-and-sum's total is summed in one fixed order whatever the width its eˣ runs in:
    /// sixteen lanes, value i into lane i mod 16 in turn, then the halves added lane by lane and
    /// the eight summed as `SIMD8.sum()` does. The reference takes each eˣ from the kernel one value
    /// at a time and adds them in that order in scalar code.
    func testExpShiftedSumAddsInSixteenLanesWhateverTheWidth() {
        var rng = SplitMix64(seed: 17)
        for count in [1, 7, 8, 15, 16, 23, 24, 37, 45, 64, 257] {
            let x = (0..<count).map { _ in Float((rng.nextDouble() * 2 - 1) * 6) }
            let shift: Float = 1.25
            let e = x.map { VectorMath.exp(Float16x(repeating: $0 - shift))[0] }
            var lanes = [Float](repeating: 0, count: 16)
            for i in 0..<count { lanes[i % 16] += e[i] }
            let halves = (0..<8).map { lanes[$0] + lanes[$0 + 8] }
            let expected = Float8(halves[0], halves[1], halves[2], halves[3], halves[4], halves[5], halves[6], halves[7]).sum()
            var y = [Float](repeating: .nan, count: count)
            let total = y.withUnsafeMutableBufferPointer { VectorMath.expShiftedSum($0.baseAddress!, x, shift: shift, count: count) }
            XCTAssertEqual(total.bitPattern, expected.bitPattern, "count \(count): \(total) vs \(expected)")
            XCTAssertEqual(y.map(\.bitPattern), e.map(\.bitPattern), "count \(count)")
        }
    }

    func testFloatGELUDoesNotDependOnTheThreadSplit() {
        var rng = SplitMix64(seed: 13)
        let n = 5003  // parallelRows splits it (n · 20 ≥ 32 768) into chunks that are not multiples of 8
        let x = randomArray(n, &rng, scale: 5).map(Float.init), dOut = randomArray(n, &rng).map(Float.init)
        func run(_ threads: Int) -> [[Float]] {
            withPointers([x, [Float](repeating: 0, count: n), dOut, [Float](repeating: 0.5, count: n), x]) { p in
                // The derivative written over the input, as the model keeps it in the fc output.
                GELU.forward(out: p[1], derivative: p[4], inp: p[4], count: n, threads: threads)
                GELU.backward(dInp: p[3], dOut: p[2], derivative: p[4], rows: 1, columns: n, threads: threads)
            }
        }
        let one = run(1), three = run(3)
        XCTAssertEqual(one[1], three[1])
        XCTAssertEqual(one[3], three[3])
        XCTAssertEqual(one[4], three[4])
    }

    /// GELU's backward with the fc bias's gradient summed in the same pass: dInp = dOut·gelu′ in
    /// place, and each column's sum added over the rows in order, bit for bit as a scalar loop
    /// (what `Linear.backward` computed before), on one thread and split over three by columns.
    func testGELUBackwardSumsTheBiasGradientInRowOrder() {
        let rows = 200, columns = 69  // 16-wide column vectors and a tail of 5; 200·3·69 ≥ 32 768 splits
        var rng = SplitMix64(seed: 17)
        let dOut = randomArray(rows * columns, &rng).map(Float.init), derivative = randomArray(rows * columns, &rng).map(Float.init)
        let bias0 = randomArray(columns, &rng).map(Float.init)
        var wantGradient = [Float](repeating: 0, count: rows * columns), wantBias = bias0
        for n in 0..<rows {
            for c in 0..<columns {
                wantGradient[n * columns + c] = dOut[n * columns + c] * derivative[n * columns + c]
                wantBias[c] += wantGradient[n * columns + c]
            }
        }
        for threads in [1, 3] {
            let got = withPointers([dOut, derivative, bias0]) { p in
                GELU.backward(dInp: p[0], dOut: p[0], derivative: p[1], rows: rows, columns: columns, dBias: p[2], threads: threads)
            }
            XCTAssertEqual(got[0].map(\.bitPattern), wantGradient.map(\.bitPattern), "threads \(threads): gradient")
            XCTAssertEqual(got[2].map(\.bitPattern), wantBias.map(\.bitPattern), "threads \(threads): bias sums")
        }
    }

    func testFloatLayerNormMatchesDoubleReference() {
        let N = 3, C = 21
        var rng = SplitMix64(seed: 14)
        let inputs = [randomArray(N * C, &rng, scale: 3), randomArray(C, &rng), randomArray(C, &rng),
                      [Double](repeating: 0, count: N * C), [Double](repeating: 0, count: N), [Double](repeating: 0, count: N),
                      randomArray(N * C, &rng), randomArray(N * C, &rng), randomArray(C, &rng), randomArray(C, &rng)]
        func run<F: ModelScalar>(_ p: [UnsafeMutablePointer<F>]) {
            LayerNorm.forward(out: p[3], mean: p[4], rstd: p[5], inp: p[0], weight: p[1], bias: p[2],
                              N: N, C: C, epsilon: 1e-5, threads: 1)
            LayerNorm.backward(dInp: p[7], residual: p[7], dWeight: p[8], dBias: p[9], dOut: p[6], inp: p[0], weight: p[1],
                               mean: p[4], rstd: p[5], N: N, C: C, threads: 1)
        }
        compare("layernorm", inputs, { run($0) }, { run($0) })
    }

    func testFloatCrossEntropyMatchesDoubleReference() {
        for V in [37, 45] {  // sixteen-lane tails of 5 and of 13
            let N = 4
            var rng = SplitMix64(seed: 15)
            let targets: [Int32] = [3, 36, 0, 17]
            let mask: [Double] = [1, 0, 1, 0.5]
            var lossF: Float = 0, lossD: Double = 0
            let inputs = [randomArray(N * V, &rng, scale: 8), [Double](repeating: 0, count: N),
                          [Double](repeating: 0, count: N), randomArray(N * V, &rng), mask, [Double](repeating: 0, count: N)]
            func run<F: ModelScalar>(_ p: [UnsafeMutablePointer<F>]) -> F {
                let loss = CrossEntropy.forward(losses: p[2], rowMax: p[1], rowScale: p[5], logits: p[0], targets: targets,
                                                mask: p[4], N: N, V: V, threads: 1)
                CrossEntropy.backward(dLogits: p[3], logits: p[0], rowMax: p[1], rowScale: p[5], targets: targets, mask: p[4],
                                      dLoss: 0.7, N: N, V: V, threads: 1)
                return loss
            }
            compare("cross-entropy", inputs, { lossF = run($0) }, { lossD = run($0) })
            XCTAssertEqual(Double(lossF), lossD, accuracy: 1e-5 * abs(lossD))
        }
    }

    /// Float attention (its products in SmallGEMM) against the Double code (plain-loop products):
    /// head size 4 with blocks of 4 rows (every product a masked remainder), and head size 32 with
    /// 64-row blocks over 70 rows (full 8 × 32 and 8 × 16 tiles, then single and masked ones).
    func testFloatAttentionMatchesDoubleReference() {
        for (B, T, C, NH, rowBlock) in [(2, 11, 12, 3, 4), (1, 70, 64, 2, 64)] {
            var rng = SplitMix64(seed: 16)
            // Increasing with gaps, as random-LTD passes them: row b's t-th token at t·(b + 1) + t/3.
            var positions: [Int32] = []
            for b in 0..<B { for t in 0..<T { positions.append(Int32(t * (b + 1) + t / 3)) } }
            let slopes = ALiBi.slopes(heads: NH)
            let inputs = [randomArray(B * T * 3 * C, &rng, scale: 2), [Double](repeating: 0, count: B * T * C),
                          randomArray(B * T * C, &rng), randomArray(B * T * 3 * C, &rng), slopes]
            func run<F: ModelScalar>(_ p: [UnsafeMutablePointer<F>]) {
                var scratch = [F](repeating: .nan, count: Attention.scratchCount(T: T, headSize: C / NH, rowBlock: rowBlock))
                Attention.forward(out: p[1], qkv: p[0], positions: positions, slopes: p[4], scratch: &scratch,
                                  B: B, T: T, C: C, NH: NH, rowBlock: rowBlock, threads: 1)
                Attention.backward(dQKV: p[3], dOut: p[2], qkv: p[0], positions: positions, slopes: p[4], scratch: &scratch,
                                   B: B, T: T, C: C, NH: NH, rowBlock: rowBlock, threads: 1)
            }
            compare("attention T \(T) HS \(C / NH)", inputs, { run($0) }, { run($0) })
        }
    }
}
