// SizeLimitTests.swift — absurd sizes in run configs (issue 14 item 15): `gradus train` and
// `gradus schedule` refuse them with `key.path: value exceeds the limit N (why)` in the config
// error, exit 1 and create nothing, instead of aborting in an allocation or hanging.

import Foundation
import TestSupport
import XCTest

final class SizeLimitTests: XCTestCase {
    private var dir: String!
    override func setUpWithError() throws { dir = try TemporaryDirectory("size-limits", removedAfter: self).path }

    /// configs/tiny.json (2 layers, d_model 64, 4 heads, context 64, vocab 258, batch 4) with
    /// `model` / `train` / top-level keys replaced.
    private func tiny(model: [String: Any] = [:], train: [String: Any] = [:], top: [String: Any] = [:]) throws -> String {
        var m: [String: Any] = ["layers": 2, "d_model": 64, "heads": 4, "context": 64, "vocab": 258]
        var t: [String: Any] = ["batch_size": 4, "steps": 5, "lr": ["peak": 0.003, "warmup": 1, "total": 5]]
        m.merge(model) { $1 }
        t.merge(train) { $1 }
        var root: [String: Any] = ["gradus": ["model": m, "train": t]]
        root.merge(top) { $1 }
        let path = dir + "/c-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func assertLimit(_ config: String, _ problem: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for args in [["train", config, "--index", dir + "/none.idx", "--out", dir + "/run"], ["schedule", config, "--steps", "1"]] {
            let r = try runGradus(args)
            XCTAssertFalse(r.signaled, "\(args[0]) crashed: \(r.stderr)", file: file, line: line)
            XCTAssertEqual(r.status, 1, "\(args[0]): \(r.stderr)", file: file, line: line)
            XCTAssertTrue(r.stderr.contains("Error: \(config): invalid config"), r.stderr, file: file, line: line)
            XCTAssertTrue(r.stderr.contains("\n  - \(problem)"), "\(args[0]): missing \(problem) in \(r.stderr)", file: file, line: line)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/run"), "train created its run directory", file: file, line: line)
    }

    func testAbsurdModelSizesExceedTheirLimits() throws {
        try assertLimit(try tiny(model: ["vocab": 1_000_000_000]), "gradus.model.vocab: 1000000000 exceeds the limit 16777216 (2^24 tokens)")
        try assertLimit(try tiny(model: ["d_model": 1 << 20]), "gradus.model.d_model: 1048576 exceeds the limit 65536 (2^16 channels)")
        try assertLimit(try tiny(model: ["layers": 1_000_000]), "gradus.model.layers: 1000000 exceeds the limit 4096 (2^12 transformer blocks)")
        try assertLimit(try tiny(model: ["context": 1 << 21]), "gradus.model.context: 2097152 exceeds the limit 1048576 (2^20 tokens)")
        // Each size within its limit, but 12·L·C² + 13·L·C + V·C + 4C parameters with L = C = 4096,
        // V = 258 (H = 4C): 824 633 720 832 + 218 103 808 + 1 056 768 + 16 384 = 824 852 897 792 > 2^36.
        try assertLimit(try tiny(model: ["layers": 4096, "d_model": 4096]),
                        "gradus.model: the model has 824852897792 parameters (layers 4096, d_model 4096, vocab 258, mlp_ratio 4), "
                        + "which exceeds the limit 68719476736")
    }

    func testAbsurdBatchSizesExceedTheirLimits() throws {
        try assertLimit(try tiny(train: ["batch_size": 1_000_000_000]),
                        "gradus.train.batch_size: 1000000000 exceeds the limit 16777216 (2^24 rows per batch)")
        try assertLimit(try tiny(top: ["train_batch_size": 1_000_000_000_000]),
                        "train_batch_size: 1000000000000 exceeds the limit 16777216 (2^24 samples per global batch; the sampler holds one id per sample)")
        // 10^6 rows of 64 tokens: per row N(2C + 2) + L·N(8C + 2H + 4) + N(C + 5 + V) with N = 64,
        // C = 64, H = 256, V = 258, L = 2: 8 320 + 2 · 65 792 + 20 928 = 160 832 activations.
        try assertLimit(try tiny(train: ["batch_size": 1_000_000]),
                        "gradus.train.batch_size: 1000000 rows × 64 tokens need 160832000000 activations, which exceeds the limit 137438953472")
    }
}
