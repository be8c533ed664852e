// InputChangeTests.swift — inputs changing under the indexer (issue 14 item 9):
// - the manifest records each input's size, mtime and `xxh3:` content hash of the on-disk bytes;
// - an input cut short between batches stops the build ("changed while being indexed … the index
//   was not completed") instead of completing an index without its documents;
// - `--resume` compares content: a same-size edit of a finished input, or of the consumed prefix
//   of the input in progress, is refused naming the file.
// The cut uses the hidden hook GRADUS_TEST_TRUNCATE_INPUT_AFTER_BATCHES; interruptions use
// GRADUS_TEST_ABORT_AFTER_BATCHES (SIGKILL), as in FaultTests.

import CorpusIndex
import Foundation
import Storage
import TestSupport
import XCTest

final class InputChangeTests: XCTestCase {
    private var dir: String!
    private let small = ["GRADUS_TEST_BATCH_RECORDS": "10"]

    override func setUpWithError() throws { dir = try TemporaryDirectory("change", removedAfter: self).path }

    private func corpus(_ name: String, count: Int, offset: Int = 0) throws -> String {
        let path = dir + "/" + name
        let text = (0..<count).map { "{\"id\":\"d\($0 + offset)\",\"text\":\"document \($0 + offset) " + String(repeating: "w ", count: 1 + $0 % 5) + "\"}\n" }.joined()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Replaces the first "document" by "DOCUMENT" in place: same size, different content.
    private func editInPlace(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "document 3 ", with: "DOCUMENT 3 ")
        XCTAssertEqual(edited.utf8.count, text.utf8.count)
        XCTAssertNotEqual(edited, text)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.write(Data(edited.utf8))
        try handle.close()
    }

    func testManifestRecordsSizeModifiedAndContentHash() throws {
        let plain = try corpus("plain.jsonl", count: 20)
        let packed = dir + "/packed.jsonl.zst"
        FileManager.default.createFile(atPath: packed, contents: Data(try Zstd.compress(Array(try Data(contentsOf: URL(fileURLWithPath: plain))))))
        let r = try runGradus(["index", plain, packed, "--out", dir + "/i.idx"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let manifest = try IndexReader(path: dir + "/i.idx").manifest
        for (info, path) in zip(manifest.inputs, [plain, packed]) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            XCTAssertEqual(info.size, bytes.count)
            let hex = String(XXH3.hash64(Array(bytes)), radix: 16)
            XCTAssertEqual(info.contentHash, "xxh3:" + String(repeating: "0", count: 16 - hex.count) + hex, path)
            let mtime = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
            let recorded = try XCTUnwrap(info.modified.flatMap { text -> Date? in
                let f = ISO8601DateFormatter(); f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]; return f.date(from: text)
            }, "modified: \(info.modified ?? "nil")")
            XCTAssertEqual(recorded.timeIntervalSince1970, mtime.timeIntervalSince1970, accuracy: 0.001)
        }
    }

    /// Shards of the same content merge although the input's mtime changed between them (as
    /// on different machines): the recorded content hash decides, not the time.
    func testShardsOfTheSameContentMergeDespiteDifferentModificationTimes() throws {
        let input = try corpus("s.jsonl", count: 20)
        let first = try runGradus(["index", input, "--out", dir + "/s0", "--shard", "0/2"])
        XCTAssertEqual(first.status, 0, first.stderr)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000_000)], ofItemAtPath: input)
        let second = try runGradus(["index", input, "--out", dir + "/s1", "--shard", "1/2"])
        XCTAssertEqual(second.status, 0, second.stderr)
        let merged = try runGradus(["merge", dir + "/s0", dir + "/s1", "--out", dir + "/m"])
        XCTAssertEqual(merged.status, 0, merged.stderr)
    }

    func testInputCutShortDuringTheBuildStopsIt() throws {
        let input = try corpus("cut.jsonl", count: 300)
        let out = dir + "/cut.idx"
        let r = try runGradus(["index", input, "--out", out, "--threads", "1"],
                              env: small.merging(["GRADUS_TEST_TRUNCATE_INPUT_AFTER_BATCHES": "2"]) { $1 })
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(input) changed while being indexed ("), r.stderr)
        XCTAssertTrue(r.stderr.contains("the index was not completed"), r.stderr)
        XCTAssertFalse(r.stderr.contains(" documents into "), r.stderr)
        XCTAssertEqual(try runGradus(["info", out]).status, 1, "no complete index is left")
    }

    func testResumeRefusesASameSizeEditOfAFinishedInput() throws {
        let a = try corpus("a.jsonl", count: 30), b = try corpus("b.jsonl", count: 30, offset: 30)
        let out = dir + "/ab.idx"
        let killed = try runGradus(["index", a, b, "--out", out, "--threads", "1"],
                                   env: small.merging(["GRADUS_TEST_ABORT_AFTER_BATCHES": "6"]) { $1 })
        XCTAssertTrue(killed.killedBySIGKILL, killed.stderr)
        try editInPlace(a)
        let r = try runGradus(["index", a, b, "--out", out, "--threads", "1", "--resume"], env: small)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(a) is not the file the interrupted build read (its content hash is xxh3:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("the build cannot resume: start over with --force"), r.stderr)
    }

    func testResumeRefusesASameSizeEditOfTheConsumedPrefix() throws {
        let input = try corpus("p.jsonl", count: 60)
        let out = dir + "/p.idx"
        let killed = try runGradus(["index", input, "--out", out, "--threads", "1"],
                                   env: small.merging(["GRADUS_TEST_ABORT_AFTER_BATCHES": "2"]) { $1 })
        XCTAssertTrue(killed.killedBySIGKILL, killed.stderr)
        try editInPlace(input)
        let r = try runGradus(["index", input, "--out", out, "--threads", "1", "--resume"], env: small)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(input) is not the file the interrupted build read (its first "), r.stderr)
        // Unchanged content resumes (the edit undone; only the mtime differs).
        let text = try String(contentsOfFile: input, encoding: .utf8).replacingOccurrences(of: "DOCUMENT 3 ", with: "document 3 ")
        try text.write(toFile: input, atomically: false, encoding: .utf8)
        let resumed = try runGradus(["index", input, "--out", out, "--threads", "1", "--resume"], env: small)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("indexed 60 documents"), resumed.stderr)
    }
}
