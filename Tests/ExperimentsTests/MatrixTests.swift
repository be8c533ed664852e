// MatrixTests.swift — the matrix file: RFC 7396 merge semantics (the RFC's Appendix A, the `$set`
// form, JSON types and key order kept), every problem reported at once with its key path, the
// `null` random-LTD mask through a matrix, the matrix-owned keys (seed, split) written into each
// run config, and the shipped matrices (configs/ablation.json, configs/demo-matrix.json) accepted by the matrix
// parser and every run config by both config parsers (training and DeepSpeed data_efficiency).

import Curriculum
import Foundation
import Support
import TestSupport
import XCTest
import Training
import XCTest
@testable import Experiments

final class MatrixTests: XCTestCase {
    private let repo = URL(fileURLWithPath: repositoryRoot)

    private func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    /// RFC 7396 Appendix A: every example's (original, patch, result), copied from the RFC.
    func testMergeFollowsRFC7396AppendixA() throws {
        let cases: [(String, String, String)] = [
            (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
            (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
            (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
            (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
            (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
            (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
            (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
            (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
            (#"{"a":"foo"}"#, #"null"#, #"null"#),
            (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
            (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
            (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
            (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
        ]
        for (original, patch, result) in cases {
            XCTAssertEqual(try json(original).merged(with: try json(patch)), try json(result), "\(original) + \(patch)")
        }
    }

    /// Booleans, integers and numbers keep their JSON type through a merge and the written
    /// config.json (`40` stays an integer, `40.0` a number, `true` a boolean, never `1`).
    func testMergeKeepsBooleansIntegersAndNumbersApart() throws {
        let merged = try json(#"{"x": {"i": 40, "d": 40.0, "b": true}}"#)
            .merged(with: try json(#"{"x": {"one": 1, "t": false, "f": 1.0}}"#))
        let back = try JSONValue.parse(merged.prettyText)
        XCTAssertEqual(back, merged)
        XCTAssertEqual(back["x"]?["i"], .int(40))
        XCTAssertEqual(back["x"]?["d"], .double(40))
        XCTAssertEqual(back["x"]?["b"], .bool(true))
        XCTAssertEqual(back["x"]?["one"], .int(1))
        XCTAssertEqual(back["x"]?["t"], .bool(false))
        XCTAssertEqual(back["x"]?["f"], .double(1))
        XCTAssertEqual(back["x"].map { if case .object(let m) = $0 { return m.map(\.key) } else { return [] } },
                       ["i", "d", "b", "one", "t", "f"], "base order, then the patch's new keys in its order")
    }

    /// `{"$set": V}` puts V in place unmerged: null is set (not deleted), an object replaces.
    func testMergeSetFormSetsNullAndReplacesObjects() throws {
        let base = try json(#"{"a": {"b": 1, "c": 2}, "d": 3}"#)
        XCTAssertEqual(base.merged(with: try json(#"{"d": {"$set": null}}"#)), try json(#"{"a": {"b": 1, "c": 2}, "d": null}"#))
        XCTAssertEqual(base.merged(with: try json(#"{"a": {"$set": {"z": 0}}}"#)), try json(#"{"a": {"z": 0}, "d": 3}"#))
        XCTAssertEqual(base.merged(with: try json(#"{"e": {"x": {"$set": null}}}"#)),
                       try json(#"{"a": {"b": 1, "c": 2}, "d": 3, "e": {"x": null}}"#))
    }

    func testParseReportsEveryProblemWithItsPath() throws {
        let dir = NSTemporaryDirectory()
        let bad = try json("""
            {"base": "missing-base.json", "seeds": [1, 1], "budget": {"tokens": 10, "seconds": 2}, "colour": 1,
             "eval_interval_tokens": 0, "validation": {"fraction": 2, "extra": 1},
             "variants": [{"name": "a", "override": {}, "typo": 1}, {"name": "b/c"},
                          {"name": "d", "override": {"gradus": {"train": {"seed": 3}}}}]}
            """)
        XCTAssertThrowsError(try ExperimentMatrix.parse(bad, directory: dir)) { error in
            guard case ExperimentError.invalidMatrix(let problems) = error else { return XCTFail("\(error)") }
            let text = problems.joined(separator: "\n")
            for expected in ["colour: unknown key", "seeds: a seed is listed twice", "budget: give exactly one",
                             "eval_interval_tokens:", "validation.fraction:", "validation.extra: unknown key",
                             "variants[0].typo: unknown key", "variants[1].name:", "gradus.train.seed is set by the matrix",
                             "base: \(dir)/missing-base.json is not a readable JSON object"] {
                XCTAssertTrue(text.contains(expected), "missing \(expected) in\n\(text)")
            }
        }
    }

    /// A matrix that is otherwise valid but has a misspelt key and a wrong type is refused, each
    /// problem with its key path.
    func testParseRefusesUnknownKeyAndWrongTypeWithTheirPaths() throws {
        let base = repo.appendingPathComponent("configs/tiny.json").path
        let text = """
            {"base": "\(base)", "seeds": [1], "budget": {"tokens": 100, "token_count": 5}, "eval_interval_tokens": 50.0,
             "variants": [{"name": "v", "override": {}}]}
            """
        XCTAssertThrowsError(try ExperimentMatrix.parse(try json(text), directory: "/")) { error in
            guard case ExperimentError.invalidMatrix(let problems) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(problems, ["budget.token_count: unknown key",
                                      "eval_interval_tokens: expected an integer, found a number"])
        }
    }

    func testRunConfigWritesSeedSplitAndEvalBatches() throws {
        let base = repo.appendingPathComponent("configs/tiny.json").path
        let m = try ExperimentMatrix.parse(try json("""
            {"base": "\(base)", "seeds": [7], "budget": {"tokens": 100}, "eval_interval_tokens": 50,
             "validation": {"fraction": 0.1, "batches": 3},
             "variants": [{"name": "v", "override": {"gradus": {"train": {"grad_clip": 0.5}}}}]}
            """), directory: "/")
        let config = m.runConfig(variant: m.variants[0], seed: 7)
        let train = try XCTUnwrap(config.value(at: ["gradus", "train"]))
        XCTAssertEqual(train["seed"], .int(7))
        XCTAssertEqual(train["validation_fraction"], .double(0.1))
        XCTAssertEqual(train["eval_batches"], .int(3))
        XCTAssertEqual(train["grad_clip"], .double(0.5))
        XCTAssertEqual(train["batch_size"], .int(4))   // kept from configs/tiny.json
    }

    /// configs/gpt-ltd.json's `"model_mask_name": null` survives a matrix (as the base, and as an
    /// override written with the documented `{"$set": null}`), and the run config parses; a plain
    /// `null` in an override deletes the key (RFC 7396), which the parser reports.
    func testNullMaskNameThroughAMatrix() throws {
        let ltdPath = repo.appendingPathComponent("configs/gpt-ltd.json").path
        let ltdText = try String(contentsOfFile: ltdPath, encoding: .utf8)
        let ltd = try json(ltdText)
        let maskPath = ["data_efficiency", "data_routing", "random_ltd", "model_mask_name"]
        XCTAssertEqual(ltd.value(at: maskPath), .null)
        func matrix(base: String, override: JSONValue) throws -> ExperimentMatrix {
            try ExperimentMatrix.parse(.object([("base", .string(base)), ("seeds", .array([.int(1)])),
                                                ("budget", try json(#"{"tokens": 100}"#)), ("eval_interval_tokens", .int(50)),
                                                ("variants", .array([.object([("name", .string("v")), ("override", override)])]))]),
                                       directory: "/")
        }
        let asBase = try matrix(base: ltdPath, override: .object([]))
        let fromBase = asBase.runConfig(variant: asBase.variants[0], seed: 1)
        XCTAssertEqual(fromBase.value(at: maskPath), .null)
        let run = try RunConfig.parse(try JSONValue.parse(fromBase.prettyText))
        XCTAssertTrue(run.file.dataEfficiency.dataRouting.randomLTD.enabled)
        XCTAssertNil(run.file.dataEfficiency.dataRouting.randomLTD.modelMaskName)

        let tiny = repo.appendingPathComponent("configs/tiny.json").path
        let block = try XCTUnwrap(ltd["data_efficiency"])
        let withSetText = ltdText.replacingOccurrences(of: #""model_mask_name": null"#, with: #""model_mask_name": {"$set": null}"#)
        XCTAssertNotEqual(withSetText, ltdText)
        let setNull = JSONValue.object([("data_efficiency", try XCTUnwrap(try json(withSetText)["data_efficiency"]))])
        let withSet = try matrix(base: tiny, override: setNull)
        let setConfig = withSet.runConfig(variant: withSet.variants[0], seed: 1)
        XCTAssertEqual(setConfig.value(at: maskPath), .null)
        XCTAssertNoThrow(try GradusConfig.parse(setConfig.jsonText))

        let plainNull = try matrix(base: tiny, override: .object([("data_efficiency", block)]))
        XCTAssertThrowsError(try GradusConfig.parse(plainNull.runConfig(variant: plainNull.variants[0], seed: 1).jsonText)) { error in
            XCTAssertEqual((error as? ConfigError)?.issues.map(\.path), ["data_efficiency.data_routing.random_ltd.model_mask_name"])
        }
    }

    /// DeepSpeed applies curriculum metrics in JSON key order; a merge must keep the override's
    /// order (the old sorted merge turned b, a into a, b), and the order changes what is sampled.
    func testMergeKeepsCurriculumMetricOrder() throws {
        func metric(_ lo: Int, _ hi: Int) -> String {
            #"{"difficulty_type": "value", "clustering_type": "schedule_based", "min_difficulty": \#(lo), "max_difficulty": \#(hi), "schedule_type": "fixed_linear", "schedule_config": {"total_curriculum_step": 4, "difficulty_step": 1}}"#
        }
        func curriculum(_ metrics: String) throws -> JSONValue {
            try json(#"{"data_efficiency": {"enabled": true, "data_sampling": {"enabled": true, "curriculum_learning": {"enabled": true, "curriculum_metrics": {\#(metrics)}}}}}"#)
        }
        let base = try json(#"{"train_batch_size": 4, "data_efficiency": {"seed": 1234}}"#)
        let bThenA = base.merged(with: try curriculum(#""b": \#(metric(1, 3)), "a": \#(metric(2, 9))"#))
        let aThenB = base.merged(with: try curriculum(#""a": \#(metric(2, 9)), "b": \#(metric(1, 3))"#))
        let parsedBA = try GradusConfig.parse(bThenA.jsonText), parsedAB = try GradusConfig.parse(aThenB.jsonText)
        XCTAssertEqual(parsedBA.curriculumMetrics.map(\.name), ["b", "a"])
        XCTAssertEqual(parsedAB.curriculumMetrics.map(\.name), ["a", "b"])
        let index = try InMemoryDifficultyIndex(metrics: [("a", (0..<40).map { Double((3 * $0) % 10) }),
                                                          ("b", (0..<40).map { Double($0 % 4) })])
        func firstBatches(_ config: GradusConfig) throws -> [[UInt64]] {
            var sampler = try CurriculumSampler(index: index, config: config, globalBatchSize: 4)
            return try (0..<4).map { _ in try sampler.nextGlobalBatch().sampleIDs }
        }
        XCTAssertNotEqual(try firstBatches(parsedBA), try firstBatches(parsedAB), "metric order changes the sampler")
    }

    /// The shipped matrices parse, and every (variant, seed) config passes the training parser
    /// and DeepSpeed's data_efficiency parser (strict: unknown keys are errors).
    func testShippedMatricesEveryRunConfigParses() throws {
        let tmp = try TemporaryDirectory("matrix", removedAfter: self).file("run.json")
        for name in ["ablation", "demo-matrix", "torch-matrix"] {
            let m = try ExperimentMatrix.load(path: repo.appendingPathComponent("configs/\(name).json").path)
            XCTAssertGreaterThanOrEqual(m.seeds.count, 2, name)
            for v in m.variants {
                let text = m.runConfig(variant: v, seed: m.seeds[0]).prettyText
                try text.write(to: URL(fileURLWithPath: tmp), atomically: true, encoding: .utf8)
                let training = try RunConfig.load(path: tmp)
                XCTAssertNoThrow(try GradusConfig.parse(text), "\(name)/\(v.name)")
                let requested = RunExecutor.requests(training)
                XCTAssertEqual(requested.curriculum, v.name.contains("cl"), "\(name)/\(v.name)")
                XCTAssertEqual(requested.randomLTD, v.name.contains("ltd"), "\(name)/\(v.name)")
            }
        }
        let ablation = try ExperimentMatrix.load(path: repo.appendingPathComponent("configs/ablation.json").path)
        XCTAssertEqual(ablation.variants.map(\.name), ["baseline", "cl-seqlen", "cl-vocab", "cl-seqlen-vocab", "ltd", "cl-ltd"])
    }
}
