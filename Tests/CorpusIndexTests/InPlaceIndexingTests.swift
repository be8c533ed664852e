// InPlaceIndexingTests.swift — issue 16 item 5: a referenced Megatron input is counted straight
// from its mapped file in pass 1 (no tokens copied into a batch), and rarity is scored over stored
// uint16 items in pass 2 (no widening). Both must give the index the token paths give, refuse an
// id outside the vocabulary as they do, and compute the values by DeepSpeed's definition.

import Corpus
@testable import CorpusIndex
import Foundation
import Storage
import TestSupport
import XCTest

final class InPlaceIndexingTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("in-place", removedAfter: self) }

    /// Documents of 1…40 tokens, ids below `below`, fixed by `seed`.
    private func documents(_ count: Int, below: UInt64, seed: UInt64 = 11) -> [[UInt32]] {
        var state = seed
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        return (0..<count).map { _ in (0..<(1 + Int(next() % 40))).map { _ in UInt32(next() % below) } }
    }

    /// Writes `docs` as a Megatron dataset (one item per document) for a vocabulary of `vocabulary` ids.
    private func megatron(_ docs: [[UInt32]], vocabulary: Int, name: String) throws -> String {
        let prefix = dir.file(name)
        let writer = try MegatronTokenDatasetWriter(prefix: prefix, vocabularySize: vocabulary)
        for d in docs { try writer.addDocument(d) }
        try writer.finalize()
        return prefix
    }

    private func build(_ input: String, out: String, vocabulary: Int, metrics: String = "seqlen,vocabularyrarity",
                       threads: Int = 1, copy: Bool = false) throws -> IndexManifest {
        var options = IndexBuildOptions(inputs: [input + ".idx"], output: dir.file(out))
        options.vocabularySize = vocabulary
        options.metrics = try MetricRegistry.parseList(metrics)
        options.copyTokens = copy
        options.threads = threads
        options.batchRecords = 16
        return try IndexBuilder.build(options, openSource: { p, _ in try InputSources.open(path: p, options: ReaderOptions()) })
    }

    /// DeepSpeed's vocab_rarity by its definition: Σ_j −ln(f'_t / Σ f'), f' = counts with 0 → 1.
    private func rarity(_ doc: [UInt32], counts: [Int]) -> Double {
        let total = Double(counts.reduce(0) { $0 + max($1, 1) })
        return doc.reduce(0.0) { $0 - log(Double(max(counts[Int($1)], 1)) / total) }
    }

    func testReferencedInputsGiveTheCountsAndValuesOfTheDefinitionAtEveryWidthAndThreadCount() throws {
        // uint16 (vocabulary below 65 500) and int32 (above) token files, both referenced in place.
        for (vocabulary, name) in [(1_000, "u16"), (70_000, "i32")] {
            let docs = documents(200, below: UInt64(vocabulary))
            let input = try megatron(docs, vocabulary: vocabulary, name: name)
            var histogram = [Int](repeating: 0, count: vocabulary)
            for d in docs { for t in d { histogram[Int(t)] += 1 } }
            let one = try build(input, out: "\(name)-1.idx", vocabulary: vocabulary)
            XCTAssertEqual(one.inputs[0].tokenFile, 1, "the input is referenced")
            let reader = try IndexReader(path: dir.file("\(name)-1.idx"))
            XCTAssertEqual(try reader.tokenCounts(), histogram.map(UInt64.init), name)
            for (id, doc) in docs.enumerated() {
                XCTAssertEqual(try reader.value("seqlen", of: id), Double(doc.count), "\(name) sample \(id)")
                XCTAssertEqual(try XCTUnwrap(reader.value("vocabularyrarity", of: id)), rarity(doc, counts: histogram),
                               accuracy: 1e-9, "\(name) sample \(id)")
            }
            // Two threads (the reader counts ahead of the writer), a copy of the tokens, and a
            // pass-1 metric that needs the tokens (entropy) all give the same tables.
            let expected = try tableDump(dir.file("\(name)-1.idx"))
            _ = try build(input, out: "\(name)-2.idx", vocabulary: vocabulary, threads: 2)
            XCTAssertEqual(try tableDump(dir.file("\(name)-2.idx")), expected, name)
            _ = try build(input, out: "\(name)-copy.idx", vocabulary: vocabulary, copy: true)
            XCTAssertEqual(try tableDump(dir.file("\(name)-copy.idx")), expected, name)
            _ = try build(input, out: "\(name)-entropy.idx", vocabulary: vocabulary, metrics: "seqlen,vocabularyrarity,entropy")
            let withEntropy = try tableDump(dir.file("\(name)-entropy.idx"))
            for (table, rows) in expected { XCTAssertEqual(withEntropy[table], rows, "\(name) \(table)") }
        }
    }

    func testDocsOfReferencedInputsNameEachDocumentsInputRecordAndByteOffset() throws {
        // Two referenced inputs in batches of 16 documents (the writer adds a batch at a time):
        // sample i of input k is record i of input k, at byte 2 × (tokens before it) of the uint16 .bin.
        let parts = [documents(45, below: 1_000, seed: 3), documents(38, below: 1_000, seed: 5)]
        let inputs = try parts.enumerated().map { try megatron($1, vocabulary: 1_000, name: "docs\($0)") }
        var options = IndexBuildOptions(inputs: inputs.map { $0 + ".idx" }, output: dir.file("docs.idx"))
        options.vocabularySize = 1_000
        options.metrics = try MetricRegistry.parseList("seqlen")
        options.batchRecords = 16
        let manifest = try IndexBuilder.build(options, openSource: { p, _ in try InputSources.open(path: p, options: ReaderOptions()) })
        XCTAssertEqual(manifest.inputs.map(\.tokenFile), [1, 2], "both inputs are referenced")
        let reader = try IndexReader(path: dir.file("docs.idx"))
        var expected: [(DocRecord, [UInt32])] = []
        for (k, docs) in parts.enumerated() {
            var offset = 0
            for (i, doc) in docs.enumerated() {
                expected.append((DocRecord(input: k, record: i, byteOffset: offset), doc))
                offset += 2 * doc.count
            }
        }
        XCTAssertEqual(reader.sampleCount, expected.count)
        try reader.forEach(in: 0..<reader.sampleCount, tokens: true) { id, tokens, doc, values in
            XCTAssertEqual(doc, expected[id].0, "sample \(id)")
            XCTAssertEqual(tokens, expected[id].1, "sample \(id)")
            XCTAssertEqual(values, [Double(expected[id].1.count)], "sample \(id)")
        }
    }

    func testInPlaceCountingOfUInt16FilesTakesEveryBitOfHighIds() throws {
        // Pass 1 reads a uint16 file's ids four at a time from 8-byte loads: ids across the whole
        // uint16 range (bit 15 set in half of them), documents of 1…40 ids (every length mod 4)
        // starting at any element offset, must give the histogram counted here id by id.
        let vocabulary = 65_000
        let docs = documents(150, below: UInt64(vocabulary), seed: 5)
        let input = try megatron(docs, vocabulary: vocabulary, name: "high")
        var histogram = [UInt64](repeating: 0, count: vocabulary)
        for d in docs { for t in d { histogram[Int(t)] += 1 } }
        XCTAssertGreaterThan(docs.joined().filter { $0 >= 32_768 }.count, 1_000, "half the ids have bit 15 set")
        let manifest = try build(input, out: "high-index.idx", vocabulary: vocabulary)
        XCTAssertEqual(manifest.inputs[0].tokenFile, 1, "the input is referenced, so counted in place")
        let reader = try IndexReader(path: dir.file("high-index.idx"))
        let counts = try reader.tokenCounts()
        XCTAssertEqual(counts.count, vocabulary)
        let wrong = histogram.indices.filter { $0 >= counts.count || counts[$0] != histogram[$0] }
        XCTAssertEqual(Array(wrong.prefix(5)), [], "token ids whose count differs (first 5 of \(wrong.count))")
        for (id, doc) in docs.enumerated() {
            XCTAssertEqual(try reader.value("seqlen", of: id), Double(doc.count), "sample \(id)")
        }
    }

    func testAReferencedInputWithAnIdOutsideTheVocabularyIsRefusedNamingTheRecord() throws {
        // Ids below 1 000 in the file; --vocab-size 600 makes the first id ≥ 600 an error.
        let docs = documents(60, below: 1_000)
        let input = try megatron(docs, vocabulary: 1_000, name: "bad")
        let record = try XCTUnwrap(docs.firstIndex { $0.contains { $0 >= 600 } })
        let id = try XCTUnwrap(docs[record].first { $0 >= 600 })
        for threads in [1, 2] {
            XCTAssertThrowsError(try build(input, out: "bad-\(threads).idx", vocabulary: 600, threads: threads)) { error in
                XCTAssertEqual("\(error)", "\(IndexError.badInput(path: "input 0", problem: "record \(record): token id \(id) is outside the vocabulary of 600 (check --vocab-size)"))")
            }
        }
    }

    func testTokenChecksumsHashedInPassTwoAreXXH3OfEachChunksStoredBytes() throws {
        // Two referenced inputs of 5 000 and 12 000 documents: checksum chunks are cut per
        // segment (0..<5000, 5000..<13192, 13192..<17000), and at two threads pass 2 splits the
        // samples at 8 500, so the middle chunk is read in two parts and hashed at completion.
        let first = documents(5_000, below: 1_000, seed: 3).map { Array($0.prefix(6)) }
        let second = documents(12_000, below: 1_000, seed: 5).map { Array($0.prefix(6)) }
        let a = try megatron(first, vocabulary: 1_000, name: "a"), b = try megatron(second, vocabulary: 1_000, name: "b")
        // Expected: XXH3-64 (seed 0) of each chunk's samples as uint16 LE, concatenated.
        let all = first + second
        let chunks = [0..<5_000, 5_000..<13_192, 13_192..<17_000]
        let expected: [UInt64] = chunks.map { range in
            let bytes = all[range].joined().flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            return XXH3.hash64(bytes)
        }
        for threads in [1, 2] {
            var options = IndexBuildOptions(inputs: [a + ".idx", b + ".idx"], output: dir.file("two-\(threads).idx"))
            options.vocabularySize = 1_000
            options.threads = threads
            _ = try IndexBuilder.build(options, openSource: { p, _ in try InputSources.open(path: p, options: ReaderOptions()) })
            let reader = try IndexReader(path: options.output)
            let db = try reader.store.database(IndexFormat.checksumsDB)
            let stored = try XCTUnwrap(try reader.store.env.read { txn in try txn.get(key: Array(IndexFormat.samplesDB.utf8), in: db) })
            let sums = stride(from: 0, to: stored.count, by: 8).map { o in
                stored[o..<(o + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            }
            XCTAssertEqual(sums, expected, "threads \(threads)")
            XCTAssertEqual(IndexVerifier.verify(options.output).problems, [], "threads \(threads)")
        }
    }

    func testRarityOverStoredItemsIsTheDefinitionAndRefusesAnIdOutsideTheVocabulary() throws {
        // Counts 1, 3, 0 (→ 1): total 5, w = ln 5, ln(5/3), ln 5.
        let weights = try RarityWeights(counts: [1, 3, 0])
        let items: [UInt16] = [0, 1, 1, 2, 1]
        let expected = log(5.0) + 3 * log(5.0 / 3.0) + log(5.0)
        try items.withUnsafeBufferPointer { stored in
            XCTAssertEqual(try weights.rarity(ofStored: stored, metric: "vocabularyrarity"), expected, accuracy: 1e-12)
            let wide = stored.map(UInt32.init)
            try wide.withUnsafeBufferPointer { w in
                XCTAssertEqual(try weights.rarity(ofStored: stored, metric: "vocabularyrarity"),
                               try weights.rarity(of: w, metric: "vocabularyrarity"), "the same bits as the UInt32 path")
            }
        }
        let bad: [UInt16] = [0, 1, 3, 2]
        let widened = bad.map(UInt32.init)
        let slow = widened.withUnsafeBufferPointer { w in Result { try weights.rarity(of: w, metric: "vocabularyrarity") } }
        XCTAssertThrowsError(try slow.get(), "the UInt32 path refuses it too")
        try bad.withUnsafeBufferPointer { stored in
            XCTAssertThrowsError(try weights.rarity(ofStored: stored, metric: "vocabularyrarity")) { error in
                XCTAssertEqual(error as? MetricError, .tokenOutsideVocabulary(metric: "vocabularyrarity", id: 3, vocabularySize: 3))
            }
        }
        XCTAssertEqual(try [UInt16]().withUnsafeBufferPointer { try weights.rarity(ofStored: $0, metric: "m") }, 0)
    }
}
