// GPTTests.swift — the whole model checked three ways (STYLE.md §2): against the numpy float64
// fixture from tools/gen_model_fixture.py (logits, loss, every gradient), by finite differences
// in Double end to end on a 2-layer model, and Float/BLAS vs Double/naive loops. Also the
// config's validation, ALiBi slopes worked by hand, batch checks, and T changing between steps.

import Foundation
import Support
import TestSupport
import XCTest
@testable import Model
import Support

final class GPTTests: XCTestCase {
    private func model<F: ModelScalar>(_ f: ModelFixture, _: F.Type) throws -> GPTModel<F> {
        let m = try GPTModel<F>(config: f.config, maxBatch: f.batch.B)
        XCTAssertEqual(m.parameterCount, f.params.count, "layout size differs from the fixture's")
        for i in 0..<f.params.count { m.parameters[i] = F(f.params[i]) }
        return m
    }

    func testDoubleMatchesNumpyFixture() throws {
        let f = try ModelFixture.load()
        let m = try model(f, Double.self)
        let loss = try m.forward(f.tokenBatch)
        XCTAssertEqual(loss, f.loss, accuracy: 1e-10 * f.loss)
        assertClose(Array(m.logits), f.logits, abs: 1e-10, rel: 1e-9, "logits")
        m.zeroGradients()
        m.backward()
        for t in m.layout.tensors {
            assertClose(Array(m.gradients[t.range]), Array(f.grads[t.range]), abs: 1e-11, rel: 1e-8,
                        "gradient \(t.name) layer \(t.layer.map(String.init) ?? "-")")
        }
    }

    func testFloatMatchesNumpyFixture() throws {
        let f = try ModelFixture.load()
        let m = try model(f, Float.self)
        let loss = try m.forward(f.tokenBatch)
        XCTAssertEqual(Double(loss), f.loss, accuracy: 1e-5 * f.loss)
        assertClose(Array(m.logits), f.logits, abs: 1e-5, rel: 1e-4, "logits")
        m.zeroGradients()
        m.backward()
        for t in m.layout.tensors {
            assertClose(Array(m.gradients[t.range]), Array(f.grads[t.range]), abs: 2e-6, rel: 2e-3,
                        "gradient \(t.name) layer \(t.layer.map(String.init) ?? "-")")
        }
    }

    func testAlibiSlopesMatchBLOOMWorkedByHand() {
        // 8 heads: base 2^-(2^-(3-3)) = 1/2, slopes (1/2)^1…(1/2)^8.
        XCTAssertEqual(ALiBi.slopes(heads: 8), (1...8).map { pow(0.5, Double($0)) })
        // 6 heads: p = 4, base 2^-(2^-(2-3)) = 1/4 → 1/4, 1/16, 1/64, 1/256; extra base 1/2 with odd
        // powers 1, 3 → 1/2, 1/8.
        XCTAssertEqual(ALiBi.slopes(heads: 6), [0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125])
        XCTAssertEqual(ALiBi.slopes(heads: 1), [pow(2.0, -8)])
        let f = try? ModelFixture.load()
        XCTAssertEqual(ALiBi.slopes(heads: 3), f?.alibi_slopes)  // numpy's build_alibi_tensor port
    }

    /// End to end in Double: a 2-layer model's analytic gradients against central differences on
    /// a seeded sample of every tensor.
    func testTwoLayerModelGradientsMatchFiniteDifferences() throws {
        let config = ModelConfig(layers: 2, dModel: 6, heads: 2, context: 5, vocab: 7, initStd: 0.4)
        let m = try GPTModel<Double>(config: config, maxBatch: 2)
        m.initializeParameters(seed: 11)
        var rng = SplitMix64(seed: 12)
        for t in m.layout.tensors where !t.isMatrix {  // non-trivial norms and biases
            for i in t.range { m.parameters[i] += (rng.nextDouble() - 0.5) * 0.4 }
        }
        let batch = try TokenBatch(batchSize: 2, length: 4, inputs: [1, 2, 3, 6, 0, 5, 5, 2],
                                   targets: [2, 3, 6, 4, 5, 5, 2, 0], lossMask: [1, 1, 1, 0, 1, 1, 1, 1])
        _ = try m.forward(batch)
        m.zeroGradients()
        m.backward()
        try checkModelGradientsByFD(m, rng: &rng) { try m.forward(batch) }
    }

    /// The production path (Float, OpenBLAS, threaded rows) against the reference path (Double,
    /// naive loops) on a model large enough to split rows over threads.
    func testFloatBLASMatchesDoubleNaive() throws {
        let config = ModelConfig(layers: 2, dModel: 24, heads: 3, context: 33, vocab: 50, initStd: 0.1)
        let fast = try GPT(config: config, maxBatch: 3)
        let naive = try GPTModel<Double>(config: config, maxBatch: 3)
        fast.initializeParameters(seed: 5)
        for i in 0..<fast.parameterCount { naive.parameters[i] = Double(fast.parameters[i]) }
        var rng = SplitMix64(seed: 9)
        let tokens = (0..<(3 * 33)).map { _ in Int32(rng.next() % 50) }
        let batch = try TokenBatch(batchSize: 3, length: 33, inputs: tokens, targets: tokens.reversed())
        let lf = try fast.forward(batch), ln = try naive.forward(batch)
        XCTAssertEqual(Double(lf), ln, accuracy: 1e-5 * ln)
        assertClose(Array(fast.logits), Array(naive.logits), abs: 1e-5, rel: 1e-4, "logits")
        fast.zeroGradients(); naive.zeroGradients()
        fast.backward(); naive.backward()
        assertClose(Array(fast.gradients), Array(naive.gradients), abs: 1e-6, rel: 2e-3, "gradients")
    }

    /// A shorter T after a longer one reuses the arena and gives the same numbers as a fresh model.
    func testSequenceLengthChangeMatchesFreshModel() throws {
        let config = ModelConfig(layers: 1, dModel: 8, heads: 2, context: 12, vocab: 11)
        let long = try TokenBatch(rows: Array(0...12).map { Int32($0 % 11) }, width: 13)
        let short = try TokenBatch(rows: [3, 1, 4, 1, 5, 9], width: 6)
        let reused = try GPT(config: config, maxBatch: 1), fresh = try GPT(config: config, maxBatch: 1, maxLength: 5)
        reused.initializeParameters(seed: 3)
        fresh.initializeParameters(seed: 3)
        _ = try reused.forward(long)
        reused.zeroGradients(); reused.backward(); reused.zeroGradients()
        XCTAssertEqual(try reused.forward(short), try fresh.forward(short))
        reused.backward(); fresh.backward()
        XCTAssertEqual(Array(reused.gradients), Array(fresh.gradients))
    }

    func testConfigReportsEveryProblemAtOnce() {
        let bad = ModelConfig(layers: 0, dModel: 10, heads: 3, context: 0, vocab: 5)
        XCTAssertEqual(bad.problems().count, 3, "\(bad.problems())")
        XCTAssertThrowsError(try bad.validate()) { error in
            let text = String(describing: error)
            for fragment in ["layers", "divisible by heads", "context"] {
                XCTAssertTrue(text.contains(fragment), "missing \(fragment) in \(text)")
            }
        }
        XCTAssertThrowsError(try GPT(config: bad, maxBatch: 1))
    }

    /// The config reader (`ConfigDecoder` over the model's `CaseIterable` coding keys) reports an
    /// unknown key with its path; the same `Decodable` reads a checkpoint's JSON.
    func testConfigRejectsUnknownKeys() throws {
        let json = #"{"layers": 2, "d_model": 8, "heads": 2, "context": 4, "vocab": 9, "n_embd": 8}"#
        let log = IssueLog()
        _ = ConfigDecoder.decode(ModelConfig.self, from: try JSONValue.parse(json), path: "gradus.model", log: log)
        XCTAssertEqual(log.issues, [ConfigIssue(path: "gradus.model.n_embd", message: "unknown key")])
        let ok = #"{"layers": 2, "d_model": 8, "heads": 2, "context": 4, "vocab": 9}"#
        let clean = IssueLog()
        let decoded = ConfigDecoder.decode(ModelConfig.self, from: try JSONValue.parse(ok), path: "gradus.model", log: clean)
        XCTAssertEqual(decoded, ModelConfig(layers: 2, dModel: 8, heads: 2, context: 4, vocab: 9))
        XCTAssertEqual(clean.issues, [])
        let config = try JSONDecoder().decode(ModelConfig.self, from: Data(ok.utf8))
        XCTAssertEqual(config, ModelConfig(layers: 2, dModel: 8, heads: 2, context: 4, vocab: 9))
    }

    func testBatchOutOfRangeIdsAndCapacityThrow() throws {
        let m = try GPT(config: ModelConfig(layers: 1, dModel: 4, heads: 1, context: 4, vocab: 5), maxBatch: 1)
        XCTAssertThrowsError(try m.forward(TokenBatch(batchSize: 1, length: 2, inputs: [0, 5], targets: [1, 1])))
        XCTAssertThrowsError(try m.forward(TokenBatch(batchSize: 1, length: 2, inputs: [0, 1], targets: [1, -1])))
        XCTAssertNoThrow(try m.forward(TokenBatch(batchSize: 1, length: 2, inputs: [0, 1], targets: [1, -1],
                                                  lossMask: [1, 0])))
        XCTAssertThrowsError(try m.forward(TokenBatch(rows: [1, 2, 3, 4, 1, 2], width: 6)))
        XCTAssertThrowsError(try TokenBatch(batchSize: 2, length: 2, inputs: [1, 2, 3], targets: [1, 2, 3, 4]))
    }
}
