// IndexFormat4Tests.swift — index format 4 (issue 16 item 5): a metric lives only in its dense
// `values/<m>` and `ranks/<m>` tables (no `metric/<m>` or `order/<m>` B-trees), and pass 1 writes
// its metrics straight into `values/<m>` chunks, batch by batch, so batches that end inside a
// chunk and a resume after an interruption give the same tables as one uninterrupted build.

import Corpus
@testable import CorpusIndex
import Foundation
import Storage
import TestSupport
import XCTest

final class IndexFormat4Tests: XCTestCase {
    /// An older index is refused with the command that built it, made to replace it: `--force`
    /// added once, also when the recorded command had it (it used to read `--force --force`).
    func testTheRebuildCommandOfAnOlderIndexHasOneForce() {
        let built = ["gradus", "index", "in.jsonl", "--out", "x.idx"]
        let plain = IndexError.oldFormat(path: "x.idx", version: 3, commandLine: built).description
        XCTAssertTrue(plain.hasSuffix("Rebuild it: gradus index in.jsonl --out x.idx --force"), plain)
        let forced = IndexError.oldFormat(path: "x.idx", version: 3, commandLine: built + ["--force"]).description
        XCTAssertTrue(forced.hasSuffix("Rebuild it: gradus index in.jsonl --out x.idx --force"), forced)
        let unknown = IndexError.oldFormat(path: "x.idx", version: 1, commandLine: []).description
        XCTAssertTrue(unknown.hasSuffix("Rebuild it"), unknown)
    }

    /// The names in LMDB's main database: the named databases of the index at `path`.
    private func databaseNames(_ path: String) throws -> Set<String> {
        let store = try IndexStore.openForReading(path)
        let main = try store.env.database(nil)
        var names = Set<String>()
        try store.env.read { txn in
            try txn.forEach(in: main) { key, _ in names.insert(String(decoding: key, as: UTF8.self)); return true }
        }
        return names
    }

    func testAnIndexHoldsOnlyTheDenseMetricTables() throws {
        let dir = try TemporaryDirectory("format4")
        var options = IndexBuildOptions(inputs: ["a"], output: dir.path + "/i")
        options.vocabularySize = 8
        options.metrics = [SequenceLengthMetric(), VocabularyRarityMetric()]
        try buildIndex(options, tokens: [[[1, 2, 3], [4], [5, 6]]])
        XCTAssertEqual(try databaseNames(options.output),
                       ["meta", "docs", "counts", "checksums",
                        "values/seqlen", "ranks/seqlen", "values/vocabularyrarity", "ranks/vocabularyrarity"])
        let r = try IndexReader(path: options.output)
        XCTAssertEqual(try (0..<3).map { try r.value("seqlen", of: $0) }, [3, 1, 2])
        // seqlen order by (value, id): sample 1 (1 token), 2 (2), 0 (3).
        XCTAssertEqual(try (0..<3).map { try r.ordered("seqlen", rank: $0)?.id }, [1, 2, 0])
        XCTAssertNil(try r.value("seqlen", of: 3))
        XCTAssertNil(try r.ordered("seqlen", rank: 3))
        XCTAssertEqual(IndexVerifier.verify(options.output).problems.map { "\($0)" }, [])
    }

    /// 2 · 8192 + 100 documents of 1 + i mod 13 tokens in batches of 3 000 records: batches end
    /// inside chunks and cross the chunk boundaries 8 192 and 16 384. An interruption after the
    /// third batch (9 000 samples: chunk 1 half written) and a resume give the uninterrupted
    /// tables, and every value and rank is the one computed here from the lengths.
    func testPassOneValuesAcrossChunkBoundariesResumeExactly() throws {
        let dir = try TemporaryDirectory("format4")
        let n = 2 * IndexFormat.denseChunk + 100
        let lengths = (0..<n).map { 1 + $0 % 13 }
        let docs = lengths.enumerated().map { i, len in (0..<len).map { TokenID(($0 + i) % 16) } }
        var options = IndexBuildOptions(inputs: ["a"], output: dir.path + "/full")
        options.vocabularySize = 16
        options.batchRecords = 3_000
        options.metrics = [SequenceLengthMetric()]
        try buildIndex(options, tokens: [docs])
        options.output = dir.path + "/cut"
        struct Interrupted: Error {}
        XCTAssertThrowsError(try buildIndex(options, tokens: [docs]) { if $0 == 3 { throw Interrupted() } })
        options.mode = .resume
        try buildIndex(options, tokens: [docs])
        XCTAssertEqual(try tableDump(dir.path + "/full"), try tableDump(options.output))

        let r = try IndexReader(path: options.output)
        XCTAssertEqual(r.sampleCount, n)
        var values: [Double] = []
        var order: [Int] = []
        let (valuesTable, ranksTable) = (try r.valuesTable("seqlen"), try r.ranksTable("seqlen"))  // opened outside the read
        try r.store.env.read { txn in
            values = try valuesTable.allValues(txn: txn)
            try ranksTable.forEach(0..<n, txn: txn) { _, raw in order.append(try DenseTable.decodeRank(raw).id) }
        }
        XCTAssertEqual(values, lengths.map(Double.init))
        let expectedOrder = (0..<n).sorted { (lengths[$0], $0) < (lengths[$1], $1) }
        XCTAssertEqual(order, expectedOrder)
        XCTAssertEqual(IndexVerifier.verify(options.output).problems.map { "\($0)" }, [])
    }
}
