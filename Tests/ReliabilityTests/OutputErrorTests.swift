// OutputErrorTests.swift — a command whose standard output cannot be written (here /dev/full, a
// device on which every write fails with ENOSPC) exits non-zero with the reason, for the print
// path (info, scan) and the buffered path (dump, schedule, batches, tokenize). Before, each of
// them exited 0 with its output silently lost.

import Foundation
import TestSupport
import XCTest

final class OutputErrorTests: XCTestCase {
    func testEveryPrintingCommandFailsWhenStandardOutputCannotBeWritten() throws {
        let dir = try TemporaryDirectory("output", removedAfter: self).path
        let index = dir + "/udhr.idx"
        try indexUDHRPacked(at: index)
        let config = dir + "/rarity.json"
        try """
        {"train_batch_size": 4, "data_efficiency": {"enabled": true, "seed": 3, "data_sampling": {"enabled": true,
          "curriculum_learning": {"enabled": true, "curriculum_metrics": {"vocabularyrarity": {"difficulty_type": "percentile",
            "clustering_type": "schedule_based", "min_difficulty": 50, "max_difficulty": 100, "schedule_type": "fixed_linear",
            "schedule_config": {"total_curriculum_step": 4, "difficulty_step": 1}}}}}}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let commands: [([String], String?)] = [
            (["info", index], nil),
            (["scan", repositoryRoot + "/corpora/udhr.sample.jsonl.zst", "--json"], nil),
            (["dump", index, "--range", "0..200"], nil),
            (["schedule", repositoryRoot + "/configs/gpt-cl.json", "--steps", "50"], nil),
            (["batches", index, "--config", config, "--steps", "5", "--tokens"], nil),
            (["tokenize", "--tokenizer", "bytes"], "hello\nworld\n"),
        ]
        for (arguments, stdin) in commands {
            let ok = try runGradus(arguments, stdin: stdin)
            XCTAssertEqual(ok.status, 0, "\(arguments): \(ok.stderr)")
            XCTAssertFalse(ok.stdout.isEmpty, "\(arguments) prints something")
            let full = try runGradus(arguments, stdin: stdin, stdoutPath: "/dev/full")
            XCTAssertNotEqual(full.status, 0, "\(arguments) must fail when its output is lost")
            XCTAssertTrue(full.stderr.contains("cannot write to standard output (No space left on device)"),
                          "\(arguments): \(full.stderr)")
        }
    }
}
