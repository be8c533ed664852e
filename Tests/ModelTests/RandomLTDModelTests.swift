// RandomLTDModelTests.swift — a whole GPT with random-LTD layers (issue 6 acceptance): r = T
// through gather → block → scatter equals the dense path bit-for-bit (loss, logits, every
// gradient; Float/BLAS and Double); analytic gradients with real dropping against central
// differences in Double; a kept contiguous window equals the dense model run on that window
// alone; and a dropping last layer leaves dropped rows' logits equal to those of a model whose
// blocks are skipped.

import Foundation
import TestSupport
import XCTest
@testable import Model
import Support

final class RandomLTDModelTests: XCTestCase {
    private let config = ModelConfig(layers: 3, dModel: 8, heads: 2, context: 9, vocab: 11, initStd: 0.3)

    private func batch(B: Int, T: Int, seed: UInt64) throws -> TokenBatch {
        var rng = SplitMix64(seed: seed)
        let n = B * T
        let inputs = (0..<n).map { _ in Int32(rng.next() % 11) }, targets = (0..<n).map { _ in Int32(rng.next() % 11) }
        let mask = (0..<n).map { i -> Float in i % 5 == 4 ? 0 : 1 }
        return try TokenBatch(batchSize: B, length: T, inputs: inputs, targets: targets, lossMask: mask)
    }

    private func pair<F: ModelScalar>(_: F.Type, config: ModelConfig, B: Int) throws -> (GPTModel<F>, GPTModel<F>) {
        let a = try GPTModel<F>(config: config, maxBatch: B), b = try GPTModel<F>(config: config, maxBatch: B)
        a.initializeParameters(seed: 21)
        b.initializeParameters(seed: 21)
        return (a, b)
    }

    private func denseEqualsFullPlan<F: ModelScalar>(_: F.Type) throws {
        let config = ModelConfig(layers: 4, dModel: 16, heads: 4, context: 70, vocab: 23, initStd: 0.2)
        let (dense, routed) = try pair(F.self, config: config, B: 3)
        var rng = SplitMix64(seed: 8)
        let tokens = (0..<(3 * 70)).map { _ in Int32(rng.next() % 23) }
        let batch = try TokenBatch(batchSize: 3, length: 70, inputs: tokens, targets: tokens.reversed())
        let all = (0..<3).flatMap { _ in (0..<70).map(Int32.init) }
        let plan = try RandomLTDPlan(layers: [1, 2], batchSize: 3, length: 70, reserved: 70, kept: all + all)
        let ld = try dense.forward(batch), lr = try routed.forward(batch, plan: plan)
        XCTAssertEqual(ld, lr, "loss")
        XCTAssertEqual(Array(dense.logits), Array(routed.logits), "logits")
        dense.zeroGradients(); routed.zeroGradients()
        dense.backward(); routed.backward()
        XCTAssertEqual(Array(dense.gradients), Array(routed.gradients), "gradients")
        XCTAssertFalse(dense.gradients.allSatisfy { $0 == 0 }, "a test on zero gradients proves nothing")
    }

    /// The activation-gradient arenas are never cleared (issue 19): every layer writes the
    /// gradients it is first to reach. A model that has run other batches, at other lengths, with
    /// and without dropping, must give the same gradients for a batch as a fresh model.
    func testGradientsDoNotDependOnEarlierSteps() throws {
        let config = ModelConfig(layers: 3, dModel: 16, heads: 4, context: 12, vocab: 23, initStd: 0.2)
        let (used, fresh) = try pair(Float.self, config: config, B: 3)
        var rng = SplitMix64(seed: 31)
        func batch(T: Int) throws -> TokenBatch {
            let tokens = (0..<(3 * T)).map { _ in Int32(rng.next() % 23) }
            let mask = (0..<(3 * T)).map { i -> Float in i % 7 == 3 ? 0 : 1 }
            return try TokenBatch(batchSize: 3, length: T, inputs: tokens, targets: tokens.reversed(), lossMask: mask)
        }
        func plan(T: Int, r: Int) throws -> RandomLTDPlan {
            let kept = (0..<2 * 3).flatMap { _ in (0..<r).map { Int32($0 * T / r) } }
            return try RandomLTDPlan(layers: [0, 2], batchSize: 3, length: T, reserved: r, kept: kept)
        }
        for (T, r) in [(12, 5), (9, 0), (12, 0)] {
            _ = try used.forward(try batch(T: T), plan: r > 0 ? try plan(T: T, r: r) : nil)
            used.backward()
        }
        for (T, r) in [(10, 4), (10, 0)] {
            let b = try batch(T: T), p = r > 0 ? try plan(T: T, r: r) : nil
            _ = try used.forward(b, plan: p)
            _ = try fresh.forward(b, plan: p)
            used.zeroGradients(); fresh.zeroGradients()
            used.backward(); fresh.backward()
            XCTAssertTrue(Array(used.gradients) == Array(fresh.gradients), "T \(T) r \(r): gradients depend on earlier steps")
            XCTAssertFalse(fresh.gradients.allSatisfy { $0 == 0 })
        }
    }

    func testFullPlanEqualsDensePathBitForBitFloat() throws { try denseEqualsFullPlan(Float.self) }
    func testFullPlanEqualsDensePathBitForBitDouble() throws { try denseEqualsFullPlan(Double.self) }

    /// Analytic gradients of a 3-layer model whose middle layer keeps 3 of 7 tokens (and whose
    /// last keeps 5) against central differences of the loss with the same plan, on a seeded
    /// sample of every tensor.
    func testDroppingModelGradientsMatchFiniteDifferences() throws {
        let m = try GPTModel<Double>(config: config, maxBatch: 2)
        m.initializeParameters(seed: 11)
        var rng = SplitMix64(seed: 12)
        for t in m.layout.tensors where !t.isMatrix {
            for i in t.range { m.parameters[i] += (rng.nextDouble() - 0.5) * 0.4 }
        }
        let b = try batch(B: 2, T: 7, seed: 2)
        let plan = try RandomLTDPlan(layers: [1, 2], batchSize: 2, length: 7, reserved: 3,
                                     kept: [0, 3, 6, 1, 2, 5] + [2, 4, 5, 0, 1, 6])
        _ = try m.forward(b, plan: plan)
        m.zeroGradients()
        m.backward()
        try checkModelGradientsByFD(m, rng: &rng) { try m.forward(b, plan: plan) }
    }

    /// A 1-layer model dropping its only block: kept rows form the window [2, 6) of each row, so
    /// (ALiBi depends on distances only, causality on order) their logits equal a dense run on
    /// the window's tokens alone; dropped rows' logits equal lnf(embLn(x))·wteᵀ, i.e. a dense run
    /// of the same parameters with the block's output projections zeroed (the block = identity).
    func testKeptWindowEqualsDenseRunOnWindowDroppedRowsSkipTheBlock() throws {
        let one = ModelConfig(layers: 1, dModel: 8, heads: 2, context: 9, vocab: 11, initStd: 0.3)
        let m = try GPTModel<Double>(config: one, maxBatch: 2)
        m.initializeParameters(seed: 5)
        let b = try batch(B: 2, T: 8, seed: 3)
        let window: [Int32] = [2, 3, 4, 5]
        let plan = try RandomLTDPlan(layers: [0], batchSize: 2, length: 8, reserved: 4, kept: window + window)
        _ = try m.forward(b, plan: plan)
        let routedLogits = Array(m.logits)
        let V = 11
        func rows(_ r: Range<Int>, of x: [Int32]) -> [Int32] { (0..<2).flatMap { row in r.map { x[row * 8 + $0] } } }
        let sub = try TokenBatch(batchSize: 2, length: 4, inputs: rows(2..<6, of: b.inputs), targets: rows(2..<6, of: b.targets))
        let windowModel = try GPTModel<Double>(config: one, maxBatch: 2)
        _ = windowModel.parameters.update(fromContentsOf: m.parameters)
        _ = try windowModel.forward(sub)
        let skip = try GPTModel<Double>(config: one, maxBatch: 2)  // the block made the identity
        _ = skip.parameters.update(fromContentsOf: m.parameters)
        for name in ["projW", "projB", "fcProjW", "fcProjB"] {
            for i in skip.layout.tensor(name, layer: 0).range { skip.parameters[i] = 0 }
        }
        _ = try skip.forward(b)
        for row in 0..<2 {
            for t in 0..<8 {
                let got = Array(routedLogits[((row * 8 + t) * V)..<((row * 8 + t + 1) * V)])
                let ref = (2..<6).contains(t)
                    ? Array(windowModel.logits[((row * 4 + t - 2) * V)..<((row * 4 + t - 1) * V)])
                    : Array(skip.logits[((row * 8 + t) * V)..<((row * 8 + t + 1) * V)])
                assertClose(got, ref, abs: 1e-12, rel: 1e-10, "row \(row) position \(t)")
            }
        }
    }

    func testPlanMismatchThrows() throws {
        let m = try GPTModel<Double>(config: config, maxBatch: 2)
        let b = try batch(B: 2, T: 7, seed: 2)
        let wrongT = try RandomLTDPlan(layers: [1], batchSize: 2, length: 6, reserved: 2, kept: [0, 1, 0, 1])
        XCTAssertThrowsError(try m.forward(b, plan: wrongT))
        let wrongLayer = try RandomLTDPlan(layers: [3], batchSize: 2, length: 7, reserved: 2, kept: [0, 1, 0, 1])
        XCTAssertThrowsError(try m.forward(b, plan: wrongLayer))
    }
}
