// LayerGradientTests.swift — every layer's backward against central finite differences in
// Double (STYLE.md §2, §10.3.7): L = Σ out·dOut with a seeded random dOut; shapes are small and
// odd (3 heads, rows not multiples of 8) so indexing mistakes show.

import TestSupport
import XCTest
@testable import Model
import Support

final class LayerGradientTests: XCTestCase {
    func testEmbeddingBackwardMatchesFiniteDifferences() {
        let N = 5, C = 3, V = 4
        let tokens: [Int32] = [2, 0, 2, 3, 2]  // repeats: gradients of one row must add up
        var rng = SplitMix64(seed: 1)
        checkGradients("embedding", inputs: [randomArray(V * C, &rng)], forward: { x in
            withPointers([x[0], [Double](repeating: 0, count: N * C)]) { p in
                Embedding.forward(out: p[1], tokens: tokens, wte: p[0], N: N, C: C, threads: 1)
            }[1]
        }, backward: { _, dOut, grads in
            grads = withPointers([grads[0], dOut]) { p in
                Embedding.backward(dWte: p[0], dOut: p[1], tokens: tokens, N: N, C: C)
            }.prefix(1).map { $0 }
        })
    }

    func testLayerNormBackwardMatchesFiniteDifferences() {
        let N = 4, C = 7
        var rng = SplitMix64(seed: 2)
        let inputs = [randomArray(N * C, &rng, scale: 2), randomArray(C, &rng), randomArray(C, &rng)]
        func run(_ x: [[Double]]) -> [[Double]] {
            withPointers([x[0], x[1], x[2], [Double](repeating: 0, count: N * C), [0, 0, 0, 0], [0, 0, 0, 0]]) { p in
                LayerNorm.forward(out: p[3], mean: p[4], rstd: p[5], inp: p[0], weight: p[1], bias: p[2],
                                  N: N, C: C, epsilon: 1e-5, threads: 1)
            }
        }
        // dInp written (the first gradient of the stream), or added (the residual's second branch).
        for accumulate in [false, true] {
            checkGradients("layernorm, accumulate \(accumulate)", inputs: inputs, written: accumulate ? [:] : [0: .nan],
                           forward: { run($0)[3] }, backward: { x, dOut, grads in
                let f = run(x)
                grads = Array(withPointers([grads[0], grads[1], grads[2], dOut, f[4], f[5]]) { p in
                    LayerNorm.backward(dInp: p[0], residual: accumulate ? UnsafePointer(p[0]) : nil, dWeight: p[1], dBias: p[2], dOut: p[3],
                                       inp: x[0], weight: x[1], mean: p[4], rstd: p[5], N: N, C: C, threads: 1)
                }.prefix(3))
            })
        }
    }

    func testLinearBackwardMatchesFiniteDifferences() {
        let N = 5, IC = 3, OC = 4
        var rng = SplitMix64(seed: 3)
        let inputs = [randomArray(N * IC, &rng), randomArray(OC * IC, &rng), randomArray(OC, &rng)]
        checkGradients("linear", inputs: inputs, written: [0: .nan], forward: { x in
            withPointers([[Double](repeating: .nan, count: N * OC)]) { p in
                Linear.forward(out: p[0], inp: x[0], weight: x[1], bias: x[2], N: N, IC: IC, OC: OC, threads: 1)
            }[0]
        }, backward: { x, dOut, grads in
            grads = withPointers(grads) { p in
                Linear.backward(dInp: p[0], dWeight: p[1], dBias: p[2], dOut: dOut, inp: x[0], weight: x[1],
                                N: N, IC: IC, OC: OC, threads: 1)
            }
        })
    }

    func testGeluBackwardMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 4)
        let n = 23
        func run(_ x: [Double]) -> [[Double]] {
            withPointers([[Double](repeating: 0, count: n), [Double](repeating: 0, count: n)]) { p in
                GELU.forward(out: p[0], derivative: p[1], inp: x, count: n, threads: 1)
            }
        }
        checkGradients("gelu", inputs: [randomArray(n, &rng, scale: 3)], written: [0: .nan], forward: { x in
            run(x[0])[0]
        }, backward: { x, dOut, grads in
            let derivative = run(x[0])[1]
            grads = withPointers(grads) { p in GELU.backward(dInp: p[0], dOut: dOut, derivative: derivative, rows: 1, columns: n, threads: 1) }
        })
    }

    func testGeluForwardMatchesHandValues() {
        // ½x(1 + tanh(√(2/π)(x + 0.044715x³))), worked in Python's math module: at x = 1,
        // tanh(0.8335620) = 0.6823840 → 0.8411920; at x = −2, tanh(−1.8811884) = −0.9545977 → −0.0454023.
        let out = withPointers([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]) { p in
            GELU.forward(out: p[0], derivative: p[1], inp: [1.0, -2.0, 0.0], count: 3, threads: 1)
        }[0]
        assertClose(out, [0.8411920, -0.0454023, 0.0], abs: 1e-6, rel: 0, "gelu values")
    }

    /// Attention with 3 heads (non-power-of-two ALiBi slopes) over positions with gaps, as
    /// random-LTD passes them; whole (one block) and split into query-row blocks of 2.
    func testAttentionBackwardMatchesFiniteDifferences() {
        let B = 2, T = 5, C = 6, NH = 3
        let positions: [Int32] = [0, 1, 2, 3, 4, 0, 2, 3, 7, 9]
        let slopes = ALiBi.slopes(heads: NH)
        for rowBlock in [64, 2] {
            var rng = SplitMix64(seed: 6)
            // Scratch starts as NaN: a read of anything the pass did not write first would show.
            let scratchCount = Attention.scratchCount(T: T, headSize: C / NH, rowBlock: rowBlock)
            func run(_ qkv: [Double]) -> [Double] {
                withPointers([[Double](repeating: 0, count: B * T * C), [Double](repeating: .nan, count: scratchCount)]) { p in
                    Attention.forward(out: p[0], qkv: qkv, positions: positions, slopes: slopes, scratch: p[1],
                                      B: B, T: T, C: C, NH: NH, rowBlock: rowBlock, threads: 1)
                }[0]
            }
            checkGradients("attention, row block \(rowBlock)", inputs: [randomArray(B * T * 3 * C, &rng, scale: 1.5)], written: [0: .nan],
                           forward: { run($0[0]) }, backward: { x, dOut, grads in
                grads = Array(withPointers([grads[0], [Double](repeating: .nan, count: scratchCount)]) { p in
                    Attention.backward(dQKV: p[0], dOut: dOut, qkv: x[0], positions: positions, slopes: slopes, scratch: p[1],
                                       B: B, T: T, C: C, NH: NH, rowBlock: rowBlock, threads: 1)
                }.prefix(1))
            })
        }
    }

    /// Attention weights worked by hand: one head, HS = 1, q = k = 0 everywhere, so scores are the
    /// ALiBi bias alone, and values v = (1, 3). Row 0 sees only itself: out 1. Row 1 (positions 0,
    /// 2; slope 1/256): weights ∝ e^(−2/256) for key 0 and 1 for key 1, so out = w0·1 + (1 − w0)·3.
    /// Float (SmallGEMM products) and Double alike.
    func testAttentionAlibiWeightsMatchHandValues() {
        let w0 = exp(-2.0 / 256) / (exp(-2.0 / 256) + 1)
        func run<F: ModelScalar>(_: F.Type) -> [Double] {
            withPointers([[F](repeating: .nan, count: 2), [F](repeating: .nan, count: Attention.scratchCount(T: 2, headSize: 1))]) { p in
                Attention.forward(out: p[0], qkv: [0, 0, 1, 0, 0, 3], positions: [0, 2], slopes: [F(1.0 / 256)], scratch: p[1],
                                  B: 1, T: 2, C: 1, NH: 1, threads: 1)
            }[0].map { Double($0) }
        }
        assertClose(run(Double.self), [1, w0 + 3 * (1 - w0)], abs: 1e-15, rel: 0, "attention output, Double")
        assertClose(run(Float.self), [1, w0 + 3 * (1 - w0)], abs: 1e-6, rel: 0, "attention output, Float")
    }

    func testCrossEntropyBackwardMatchesFiniteDifferences() {
        let N = 4, V = 5
        let targets: [Int32] = [1, 4, -1, 0]
        let mask: [Double] = [1, 1, 0, 1]  // row 2 is padding: its target is never read
        var rng = SplitMix64(seed: 8)
        func run(_ logits: [Double]) -> ([Double], [Double], Double) {
            var loss = 0.0
            let out = withPointers([[Double](repeating: 0, count: N), [Double](repeating: 0, count: N),
                                    [Double](repeating: 0, count: N)]) { p in
                loss = CrossEntropy.forward(losses: p[0], rowMax: p[1], rowScale: p[2], logits: logits, targets: targets,
                                            mask: mask, N: N, V: V, threads: 1)
            }
            return (out[1], out[2], loss)
        }
        checkGradients("cross-entropy", inputs: [randomArray(N * V, &rng, scale: 2)], written: [0: .nan], forward: { [run($0[0]).2] },
                       backward: { x, dOut, grads in
            let (rowMax, rowScale, _) = run(x[0])
            grads = withPointers(grads) { p in
                CrossEntropy.backward(dLogits: p[0], logits: x[0], rowMax: rowMax, rowScale: rowScale, targets: targets,
                                      mask: mask, dLoss: dOut[0], N: N, V: V, threads: 1)
            }
        })
    }

    func testCrossEntropyForwardMatchesHandValue() {
        // Uniform logits over V = 4: every counted position costs ln 4; the masked one is ignored.
        let losses = withPointers([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]) { p in
            let loss = CrossEntropy.forward(losses: p[0], rowMax: p[1], rowScale: p[2], logits: [Double](repeating: 0.3, count: 8),
                                            targets: [2, 9], mask: [1, 0], N: 2, V: 4, threads: 1)
            XCTAssertEqual(loss, log(4.0), accuracy: 1e-12)
        }[0]
        XCTAssertEqual(losses[1], 0)
    }
}
