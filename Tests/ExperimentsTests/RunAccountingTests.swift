// RunAccountingTests.swift — issue 12: one cost model and the log as the run's record. A tiny
// experiment run with random-LTD and one with seqlen_reshape: the report's FLOPs equal the sum of
// log.jsonl's step FLOPs and the formula evaluated here by hand for the shapes each step served.
// A run stopped after a checkpoint (with later steps and a torn line already in its log) and
// resumed gives the uninterrupted run's result and log, wall-clock fields aside.

import Foundation
import Model
import Support
import TestSupport
import XCTest
@testable import Experiments

final class RunAccountingTests: XCTestCase {
    private var dir = ""
    private let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    override func setUpWithError() throws {
        dir = try TemporaryDirectory("accounting", removedAfter: self).path
    }

    /// One thread, so a resumed run is bit-identical to an uninterrupted one.
    private func oneThread(_ executor: RunExecutor) -> RunExecutor {
        var e = executor
        e.threads = .one
        return e
    }

    /// tiny.json (B 4, T 64, C 64, V 258) with 3 layers, layer 1 dropping: r 16 → 64 over 8 steps
    /// in multiples of 16.
    private let ltd: [String: Any] = ["name": "ltd", "override": [
        "gradus": ["model": ["layers": 3]],
        "data_efficiency": ["enabled": true, "data_routing": ["enabled": true, "random_ltd": [
            "enabled": true, "total_layer_num": 3, "random_ltd_layer_num": 1, "random_ltd_layer_id": [1],
            "model_mask_name": "attention_mask", "model_type": "decoder", "hidden_state_order": "batch_seq_dim",
            "random_ltd_schedule": ["min_value": 16, "max_value": 64, "schedule_type": "fixed_linear",
                                    "schedule_config": ["require_steps": 8, "seq_per_step": 16]]]]]]]

    /// tiny.json with seqlen_reshape 16 → 64 over 4 curriculum steps in multiples of 16.
    private let reshape: [String: Any] = ["name": "reshape", "override": [
        "train_batch_size": 4,
        "data_efficiency": ["enabled": true, "seed": 3, "data_sampling": ["enabled": true, "curriculum_learning": [
            "enabled": true, "curriculum_metrics": ["seqlen_reshape": [
                "difficulty_type": "value", "clustering_type": "single_cluster", "min_difficulty": 16,
                "max_difficulty": 64, "schedule_type": "fixed_linear",
                "schedule_config": ["total_curriculum_step": 4, "difficulty_step": 16]]]]]]]]

    private func matrix(tokens: Int, _ variants: [[String: Any]]) throws -> ExperimentMatrix {
        let object: [String: Any] = [
            "base": repo.appendingPathComponent("configs/tiny.json").path, "seeds": [1],
            "budget": ["tokens": tokens], "eval_interval_tokens": 1024, "validation": ["fraction": 0.1, "batches": 1],
            "variants": variants,
        ]
        let text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        return try ExperimentMatrix.parse(try JSONValue.parse(text), directory: "/")
    }

    private func steps(_ log: String) throws -> [[String: Any]] {
        try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            .map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            .filter { $0["grad_norm"] != nil }
    }

    /// Matmul FLOPs of a step by hand: 3·(2·rows·12·C²·Σn + 4·rows·C·Σn² + 2·rows·T·V·C), n the
    /// tokens each layer processes (T, or r in a dropping layer). Every n here is ≤ 64, one row
    /// block of the attention, which then multiplies all n² (query, key) pairs.
    private func handFLOPs(rows: Int, length T: Int, layers: [Int]) -> Double {
        let (B, C, V) = (Double(rows), 64.0, 258.0)
        let n = Double(layers.reduce(0, +)), n2 = Double(layers.map { $0 * $0 }.reduce(0, +))
        return 3 * (2 * B * 12 * C * C * n + 4 * B * C * n2 + 2 * B * Double(T) * V * C)
    }

    func testRandomLTDAndReshapeRunsReportFLOPsEqualTheLogsAndTheHandFormula() throws {
        let index = try buildGeneratedIndex(in: dir)
        let m = try matrix(tokens: 2048, [ltd, reshape])
        for variant in m.variants {
            let runDir = dir + "/" + variant.name
            let result = try oneThread(RunExecutor(matrix: m, variant: variant, seed: 1, directory: runDir, indexPath: index)).run()
            let records = try steps(runDir + "/log.jsonl")
            XCTAssertEqual(records.count, result.steps)
            let logged = records.map { $0["flops"] as! Double }.reduce(0, +)
            var byHand = 0.0
            for (k, r) in records.enumerated() {
                let rows = try XCTUnwrap(r["rows"] as? Int), T = try XCTUnwrap(r["seq_length"] as? Int)
                if variant.name == "ltd" {
                    // r(s) = ⌊16 + 48·s/8⌋ rounded down to 16: 16 16 16 32 32 32 48 48.
                    let reserved = [16, 16, 16, 32, 32, 32, 48, 48][k]
                    XCTAssertEqual(r["reserved"] as? Int, reserved, "step \(k + 1)")
                    XCTAssertEqual(rows, 4)
                    XCTAssertEqual(T, 64)
                    byHand += handFLOPs(rows: 4, length: 64, layers: [64, reserved, 64])
                } else {
                    // Reshape of 4 rows of 65 tokens into c + 1-token rows: c 16 → 16 rows (3 a row
                    // + 4 tails), 32 → 8 (1 + 1 each), 48 → ⌈260/49⌉ = 6, 64 → unchanged 4.
                    let c = try XCTUnwrap((r["difficulty"] as? [String: Double])?["seqlen_reshape"])
                    let expected = [16: 16, 32: 8, 48: 6, 64: 4][Int(c)]
                    XCTAssertEqual(rows, expected, "step \(k + 1) at difficulty \(c)")
                    XCTAssertEqual(T, Int(c))
                    byHand += handFLOPs(rows: rows, length: T, layers: [T, T])
                }
            }
            if variant.name == "reshape" { XCTAssertTrue(records.contains { $0["rows"] as! Int > 4 }, "reshape served more rows") }
            XCTAssertEqual(result.flops, logged, variant.name)
            XCTAssertEqual(result.flops, byHand, accuracy: byHand * 1e-12, variant.name)
            XCTAssertEqual(result.tokens, records.map { $0["step_tokens"] as! Int }.reduce(0, +))
        }
    }

    func testRunStoppedAfterACheckpointAndResumedEqualsTheUninterruptedRun() throws {
        let index = try buildGeneratedIndex(in: dir)
        let full = try matrix(tokens: 4096, [ltd]), half = try matrix(tokens: 2048, [ltd])
        let variant = full.variants[0]
        let straight = try oneThread(RunExecutor(matrix: full, variant: variant, seed: 1, directory: dir + "/a", indexPath: index)).run()

        // Stopped after the 2048-token checkpoint (step 8), with steps 9–10 and a torn line already logged.
        let b = dir + "/b"
        _ = try oneThread(RunExecutor(matrix: half, variant: variant, seed: 1, directory: b, indexPath: index)).run()
        try FileManager.default.removeItem(atPath: b + "/result.json")
        let later = try String(contentsOfFile: dir + "/a/log.jsonl", encoding: .utf8).split(separator: "\n")
            .filter { line in
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return [9, 10].contains(object?["step"] as? Int ?? 0)
            }
        XCTAssertEqual(later.count, 2)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: b + "/log.jsonl"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((later.joined(separator: "\n") + "\n{\"step\": 11, \"lo").utf8))
        try handle.close()

        let resumed = try oneThread(RunExecutor(matrix: full, variant: variant, seed: 1, directory: b, indexPath: index)).run()
        XCTAssertEqual(resumed.curve.map(\.tokens), straight.curve.map(\.tokens))
        XCTAssertEqual(resumed.curve.map(\.loss), straight.curve.map(\.loss))
        XCTAssertEqual(resumed.curve.map(\.tokens), [0, 1024, 2048, 3072, 4096])
        XCTAssertEqual(resumed.tokens, straight.tokens)
        XCTAssertEqual(resumed.steps, straight.steps)
        XCTAssertEqual(resumed.layerTokens, straight.layerTokens)
        XCTAssertEqual(resumed.flops, straight.flops)
        XCTAssertEqual(resumed.schedule, straight.schedule)
        XCTAssertEqual(resumed.finalValidationLoss, straight.finalValidationLoss)
        XCTAssertEqual(try logWithoutWallClock(b + "/log.jsonl"), try logWithoutWallClock(dir + "/a/log.jsonl"))
        // The wall-clock of the result is the log's: the last step's train_s, summed over both segments.
        // Read with JSONDecoder: JSONSerialization on Linux misreads some 17-digit doubles
        // (2.7924927650000004 as 2.7924927650000018), which made this comparison fail at random.
        struct TrainSeconds: Decodable { var train_s: Double }
        let lastStep = try XCTUnwrap(try String(contentsOfFile: b + "/log.jsonl", encoding: .utf8)
            .split(separator: "\n").last { $0.contains("\"grad_norm\"") })
        XCTAssertEqual(resumed.wallSeconds, try JSONDecoder().decode(TrainSeconds.self, from: Data(lastStep.utf8)).train_s)
        XCTAssertFalse(FileManager.default.fileExists(atPath: b + "/progress.json"))
    }

    private func logWithoutWallClock(_ path: String) throws -> [NSDictionary] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for key in ["elapsed", "tokens_per_s", "train_s"] { object[key] = nil }
            return object as NSDictionary
        }
    }
}
