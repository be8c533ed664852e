// ExperimentEndToEndTests.swift — the acceptance test of issue 7: a 2-variant × 2-seed matrix on
// configs/tiny.json over a tiny index built here from a generated corpus. Checks results.jsonl,
// recomputes the report's table cells from the curves with the test's own arithmetic, validates
// every plot (PNG decoded, SVG parsed), regenerates the report from results.jsonl alone, skips
// finished runs on --resume, and proves an interrupted run resumes to the same curve.

import Corpus
import CorpusIndex
import Foundation
import Model
import Support
import TestSupport
import Synchronization
import XCTest
@testable import Experiments

final class ExperimentEndToEndTests: XCTestCase {
    private var dir = ""
    private let repo = URL(fileURLWithPath: repositoryRoot)

    override func setUpWithError() throws {
        dir = try TemporaryDirectory("experiment", removedAfter: self).path
    }

    private func buildIndex() throws -> String { try buildGeneratedIndex(in: dir) }


    /// baseline vs "clip": the second differs (gradient clipping 0.05), so the curves differ.
    private func matrix(tokens: Int) throws -> ExperimentMatrix {
        try ExperimentMatrix.parse(try JSONValue.parse("""
            {"base": "\(repo.appendingPathComponent("configs/tiny.json").path)", "seeds": [1, 2],
             "budget": {"tokens": \(tokens)}, "eval_interval_tokens": 1024, "validation": {"fraction": 0.1, "batches": 2},
             "variants": [{"name": "baseline", "override": {}},
                          {"name": "clip", "override": {"gradus": {"train": {"grad_clip": 0.05}}}}]}
            """), directory: "/")
    }

    func testMatrixResultsReportPlotsAndResume() throws {
        let index = try buildIndex()
        let out = dir + "/out"
        let m = try matrix(tokens: 4096)
        let lines = Mutex<[String]>([])
        var runner = ExperimentRunner(matrix: m, indexPath: index, outputPath: out, threads: 1, resume: false)
        runner.progressInterval = 0  // a progress line after every step (a log with --progress-seconds tiny)
        let results = try runner.run(log: { line in lines.withLock { $0.append(line) } })
        XCTAssertEqual(results.map(\.variant), ["baseline", "baseline", "clip", "clip"])
        // Every line says which run of the matrix it is; each finished run, how many are done and
        // (but for the last) the time left for the matrix.
        let logged = lines.withLock { $0 }
        XCTAssertTrue(logged.allSatisfy { ($0.hasPrefix("run ") || $0.hasPrefix("progress: run ")) && $0.contains(" of 4: ") }, "\(logged)")
        // Between evaluations: the run's step and tokens, and the matrix's share and ETA from the
        // first run's first step on (16 steps of 256 tokens a run; 4 runs).
        let progress = logged.filter { $0.hasPrefix("progress: ") }
        XCTAssertEqual(progress.count, 4 * 16, "\(progress.prefix(3))")
        XCTAssertEqual(progress[0], progress[0].hasPrefix("progress: run 1 of 4: baseline seed 1: step 1, 256 tokens (6% of the run); matrix 1% done, about ")
                       ? progress[0] : "", progress[0])
        XCTAssertTrue(progress[0].hasSuffix(" left"), progress[0])
        let evaluations = logged.filter { $0.contains("validation loss") }
        XCTAssertTrue(evaluations.dropFirst().allSatisfy { $0.contains("% done") }, "\(evaluations)")
        let finished = logged.filter { $0.contains(" finished; ") }
        XCTAssertEqual(finished.count, 4, "\(logged)")
        XCTAssertTrue(finished[0].hasPrefix("run 1 of 4: baseline seed 1 finished; 1 of 4 runs done in "), finished[0])
        XCTAssertTrue(finished[0].contains("left for the matrix"), finished[0])
        XCTAssertTrue(finished[3].hasPrefix("run 4 of 4: clip seed 2 finished; 4 of 4 runs done in ") && !finished[3].contains("left"), finished[3])
        XCTAssertEqual(results.map(\.seed), [1, 2, 1, 2])
        try checkResults(out, results)
        try Report.generate(directory: out)
        try checkReport(out, results)
        try checkPlots(out)

        // A second report from results.jsonl alone is identical.
        let first = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        try FileManager.default.removeItem(atPath: out + "/report.md")
        try Report.generate(directory: out)
        XCTAssertEqual(try String(contentsOfFile: out + "/report.md", encoding: .utf8), first)

        // Without --resume OUT is refused; with it finished runs are not retrained (logs unchanged).
        XCTAssertThrowsError(try ExperimentRunner(matrix: m, indexPath: index, outputPath: out, threads: 1, resume: false).run())
        let log = out + "/runs/clip-seed2/log.jsonl"
        let before = try Data(contentsOf: URL(fileURLWithPath: log))
        XCTAssertEqual(try ExperimentRunner(matrix: m, indexPath: index, outputPath: out, threads: 1, resume: true).run(), results)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: log)), before)
        // Another matrix in the same OUT is refused even with --resume.
        XCTAssertThrowsError(try ExperimentRunner(matrix: try matrix(tokens: 2048), indexPath: index, outputPath: out,
                                                  threads: 1, resume: true).run())

        // Interrupted: train half the budget, then resume the same directory to the full budget.
        var half = RunExecutor(matrix: try matrix(tokens: 2048), variant: m.variants[1], seed: 2,
                               directory: dir + "/interrupted", indexPath: index)
        half.threads = .one
        _ = try half.run()
        try FileManager.default.removeItem(atPath: dir + "/interrupted/result.json")
        var resuming = RunExecutor(matrix: m, variant: m.variants[1], seed: 2, directory: dir + "/interrupted",
                                   indexPath: index)
        resuming.threads = .one
        let resumed = try resuming.run()
        XCTAssertEqual(resumed.curve.map(\.loss), results[3].curve.map(\.loss))
        XCTAssertEqual(resumed.curve.map(\.tokens), results[3].curve.map(\.tokens))
        XCTAssertEqual(resumed.flops, results[3].flops)
        XCTAssertEqual(resumed.steps, results[3].steps)
    }

    /// tiny.json: B 4 × T 64 = 256 tokens a step, 2 layers; 4096 tokens = 16 steps; evaluations
    /// at 0, 1024, 2048, 3072, 4096.
    private func checkResults(_ out: String, _ results: [RunResult]) throws {
        let lines = try String(contentsOfFile: out + "/results.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        for key in ["variant", "seed", "final_val_loss", "tokens", "layer_tokens", "flops", "wall_seconds", "curve"] {
            XCTAssertNotNil(object[key], key)
        }
        XCTAssertEqual(try RunResult.readLines(path: out + "/results.jsonl"), results)
        // FLOPs of one dense step: 3·(2·B·T·12·L·C² + 4·L·B·T²·C + 2·B·T·V·C) with B 4, T 64, L 2, C 64, V 258.
        let linear: Double = 2 * 256 * 12 * 2 * 4096       // 2·(B·T·L)·12·C², C² = 4096
        let attention: Double = 4 * 2 * 4 * 4096 * 64      // 4·L·B·T²·C, T² = 4096
        let head: Double = 2 * 256 * 258 * 64              // 2·B·T·V·C
        let step = 3 * (linear + attention + head)
        for r in results {
            XCTAssertEqual(r.steps, 16)
            XCTAssertEqual(r.tokens, 4096)
            XCTAssertEqual(r.layerTokens, 8192)
            XCTAssertEqual(r.flops, 16 * step, accuracy: 1)
            XCTAssertEqual(r.curve.map(\.tokens), [0, 1024, 2048, 3072, 4096])
            XCTAssertEqual(r.finalValidationLoss, r.curve.last!.loss)
            XCTAssertTrue(r.curve.last!.loss < r.curve.first!.loss, "training lowers the held-out loss")
            XCTAssertTrue(zip(r.curve, r.curve.dropFirst()).allSatisfy { $0.wall <= $1.wall })
            // Every run scores the same held-out batches: one unigram reference, below the
            // untrained model's loss (≈ ln V for a near-uniform prediction).
            let unigram = try XCTUnwrap(r.unigramValidationLoss)
            XCTAssertEqual(unigram, try XCTUnwrap(results[0].unigramValidationLoss))
            XCTAssertTrue(unigram > 0 && unigram < r.curve.first!.loss, "\(unigram) vs \(r.curve.first!.loss)")
        }
        // Same seed, same init and data: the two variants' first evaluations are equal; then they differ.
        XCTAssertEqual(results[0].curve[0].loss, results[2].curve[0].loss)
        XCTAssertNotEqual(results[0].finalValidationLoss, results[2].finalValidationLoss)
    }

    /// Recomputes the table's cells from the curves (all seeds share the evaluation grid here, so
    /// the mean curve is the pointwise mean) with a first-crossing search written out again.
    private func checkReport(_ out: String, _ results: [RunResult]) throws {
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        func row(_ name: String) throws -> [String] {
            let line = try XCTUnwrap(report.split(separator: "\n").first { $0.hasPrefix("| \(name) |") })
            // Cells: name, seeds, loss, range, tokens-to-target, saving, wall-to-target, wall saving,
            // tokens, wall, layer-tokens, FLOPs (split drops the empty text outside the outer bars).
            return line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        func mean(_ v: String) -> [(Double, Double)] {
            let rs = results.filter { $0.variant == v }
            return (0..<rs[0].curve.count).map { i in
                (rs[0].curve[i].tokens, rs.map { $0.curve[i].loss }.reduce(0, +) / Double(rs.count))
            }
        }
        let base = mean("baseline"), clip = mean("clip")
        let target = base.last!.1
        var expected = "not reached"
        for i in clip.indices where clip[i].1 <= target {
            var t = clip[0].0
            if i > 0 {
                let f: Double = (clip[i - 1].1 - target) / (clip[i - 1].1 - clip[i].1)
                t = clip[i - 1].0 + f * (clip[i].0 - clip[i - 1].0)
            }
            expected = String(Int(t.rounded()))
            break
        }
        let clipRow = try row("clip"), baseRow = try row("baseline")
        XCTAssertEqual(clipRow[4], expected)
        XCTAssertEqual(baseRow[4], "4096")
        let finals = results.filter { $0.variant == "clip" }.map(\.finalValidationLoss)
        let m = (finals[0] + finals[1]) / 2, sd = abs(finals[0] - finals[1]) / 2.0.squareRoot()
        XCTAssertEqual(clipRow[2], String(format: "%.4f ± %.4f", m, sd))
        XCTAssertEqual(clipRow[3], String(format: "[%.4f, %.4f]", finals.min()!, finals.max()!))
        if expected != "not reached" {
            XCTAssertEqual(clipRow[5], String(format: "%.2f×", 4096 / Double(expected)!))
        } else {
            XCTAssertEqual(clipRow[5], "—")
        }
        XCTAssertEqual(clipRow[8], "4096")
        XCTAssertEqual(clipRow[10], "8192")
        XCTAssertTrue(report.contains("- **clip**:"))
    }

    private func checkPlots(_ out: String) throws {
        for stem in ["val-loss-vs-tokens", "val-loss-vs-wall", "schedule-lr", "schedule-seqlen"] {
            let svg = try Data(contentsOf: URL(fileURLWithPath: "\(out)/plots/\(stem).svg"))
            try assertValidSVG(svg)
            let png = try decodePNG(try Data(contentsOf: URL(fileURLWithPath: "\(out)/plots/\(stem).png")))
            XCTAssertEqual(png.width, 720)
            XCTAssertEqual(png.height, 440)
        }
    }
}

/// DIR/index: 400 documents of 70–130 tokens (ids 97–116) from a seeded generator; a sample is a
/// document.
func buildGeneratedIndex(in dir: String) throws -> String {
    var state: UInt64 = 12345
    func next() -> UInt64 { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return state >> 33 }
    let docs: [[TokenID]] = (0..<400).map { _ in (0..<(70 + Int(next() % 61))).map { _ in TokenID(97 + next() % 20) } }
    var options = IndexBuildOptions(inputs: ["generated"], output: dir + "/index")
    options.vocabularySize = 258
    _ = try IndexBuilder.build(options, openSource: { _, _ in ArrayRecordSource(tokens: docs) }, onCommit: { _ in })
    return dir + "/index"
}
