// ByteFlipTests.swift — the acceptance test of issue 14's integrity work: single-byte flips at
// random offsets of a small index's data.mdb (fixed seed) must each be detected by `gradus
// verify` or be provably harmless (LMDBPageMap, an independent parse of the file), must never
// change what `dump` or `batches` print without an error, and must never kill a reader with a
// signal. GRADUS_BYTE_FLIPS=N runs N flips instead of the unit suite's 24.

import Foundation
import Support
import TestSupport
import XCTest

final class ByteFlipTests: XCTestCase {
    func testRandomByteFlipsAreDetectedOrProvablyHarmless() throws {
        let dir = try TemporaryDirectory("flips", removedAfter: self)
        // 240 pre-tokenized documents of 3–40 tokens over a vocabulary of 64: a handful of pages.
        var rng = SplitMix64(seed: 14)
        let lines = (0..<240).map { i -> String in
            let n = 3 + Int(rng.next() % 38)
            return "{\"id\":\"d\(i)\",\"tokens\":[" + (0..<n).map { _ in String(rng.next() % 64) }.joined(separator: ",") + "]}"
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("c.jsonl"), atomically: true, encoding: .utf8)
        let index = dir.file("i.idx")
        let built = try runGradus(["index", dir.file("c.jsonl"), "--vocab-size", "64", "--threads", "1", "--out", index])
        XCTAssertEqual(built.status, 0, built.stderr)
        try """
        {"train_batch_size": 4, "data_efficiency": {"enabled": true, "data_sampling": {"enabled": true, "curriculum_learning": {
          "enabled": true, "curriculum_metrics": {"vocabularyrarity": {"difficulty_type": "percentile", "clustering_type": "schedule_based",
          "min_difficulty": 50, "max_difficulty": 100, "schedule_type": "fixed_linear",
          "schedule_config": {"total_curriculum_step": 4, "difficulty_step": 1}}}}}}}
        """.write(toFile: dir.file("cl.json"), atomically: true, encoding: .utf8)
        func reads(_ idx: String) -> [[String]] {
            [["dump", idx, "--tokens", "--metrics"], ["batches", idx, "--config", dir.file("cl.json"), "--steps", "3"]]
        }
        let original = try reads(index).map { try runGradus($0) }
        for r in original { XCTAssertEqual(r.status, 0, r.stderr) }
        XCTAssertEqual(try runGradus(["verify", index]).status, 0)
        let map = try LMDBPageMap(directory: index)
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: index + "/data.mdb")))
        XCTAssertLessThan(file.count / map.pageSize, 64, "a handful of pages")

        let flips = Int(ProcessInfo.processInfo.environment["GRADUS_BYTE_FLIPS"] ?? "") ?? 24
        var detected = 0, harmless: [String: Int] = [:]
        for k in 0..<flips {
            let offset = Int(rng.next() % UInt64(file.count))
            var bytes = file
            bytes[offset] ^= UInt8(1 + rng.next() % 255)
            let copy = dir.file("flip\(k).idx")
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: copy + "/data.mdb"))
            let what = "flip \(k) at offset \(offset) (page \(offset / map.pageSize), byte \(offset % map.pageSize))"
            for (command, before) in zip(reads(copy), original) {
                let r = try runGradus(command)
                XCTAssertFalse(r.signaled, "\(what): \(command[0]) died from signal \(r.status)")
                if r.status == 0 {
                    XCTAssertEqual(r.stdout, before.stdout, "\(what): \(command[0]) printed other data without an error")
                } else {
                    XCTAssertEqual(r.status, 1, "\(what): \(command[0]): \(r.stderr)")
                    XCTAssertTrue(r.stderr.contains(copy), "\(what): the error names the index: \(r.stderr)")
                }
            }
            let v = try runGradus(["verify", copy])
            XCTAssertFalse(v.signaled, "\(what): verify died from signal \(v.status)")
            if v.status == 0 {
                let reason = map.harmlessReason(offset, new: bytes[offset])
                XCTAssertNotNil(reason, "\(what): verify found nothing, and the byte is read by readers")
                harmless[reason ?? "not harmless", default: 0] += 1
            } else {
                XCTAssertEqual(v.status, 1, "\(what): \(v.stderr)")
                detected += 1
            }
            try? FileManager.default.removeItem(atPath: copy)
        }
        XCTAssertGreaterThan(detected, 0)
        print("byte flips: \(flips), detected by verify \(detected), harmless \(harmless)")
    }
}
