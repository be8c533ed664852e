// ParallelGEMMTests.swift — the model's split matrix products (issue 19): `parallelGEMM` on two
// threads must give exactly the bits of one unsplit OpenBLAS call (`BLAS.sgemm` on one thread),
// for every transpose, beta 0 and 1, wide and tall products and row counts that are not multiples
// of 16; attention split over (batch row, head) pairs must equal its one-thread run.

import Linalg
import Support
import XCTest
@testable import Model

final class ParallelGEMMTests: XCTestCase {
    private func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float(rng.nextDouble() * 2 - 1) }
    }

    func testSplitProductsEqualOneUnsplitCall() {
        BLAS.setThreads(1)
        // (m, n, k): tall, wide, near-square, odd sizes. Rows split at a multiple of 16 only gave
        // other bits on (131, 517, 97), columns split on (200, 203, 64).
        for (m, n, k) in [(300, 70, 130), (96, 530, 100), (200, 203, 64), (131, 517, 97)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    for beta: Float in [0, 1] {
                        let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 5, ldc = n + 7
                        let a = random((transA ? k : m) * lda, seed: 1), b = random((transB ? n : k) * ldb, seed: 2)
                        let c0 = random(m * ldc, seed: 3)
                        var reference = c0, split = c0
                        a.withUnsafeBufferPointer { pa in
                            b.withUnsafeBufferPointer { pb in
                                reference.withUnsafeMutableBufferPointer { pc in
                                    BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75,
                                               a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                                               beta: beta, c: pc.baseAddress!, ldc: ldc)
                                }
                                split.withUnsafeMutableBufferPointer { pc in
                                    parallelGEMM(threads: 2, transA: transA, transB: transB, m: m, n: n, k: k,
                                                 alpha: 0.75, a: pa.baseAddress!, lda: lda, b: pb.baseAddress!,
                                                 ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: ldc)
                                }
                            }
                        }
                        let differing = zip(split, reference).filter { $0 != $1 }.count
                        XCTAssertEqual(differing, 0, "m \(m) n \(n) k \(k) transA \(transA) transB \(transB) beta \(beta): \(differing) elements differ")
                    }
                }
            }
        }
        XCTAssertEqual(BLAS.threads, 1, "OpenBLAS's thread count is restored")
    }

    func testAttentionSplitOverHeadsEqualsOneThread() {
        let (B, T, C, NH) = (2, 40, 24, 3)
        let qkv = random(B * T * 3 * C, seed: 5), dOut = random(B * T * C, seed: 6)
        let positions = (0..<B).flatMap { _ in (0..<T).map { Int32($0) } }
        let slopes: [Float] = [0.5, 0.25, 0.125]
        func run(threads: Int) -> (out: [Float], dQKV: [Float]) {
            var out = [Float](repeating: .nan, count: B * T * C), dQKV = [Float](repeating: .nan, count: B * T * 3 * C)
            var scratch = [Float](repeating: .nan, count: threads * Attention.scratchCount(T: T, headSize: C / NH, rowBlock: 16))
            Attention.forward(out: &out, qkv: qkv, positions: positions, slopes: slopes, scratch: &scratch,
                              B: B, T: T, C: C, NH: NH, rowBlock: 16, threads: threads)
            Attention.backward(dQKV: &dQKV, dOut: dOut, qkv: qkv, positions: positions, slopes: slopes, scratch: &scratch,
                               B: B, T: T, C: C, NH: NH, rowBlock: 16, threads: threads)
            return (out, dQKV)
        }
        let one = run(threads: 1), two = run(threads: 2)
        XCTAssertTrue(two.out == one.out, "attention output")
        XCTAssertTrue(two.dQKV == one.dQKV, "attention dQKV")
    }

    /// The whole model on two threads (products split by rows, attention by heads, bias and
    /// LayerNorm sums by columns) gives the one-thread loss and gradients bit for bit; the sizes
    /// are above every split's threshold.
    func testModelGradientsDoNotDependOnTheThreadCount() throws {
        let config = ModelConfig(layers: 2, dModel: 64, heads: 4, context: 64, vocab: 300, initStd: 0.05)
        var rng = SplitMix64(seed: 9)
        let tokens = (0..<(4 * 64)).map { _ in Int32(rng.next() % 300) }
        let batch = try TokenBatch(batchSize: 4, length: 64, inputs: tokens, targets: tokens.reversed())
        func run(_ threads: Int) throws -> (Float, [Float]) {
            let m = try GPTModel<Float>(config: config, maxBatch: 4, threads: ComputeThreads(threads))
            m.initializeParameters(seed: 3)
            let loss = try m.forward(batch)
            m.zeroGradients()
            m.backward()
            return (loss, Array(m.gradients))
        }
        let one = try run(1), two = try run(2)
        XCTAssertEqual(two.0, one.0)
        XCTAssertTrue(two.1 == one.1, "gradients differ between one and two threads")
        XCTAssertFalse(one.1.allSatisfy { $0 == 0 })
    }
}
