// CheckpointTests.swift — resume is bit-identical to an uninterrupted run (BLAS pinned to one
// thread), and damaged, foreign or mismatched checkpoints are refused with the right error.

import Foundation
import XCTest
import Model
@testable import Training

final class CheckpointTests: XCTestCase {
    override func setUp() {
    }

    func test_resume_isBitIdenticalToUninterruptedRun() throws {
        let dir = try temporaryDirectory(self)
        let config = tinyConfig(steps: 8)
        func source() -> SyntheticBatchSource { SyntheticBatchSource(batchSize: 3, length: 12, vocab: 24, seed: 5) }
        let straight = try Trainer(config: config, source: source(), threads: .one)
        let all = try straight.train()

        let first = try Trainer(config: config, source: source(), threads: .one)
        _ = try first.train(budget: .steps(4), checkpointPath: dir + "/ck")
        let resumed = try Trainer(resumingFrom: dir + "/ck", config: config, source: source(), threads: .one)
        XCTAssertEqual(resumed.progress, TrainingProgress(steps: 4, tokens: 4 * 36, layerTokens: 2 * 4 * 36, samples: 4 * 3))
        let rest = try resumed.train()
        XCTAssertEqual(rest.map(\.loss), all.suffix(4).map(\.loss))
        XCTAssertEqual(rest.map(\.gradNorm), all.suffix(4).map(\.gradNorm))
        XCTAssertEqual(Array(resumed.model.parameters), Array(straight.model.parameters), "parameters differ")
        XCTAssertEqual(Array(resumed.optimizer.m), Array(straight.optimizer.m))
        XCTAssertEqual(Array(resumed.optimizer.v), Array(straight.optimizer.v))
        XCTAssertEqual(resumed.rng, straight.rng)
    }

    func test_checkpoint_roundTripsEveryField() throws {
        let dir = try temporaryDirectory(self)
        let trainer = try Trainer(config: tinyConfig(), source: SyntheticBatchSource(batchSize: 3, length: 12, vocab: 24, seed: 1), threads: .one)
        _ = try trainer.train(budget: .steps(2))
        let saved = try trainer.checkpoint()
        try saved.write(to: dir + "/ck")
        let loaded = try Checkpoint.read(from: dir + "/ck")
        XCTAssertEqual(loaded.header, saved.header)
        XCTAssertEqual(loaded.parameters, saved.parameters)
        XCTAssertEqual(loaded.m, saved.m)
        XCTAssertEqual(loaded.v, saved.v)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [], "temporary file left behind")
    }

    func test_damagedForeignOrMismatchedCheckpointsAreRefused() throws {
        let dir = try temporaryDirectory(self), path = dir + "/ck"
        let trainer = try Trainer(config: tinyConfig(), source: SyntheticBatchSource(batchSize: 3, length: 12, vocab: 24, seed: 1), threads: .one)
        try trainer.saveCheckpoint(to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        func expectCorrupt(_ bytes: Data, _ fragment: String, line: UInt = #line) throws {
            try bytes.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try Checkpoint.read(from: path), line: line) { error in
                guard case TrainingError.corruptCheckpoint(_, let reason) = error else {
                    return XCTFail("expected corruptCheckpoint, got \(error)", line: line)
                }
                XCTAssertTrue(reason.contains(fragment), "\(reason) lacks \(fragment)", line: line)
            }
        }
        var flipped = good
        flipped[good.count / 2] ^= 0x40
        try expectCorrupt(flipped, "checksum")
        try expectCorrupt(good.prefix(good.count - 100), "checksum")
        var foreign = good
        foreign[0] = UInt8(ascii: "X")
        try expectCorrupt(foreign, "magic")
        var future = good
        future[8] = 9
        try expectCorrupt(future, "version")

        try good.write(to: URL(fileURLWithPath: path))
        var other = tinyConfig()
        other.model.dModel = 20
        XCTAssertThrowsError(try Trainer(resumingFrom: path, config: other, source: SyntheticBatchSource(
            batchSize: 3, length: 12, vocab: 24, seed: 1), threads: .one)) { error in
            guard case TrainingError.checkpointMismatch(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("model"))
        }
    }
}
