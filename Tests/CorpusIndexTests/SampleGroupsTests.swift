// SampleGroupsTests.swift — issue 17 item 2, the index side: `--group-field` gives every sample a
// group per field (packed: the group of most of its tokens, ties to the group that comes first),
// records without a string value are counted in `(none)`, and `IndexReader.sampleGroups()` reads
// them back. Expected values are worked by hand from the token streams in the comments.

import Corpus
@testable import CorpusIndex
import Foundation
import TestSupport
import XCTest

final class SampleGroupsTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("sample-groups", removedAfter: self) }

    private func write(_ lines: [String], _ name: String) throws -> String {
        let path = dir.file(name)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Pre-tokenized JSONL over a vocabulary of 10, end-of-document id 0.
    private func build(_ inputs: [String], out: String, pack: Int?, fields: [String]) throws -> IndexManifest {
        var o = IndexBuildOptions(inputs: inputs, output: dir.file(out))
        o.vocabularySize = 10
        o.endOfDocumentID = 0
        o.pack = pack
        o.metrics = [SequenceLengthMetric()]
        o.reader.groupFields = fields
        let reader = o.reader
        return try IndexBuilder.build(o, openSource: { p, _ in try InputSources.open(path: p, options: reader) })
    }

    /// Packed, L = 8 (samples of 9 tokens). The stream, each document followed by the id 0:
    /// A fr 1 2 3 0 (positions 0–3) | B en 4 5 6 7 0 (4–8) | C no lang 1×7 0 (9–16) | D de 2×7 0 (17–24).
    /// Sample 0 = [0, 9): A 4, B 5 → en. Sample 1 = [8, 17): B 1, C 8 → (none). Sample 2 = [16, 25):
    /// C 1, D 8 → de. fr holds no sample, so it is not a group; names ascend: (none) < de < en.
    func testPackedSampleTakesTheMajorityGroup() throws {
        let input = try write([
            #"{"tokens":[1,2,3],"lang":"fr"}"#, #"{"tokens":[4,5,6,7],"lang":"en"}"#,
            #"{"tokens":[1,1,1,1,1,1,1]}"#, #"{"tokens":[2,2,2,2,2,2,2],"lang":"de"}"#,
        ], "packed.jsonl")
        let m = try build([input], out: "packed", pack: 8, fields: ["lang"])
        XCTAssertEqual(m.counts.samples, 3)
        let groups = try IndexReader(path: dir.file("packed")).sampleGroups()
        XCTAssertEqual(groups, [SampleGroups(field: "lang", names: ["(none)", "de", "en"], sampleGroup: [2, 0, 1])])
        XCTAssertEqual(m.groups, [GroupSummary(field: "lang", names: ["(none)", "de", "en"], samples: [1, 1, 1],
                                               tokens: [9, 9, 9], noneDocuments: 1)])
    }

    /// A tie goes to the group that comes first in the sample. L = 7 (8 tokens):
    /// E fr 1 2 3 0 | F en 4 5 6 0 → sample 0 = fr 4, en 4 → fr.
    func testPackedTieGoesToTheGroupFirstInTheSample() throws {
        let input = try write([#"{"tokens":[1,2,3],"lang":"fr"}"#, #"{"tokens":[4,5,6],"lang":"en"}"#], "tie.jsonl")
        try build([input], out: "tie", pack: 7, fields: ["lang"])
        XCTAssertEqual(try IndexReader(path: dir.file("tie")).sampleGroups(),
                       [SampleGroups(field: "lang", names: ["fr"], sampleGroup: [0])])
    }

    /// Unpacked: a sample is its document. Missing, null and non-string values are `(none)` and
    /// counted; two fields come back in command-line order.
    func testMissingFieldIsCountedAsNone() throws {
        let input = try write([
            #"{"tokens":[1,2],"lang":"en","source":"web"}"#, #"{"tokens":[3],"source":"web"}"#,
            #"{"tokens":[4,5,6],"lang":null,"source":"book"}"#, #"{"tokens":[7],"lang":5,"source":{"a":1}}"#,
            #"{"tokens":[8,9],"lang":"de"}"#,
        ], "plain.jsonl")
        let m = try build([input], out: "plain", pack: nil, fields: ["source", "lang"])
        let groups = try IndexReader(path: dir.file("plain")).sampleGroups()
        XCTAssertEqual(groups, [
            SampleGroups(field: "source", names: ["(none)", "book", "web"], sampleGroup: [2, 2, 1, 0, 0]),
            SampleGroups(field: "lang", names: ["(none)", "de", "en"], sampleGroup: [2, 0, 0, 0, 1]),
        ])
        XCTAssertEqual(m.groups?.map(\.noneDocuments), [2, 3])
        XCTAssertEqual(m.groups?[1].tokens, [1 + 3 + 1, 2, 2])  // (none): records 1, 2, 3
        XCTAssertEqual(groups[1].histogram, [3, 1, 1])
    }

    func testIndexWithoutGroupFieldsHasNoGroups() throws {
        let input = try write([#"{"tokens":[1,2],"lang":"en"}"#], "none.jsonl")
        let m = try build([input], out: "none", pack: nil, fields: [])
        XCTAssertNil(m.groups)
        XCTAssertEqual(try IndexReader(path: dir.file("none")).sampleGroups(), [])
    }

    /// Groups are content: the same corpus grouped by another field has another fingerprint.
    func testGroupsChangeTheContentFingerprint() throws {
        let input = try write([#"{"tokens":[1,2],"lang":"en","source":"web"}"#, #"{"tokens":[3],"lang":"fr","source":"web"}"#], "fp.jsonl")
        let plain = try build([input], out: "fp0", pack: nil, fields: [])
        let lang = try build([input], out: "fp1", pack: nil, fields: ["lang"])
        let source = try build([input], out: "fp2", pack: nil, fields: ["source"])
        XCTAssertEqual(Set([plain.contentFingerprint, lang.contentFingerprint, source.contentFingerprint]).count, 3)
    }

    /// A resume or merge with other group fields is another build: refused (`sameContent`).
    func testOtherGroupFieldsAreNotTheSameContent() throws {
        let input = try write([#"{"tokens":[1,2],"lang":"en","source":"web"}"#], "same.jsonl")
        let lang = try build([input], out: "same1", pack: nil, fields: ["lang"])
        var source = lang
        source.groupFields = ["source"]
        XCTAssertFalse(lang.sameContent(as: source))
        source.groupFields = nil
        XCTAssertFalse(lang.sameContent(as: source))
        source.groupFields = ["lang"]
        XCTAssertTrue(lang.sameContent(as: source))
        // A build interrupted after its first batch cannot be resumed with another group field.
        struct Stop: Error {}
        let three = try write([#"{"tokens":[1],"lang":"en"}"#, #"{"tokens":[2],"lang":"fr"}"#, #"{"tokens":[3]}"#], "three.jsonl")
        var o = IndexBuildOptions(inputs: [three], output: dir.file("cut"))
        o.vocabularySize = 10
        o.metrics = [SequenceLengthMetric()]
        o.batchRecords = 1
        o.reader.groupFields = ["lang"]
        var reader = o.reader
        XCTAssertThrowsError(try IndexBuilder.build(o, openSource: { p, _ in try InputSources.open(path: p, options: reader) },
                                                    onCommit: { _ in throw Stop() }))
        o.mode = .resume
        o.reader.groupFields = ["source"]
        reader = o.reader
        XCTAssertThrowsError(try IndexBuilder.build(o, openSource: { p, _ in try InputSources.open(path: p, options: reader) })) {
            XCTAssertTrue("\($0)".contains("group fields"), "\($0)")
        }
        o.reader.groupFields = ["lang"]
        reader = o.reader
        let resumed = try IndexBuilder.build(o, openSource: { p, _ in try InputSources.open(path: p, options: reader) })
        XCTAssertEqual(resumed.groups, [GroupSummary(field: "lang", names: ["(none)", "en", "fr"], samples: [1, 1, 1],
                                                     tokens: [1, 1, 1], noneDocuments: 1)])
    }

    /// A field with more distinct values than `maxGroups` stops the build, naming the field and
    /// the record that would be one too many (here the limit is 2 and the third value is record 3).
    func testTooManyGroupsAreRefused() throws {
        let input = try write([#"{"tokens":[1],"u":"a"}"#, #"{"tokens":[2],"u":"b"}"#, #"{"tokens":[3],"u":"a"}"#,
                               #"{"tokens":[4],"u":"c"}"#], "many.jsonl")
        var o = IndexBuildOptions(inputs: [input], output: dir.file("many"))
        o.vocabularySize = 10
        o.metrics = [SequenceLengthMetric()]
        o.reader.groupFields = ["u"]
        o.maxGroups = 2
        let reader = o.reader
        XCTAssertThrowsError(try IndexBuilder.build(o, openSource: { p, _ in try InputSources.open(path: p, options: reader) })) {
            XCTAssertTrue("\($0)".contains("record 3") && "\($0)".contains("--group-field u has more than 2 distinct values"), "\($0)")
        }
        o.maxGroups = 3
        o.output = dir.file("many3")
        XCTAssertEqual(try IndexBuilder.build(o, openSource: { p, _ in try InputSources.open(path: p, options: reader) }).groups?[0].names,
                       ["a", "b", "c"])
    }

    func testFASTAInputWithGroupFieldIsRefused() throws {
        let fasta = dir.file("p.fasta")
        try ">p1\nMKV\n".write(toFile: fasta, atomically: true, encoding: .utf8)
        var o = IndexBuildOptions(inputs: [fasta], output: dir.file("fasta"))
        o.tokenizer = ResidueTokenizer()
        o.reader.groupFields = ["lang"]
        let reader = o.reader
        XCTAssertThrowsError(try IndexBuilder.build(o, openSource: { p, _ in try InputSources.open(path: p, options: reader) })) { error in
            let text = "\(error)"
            XCTAssertTrue(error is GroupFieldRefused, text)
            XCTAssertTrue(text.contains(fasta) && text.contains("only JSONL records have fields"), text)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("fasta") + "/data.mdb"))
    }
}
