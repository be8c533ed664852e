// MetricAddTests.swift — `gradus metric add/remove` in the library (issue 15 item 4): an added
// metric's four tables are those `gradus index` writes for a metric with the same values (the
// built-in seqlen, from lengths written down by hand; a `file:` score, whose manifest entry is the
// same too); per-document values on a packed index are token-weighted means (a hand-computed
// example); remove gives back the index as it was and a second add the same bytes; every refusal
// names the file and the problem.

import Corpus
@testable import CorpusIndex
import Foundation
import Storage
import Support
import TestSupport
import XCTest

/// A 1-D `.npy` file (numpy format 1.0) of `descr` elements, written from the format's spec: magic,
/// version, u16 LE header length, the header dict padded with spaces to a multiple of 64 bytes
/// with a final newline, then the little-endian data.
func npy(_ descr: String, count: Int, data: [UInt8], shape: String? = nil, version: UInt8 = 1) -> [UInt8] {
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape ?? "(\(count),)"), }"
    let prefix = version == 1 ? 10 : 12
    while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    let n = header.utf8.count
    out += version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), 0, 0]
    return out + Array(header.utf8) + data
}

/// Float64 values as a `<f8` `.npy` file.
func npy(_ values: [Double]) -> [UInt8] {
    npy("<f8", count: values.count, data: values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } })
}

/// The `meta` documents, the `checksums` entries and the names in LMDB's main database, as text.
func metaDump(_ path: String) throws -> [String] {
    let store = try IndexStore.openForReading(path)
    var out: [String] = []
    let sums = try store.database(IndexFormat.checksumsDB)
    let main = try store.env.database(nil)
    try store.env.read { txn in
        for key in ["format", "manifest", "state"] {
            out.append(key + "=" + String(decoding: try txn.get(key: Array(key.utf8), in: store.meta) ?? [], as: UTF8.self))
        }
        for (db, label) in [(sums, "sum"), (main, "db")] {
            try txn.forEach(in: db) { k, v in
                out.append(label + " " + String(decoding: k, as: UTF8.self) + (label == "sum" ? "=" + v.map { String($0) }.joined(separator: ",") : ""))
                return true
            }
        }
    }
    return out
}

final class MetricAddTests: TemporaryDirectoryTestCase {
    /// 8 200 pre-tokenized documents (two dense chunks) of lengths 1 + (7i mod 13): many ties, so
    /// the order tables test the (value, id) order.
    private let lengths = (0..<8_200).map { 1 + (7 * $0) % 13 }

    private func buildByLength(_ out: String, metrics: [any DifficultyMetric], documents: Int = 8_200) throws {
        var options = IndexBuildOptions(inputs: ["docs"], output: out)
        options.vocabularySize = 32
        options.metrics = metrics
        let docs = lengths.prefix(documents).enumerated().map { i, n in (0..<n).map { TokenID(($0 + i) % 32) } }
        try buildIndex(options, tokens: [docs])
    }

    private func metricTables(_ dump: [String: [String]], _ name: String) -> [[String]] {
        [IndexFormat.valuesDB(name), IndexFormat.ranksDB(name)].map { dump[$0] ?? [] }
    }

    private func checksums(_ path: String, _ name: String) throws -> [[UInt8]] {
        let store = try IndexStore.openForReading(path)
        let sums = try store.database(IndexFormat.checksumsDB)
        return try [IndexFormat.valuesDB(name), IndexFormat.ranksDB(name)].map { table in
            try store.env.read { txn in try txn.get(key: Array(table.utf8), in: sums) ?? [] }
        }
    }

    func testAddedLengthsEqualTheBuiltInSeqlenTablesByteForByte() throws {
        let index = path("lengths.idx")
        try buildByLength(index, metrics: [SequenceLengthMetric()])
        try write(npy(lengths.map(Double.init)), to: path("len.npy"))
        let change = try IndexMetricEditor.add(index: index, name: "len", from: path("len.npy"), per: .sample)
        XCTAssertEqual(change.after.metrics.map(\.name), ["seqlen", "len"])
        let dump = try tableDump(index)
        let lengthsRead = try IndexReader(path: index)
        XCTAssertEqual(try (0..<8_200).map { try lengthsRead.value("len", of: $0) }, lengths.prefix(8_200).map(Double.init))
        XCTAssertNil(try lengthsRead.value("len", of: 8_200), "one value per sample, no more")
        XCTAssertEqual(dump["values/len"]?.count, 2)
        XCTAssertEqual(metricTables(dump, "len"), metricTables(dump, "seqlen"))
        XCTAssertEqual(try checksums(index, "len"), try checksums(index, "seqlen"))
        XCTAssertEqual(IndexVerifier.verify(index).problems.map { "\($0)" }, [])

        // The same values as int64 and as JSONL lines in another order replace them with the same bytes.
        try write(npy("<i8", count: lengths.count, data: lengths.flatMap { le64(Int64($0)) }), to: path("len64.npy"))
        _ = try IndexMetricEditor.add(index: index, name: "len", from: path("len64.npy"), per: .sample, replace: true)
        XCTAssertEqual(metricTables(try tableDump(index), "len"), metricTables(dump, "seqlen"))
        let lines = lengths.indices.reversed().map { "{\"id\": \($0), \"value\": \(lengths[$0])}" }
        try lines.joined(separator: "\n").write(toFile: path("len.jsonl"), atomically: true, encoding: .utf8)
        _ = try IndexMetricEditor.add(index: index, name: "len", from: path("len.jsonl"), per: .sample, replace: true)
        XCTAssertEqual(metricTables(try tableDump(index), "len"), metricTables(dump, "seqlen"))
        XCTAssertEqual(IndexVerifier.verify(index).problems.map { "\($0)" }, [])
    }

    func testAddedDocumentScoresEqualAFileMetricFromTheStartIncludingTheManifestEntry() throws {
        let texts = ["alpha beta", "gamma", "delta epsilon zeta", "eta", "theta iota"]
        let ids = ["d0", "d1", "d2", "d3", "d4"]
        let scores = [3.5, -1.0, 3.5, 0.25, 12.0]
        let scoresPath = path("scores.jsonl")
        try zip(ids, scores).reversed().map { "{\"id\": \"\($0)\", \"score\": \($1)}" }.joined(separator: "\n")
            .write(toFile: scoresPath, atomically: true, encoding: .utf8)
        func build(_ out: String, _ metrics: [any DifficultyMetric]) throws {
            var options = IndexBuildOptions(inputs: ["texts"], output: out)
            options.tokenizer = ByteTokenizer()
            options.metrics = metrics
            _ = try IndexBuilder.build(options, openSource: { _, _ in ArrayRecordSource(texts: texts, ids: ids) })
        }
        try build(path("from-start.idx"), [SequenceLengthMetric(), try FileScoreMetric(name: "ppl", path: scoresPath)])
        try build(path("after.idx"), [SequenceLengthMetric()])
        _ = try IndexMetricEditor.add(index: path("after.idx"), name: "ppl", from: scoresPath, per: .document)
        let expected = try tableDump(path("from-start.idx")), added = try tableDump(path("after.idx"))
        XCTAssertEqual(metricTables(added, "ppl"), metricTables(expected, "ppl"))
        XCTAssertEqual(try checksums(path("after.idx"), "ppl"), try checksums(path("from-start.idx"), "ppl"))
        XCTAssertEqual(try IndexReader(path: path("after.idx")).manifest.metrics, try IndexReader(path: path("from-start.idx")).manifest.metrics)
        // The values by hand: d1 (−1) < d3 (0.25) < d0 = d2 (3.5, by id) < d4 (12).
        let reader = try IndexReader(path: path("after.idx"))
        let order = try (0..<5).map { rank in try XCTUnwrap(try reader.ordered("ppl", rank: rank)) }
        XCTAssertEqual(order.map(\.id), [1, 3, 0, 2, 4])
        XCTAssertEqual(order.map(\.value), [-1.0, 0.25, 3.5, 3.5, 12.0])
    }

    /// Documents A = [1 2 3], B = [4], C = [5 6 7 8 9], D = [11 12], end-of-document id 0, packed to
    /// L = 4: the stream 1 2 3 0 | 4 0 | 5 6 7 8 9 0 | 11 12 0 (15 tokens) gives samples
    /// [1 2 3 0 4] (4 tokens of A, 1 of B), [4 0 5 6 7] (2 of B, 3 of C), [7 8 9 0 11] (4 of C, 1
    /// of D); the last two tokens are dropped.
    func testPackedPerDocumentValuesAreTokenWeightedMeansOfTheOverlappingDocuments() throws {
        let index = path("packed.idx")
        var options = IndexBuildOptions(inputs: ["docs"], output: index)
        options.vocabularySize = 16
        options.endOfDocumentID = 0
        options.pack = 4
        options.metrics = [SequenceLengthMetric()]
        try buildIndex(options, tokens: [[[1, 2, 3], [4], [5, 6, 7, 8, 9], [11, 12]]])
        try write(npy([1, 10, 100, 1000]), to: path("docs.npy"))
        let change = try IndexMetricEditor.add(index: index, name: "quality", from: path("docs.npy"), per: .document)
        XCTAssertEqual(change.after.counts.samples, 3)
        let reader = try IndexReader(path: index)
        let values = try (0..<3).map { i in try XCTUnwrap(try reader.value("quality", of: i)) }
        let first: Double = (4 * 1 + 1 * 10) / 5, second: Double = (2 * 10 + 3 * 100) / 5, third: Double = (4 * 100 + 1 * 1000) / 5
        XCTAssertEqual(values, [first, second, third])
        XCTAssertTrue(change.after.metrics.last!.definition.hasPrefix("token-weighted mean"), change.after.metrics.last!.definition)
        XCTAssertEqual(IndexVerifier.verify(index).problems.map { "\($0)" }, [])

        // Three values for four documents, and JSONL ids (a packed index has no id per document), are refused.
        try write(npy([1, 10, 100]), to: path("three.npy"))
        XCTAssertThrowsError(try IndexMetricEditor.add(index: index, name: "q3", from: path("three.npy"), per: .document)) {
            XCTAssertEqual("\($0)", "\(path("three.npy")): the array has 3 values, the index \(index) has 4 documents")
        }
        try "{\"id\": 0, \"value\": 1}\n".write(toFile: path("ids.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try IndexMetricEditor.add(index: index, name: "q4", from: path("ids.jsonl"), per: .document)) {
            XCTAssertTrue("\($0)".hasPrefix("\(path("ids.jsonl")): a packed index does not record the id of every document"), "\($0)")
        }
    }

    /// A = [1 0 3] holds the end-of-document id itself: the stream 1 0 3 0 | 4 0 | … seems to hold
    /// one document more than the docs table says, so the values cannot be placed.
    func testPackedDocumentHoldingTheEndOfDocumentIdIsRefused() throws {
        let index = path("eod-inside.idx")
        var options = IndexBuildOptions(inputs: ["docs"], output: index)
        options.vocabularySize = 16
        options.endOfDocumentID = 0
        options.pack = 4
        options.metrics = [SequenceLengthMetric()]
        try buildIndex(options, tokens: [[[1, 0, 3], [4], [5, 6, 7, 8, 9, 10], [11, 12]]])
        try write(npy([1, 10, 100, 1000]), to: path("docs.npy"))
        XCTAssertThrowsError(try IndexMetricEditor.add(index: index, name: "quality", from: path("docs.npy"), per: .document)) {
            XCTAssertTrue("\($0)".contains("at sample 1 the end-of-document ids (0) in the tokens disagree with the documents"), "\($0)")
            XCTAssertTrue("\($0)".hasPrefix(path("docs.npy")), "\($0)")
        }
    }

    func testRemoveGivesBackTheIndexAndAddingAgainTheSameBytes() throws {
        let index = path("cycle.idx")
        try buildByLength(index, metrics: [SequenceLengthMetric(), TokenEntropyMetric()], documents: 300)
        let original = (try tableDump(index), try metaDump(index))
        let fingerprint = try IndexReader(path: index).manifest.contentFingerprint
        try write(npy(lengths.prefix(300).map { Double($0 % 5) - 0.5 }), to: path("v.npy"))
        _ = try IndexMetricEditor.add(index: index, name: "v", from: path("v.npy"), per: .sample)
        let added = (try tableDump(index), try metaDump(index))
        XCTAssertNotEqual(try IndexReader(path: index).manifest.contentFingerprint, fingerprint)
        let removed = try IndexMetricEditor.remove(index: index, name: "v")
        XCTAssertEqual(removed.after.contentFingerprint, fingerprint)
        XCTAssertEqual(try tableDump(index), original.0)
        XCTAssertEqual(try metaDump(index), original.1)
        _ = try IndexMetricEditor.add(index: index, name: "v", from: path("v.npy"), per: .sample)
        XCTAssertEqual(try tableDump(index), added.0)
        XCTAssertEqual(try metaDump(index), added.1)
        XCTAssertEqual(IndexVerifier.verify(index).problems.map { "\($0)" }, [])
    }

    func testEveryRefusalNamesTheFileAndTheProblem() throws {
        let index = path("small.idx")
        var options = IndexBuildOptions(inputs: ["texts"], output: index)
        options.tokenizer = ByteTokenizer()
        options.metrics = [SequenceLengthMetric()]
        _ = try IndexBuilder.build(options, openSource: { _, _ in ArrayRecordSource(texts: ["ab", "cde", "f"], ids: ["x", "y", "z"]) })
        let before = try metaDump(index), tables = try tableDump(index)
        func refused(_ content: [UInt8], per: MetricGranularity = .sample, name: String = "m", _ expected: String,
                     line: UInt = #line) throws {
            let file = path("values-\(line)")
            try write(content, to: file)
            XCTAssertThrowsError(try IndexMetricEditor.add(index: index, name: name, from: file, per: per), line: line) {
                XCTAssertEqual("\($0)", expected.replacingOccurrences(of: "FILE", with: file), line: line)
            }
        }
        func lines(_ text: String) -> [UInt8] { Array(text.utf8) }
        try refused(lines("{\"id\": 0, \"value\": 1}\n[1]\n"), "FILE: line 2: not a JSON object (each line must be {\"id\": ..., \"value\": ...})")
        try refused(lines("{\"id\": 0}\n"), "FILE: line 1: no finite numeric \"value\"")
        try refused(lines("{\"id\": 0, \"value\": \"1\"}\n"), "FILE: line 1: no finite numeric \"value\"")
        try refused(lines("{\"id\": 3, \"value\": 1}\n"), "FILE: line 1: \"id\" must be a sample index 0..<3 (with --per document it is a document id)")
        try refused(lines("{\"id\": \"0\", \"value\": 1}\n"), "FILE: line 1: \"id\" must be a sample index 0..<3 (with --per document it is a document id)")
        try refused(lines("{\"id\": 1, \"value\": 1}\n\n{\"id\": 1, \"value\": 2}\n"), "FILE: line 3: sample 1 appears twice (first on line 1)")
        try refused(lines("{\"id\": 0, \"value\": 1}\n{\"id\": 2, \"value\": 1}\n"), "FILE: no line for sample 1; every sample 0..<3 needs exactly one")
        try refused(lines("{\"id\": \"x\", \"value\": 1}\n{\"id\": \"y\", \"value\": 1}\n"), per: .document,
                    "FILE: no value for document id z (sample 2 of \(index)); every document of the index needs exactly one line")
        try refused(lines("{\"id\": \"x\", \"value\": 1}\n{\"id\": \"y\", \"value\": 1}\n{\"id\": \"z\", \"value\": 1}\n{\"id\": \"w\", \"value\": 1}\n"),
                    per: .document, "FILE: line 4: document id w is not a document of \(index) (skipped when indexing?); remove the line")
        try refused(lines("{\"id\": \"x\", \"value\": 1}\n{\"id\": \"x\", \"value\": 1}\n"), per: .document,
                    "FILE: line 2: document id x appears twice (first on line 1)")
        try refused(lines("{\"value\": 1}\n"), per: .document, "FILE: line 1: no \"id\" (the document's id, a string or an integer)")
        try refused(npy([1, 2]), "FILE: the array has 2 values, the index \(index) has 3 samples")
        try refused(npy([1, .nan, 2]), "FILE: element 1 is nan; every value must be a finite number")
        try refused(npy([1, 2, -.infinity]), "FILE: element 2 is -inf; every value must be a finite number")
        try refused(npy(">f8", count: 3, data: [UInt8](repeating: 0, count: 24)),
                    "FILE: .npy element type >f8 is not supported: use little-endian float32, float64, int32 or int64 (e.g. numpy's `array.astype('<f8')`)")
        try refused(npy("<u2", count: 3, data: [UInt8](repeating: 0, count: 6)),
                    "FILE: .npy element type <u2 is not supported: use little-endian float32, float64, int32 or int64 (e.g. numpy's `array.astype('<f8')`)")
        try refused(npy("<f8", count: 3, data: [UInt8](repeating: 0, count: 48), shape: "(3, 2)"), "FILE: .npy array has shape (3, 2); a 1-D array is needed")
        try refused(npy("<f8", count: 3, data: [UInt8](repeating: 0, count: 20)), "FILE: .npy data holds 20 bytes, but shape (3,) of <f8 needs 24")
        try refused(Array(npy([1, 2, 3]).prefix(40)), "FILE: .npy header is truncated")
        try refused(npy("<f8", count: 0, data: [], shape: "(4611686018427387904,)"),
                    "FILE: .npy data holds 0 bytes, but shape (4611686018427387904,) of <f8 needs more")
        try refused(npy("<f8", count: 0, data: [], shape: "(-1,)"), "FILE: .npy header has no readable 'shape'")
        try refused(npy("<i8", count: 3, data: le64(1) + le64(Int64.max) + le64(2)), "FILE: element 1 (9223372036854775807) cannot be held exactly as a Float64 value")
        XCTAssertThrowsError(try IndexMetricEditor.add(index: index, name: "m", from: path("missing.npy"), per: .sample)) {
            XCTAssertEqual("\($0)", "\(path("missing.npy")): cannot read the values file (check the path and its permissions)")
        }
        // Names.
        try write(npy([1, 2, 3]), to: path("ok.npy"))
        for (name, message) in [("seqlen", "seqlen is a built-in metric, computed by `gradus index --metrics`; give the added metric another name"),
                                ("vocab_rarity", "vocab_rarity is a built-in metric, computed by `gradus index --metrics`; give the added metric another name"),
                                ("../up", "\"../up\" is not a metric name: use letters, digits and - _ + . only"),
                                ("", "\"\" is not a metric name: use letters, digits and - _ + . only")] {
            XCTAssertThrowsError(try IndexMetricEditor.add(index: index, name: name, from: path("ok.npy"), per: .sample)) { XCTAssertEqual("\($0)", message) }
        }
        XCTAssertThrowsError(try IndexMetricEditor.remove(index: index, name: "seqlen")) {
            XCTAssertEqual("\($0)", "seqlen is a built-in metric and stays: rebuild the index without it (gradus index --metrics) to drop it")
        }
        XCTAssertThrowsError(try IndexMetricEditor.remove(index: index, name: "m")) { XCTAssertEqual("\($0)", "\(index) has no metric m (it has seqlen)") }
        // Nothing above changed the index.
        XCTAssertEqual(try metaDump(index), before)
        XCTAssertEqual(try tableDump(index), tables)

        _ = try IndexMetricEditor.add(index: index, name: "m", from: path("ok.npy"), per: .sample)
        XCTAssertThrowsError(try IndexMetricEditor.add(index: index, name: "m", from: path("ok.npy"), per: .sample)) {
            XCTAssertEqual("\($0)", "\(index) already has a metric m: pass --replace to overwrite its values, or choose another name")
        }
        // 29 metrics fill LMDB's 64 named databases (5 + 2 · 29 = 63): the 30th is refused, --replace still works.
        for k in 3...29 { _ = try IndexMetricEditor.add(index: index, name: "m\(k)", from: path("ok.npy"), per: .sample) }
        XCTAssertEqual(try IndexReader(path: index).metricNames.count, 29)
        XCTAssertThrowsError(try IndexMetricEditor.add(index: index, name: "m30", from: path("ok.npy"), per: .sample)) {
            XCTAssertEqual("\($0)", "\(index) has 29 metrics, as many as an index can hold (2 of LMDB's 64 named databases each): "
                + "remove one with gradus metric remove first")
        }
        XCTAssertNoThrow(try IndexMetricEditor.add(index: index, name: "m29", from: path("ok.npy"), per: .sample, replace: true))
        XCTAssertEqual(IndexVerifier.verify(index).problems.map { "\($0)" }, [])
        // The only metric of an index stays.
        var onlyFile = IndexBuildOptions(inputs: ["texts"], output: path("only.idx"))
        onlyFile.tokenizer = ByteTokenizer()
        try "{\"id\": \"x\", \"score\": 1}\n".write(toFile: path("s.jsonl"), atomically: true, encoding: .utf8)
        onlyFile.metrics = [try FileScoreMetric(name: "s", path: path("s.jsonl"))]
        _ = try IndexBuilder.build(onlyFile, openSource: { _, _ in ArrayRecordSource(texts: ["ab"], ids: ["x"]) })
        XCTAssertThrowsError(try IndexMetricEditor.remove(index: path("only.idx"), name: "s")) {
            XCTAssertEqual("\($0)", "s is the only metric of \(self.path("only.idx")), and an index needs one: add another first")
        }
        // Another writer holds the index.
        let lock = try IndexLock(directory: index)
        XCTAssertThrowsError(try IndexMetricEditor.add(index: index, name: "m2", from: path("ok.npy"), per: .sample)) {
            XCTAssertTrue("\($0)".hasPrefix("\(index) is being written by another gradus process"), "\($0)")
        }
        withExtendedLifetime(lock) {}
        // Samples without document ids cannot take per-document JSONL.
        var noIDs = IndexBuildOptions(inputs: ["texts"], output: path("noids.idx"))
        noIDs.tokenizer = ByteTokenizer()
        noIDs.metrics = [SequenceLengthMetric()]
        _ = try IndexBuilder.build(noIDs, openSource: { _, _ in ArrayRecordSource(texts: ["ab"]) })
        try "{\"id\": \"x\", \"value\": 1}\n".write(toFile: path("x.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try IndexMetricEditor.add(index: path("noids.idx"), name: "q", from: path("x.jsonl"), per: .document)) {
            XCTAssertEqual("\($0)", "\(self.path("x.jsonl")): sample 0 of \(self.path("noids.idx")) has no document id (its input has no \"id\" field), "
                + "so JSONL ids cannot be matched: give the values as a .npy array, or --per sample")
        }
    }

    func testNumpyHeadersOfVersionTwoAndFloat32AndInt32AreRead() throws {
        let f4 = [Float(1.5), -2.25, 3].flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        XCTAssertEqual(try NumpyVector.read(Data(npy("<f4", count: 3, data: f4, version: 2)), path: "a.npy"), [1.5, -2.25, 3])
        XCTAssertEqual(try NumpyVector.read(Data(npy("<i4", count: 2, data: le32(-7) + le32(40000))), path: "b.npy"), [-7, 40000])
        XCTAssertEqual(try NumpyVector.read(Data(npy("<f8", count: 0, data: [])), path: "c.npy"), [])
    }
}
