// TrainingLoopTests.swift — the one training loop (issue 12): a token budget with evaluations on
// a token grid, at step 0 and at the end, checkpoints at evaluations (event order by hand); the
// run log cut back to a checkpoint's step on resume (a torn last line dropped) so the resumed log
// equals the uninterrupted one except its wall-clock fields; and the causal attention pairs of
// the cost model by hand.

import Foundation
import XCTest
import Linalg
import Model
@testable import Training

final class TrainingLoopTests: XCTestCase {
    override func setUp() {
        BLAS.setThreads(1)
    }

    private func source(_ seed: UInt64 = 5) -> SyntheticBatchSource {
        SyntheticBatchSource(batchSize: 3, length: 12, vocab: 24, seed: seed)
    }

    /// 36 tokens a step. Budget 100 tokens: steps 1–3 (36, 72, 108), the third spends it.
    /// Grid of 50 tokens: crossed by step 2 (72) and step 3 (108). Evaluation at step 0 first;
    /// the end evaluation is skipped (step 3 already evaluated), and so is the final checkpoint
    /// (step 3 already checkpointed).
    func test_tokenBudget_tokenGrid_evaluatesAtStartGridAndEnd_checkpointsAtEvaluations() throws {
        let dir = try temporaryDirectory(self)
        let trainer = try Trainer(config: tinyConfig(steps: 1000), source: source(), heldOut: source(9), threads: .one)
        let schedule = TrainingSchedule(evaluateEvery: .tokens(50), evaluateAtStart: true, evaluateAtEnd: true,
                                        checkpointEvery: nil)
        var events: [String] = []
        let records = try trainer.train(budget: .tokens(100), schedule: schedule, checkpointPath: dir + "/ck") { event in
            switch event {
            case .step(let r): events.append("step \(r.step)")
            case .evaluation(let e): events.append("eval \(e.step) \(e.tokens)")
            case .checkpoint: events.append("checkpoint \(trainer.progress.steps)")
            }
        }
        XCTAssertEqual(events, ["eval 0 0", "checkpoint 0", "step 1", "step 2", "eval 2 72", "checkpoint 2",
                                "step 3", "eval 3 108", "checkpoint 3"])
        XCTAssertEqual(records.map(\.tokens), [36, 72, 108])
        XCTAssertEqual(trainer.lastEvaluation?.step, 3)
        // Each step's wall-clock is summed into the next record's train_s.
        XCTAssertTrue(zip(records, records.dropFirst()).allSatisfy { $0.trainingSeconds < $1.trainingSeconds })
        XCTAssertEqual(trainer.trainingSeconds, records.last?.trainingSeconds)
    }

    func test_stepsBudget_stepGrid_matchesTheConfigsIntervals() throws {
        var config = tinyConfig(steps: 5)
        (config.train.evalInterval, config.train.checkpointInterval) = (2, 3)
        let dir = try temporaryDirectory(self)
        let trainer = try Trainer(config: config, source: source(), heldOut: source(9), threads: .one)
        var events: [String] = []
        _ = try trainer.train(checkpointPath: dir + "/ck") { event in
            switch event {
            case .step: break
            case .evaluation(let e): events.append("eval \(e.step)")
            case .checkpoint: events.append("checkpoint \(trainer.progress.steps)")
            }
        }
        XCTAssertEqual(events, ["eval 2", "checkpoint 3", "eval 4", "checkpoint 5"])
    }

    func test_truncate_keepsLinesUpToTheStep_dropsLaterAndTornLines() throws {
        let path = try temporaryDirectory(self) + "/log.jsonl"
        let log = try RunLog(path: path)
        func step(_ s: Int) -> StepRecord {
            StepRecord(step: s, samples: 3 * s, tokens: 36 * s, layerTokens: 72 * s, loss: 3, lr: 0.1, gradNorm: 1,
                       seqLength: 12, tokensPerSecond: 1, elapsed: Double(s), flops: 10, trainingSeconds: Double(s))
        }
        let eval2 = EvalRecord(step: 2, tokens: 72, valLoss: 2.5, elapsed: 2.5, trainingSeconds: 2)
        for s in 1...2 { try log.append(step(s)) }
        try log.append(eval2)
        for s in 3...4 { try log.append(step(s)) }
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"step": 5, "samp"#.utf8))
        try handle.close()

        let kept = try log.truncate(afterStep: 2)
        XCTAssertEqual(kept.steps, [step(1), step(2)])
        XCTAssertEqual(kept.evaluations, [eval2])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 4, "three lines, each with its newline")
        // Appends continue after the cut (O_APPEND writes at the new end).
        try log.append(step(3))
        XCTAssertEqual(try log.truncate(afterStep: 10).steps.map(\.step), [1, 2, 3])
        // Only a torn *last* line is forgiven.
        try Data("{\"bad\": 1}\n".utf8).append(to: path)
        XCTAssertThrowsError(try log.truncate(afterStep: 10))
    }

    /// A run of 6 steps (evaluation every 2, checkpoint every 2) against one stopped after its
    /// step-4 checkpoint with step 5 and a torn line already logged, then resumed.
    func test_resume_cutsTheLogBackToTheCheckpoint_andMatchesTheUninterruptedLog() throws {
        let dir = try temporaryDirectory(self)
        var config = tinyConfig(steps: 6)
        (config.train.evalInterval, config.train.checkpointInterval) = (2, 2)
        let straight = try Trainer(config: config, source: source(), heldOut: source(9), log: try RunLog(path: dir + "/a.jsonl"), threads: .one)
        _ = try straight.train(checkpointPath: dir + "/a.ck")

        let first = try Trainer(config: config, source: source(), heldOut: source(9), log: try RunLog(path: dir + "/b.jsonl"), threads: .one)
        _ = try first.train(budget: .steps(4), checkpointPath: dir + "/b.ck")
        _ = try first.train(budget: .steps(5))   // logged, not checkpointed
        try Data(#"{"step": 6, "lo"#.utf8).append(to: dir + "/b.jsonl")
        let resumed = try Trainer(resumingFrom: dir + "/b.ck", config: config, source: source(), heldOut: source(9),
                                  log: try RunLog(path: dir + "/b.jsonl"), threads: .one)
        let kept = try logLinesWithoutWallClock(dir + "/b.jsonl")
        XCTAssertEqual(kept.map { $0["step"] as? Int }, [1, 2, 2, 3, 4, 4], "cut back to the step-4 checkpoint")
        XCTAssertEqual(resumed.lastEvaluation?.step, 4)
        let fourth = try JSONDecoder().decode(StepRecord.self, from: Data(try String(contentsOfFile: dir + "/b.jsonl",
                                                                                     encoding: .utf8).split(separator: "\n")[4].utf8))
        XCTAssertEqual(resumed.trainingSeconds, fourth.trainingSeconds)
        _ = try resumed.train(checkpointPath: dir + "/b.ck")
        XCTAssertEqual(try logLinesWithoutWallClock(dir + "/b.jsonl"), try logLinesWithoutWallClock(dir + "/a.jsonl"))
    }

    /// Attention multiplies, per row block [i0, i1) of 64 queries, keys [0, i1): P(n) = Σ (i1 − i0)·i1.
    /// P(256) = 64·(64 + 128 + 192 + 256) = 40 960; P(100) = 64·64 + 36·100 = 7 696; P(70) = 4 096 + 6·70 = 4 516.
    /// L = 3, layer 1 keeping r = 70 of T = 100, B = 2, C = 16, V = 24: Σn = 270, ΣP = 2·7 696 + 4 516 = 19 908.
    func test_stepCost_countsTheCausalAttentionBlocksAsComputed() {
        XCTAssertEqual(Attention.pairs(length: 256), 40_960)
        XCTAssertEqual(Attention.pairs(length: 64), 64 * 64)
        let c = StepCost(model: ModelConfig(layers: 3, dModel: 16, heads: 4, context: 100, vocab: 24),
                         batchSize: 2, length: 100, reserved: 70, dropping: 1)
        let forward: Double = 2 * 2 * 12 * 256 * 270 + 4 * 2 * 16 * 19_908 + 2 * 2 * 100 * 24 * 16
        XCTAssertEqual(c.flops, 3 * forward)
    }
}

/// The log's lines as JSON objects without their wall-clock fields (elapsed, tokens_per_s, train_s).
func logLinesWithoutWallClock(_ path: String) throws -> [NSDictionary] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        for key in ["elapsed", "tokens_per_s", "train_s"] { object[key] = nil }
        return object as NSDictionary
    }
}

extension Data {
    /// Appends these bytes to the file at `path`.
    func append(to path: String) throws {
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: self)
        try handle.close()
    }
}
