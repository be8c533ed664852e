// ModelTestSupport.swift — helpers for the model's checks (STYLE.md §2): seeded random arrays,
// the "fake loss" finite-difference gradient check (L = Σ out·dOut with a seeded random dOut) in
// Double, and the fixture loader (magic + version checked).

import Foundation
import TestSupport
import XCTest
@testable import Model
import Support

/// Uniform values in [-scale, scale) from a seeded generator.
func randomArray(_ n: Int, _ rng: inout SplitMix64, scale: Double = 1) -> [Double] {
    (0..<n).map { _ in (rng.nextDouble() * 2 - 1) * scale }
}

/// The fake-loss gradient check. `forward(inputs)` returns the layer output; `backward(inputs,
/// dOut, grads)` must *accumulate* each input's gradient into `grads` (prefilled with 0.25 here,
/// so a backward that overwrites instead of adding fails), except for the inputs in `written`,
/// whose gradient it must *write*: those are prefilled with the given value — NaN where every
/// element must be written (so a backward that adds, or skips one, fails), 0 where the layer
/// leaves the elements whose gradient is 0 untouched. Every element is checked by central
/// differences unless `sample` limits it to a seeded subset per input.
func checkGradients(
    _ what: String, inputs: [[Double]], seed: UInt64 = 7, h: Double = 1e-6, abs: Double = 1e-7, rel: Double = 1e-5,
    sample: Int? = nil, skip: Set<Int> = [], written: [Int: Double] = [:],
    forward: ([[Double]]) -> [Double],
    backward: ([[Double]], [Double], inout [[Double]]) -> Void,
    file: StaticString = #filePath, line: UInt = #line
) {
    var rng = SplitMix64(seed: seed)
    let out = forward(inputs)
    let dOut = randomArray(out.count, &rng)
    func loss(_ x: [[Double]]) -> Double { zip(forward(x), dOut).reduce(0) { $0 + $1.0 * $1.1 } }
    let fills = inputs.indices.map { written[$0] ?? 0.25 }
    var grads = inputs.indices.map { [Double](repeating: fills[$0], count: inputs[$0].count) }
    backward(inputs, dOut, &grads)
    for k in inputs.indices where !skip.contains(k) {
        var indices = Array(inputs[k].indices)
        if let sample, sample < indices.count {
            indices.shuffle(using: &rng)
            indices = Array(indices.prefix(sample))
        }
        var fd: [Double] = [], analytic: [Double] = []
        for i in indices {
            var x = inputs
            x[k][i] += h
            let lp = loss(x)
            x[k][i] -= 2 * h
            let lm = loss(x)
            fd.append((lp - lm) / (2 * h))
            analytic.append(written[k] == nil ? grads[k][i] - 0.25 : grads[k][i])
        }
        assertClose(analytic, fd, abs: abs, rel: rel, "\(what): gradient of input \(k)", file: file, line: line)
    }
}

/// Calls `body` with mutable pointers to copies of `arrays`, returning the copies afterwards.
func withPointers<F>(_ arrays: [[F]], _ body: ([UnsafeMutablePointer<F>]) -> Void) -> [[F]] {
    let buffers = arrays.map { a -> UnsafeMutableBufferPointer<F> in
        let p = UnsafeMutableBufferPointer<F>.allocate(capacity: max(1, a.count))
        _ = p.initialize(from: a)
        return p
    }
    defer { buffers.forEach { $0.deallocate() } }
    body(buffers.map { $0.baseAddress! })
    return zip(buffers, arrays).map { Array($0.0.prefix($0.1.count)) }
}

/// The numpy float64 reference written by tools/gen_model_fixture.py.
struct ModelFixture: Decodable {
    struct Batch: Decodable {
        let B: Int, T: Int
        let inputs: [Int32], targets: [Int32]
        let loss_mask: [Float]
    }
    let magic: String
    let version: Int
    let config: ModelConfig
    let batch: Batch
    let alibi_slopes: [Double]
    let params: [Double], logits: [Double], grads: [Double]
    let loss: Double

    /// Loads and checks the header.
    static func load() throws -> ModelFixture {
        guard let url = Bundle.module.url(forResource: "tiny_model", withExtension: "json", subdirectory: "Fixtures") else {
            throw ModelError.invalidBatch("fixture tiny_model.json missing from the test bundle")
        }
        let fixture = try JSONDecoder().decode(ModelFixture.self, from: Data(contentsOf: url))
        guard fixture.magic == "gradus-model-fixture", fixture.version == 1 else {
            throw ModelError.invalidBatch("fixture header \(fixture.magic) v\(fixture.version) is not gradus-model-fixture v1")
        }
        return fixture
    }

    var tokenBatch: TokenBatch {
        get throws {
            try TokenBatch(batchSize: batch.B, length: batch.T, inputs: batch.inputs, targets: batch.targets,
                           lossMask: batch.loss_mask)
        }
    }
}

/// Central differences of a whole model's loss against its analytic gradients, for 6 random
/// entries of every parameter tensor (abs 1e-8, rel 1e-5). `loss` runs the forward pass.
/// The caller has already run forward, `zeroGradients()` and `backward()`.
func checkModelGradientsByFD(_ m: GPTModel<Double>, rng: inout SplitMix64,
                             loss: () throws -> Double) rethrows {
    let h = 1e-6
    for t in m.layout.tensors {
        var indices = Array(t.range)
        indices.shuffle(using: &rng)
        var fd: [Double] = [], analytic: [Double] = []
        for i in indices.prefix(6) {
            let old = m.parameters[i]
            m.parameters[i] = old + h
            let lp = try loss()
            m.parameters[i] = old - h
            let lm = try loss()
            m.parameters[i] = old
            fd.append((lp - lm) / (2 * h))
            analytic.append(m.gradients[i])
        }
        assertClose(analytic, fd, abs: 1e-8, rel: 1e-5, "FD \(t.name) layer \(t.layer.map(String.init) ?? "-")")
    }
}
