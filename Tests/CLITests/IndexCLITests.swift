// IndexCLITests.swift — `gradus index/info/dump` run as a user would: a build killed with
// SIGKILL mid-run and resumed equals an uninterrupted build; refusals exit non-zero with a
// message saying what to do; `gradus export` output read back with `IndexedDatasetReader`.

import CorpusIndex
import Foundation
import Storage
import TestSupport
import XCTest

final class IndexCLITests: XCTestCase {
    private var binary: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("gradus")
    }

    func testKilledBuildResumesToTheSameIndex() throws {
        let dir = try TemporaryDirectory("cli-index", removedAfter: self).path
        let lines = (0..<120).map { "{\"id\":\"d\($0)\",\"text\":\"" + String(repeating: "w\($0 % 13) ", count: 1 + $0 % 9) + "\"}" }
        try lines.joined(separator: "\n").write(toFile: dir + "/c.jsonl", atomically: true, encoding: .utf8)
        let small = ["GRADUS_TEST_BATCH_RECORDS": "10"]
        XCTAssertEqual(try runGradus(["index", dir + "/c.jsonl", "--out", dir + "/full", "--threads", "1"], env: small).status, 0)
        let killed = try runGradus(["index", dir + "/c.jsonl", "--out", dir + "/cut", "--threads", "2"],
                             env: small.merging(["GRADUS_TEST_ABORT_AFTER_BATCHES": "4"]) { $1 })
        XCTAssertNotEqual(killed.status, 0)
        let refused = try runGradus(["info", dir + "/cut"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("--resume"), refused.stderr)
        XCTAssertNotEqual(try runGradus(["index", dir + "/c.jsonl", "--out", dir + "/cut"]).status, 0)  // neither --resume nor --force
        XCTAssertEqual(try runGradus(["index", dir + "/c.jsonl", "--out", dir + "/cut", "--resume"], env: small).status, 0)
        let a = try runGradus(["dump", dir + "/full", "--metrics", "--tokens"]), b = try runGradus(["dump", dir + "/cut", "--metrics", "--tokens"])
        XCTAssertEqual(a.stdout.split(separator: "\n").count, 120)
        XCTAssertEqual(a.stdout, b.stdout)
        XCTAssertTrue(a.stdout.hasPrefix("{\"id\":0,\"doc_id\":\"d0\",\"metrics\":{\"seqlen\":3.0,"), String(a.stdout.prefix(80)))
        let again = try runGradus(["index", dir + "/c.jsonl", "--out", dir + "/full"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("--force"), again.stderr)
        try "".write(toFile: dir + "/empty.jsonl", atomically: true, encoding: .utf8)
        let empty = try runGradus(["index", dir + "/empty.jsonl", "--out", dir + "/e"])
        XCTAssertNotEqual(empty.status, 0)
        XCTAssertTrue(empty.stderr.contains("no samples"), empty.stderr)
        let readOnly = getuid() == 0 ? "/proc/gradus-test-index" : "/gradus-test-index"
        let ro = try runGradus(["index", dir + "/c.jsonl", "--out", readOnly])
        XCTAssertNotEqual(ro.status, 0)
        XCTAssertTrue(ro.stderr.contains("cannot write the index"), ro.stderr)
    }

    /// Refusals instead of a wrong merge or a trap: shards of two different `--shard I/N` runs
    /// (0/2 and 1/3 used to merge into 261 of 313 documents), and `dump --range` starting past
    /// the last sample (used to trap).
    func testMergeOfMismatchedShardCountsAndDumpPastTheEndAreRefused() throws {
        let dir = try TemporaryDirectory("cli-merge", removedAfter: self).path
        let corpus = repositoryRoot + "/corpora/udhr.sample.jsonl.zst"
        for (i, n) in [(0, 2), (1, 3)] {
            let r = try runGradus(["index", corpus, "--tokenizer", "bytes", "--shard", "\(i)/\(n)", "--out", dir + "/s\(i)"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let merged = try runGradus(["merge", dir + "/s0", dir + "/s1", "--out", dir + "/m"])
        XCTAssertNotEqual(merged.status, 0)
        XCTAssertTrue(merged.stderr.contains("is shard 1/3 but"), merged.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/m/data.mdb"))

        try indexUDHRPacked(at: dir + "/u.idx")  // 5 382 samples
        let past = try runGradus(["dump", dir + "/u.idx", "--range", "6000..7000"])
        XCTAssertEqual(past.status, 64, past.stderr)  // a usage error, not a crash
        XCTAssertTrue(past.stderr.contains("--range starts at 6000, past the index's 5382 samples"), past.stderr)
        let tail = try runGradus(["dump", dir + "/u.idx", "--range", "5380..7000"])
        XCTAssertEqual(tail.status, 0, tail.stderr)
        XCTAssertEqual(tail.stdout.split(separator: "\n").count, 2)
    }

    /// A metric name from an index's manifest never becomes a path outside `--out`: an index whose
    /// manifest names a metric `../../../x` is refused by every reader (export wrote three levels
    /// up before), and `file:` metrics and matrix variants follow the same name rule.
    func testMetricNamesThatCouldLeaveTheOutputDirectoryAreRefused() throws {
        let dir = try TemporaryDirectory("cli-names", removedAfter: self).path
        let index = dir + "/a/b/c/u.idx"
        try FileManager.default.createDirectory(atPath: dir + "/a/b/c", withIntermediateDirectories: true)
        try indexUDHRPacked(at: index)
        do {
            let env = try LMDBEnvironment(path: index, mapSize: 1 << 30)
            let meta = try env.database(IndexFormat.metaDB)
            try env.write { txn in
                let key = Array(IndexFormat.manifestKey.utf8)
                let text = String(decoding: try XCTUnwrap(try txn.get(key: key, in: meta)), as: UTF8.self)
                XCTAssertTrue(text.contains(#""name":"seqlen""#), text)
                let planted = text.replacingOccurrences(of: #""name":"seqlen""#, with: #""name":"..\/..\/..\/x""#)
                try txn.put(key: key, value: Array(planted.utf8), in: meta)
            }
        }
        let export = try runGradus(["export", index, "--format", "deepspeed", "--out", dir + "/a/b/c/out"])
        XCTAssertNotEqual(export.status, 0)
        XCTAssertTrue(export.stderr.contains(#"the manifest names a metric "../../../x""#), export.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a/x"), "out/../../../x is dir/a/x")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/a").sorted(), ["b"])
        for command in [["info", index], ["dump", index, "--range", "0..1"]] {
            XCTAssertNotEqual(try runGradus(command).status, 0, "\(command)")
        }
        let dotted = try runGradus(["index", repositoryRoot + "/corpora/udhr.sample.jsonl.zst", "--tokenizer", "bytes",
                                    "--metrics", "seqlen,file:..=\(dir)/scores.jsonl", "--out", dir + "/d.idx"])
        XCTAssertNotEqual(dotted.status, 0)
    }

    /// On a terminal, `gradus index` shows records/s, MB/s and the ETA (issue 3 item 9); run
    /// under util-linux `script`, which gives it a pseudo-terminal.
    func testProgressOnATerminalShowsRatesAndETA() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("no /usr/bin/script") }
        let dir = try TemporaryDirectory("cli-progress", removedAfter: self).path
        let corpus = repositoryRoot + "/corpora/udhr.sample.jsonl.zst"
        let command = "'\(binary.path)' index '\(corpus)' --tokenizer bytes --out '\(dir)/p.idx'"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", command, "/dev/null"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertNotNil(text.range(of: #"pass1: \d+ documents, \d+ samples  \d+ records/s  [\d.]+ MB/s  \d+%  ETA \d+:\d\d"#,
                                   options: .regularExpression), text)
        XCTAssertTrue(text.contains("indexed "), text)  // the final summary line
    }

    /// JSONL records carrying only a `tokens` array are pre-tokenized input; in a text corpus a
    /// record that has `tokens` but no text is refused, naming the line.
    func testTokensOnlyJSONLIsPretokenizedAndTextInputStillNeedsText() throws {
        let dir = try TemporaryDirectory("cli-tokens", removedAfter: self).path
        try "{\"tokens\":[1,2,3]}\n{\"id\":\"b\",\"tokens\":[4]}\n".write(toFile: dir + "/t.jsonl", atomically: true, encoding: .utf8)
        let built = try runGradus(["index", dir + "/t.jsonl", "--vocab-size", "8", "--out", dir + "/t.idx"])
        XCTAssertEqual(built.status, 0, built.stderr)
        let dumped = try runGradus(["dump", dir + "/t.idx", "--tokens"])
        XCTAssertEqual(dumped.stdout.split(separator: "\n").count, 2, dumped.stdout)
        XCTAssertTrue(dumped.stdout.contains("[1,2,3]") && dumped.stdout.contains("[4]"), dumped.stdout)

        try "{\"text\":\"ab\"}\n{\"tokens\":[4]}\n".write(toFile: dir + "/mixed.jsonl", atomically: true, encoding: .utf8)
        let refused = try runGradus(["index", dir + "/mixed.jsonl", "--tokenizer", "bytes", "--out", dir + "/m.idx"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("mixed.jsonl: line 2: no \"text\" field"), refused.stderr)

        try "{\"id\":\"x\"}\n".write(toFile: dir + "/neither.jsonl", atomically: true, encoding: .utf8)
        let neither = try runGradus(["index", dir + "/neither.jsonl", "--tokenizer", "bytes", "--out", dir + "/n.idx"])
        XCTAssertEqual(neither.status, 1)
        XCTAssertTrue(neither.stderr.contains("missing field \"text\""), neither.stderr)
    }

    /// Four pre-tokenized documents over a vocabulary of 4: A [0,3,3,1], B [0,0,3,3], C [2,2,2,2],
    /// D [3,0]. Counts f = [4, 1, 4, 5], Σ = 14, w = [ln 3.5, ln 14, ln 3.5, ln 2.8]:
    /// A = ln 3.5 + 2 ln 2.8 + ln 14 = 5.951 → 5, B = 2 ln 3.5 + 2 ln 2.8 = 4.565 → 4,
    /// C = 4 ln 3.5 = 5.011 → 5, D = ln 2.8 + ln 3.5 = 2.282 → 2; seqlen [4, 4, 4, 2].
    func testExportDeepSpeedMatchesTheIndex() throws {
        let dir = try TemporaryDirectory("cli-export", removedAfter: self).path
        let docs = [[0, 3, 3, 1], [0, 0, 3, 3], [2, 2, 2, 2], [3, 0]]
        try docs.map { "{\"tokens\":\($0)}" }.joined(separator: "\n").write(toFile: dir + "/t.jsonl", atomically: true, encoding: .utf8)
        let built = try runGradus(["index", dir + "/t.jsonl", "--vocab-size", "4", "--metrics", "seqlen,vocabularyrarity",
                             "--out", dir + "/i", "--threads", "1"])
        XCTAssertEqual(built.status, 0, built.stderr)
        let exported = try runGradus(["export", dir + "/i", "--format", "deepspeed", "--out", dir + "/ds"])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        func items(_ file: DeepSpeedExport.File, _ metric: String) throws -> [[Int64]] {
            try IndexedDatasetReader(prefix: DeepSpeedExport.prefix(file, metric: metric, outputDirectory: dir + "/ds")).allItems()
        }
        XCTAssertEqual(try items(.sampleToMetric, "vocabularyrarity"), [[5], [4], [5], [2]])
        XCTAssertEqual(try items(.indexToMetric, "vocabularyrarity"), [[2], [4], [5]])
        XCTAssertEqual(try items(.indexToSample, "vocabularyrarity"), [[3], [1], [0, 2]])
        XCTAssertEqual(try items(.indexToSamplePercentileMerged, "vocabularyrarity"), [[3], [1], [0, 2]])  // step max(1, 3/100) = 1
        XCTAssertEqual(try items(.sampleToMetric, "seqlen"), [[4], [4], [4], [2]])
        XCTAssertEqual(try items(.indexToMetric, "seqlen"), [[2], [4]])
        XCTAssertEqual(try items(.indexToSample, "seqlen"), [[3], [0, 1, 2]])
        XCTAssertEqual(try items(.metricValue, "total_vocab_freq"), [[4, 1, 4, 5]])
        let tokens = try IndexedDatasetReader(prefix: dir + "/ds/tokens_text_document", codeTable: .megatron)
        XCTAssertEqual(tokens.dtype, .uint16)
        XCTAssertEqual(try tokens.allItems(), docs.map { $0.map(Int64.init) })
        XCTAssertEqual(tokens.documentIndex, [0, 1, 2, 3, 4])

        // A build killed after its first batch is `building`: export refuses it.
        let killed = try runGradus(["index", dir + "/t.jsonl", "--vocab-size", "4", "--out", dir + "/cut", "--threads", "1"],
                             env: ["GRADUS_TEST_BATCH_RECORDS": "1", "GRADUS_TEST_ABORT_AFTER_BATCHES": "1"])
        XCTAssertNotEqual(killed.status, 0)
        let refused = try runGradus(["export", dir + "/cut", "--format", "deepspeed", "--out", dir + "/ds2"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("--resume"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ds2/seqlen"))
    }

    /// With stderr not a terminal (a Slurm log), long commands print a whole progress line every
    /// GRADUS_PROGRESS_SECONDS (default 60 s, 0: none) instead of redrawing one in place.
    func testProgressLinesInALogEveryConfiguredInterval() throws {
        let dir = try TemporaryDirectory("cli-progress", removedAfter: self).path
        let inputs = [repositoryRoot + "/corpora/udhr.sample.jsonl.zst"]
        let often = try runGradus(["index"] + inputs + ["--tokenizer", "bytes", "--out", dir + "/a.idx"],
                                  env: ["GRADUS_PROGRESS_SECONDS": "0.001", "GRADUS_TEST_BATCH_RECORDS": "20"])
        XCTAssertEqual(often.status, 0, often.stderr)
        let lines = often.stderr.split(separator: "\n").filter { $0.hasPrefix("progress: pass1: ") }
        XCTAssertGreaterThan(lines.count, 1, often.stderr)
        XCTAssertFalse(often.stderr.contains("\u{1B}[K"), "no terminal control codes in a log")
        XCTAssertTrue(lines.allSatisfy { $0.contains(" records/s") && $0.contains("MB/s") }, "\(lines)")
        let off = try runGradus(["index"] + inputs + ["--tokenizer", "bytes", "--out", dir + "/b.idx"],
                                env: ["GRADUS_PROGRESS_SECONDS": "0", "GRADUS_TEST_BATCH_RECORDS": "20"])
        XCTAssertEqual(off.status, 0, off.stderr)
        XCTAssertFalse(off.stderr.contains("progress:"), off.stderr)
        // --progress-seconds overrides the environment both ways.
        let optionOn = try runGradus(["index"] + inputs + ["--tokenizer", "bytes", "--out", dir + "/c.idx", "--progress-seconds", "0.001"],
                                     env: ["GRADUS_PROGRESS_SECONDS": "0", "GRADUS_TEST_BATCH_RECORDS": "20"])
        XCTAssertEqual(optionOn.status, 0, optionOn.stderr)
        XCTAssertGreaterThan(optionOn.stderr.split(separator: "\n").filter { $0.hasPrefix("progress: pass1: ") }.count, 1, optionOn.stderr)
        let optionOff = try runGradus(["index"] + inputs + ["--tokenizer", "bytes", "--out", dir + "/d.idx", "--progress-seconds", "0"],
                                      env: ["GRADUS_PROGRESS_SECONDS": "0.001", "GRADUS_TEST_BATCH_RECORDS": "20"])
        XCTAssertEqual(optionOff.status, 0, optionOff.stderr)
        XCTAssertFalse(optionOff.stderr.contains("progress:"), optionOff.stderr)
        let bad = try runGradus(["index"] + inputs + ["--tokenizer", "bytes", "--out", dir + "/e.idx", "--progress-seconds=-2"])
        XCTAssertEqual(bad.status, 64, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--progress-seconds must be a number of seconds >= 0"), bad.stderr)
    }
}
