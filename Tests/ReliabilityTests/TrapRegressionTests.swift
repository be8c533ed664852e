// TrapRegressionTests.swift — hostile numbers in files Gradus reads back (issue 14 item 13): a
// sampler state (`gradus batches --resume`) whose counts, steps or segments would overflow, and a
// `results.jsonl` whose curve decreases or holds 1e308, are refused with exit 1 and a message
// naming the file, the field (or line) and the allowed range, instead of trapping.

import Foundation
import TestSupport
import XCTest

final class TrapRegressionTests: XCTestCase {
    private var dir: String!
    override func setUpWithError() throws { dir = try TemporaryDirectory("trap-regression", removedAfter: self).path }

    private func assertRefused(_ args: [String], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try runGradus(args)
        XCTAssertFalse(r.signaled, "\(args[0]) crashed: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, 1, r.stderr, file: file, line: line)
        for f in fragments { XCTAssertTrue(r.stderr.contains(f), "missing \(f) in \(r.stderr)", file: file, line: line) }
    }

    /// A 150-document index, a curriculum config with train_batch_size 8, and the state saved
    /// after 3 batches (so step 3 and consumedSamples 3 × 8 = 24).
    private func savedState() throws -> (index: String, config: String, state: [String: Any]) {
        let lines = (0..<150).map { "{\"id\":\"d\($0)\",\"text\":\"" + String(repeating: "w\($0 % 11) ", count: 1 + $0 % 15) + "\"}" }
        try lines.joined(separator: "\n").write(toFile: dir + "/c.jsonl", atomically: true, encoding: .utf8)
        let index = dir + "/i.idx", config = dir + "/c.json", state = dir + "/s.json"
        XCTAssertEqual(try runGradus(["index", dir + "/c.jsonl", "--out", index, "--threads", "1"]).status, 0)
        try """
        {"train_batch_size": 8, "data_efficiency": {"seed": 7, "data_sampling": {"curriculum_learning": {"enabled": true,
         "curriculum_metrics": {"seqlen": {"difficulty_type": "value", "clustering_type": "schedule_based", "min_difficulty": 10,
         "max_difficulty": 60, "schedule_type": "fixed_linear", "schedule_config": {"total_curriculum_step": 8, "difficulty_step": 2}}}}}}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let saved = try runGradus(["batches", index, "--config", config, "--steps", "3", "--save-state", state])
        XCTAssertEqual(saved.status, 0, saved.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: state))) as! [String: Any]
        XCTAssertEqual(json["step"] as? Int, 3)
        XCTAssertEqual(json["consumedSamples"] as? Int, 24)
        return (index, config, json)
    }

    private func writeState(_ json: [String: Any], _ name: String) throws -> String {
        let path = dir + "/" + name
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testSamplerStateWithOverflowingCountsIsRefused() throws {
        let (index, config, saved) = try savedState()
        let resume = { (path: String) in ["batches", index, "--config", config, "--steps", "2", "--resume", path] }
        var s = saved
        s["consumedSamples"] = Int.max
        let consumed = try writeState(s, "consumed.json")
        // 2^52 = 4 503 599 627 370 496.
        try assertRefused(resume(consumed), ["\(consumed): invalid sampler state: consumedSamples: 9223372036854775807 is outside "
                                             + "the allowed range 0...4503599627370496"])
        s = saved
        s["step"] = Int.max
        let step = try writeState(s, "step.json")
        try assertRefused(resume(step), ["\(step): invalid sampler state: step: 9223372036854775807 is outside the allowed range 0...24"])
        s = saved
        var clusters = s["clusters"] as! [[String: Any]]
        var segments = clusters[0]["segments"] as! [[String: Any]]
        segments[0]["lower"] = Int.min
        segments[0]["upper"] = Int.max
        clusters[0]["segments"] = segments
        s["clusters"] = clusters
        let segment = try writeState(s, "segment.json")
        try assertRefused(resume(segment), ["\(segment): invalid sampler state: clusters[0].segments[0].lower: -9223372036854775808 "
                                            + "is outside the allowed range 0..."])
    }

    /// One results.jsonl line of variant `base`, seed `seed`, with the curve `curve`.
    private func resultLine(seed: Int, curve: String) -> String {
        "{\"variant\":\"base\",\"seed\":\(seed),\"final_val_loss\":2.5,\"steps\":4,\"tokens\":400,\"layer_tokens\":800,\"flops\":1e9,"
            + "\"wall_seconds\":3,\"curve\":\(curve),\"schedule\":[],\"sampler\":\"uniform\",\"random_ltd_applied\":false,"
            + "\"curriculum_requested\":false,\"random_ltd_requested\":false}"
    }

    private func report(_ lines: [String]) throws -> (String, String) {
        let out = dir + "/exp-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(toFile: out + "/results.jsonl", atomically: true, encoding: .utf8)
        return (out, out + "/results.jsonl")
    }

    func testReportRefusesCurvesThatDecreaseOrOverflow() throws {
        let good = resultLine(seed: 1, curve: "[[0,0,5.0],[200,1,3.0],[400,2,2.5]]")
        let (ok, _) = try report([good])
        let fine = try runGradus(["report", ok])
        XCTAssertEqual(fine.status, 0, fine.stderr)
        let (d1, p1) = try report([good, resultLine(seed: 2, curve: "[[0,0,5.0],[300,1,3.0],[200,2,2.5]]")])
        try assertRefused(["report", d1], ["\(p1)", "line 2: curve[2] tokens: 200 is below the previous point's 300 (a curve ascends in tokens)"])
        let (d2, p2) = try report([good, resultLine(seed: 2, curve: "[[0,0,5.0],[1e308,1,3.0]]")])
        try assertRefused(["report", d2], ["\(p2)", "line 2: curve[1] tokens: 1e+308 is outside 0...9007199254740992"])
        let (d3, p3) = try report([resultLine(seed: 1, curve: "[[0,0,5.0],[-4,1,3.0]]")])
        try assertRefused(["report", d3], ["\(p3)", "line 1: curve[1] tokens: -4 is outside 0...9007199254740992"])
        // Two seeds whose curves share no token range: nothing to average.
        let (d4, p4) = try report([resultLine(seed: 1, curve: "[[0,0,5.0],[100,1,3.0]]"),
                                   resultLine(seed: 2, curve: "[[200,0,5.0],[400,1,3.0]]")])
        try assertRefused(["report", d4], ["\(p4): the validation curves of base cover no common token range (seed 1: 0...100, seed 2: 200...400)"])
    }
}
