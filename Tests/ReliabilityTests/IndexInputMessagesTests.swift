// IndexInputMessagesTests.swift — `gradus index` refusals that name what is wrong, and what a
// failed build leaves behind (issue 14 items 15 and 19, and "an empty input or an all-bad corpus
// is refused without naming the file"):
// - an empty or blank input file is refused naming it; a corpus whose every record is bad
//   (`--skip-bad`) is refused naming the files and the skip counts (the index stays `building`,
//   never complete);
// - `--vocab-size 0` says it must be at least 1; 2^32 is a limit error, not a hang;
// - a build that fails before committing anything leaves no `building` directory behind when it
//   created the directory (a directory that existed before is left alone); one that fails after
//   committing batches keeps them and says how to resume.

import CorpusIndex
import Foundation
import TestSupport
import XCTest

final class IndexInputMessagesTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws { dir = try TemporaryDirectory("messages", removedAfter: self).path }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func testEmptyAndBlankInputsAreRefusedNamingTheFile() throws {
        let good = try write("good.jsonl", "{\"text\":\"hello\"}\n")
        for (name, text) in [("empty.jsonl", ""), ("blank.txt", "\n  \n\t\n")] {
            let input = try write(name, text)
            let r = try runGradus(["index", good, input, "--out", dir + "/out"])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("no samples to index: \(input) holds no records (the file is empty or blank); remove it from the inputs"), r.stderr)
            XCTAssertFalse(exists(dir + "/out"))
        }
    }

    func testAllBadCorpusIsRefusedNamingTheFilesAndCounts() throws {
        let a = try write("a.jsonl", "not json\n{\"text\": 5}\n")
        let b = try write("b.jsonl", "[1]\n")
        let r = try runGradus(["index", a, b, "--out", dir + "/out", "--skip-bad"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("no samples to index: \(a), \(b) hold no usable record (every record was bad: skipped invalid-json 2, wrong-type 1)"), r.stderr)
        let info = try runGradus(["info", dir + "/out"])
        XCTAssertEqual(info.status, 1, "an index without samples never looks complete")
    }

    func testVocabSizeZeroAndBeyondTheLimitAreRefusedClearly() throws {
        let tokens = try write("t.jsonl", "{\"tokens\":[1,2,3]}\n")
        let zero = try runGradus(["index", tokens, "--vocab-size", "0", "--out", dir + "/z"])
        XCTAssertEqual(zero.status, 64, zero.stderr)
        XCTAssertTrue(zero.stderr.contains("--vocab-size must be at least 1"), zero.stderr)
        XCTAssertFalse(zero.stderr.contains("pass --vocab-size"), zero.stderr)
        let huge = try runGradus(["index", tokens, "--vocab-size", "4294967296", "--out", dir + "/h"])
        XCTAssertEqual(huge.status, 64, huge.stderr)
        XCTAssertTrue(huge.stderr.contains("--vocab-size must be at most 16777216"), huge.stderr)
        XCTAssertFalse(exists(dir + "/z") || exists(dir + "/h"))
    }

    /// The library refuses the same sizes (a tokenizer's vocabulary goes through the same check).
    func testBuilderRefusesVocabularyOutsideTheLimit() throws {
        for (size, expected) in [(0, "--vocab-size must be at least 1 (the number of token ids), not 0"),
                                 (1 << 32, "--vocab-size is 4294967296, beyond the limit of 16777216 token ids")] {
            var options = IndexBuildOptions(inputs: ["a"], output: dir + "/lib\(size)")
            options.vocabularySize = size
            XCTAssertThrowsError(try IndexBuilder.build(options, openSource: { _, _ in ArrayRecordSource(tokens: [[1, 2]]) })) {
                XCTAssertTrue("\($0)".hasPrefix(expected), "\($0)")
            }
            XCTAssertFalse(exists(dir + "/lib\(size)"))
        }
    }

    func testFailedBuildLeavesNoBuildingDirectoryItCreated() throws {
        let bad = try write("bad.jsonl", "{\"text\":\"fine\"}\n{oops\n")
        let digits = try write("digits.txt", "MKV\n12345\n")
        for (name, arguments) in [("bad input", [bad]), ("untokenizable", [digits, "--tokenizer", "residues"])] {
            let out = dir + "/out-" + name.replacingOccurrences(of: " ", with: "-")
            let r = try runGradus(["index"] + arguments + ["--out", out])
            XCTAssertEqual(r.status, 1, "\(name): \(r.stderr)")
            XCTAssertFalse(exists(out), "\(name): the failed build left \(out)")
        }
        // A directory that existed before the run is left alone.
        let kept = dir + "/existing"
        try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true)
        let r = try runGradus(["index", bad, "--out", kept])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(exists(kept))
    }

    func testFailureAfterCommittedBatchesKeepsAResumableIndexAndSaysSo() throws {
        let lines = (0..<40).map { "{\"text\":\"document \($0)\"}" } + ["{oops"]
        let input = try write("late.jsonl", lines.joined(separator: "\n") + "\n")
        let out = dir + "/late.idx"
        let r = try runGradus(["index", input, "--out", out, "--threads", "1"], env: ["GRADUS_TEST_BATCH_RECORDS": "10"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(input):41: record 40:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("\(out) keeps what was committed before this error, marked building"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--resume"), r.stderr)
        let info = try runGradus(["info", out])
        XCTAssertTrue(info.stderr.contains("state: building"), info.stderr)
    }
}
