// IndexBuilderTests.swift — metric values against hand calculation (spec §5.2 worked example),
// format details, resume equality and the refusals of issue 3.

import Corpus
@testable import CorpusIndex
import Foundation
import Storage
import TestSupport
import XCTest

final class IndexBuilderTests: XCTestCase {
    /// The tokens of sample `id`, read as batches read them (`appendTokens`).
    private func tokens(_ r: IndexReader, _ id: UInt64) throws -> [TokenID] {
        var out: [TokenID] = [], lengths: [Int] = []
        try r.appendTokens(of: [id], to: &out, lengths: &lengths)
        return out
    }

    /// Two documents over a vocabulary of 4 whose counts are the spec's f = [3, 1, 0, 4]:
    /// w = [ln 3, ln 9, ln 9, ln 9/4]; A = [0,3,3,1] → ln3 + 2 ln(9/4) + ln9 = 4.9176973...,
    /// B = [0,0,3,3] → 2 ln3 + 2 ln(9/4) = 3.8190850...
    func testHandCheckedMetrics() throws {
        let dir = try TemporaryDirectory("index")
        var options = IndexBuildOptions(inputs: ["a"], output: dir.path + "/i")
        options.vocabularySize = 4
        options.metrics = [SequenceLengthMetric(), VocabularyRarityMetric(), TokenEntropyMetric(), SeqlenVocabularyRarityMetric()]
        try buildIndex(options, tokens: [[[0, 3, 3, 1], [0, 0, 3, 3]]])
        let r = try IndexReader(path: dir.path + "/i")
        let a = log(3.0) + 2 * log(9.0 / 4) + log(9.0), b = 2 * log(3.0) + 2 * log(9.0 / 4)
        XCTAssertEqual(try r.value("vocabularyrarity", of: 0)!, a, accuracy: 1e-12)
        XCTAssertEqual(try r.value("vocabularyrarity", of: 0)!, 4.9176973, accuracy: 1e-6)
        XCTAssertEqual(try r.value("vocabularyrarity", of: 1)!, b, accuracy: 1e-12)
        XCTAssertEqual(try r.value("entropy", of: 0), 1.5)   // p = 1/4, 1/2, 1/4
        XCTAssertEqual(try r.value("entropy", of: 1), 1.0)   // p = 1/2, 1/2
        XCTAssertEqual(try r.value("seqlen", of: 1), 4)
        // C = 10^(ceil(log10(4 · ln 9)) + 1) = 100.
        XCTAssertEqual(try r.value("seqlen_vocabularyrarity", of: 0)!, 400 + a, accuracy: 1e-9)
        XCTAssertEqual(try r.tokenCounts(), [3, 1, 0, 4])
        XCTAssertEqual(try tokens(r, 0), [0, 3, 3, 1])
        // Order by (value, id): B (id 1) first.
        XCTAssertEqual(try r.ordered("vocabularyrarity", rank: 0)?.id, 1)
        XCTAssertEqual(try r.ordered("vocabularyrarity", rank: 1)?.id, 0)
        XCTAssertEqual(try r.ordered("seqlen", rank: 0)?.id, 0)  // tie on 4: by id
        XCTAssertEqual(r.manifest.tokenWidth, 2)
    }

    /// Packing with L = 3: stream "ab⏎c⏎" (⏎ = 257) cut into samples of 4 tokens with stride 3.
    func testPackingCutsOverlappingSamples() throws {
        let dir = try TemporaryDirectory("index")
        var options = IndexBuildOptions(inputs: ["a"], output: dir.path + "/i")
        options.tokenizer = ByteTokenizer()
        options.pack = 3
        try buildIndex(options, texts: [["ab", "c", "defg"]])
        let r = try IndexReader(path: dir.path + "/i")
        let eod = ByteTokenizer().endOfDocumentID!
        // stream: a b ⏎ c ⏎ d e f g ⏎  (10 tokens) → [0,4) [3,7) [6,10)
        XCTAssertEqual(r.sampleCount, 3)
        XCTAssertEqual(try tokens(r, 0), [97, 98, eod, 99])
        XCTAssertEqual(try tokens(r, 1), [99, eod, 100, 101])
        XCTAssertEqual(try tokens(r, 2), [101, 102, 103, eod])
        XCTAssertEqual(r.manifest.counts.droppedTokens, 0)
    }

    func testResumeAfterInterruptionGivesTheSameIndex() throws {
        let dir = try TemporaryDirectory("index")
        let docs = (0..<50).map { i in String(repeating: "xyz\(i % 7) ", count: 1 + i % 5) }
        for pack in [nil, 5] as [Int?] {
            var options = IndexBuildOptions(inputs: ["a", "b"], output: dir.path + "/full\(pack ?? 0)")
            options.tokenizer = ByteTokenizer()
            options.batchRecords = 7
            options.pack = pack
            options.metrics = [SequenceLengthMetric(), VocabularyRarityMetric(), TokenEntropyMetric()]
            try buildIndex(options, texts: [docs, docs.reversed()])
            options.output = dir.path + "/cut\(pack ?? 0)"
            struct Interrupted: Error {}
            XCTAssertThrowsError(try buildIndex(options, texts: [docs, docs.reversed()]) { if $0 == 5 { throw Interrupted() } })
            XCTAssertThrowsError(try IndexReader(path: options.output)) { error in
                XCTAssertTrue("\(error)".contains("--resume"), "\(error)")
            }
            options.mode = .resume
            try buildIndex(options, texts: [docs, docs.reversed()])
            XCTAssertEqual(try tableDump(dir.path + "/full\(pack ?? 0)"), try tableDump(options.output))
        }
    }

    func testShardsMergeToTheSingleProcessIndex() throws {
        let dir = try TemporaryDirectory("index")
        let inputs = [(0..<23).map { "doc \($0) " + String(repeating: "q", count: $0) }, ["x", "yy", "zzz"]]
        for pack in [nil, 4] as [Int?] {
            var options = IndexBuildOptions(inputs: ["a", "b"], output: dir.path + "/single\(pack ?? 0)")
            options.tokenizer = ByteTokenizer()
            options.pack = pack
            options.batchRecords = 5
            try buildIndex(options, texts: inputs)
            let expected = try tableDump(options.output)
            for n in 1...3 {
                for threads in [1, 2] {
                    var shards: [String] = []
                    for i in 0..<n {
                        options.shard = ShardSpec(index: i, count: n)
                        options.threads = threads
                        options.output = dir.path + "/s\(pack ?? 0)-\(n)-\(threads)-\(i)"
                        try buildIndex(options, texts: inputs)
                        shards.append(options.output)
                    }
                    let merged = dir.path + "/m\(pack ?? 0)-\(n)-\(threads)"
                    _ = try IndexMerge.merge(shards: shards.reversed(), output: merged, mode: .create, threads: threads, commandLine: [])
                    XCTAssertEqual(try tableDump(merged), expected, "N=\(n) threads=\(threads) pack=\(String(describing: pack))")
                }
            }
            options.shard = nil
        }
    }

    func testRefusals() throws {
        let dir = try TemporaryDirectory("index")
        var options = IndexBuildOptions(inputs: ["a"], output: dir.path + "/i")
        options.tokenizer = ByteTokenizer()
        try buildIndex(options, texts: [["hello"]])
        XCTAssertThrowsError(try buildIndex(options, texts: [["hello"]])) { XCTAssertEqual($0 as? IndexError, .alreadyComplete(path: options.output)) }
        options.mode = .force
        XCTAssertNoThrow(try buildIndex(options, texts: [["hello again"]]))
        // Nothing to index: the index stays `building`, never looks complete.
        options.output = dir.path + "/empty"
        XCTAssertThrowsError(try buildIndex(options, texts: [[]])) { XCTAssertTrue("\($0)".contains("no samples"), "\($0)") }
        XCTAssertThrowsError(try IndexReader(path: options.output)) { XCTAssertTrue("\($0)".contains("not a complete index"), "\($0)") }
        // Pre-tokenized ids outside --vocab-size.
        var pre = IndexBuildOptions(inputs: ["a"], output: dir.path + "/pre")
        pre.vocabularySize = 3
        XCTAssertThrowsError(try buildIndex(pre, tokens: [[[1, 2, 3]]])) { XCTAssertTrue("\($0)".contains("outside the vocabulary"), "\($0)") }
        // A second writer is refused while the first holds the lock.
        let lock = try IndexLock(directory: dir.path + "/locked")
        options.output = dir.path + "/locked"
        options.mode = .create
        XCTAssertThrowsError(try buildIndex(options, texts: [["x"]])) { XCTAssertTrue("\($0)".contains("pid \(getpid())"), "\($0)") }
        _ = lock
    }

    /// `file:NAME=PATH` joins scores by document id; `--metrics` names resolve through the registry.
    func testFileScoresAndMetricNames() throws {
        let dir = try TemporaryDirectory("index")
        let scores = dir.path + "/s.jsonl"
        try "{\"id\": \"b\", \"score\": -1.5}\n{\"id\": \"a\", \"score\": 2}\n".write(toFile: scores, atomically: true, encoding: .utf8)
        let metrics = try MetricRegistry.parseList("seqlen,vocab_rarity,file:ppl=\(scores)")
        XCTAssertEqual(metrics.map(\.name), ["seqlen", "vocabularyrarity", "ppl"])
        XCTAssertEqual(metrics.map(\.needsTokenCounts), [false, true, false])
        XCTAssertThrowsError(try MetricRegistry.parseList("seqlen,seqlen"))
        XCTAssertThrowsError(try MetricRegistry.parse("rarity"))
        var options = IndexBuildOptions(inputs: ["a"], output: dir.path + "/i")
        options.tokenizer = ByteTokenizer()
        options.metrics = metrics
        let build = { (ids: [String?], output: String, skipBad: Bool) in
            var o = options
            o.output = output
            o.skipBad = skipBad
            return try IndexBuilder.build(o, openSource: { _, _ in ArrayRecordSource(texts: ["xy", "z", "w"], ids: ids) })
        }
        _ = try build(["a", "b", "a2"], dir.path + "/skip", true)
        let r = try IndexReader(path: dir.path + "/skip")
        XCTAssertEqual(try r.value("ppl", of: 0), 2)
        XCTAssertEqual(try r.value("ppl", of: 1), -1.5)
        XCTAssertTrue(try r.value("ppl", of: 2)!.isNaN)   // no score for "a2" under --skip-bad
        XCTAssertEqual(try r.ordered("ppl", rank: 0)?.id, 1)
        XCTAssertEqual(try r.ordered("ppl", rank: 2)?.id, 2)  // NaN ranks last
        XCTAssertThrowsError(try build(["a", "b", "a2"], dir.path + "/strict", false)) {
            XCTAssertTrue("\($0)".contains("no score for document id a2"), "\($0)")
        }
    }

    func testDocRecordRoundTrip() throws {
        let doc = DocRecord(input: 3, record: 1 << 40, byteOffset: 77, docID: "id-é", lang: nil, source: "web")
        var bytes: [UInt8] = []
        doc.encode(into: &bytes)
        XCTAssertEqual(bytes.count, 21 + 4 + 5 + 4 + 3)
        XCTAssertEqual(bytes[0], 0b101)
        XCTAssertEqual(try bytes.withUnsafeBytes { try DocRecord.decode($0) }, doc)
    }
}
