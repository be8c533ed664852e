// ExternalRankSortTests.swift — the bounded-memory order (issue 3: memory independent of the
// number of samples): runs spilled and merged, with extra merge passes, give the order of a
// plain comparison sort by (value, id); an index built in small chunks equals one built at once.

import Corpus
import Curriculum
@testable import CorpusIndex
import Foundation
import TestSupport
import XCTest
import Support

final class ExternalRankSortTests: XCTestCase {
    /// (value, id) order written out with Swift's comparison sort: −0.0 == +0.0, NaN after all
    /// numbers, ties by id.
    private func referenceOrder(_ values: [Double]) -> [Int] {
        values.indices.sorted { a, b in
            let (x, y) = (values[a], values[b])
            if x.isNaN || y.isNaN { return x.isNaN == y.isNaN ? a < b : y.isNaN }
            return x != y ? x < y : a < b
        }
    }

    private func externalOrder(_ values: [Double], runLength: Int, fanIn: Int, buffer: Int) throws -> (ids: [Int], blocks: [Int], rows: [RankedSample]) {
        let dir = try TemporaryDirectory("index")
        let sorter = ExternalRankSort(runLength: runLength, fanIn: fanIn, bufferRecords: buffer, scratchPath: dir.path + "/scratch")
        try values.withUnsafeBufferPointer { all in
            for first in stride(from: 0, to: all.count, by: runLength) {
                try sorter.addRun(UnsafeBufferPointer(rebasing: all[first..<min(all.count, first + runLength)]), firstID: first)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path + "/scratch"), "the scratch file is unlinked at once")
        var rows: [RankedSample] = [], blocks: [Int] = []
        try sorter.merge { block in
            blocks.append(block.count)
            rows += block
        }
        return (rows.map { Int($0.id) }, blocks, rows)
    }

    func testRunsAndMergePassesGiveTheComparisonSortOrder() throws {
        var rng = SplitMix64(seed: 7)
        let specials: [Double] = [.nan, -0.0, 0.0, .infinity, -.infinity, 1.5, 1.5, -2]
        let values: [Double] = (0..<1_000).map { i in
            i % 13 == 0 ? specials[Int(rng.next() % UInt64(specials.count))] : Double(Int(rng.next() % 50)) / 4 - 3
        }
        let expected = referenceOrder(values)
        for (runLength, fanIn, buffer) in [(1_000, 2, 5), (1_024, 4, 3), (37, 2, 1), (37, 3, 8), (100, 64, 4096), (7, 5, 2)] {
            let (ids, blocks, rows) = try externalOrder(values, runLength: runLength, fanIn: fanIn, buffer: buffer)
            XCTAssertEqual(ids, expected, "runLength \(runLength) fanIn \(fanIn)")
            XCTAssertEqual(blocks.dropLast().allSatisfy { $0 == runLength }, true)
            XCTAssertEqual(blocks.reduce(0, +), values.count)
            // The value travels with its id, bit for bit (−0.0 stays −0.0).
            XCTAssertTrue(rows.allSatisfy { $0.value.bitPattern == values[Int($0.id)].bitPattern })
        }
    }

    func testEmptyAndSingleSample() throws {
        XCTAssertEqual(try externalOrder([], runLength: 4, fanIn: 2, buffer: 1).ids, [])
        XCTAssertEqual(try externalOrder([3], runLength: 4, fanIn: 2, buffer: 1).ids, [0])
    }

    /// Pass 2 and the order tables in chunks of one dense chunk (8 192 samples) give the same
    /// tables, byte for byte, as one chunk, for `gradus index` (1 and 2 threads) and `gradus merge`.
    func testChunkedPassTwoGivesTheSameIndex() throws {
        let dir = try TemporaryDirectory("index")
        var rng = SplitMix64(seed: 11)
        let docs: [[TokenID]] = (0..<(2 * IndexFormat.denseChunk + 1_000)).map { _ in
            (0..<(1 + Int(rng.next() % 6))).map { _ in TokenID(rng.next() % 40) }
        }
        var options = IndexBuildOptions(inputs: ["a"], output: dir.path + "/whole")
        options.vocabularySize = 40
        options.metrics = [SequenceLengthMetric(), VocabularyRarityMetric(), TokenEntropyMetric()]
        try buildIndex(options, tokens: [docs])
        let expected = try tableDump(options.output)
        XCTAssertEqual(expected[IndexFormat.ranksDB("vocabularyrarity")]?.count, 3)
        for threads in [1, 2] {
            options.output = dir.path + "/chunked\(threads)"
            options.threads = threads
            options.runSamples = IndexFormat.denseChunk
            try buildIndex(options, tokens: [docs])
            XCTAssertEqual(try tableDump(options.output), expected, "threads \(threads)")
        }
        options.shard = ShardSpec(index: 0, count: 1)
        options.output = dir.path + "/shard"
        try buildIndex(options, tokens: [docs])
        let merged = dir.path + "/merged"
        _ = try IndexMerge.merge(shards: [options.output], output: merged, mode: .create, threads: 2, commandLine: [],
                                 runSamples: IndexFormat.denseChunk)
        XCTAssertEqual(try tableDump(merged), expected)
        // A chunk that is not whole dense chunks is refused up front, not a crash mid-build.
        options.shard = nil
        options.runSamples = 1_000
        options.output = dir.path + "/bad"
        XCTAssertThrowsError(try buildIndex(options, tokens: [docs])) { XCTAssertTrue("\($0)".contains("multiple of 8192"), "\($0)") }
    }
}
