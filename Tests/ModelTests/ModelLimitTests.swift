// ModelLimitTests.swift — the model's size limits (issue 14 item 15): the closed-form parameter
// and activation counts the limits are checked with agree with the layouts that allocate, and
// GPT refuses a config beyond them before allocating.

@testable import Model
import XCTest

final class ModelLimitTests: XCTestCase {
    func testEstimatesMatchTheLayouts() {
        // L = 1, C = 2, ratio 4 (H = 8), V = 3 by hand: wte 6, embedding LayerNorm 4; block: LayerNorms 8,
        // qkv 12 + 6, projection 4 + 2, fc 16 + 8, fcProj 16 + 2 = 74; final LayerNorm 4: 88.
        let small = ModelConfig(layers: 1, dModel: 2, heads: 1, context: 4, vocab: 3)
        XCTAssertEqual(small.parameterCountEstimate, 88)
        XCTAssertEqual(ParameterLayout(config: small).count, 88)
        for c in [small, ModelConfig(layers: 3, dModel: 16, heads: 4, context: 32, vocab: 50, mlpRatio: 2)] {
            XCTAssertEqual(c.parameterCountEstimate, Double(ParameterLayout(config: c).count))
            for (b, t) in [(1, 1), (2, 3), (4, c.context)] {
                XCTAssertEqual(c.activationCountEstimate(batch: b, length: t), Double(ActivationLayout(config: c, batch: b, length: t).count))
            }
        }
    }

    func testGPTRefusesActivationsBeyondTheLimit() {
        let c = ModelConfig(layers: 2, dModel: 64, heads: 4, context: 64, vocab: 258)
        // 10^6 rows of 64 tokens at 160 832 activations a row (worked out in SizeLimitTests).
        XCTAssertThrowsError(try GPT(config: c, maxBatch: 1_000_000)) { error in
            guard case .invalidConfig(let problems)? = error as? ModelError else { return XCTFail("\(error)") }
            XCTAssertEqual(problems, ["1000000 rows × 64 tokens need 160832000000 activations, which exceeds the limit 137438953472 "
                                      + "(2^37 fp32 activations and gradients: 2^40 bytes); use fewer rows or shorter sequences"])
        }
    }
}
