// ConfigFuzzRegressionTests.swift — inputs found by the `config` fuzz target (tools/fuzz,
// docs/reliability.md), kept as regression tests.

import Curriculum
import Foundation
import Support
import TestSupport
import XCTest

final class ConfigFuzzRegressionTests: XCTestCase {
    /// crash-cd0242346d78c68c8762ba5fc1953c1a847ea824: a number beyond Double's range inside the
    /// opaque `gradus.model` block parsed to infinity, which the block's JSON text writes as
    /// `null`, so a resolved config's Codable round trip changed the value. Such numbers are now
    /// a syntax error at the number.
    func testNumberOutOfDoubleRangeIsASyntaxError() {
        let text = "{\n  \"gradus\": {\n    \"model\": {   \"validation_fractie\":5e9902\n    }\n  }\n}\n"
        XCTAssertThrowsError(try GradusConfig.parse(text)) { error in
            let syntax = error as? JSONSyntaxError
            XCTAssertEqual(syntax?.problem, "number out of range")
            XCTAssertEqual(syntax?.line, 3)
            XCTAssertEqual(syntax?.column, 45)  // just after `5e9902`
        }
        for bad in ["1e999", "-1e999", "[1E400]"] {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad) { XCTAssertEqual(($0 as? JSONSyntaxError)?.problem, "number out of range") }
        }
        // Values near the limits still parse, and tiny ones underflow to zero as in every JSON reader.
        XCTAssertEqual(try JSONValue.parse("1.7976931348623157e308"), .double(.greatestFiniteMagnitude))
        XCTAssertEqual(try JSONValue.parse("1e-400"), .double(0))
    }

    /// Every config that parses survives a Codable round trip (the fuzz target's invariant).
    func testShippedConfigsRoundTrip() throws {
        let root = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("configs")
        for name in try FileManager.default.contentsOfDirectory(atPath: root.path) where name.hasSuffix(".json") {
            let text = try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
            // Experiment matrices (configs/*matrix*.json, ablation.json, ...) and `gradus tune` search
            // files (tune-*.json, a "space") are read by Experiments.
            if text.contains("\"variants\"") || text.contains("\"space\"") { continue }
            let config = try GradusConfig.parse(text)
            let back = try JSONDecoder().decode(GradusConfig.self, from: JSONEncoder().encode(config))
            XCTAssertEqual(back, config, name)
        }
    }
}
