// ShardPiecesTests.swift — issue 16 items 2 and 3: a file cut into pieces is indexed piece by
// piece; shards read only their pieces; the map-reduce merge of N shards equals one process for
// N = 1, 2, 3 and 1 or 2 threads, docs ordinals included (a shard counts them from its piece's
// start, the merge adds the earlier pieces' records).

import Corpus
@testable import CorpusIndex
import Foundation
import TestSupport
import XCTest

final class ShardPiecesTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("shard-pieces", removedAfter: self) }

    /// 400 JSONL records of 5–60 words: about 70 KB. Every fourth record has no `lang`, the
    /// others one of four (issue 17 item 2: groups merge like everything else).
    private func corpus() throws -> String {
        let path = dir.file("c.jsonl")
        let lines = (0..<400).map { i in
            "{\"id\":\"r\(i)\"," + (i % 4 == 0 ? "" : "\"lang\":\"l\(i * 5 % 4)\",") + "\"text\":\""
                + (0..<(5 + i * 7 % 56)).map { "w\(($0 * 31 + i) % 97)" }.joined(separator: " ") + "\"}"
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func options(_ inputs: [String], out: String, pack: Int?) -> IndexBuildOptions {
        var o = IndexBuildOptions(inputs: inputs, output: out)
        o.tokenizer = ByteTokenizer()
        o.pack = pack
        o.maxPieceBytes = 8192
        o.batchRecords = 13
        o.reader.groupFields = ["lang", "source"]
        return o
    }

    private func build(_ o: IndexBuildOptions) throws -> IndexManifest {
        let reader = o.reader
        return try IndexBuilder.build(o, openSource: { p, _ in try InputSources.open(path: p, options: reader) })
    }

    func testMergedShardsEqualOneProcessForAnyShardCountAndThreads() throws {
        let inputs = [try corpus(), repositoryRoot + "/corpora/udhr.sample.jsonl.zst"]
        for pack in [nil, 64] as [Int?] {
            let single = try build(options(inputs, out: dir.file("single-\(pack ?? 0)"), pack: pack))
            let pieces = try XCTUnwrap(single.inputPieces)
            XCTAssertGreaterThan(pieces.filter { $0.input == 0 }.count, 5, "the 70 KB file is cut into pieces of ~8 KB")
            XCTAssertEqual(pieces.filter { $0.input == 0 }.map(\.kind), Array(repeating: .bytes, count: pieces.filter { $0.input == 0 }.count))
            let expected = try tableDump(dir.file("single-\(pack ?? 0)"))
            // Both inputs give groups: the first lang l0–l3 or (none), udhr its own lang and source.
            let singleGroups = try IndexReader(path: dir.file("single-\(pack ?? 0)")).sampleGroups()
            XCTAssertEqual(singleGroups.map(\.field), ["lang", "source"])
            XCTAssertTrue(Set(["(none)", "l1", "l2", "l3", "en-Latn"]).isSubset(of: singleGroups[0].names), "\(singleGroups[0].names)")
            XCTAssertEqual(expected[GroupTable.groupsDB]?.isEmpty, false)
            if pack == nil {
                // Unpacked: sample i of the first input is record i, at its byte offset in the file.
                let reader = try IndexReader(path: dir.file("single-0"))
                let text = try String(contentsOfFile: inputs[0], encoding: .utf8)
                let starts = [0] + text.utf8.indices.filter { text.utf8[$0] == UInt8(ascii: "\n") }.map { text.utf8.distance(from: text.utf8.startIndex, to: $0) + 1 }
                try reader.forEach(in: 0..<400, tokens: false) { id, _, doc, _ in
                    XCTAssertEqual(doc.record, id)
                    XCTAssertEqual(doc.byteOffset, starts[id])
                    XCTAssertEqual(doc.docID, "r\(id)")
                }
            }
            for n in 1...3 {
                for threads in [1, 2] {
                    var shards: [String] = []
                    var read = Set<Int>()
                    for i in 0..<n {
                        var o = options(inputs, out: dir.file("s\(pack ?? 0)-\(n)-\(threads)-\(i)"), pack: pack)
                        o.shard = ShardSpec(index: i, count: n)
                        o.threads = threads
                        let m = try build(o)
                        let own = Set((m.pieces ?? []).map(\.piece))
                        XCTAssertEqual(own, Set(InputPlan.assign(pieces: pieces, shards: n)[i]), "shard \(i)/\(n) reads exactly its pieces")
                        XCTAssertTrue(read.isDisjoint(with: own))
                        read.formUnion(own)
                        shards.append(o.output)
                    }
                    XCTAssertEqual(read, Set(pieces.indices))
                    let out = dir.file("m\(pack ?? 0)-\(n)-\(threads)")
                    let merged = try IndexMerge.merge(shards: shards, output: out, mode: .create, threads: threads, commandLine: [])
                    XCTAssertEqual(merged.counts, single.counts, "N=\(n) threads=\(threads)")
                    XCTAssertEqual(merged.contentFingerprint, single.contentFingerprint, "N=\(n) threads=\(threads)")
                    XCTAssertEqual(try tableDump(out), expected, "N=\(n) threads=\(threads) pack=\(pack ?? 0)")
                    XCTAssertEqual(merged.groups, single.groups, "N=\(n) threads=\(threads) pack=\(pack ?? 0)")
                    XCTAssertEqual(try IndexReader(path: out).sampleGroups(), singleGroups, "N=\(n) threads=\(threads) pack=\(pack ?? 0)")
                }
            }
        }
    }

    func testPackedSamplesNeverCrossAPiece() throws {
        let input = try corpus()
        let m = try build(options([input], out: dir.file("p"), pack: 64))
        let stats = try XCTUnwrap(m.pieces)
        XCTAssertEqual(stats.count, m.inputPieces?.count)
        // Each piece packs its own documents: its samples hold (its tokens + one end-of-document
        // id per document − 1 shared token per sample boundary) / 64 samples, the rest dropped.
        for s in stats {
            let stream = s.tokens - (s.samples > 0 ? s.samples * 65 - (s.samples - 1) : 0)
            XCTAssertGreaterThanOrEqual(stream, 0)
            XCTAssertEqual(s.samples * 65, s.tokens)
        }
        XCTAssertEqual(m.counts.droppedTokens, stats.map(\.droppedTokens).reduce(0, +))
        XCTAssertGreaterThan(stats.filter { $0.droppedTokens > 0 }.count, 1, "every piece drops its own tail")
    }

    func testMergeWithCopyOwnsItsTokensAndOutlivesTheShards() throws {
        let inputs = [try corpus(), repositoryRoot + "/corpora/udhr.sample.jsonl.zst"]
        _ = try build(options(inputs, out: dir.file("single"), pack: 64))
        let expected = try tableDump(dir.file("single"))
        var shards: [String] = []
        for i in 0..<3 {
            var o = options(inputs, out: dir.file("c\(i)"), pack: 64)
            o.shard = ShardSpec(index: i, count: 3)
            _ = try build(o)
            shards.append(o.output)
        }
        let out = dir.file("copied")
        let merged = try IndexMerge.merge(shards: shards, output: out, mode: .create, threads: 1, commandLine: [], copyTokens: true)
        XCTAssertEqual(merged.tokenStore?.files.map(\.owned), [true])
        XCTAssertEqual(merged.tokenStore?.segments.count, merged.pieces?.filter { $0.samples > 0 }.count, "one segment per piece")
        for s in shards { try FileManager.default.removeItem(atPath: s) }
        XCTAssertEqual(try tableDump(out), expected)
        let verified = IndexVerifier.verify(out)
        XCTAssertTrue(verified.problems.isEmpty, "\(verified.problems)")
    }
}
