// ReaderTests.swift — `CorpusReader` over JSONL and plain text (issue 2 item 3): every input is
// read both plain and zstd-compressed; format detection; positions (line, record, byte offset);
// long lines; bad records with and without `skipBad`; damaged zstd streams; the shipped corpus.

import Foundation
import TestSupport
import XCTest
@testable import Corpus
import Storage
import Support

final class ReaderTests: XCTestCase {
    // MARK: - Lines

    /// Seeded random lines (empty ones, CR before LF, long ones) through buffers from tiny to
    /// default, compared with a naive split.
    func testLineReaderAgreesWithNaiveSplit() throws {
        let dir = try TemporaryDirectory()
        var rng = SplitMix64(seed: 11)
        var bytes: [UInt8] = []
        for _ in 0..<2000 {
            let length = rng.next() % 10 == 0 ? Int(rng.next() % 5000) : Int(rng.next() % 40)
            for _ in 0..<length { bytes.append(UInt8(ascii: "a") + UInt8(rng.next() % 26)) }
            if rng.next() % 4 == 0 { bytes.append(0x0D) }
            bytes.append(0x0A)
        }
        bytes += Array("tail without newline\r".utf8)
        var expected: [(text: [UInt8], offset: Int)] = []
        var start = 0
        for k in 0...bytes.count where k == bytes.count || bytes[k] == 0x0A {
            if k == bytes.count && start == k { break }
            var line = Array(bytes[start..<k])
            if line.last == 0x0D { line.removeLast() }
            expected.append((line, start))
            start = k + 1
        }
        for path in try dir.writeBoth("lines.txt", bytes) {
            for bufferSize in [16, 100, 4096, LineReader.defaultBufferSize] {
                let lines = LineReader(source: try openInput(path: path).source, bufferSize: bufferSize)
                var count = 0
                while let line = try lines.next() {
                    guard count < expected.count else { return XCTFail("extra line \(line.number)") }
                    XCTAssertEqual(Array(line.bytes), expected[count].text, "line \(count + 1), buffer \(bufferSize)")
                    XCTAssertEqual(line.byteOffset, expected[count].offset)
                    XCTAssertEqual(line.number, count + 1)
                    count += 1
                }
                XCTAssertEqual(count, expected.count, "buffer \(bufferSize)")
                XCTAssertEqual(lines.bytesRead, bytes.count)
            }
        }
    }

    func testByteOrderMarkIsDropped() throws {
        let dir = try TemporaryDirectory()
        for path in try dir.writeBoth("bom", [0xEF, 0xBB, 0xBF] + Array("{\"text\": \"x\"}\n".utf8)) {
            let (docs, reader) = try readAll(path)
            XCTAssertEqual(reader.format, .jsonl)
            XCTAssertEqual(docs, [Document(text: "x", line: 1, record: 0, byteOffset: 3)])
        }
    }

    // MARK: - JSONL

    func testJSONLHappyPath() throws {
        let dir = try TemporaryDirectory()
        let lines = [
            #"{"id": "a1", "text": "Hello, world", "lang": "en", "source": "debian:pkg"}"#,
            #"{"id": 42, "text": "caf\u00e9 \ud83d\ude00", "extra": {"nested": [1, {"x": null}]}}"#,
            "",
            #"{"text": "Ελληνικά\n中文"}"# + "\r",
            #"  {"text": "last, no newline", "tokens": [1, 2, 3]}  "#,
        ]
        let content = lines.joined(separator: "\n")
        for path in try dir.writeBoth("a.jsonl", content) {
            let (docs, reader) = try readAll(path)
            XCTAssertEqual(reader.format, .jsonl)
            XCTAssertEqual(docs.count, 4)
            XCTAssertEqual(docs[0], Document(id: "a1", text: "Hello, world", lang: "en", source: "debian:pkg",
                                             line: 1, record: 0, byteOffset: 0))
            XCTAssertEqual(docs[1].id, "42")
            XCTAssertEqual(docs[1].text, "café 😀")
            XCTAssertEqual(docs[1].line, 2)
            XCTAssertEqual(docs[1].byteOffset, lines[0].utf8.count + 1)
            XCTAssertEqual(docs[2].text, "Ελληνικά\n中文")
            XCTAssertEqual(docs[2].line, 4)  // the blank line 3 is not a record
            XCTAssertEqual(docs[2].record, 2)
            XCTAssertEqual(docs[3].text, "last, no newline")
            XCTAssertEqual(docs[3].record, 3)
            XCTAssertEqual(docs[3].byteOffset, content.utf8.count - lines[4].utf8.count)
            XCTAssertEqual(reader.skipped.total, 0)
            // Progress counters end at the file size.
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            XCTAssertEqual(reader.inputSize, size)
            XCTAssertEqual(reader.compressedBytesRead, size)
            XCTAssertEqual(reader.bytesRead, content.utf8.count)
            XCTAssertEqual(reader.compression, path.hasSuffix(".zst") ? .zstd : Compression.none)
        }
    }

    func testTokensOfTheLastDocument() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("t.jsonl", "{\"text\": \"a\", \"tokens\": [1, 2, 3]}\n{\"text\": \"b\"}\n")
        let reader = try CorpusReader(path: path)
        XCTAssertEqual(try reader.next()?.text, "a")
        XCTAssertEqual(reader.tokens, [1, 2, 3])
        XCTAssertEqual(try reader.next()?.text, "b")
        XCTAssertNil(reader.tokens)
        XCTAssertNil(try reader.next())
    }

    func testCustomTextField() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("b.ndjson", #"{"body": "x", "text": 1}"# + "\n")
        let (docs, _) = try readAll(path, ReaderOptions(textField: "body"))
        XCTAssertEqual(docs.map(\.text), ["x"])
    }

    func testTenMegabyteSingleLineDocument() throws {
        let dir = try TemporaryDirectory()
        var big = [UInt8]()
        big.reserveCapacity(10_000_100)
        var state: UInt64 = 7
        for _ in 0..<10_000_000 {  // pseudo-random lowercase text, compressible but not trivially
            state = state &* 6364136223846793005 &+ 1442695040888963407
            big.append(UInt8(ascii: "a") + UInt8((state >> 33) % 26))
        }
        let json = Array(#"{"id": "big", "text": ""#.utf8) + big + Array("\"}\n{\"text\": \"after\"}\n".utf8)
        for path in try dir.writeBoth("big.jsonl", json) {
            let (docs, reader) = try readAll(path)
            XCTAssertEqual(docs.count, 2)
            XCTAssertEqual(docs[0].text.utf8.count, 10_000_000)
            XCTAssertTrue(docs[0].text.utf8.elementsEqual(big))
            XCTAssertEqual(docs[1], Document(text: "after", line: 2, record: 1, byteOffset: json.count - 18))
            _ = reader
        }
        for path in try dir.writeBoth("big.txt", big + [0x0A] + Array("tail".utf8)) {
            let (docs, _) = try readAll(path)
            XCTAssertEqual(docs.map(\.text.utf8.count), [10_000_000, 4])
        }
    }

    func testMalformedJSONLErrorsNameFileLineAndRecord() throws {
        let dir = try TemporaryDirectory()
        let good = #"{"text": "ok"}"#
        let cases: [(line: [UInt8], reason: SkipReason, problem: String)] = [
            (Array(#"{"text": "ok""#.utf8), .invalidJSON, "unexpected end of line inside the object (missing '}') at column 14"),
            (Array(#"{"text": "ok"}}"#.utf8), .invalidJSON, "unexpected characters after the JSON object at column 15"),
            (Array(#"{text: "ok"}"#.utf8), .invalidJSON, "expected a field name in double quotes at column 2"),
            (Array(#"{"id": "x"}"#.utf8), .missingField, #"missing field "text""#),
            (Array(#"{"text": 12}"#.utf8), .wrongType, #"field "text" is a number, expected a string"#),
            (Array(#"{"text": "a"#.utf8) + [0xC0, 0x80] + Array("\"}".utf8), .invalidUTF8,
             "invalid UTF-8 at column 12: overlong encoding"),
            (Array(#"{"text": "a"#.utf8) + [0xFE] + Array("\"}".utf8), .invalidUTF8, "invalid UTF-8 at column 12"),
            (Array(#"{"text": "\udfff"}"#.utf8), .invalidEscape, #"lone surrogate \udfff at column 11"#),
        ]
        for (index, bad) in cases.enumerated() {
            let content = Array((good + "\n\n" + good + "\n").utf8) + bad.line + Array(("\n" + good + "\n").utf8)
            for path in try dir.writeBoth("bad\(index).jsonl", content) {
                // The bad record is on line 4, record 2 (the blank line 2 is not a record).
                assertCorpusError(path, reason: bad.reason, contains: ["\(path):4: record 2: ", bad.problem])
            }
        }
    }

    func testSkipBadCountsByReasonAndGoesOn() throws {
        let dir = try TemporaryDirectory()
        let lines: [[UInt8]] = [
            Array(#"{"id": 1, "text": "one"}"#.utf8),
            Array(#"{"id": 2}"#.utf8),
            Array(#"{"id": 3, "text": "three"}"#.utf8),
            Array(#"{"id": 4, "text": 4}"#.utf8),
            Array(#"not json"#.utf8),
            Array(#"{"id": 6, "text": "x"#.utf8) + [0xFF] + Array("\"}".utf8),
            Array(#"{"id": 7, "text": "seven"}"#.utf8),
            Array(#"{"id": 8}"#.utf8),
        ]
        let content = Array(lines.joined(separator: [0x0A]))
        var total = SkipReport()
        for path in try dir.writeBoth("mixed.jsonl", content) {
            let (docs, reader) = try readAll(path, ReaderOptions(skipBad: true))
            XCTAssertEqual(docs.map(\.text), ["one", "three", "seven"])
            XCTAssertEqual(docs.map(\.record), [0, 2, 6])
            XCTAssertEqual(docs.map(\.line), [1, 3, 7])
            let report = reader.skipped
            XCTAssertEqual(report.counts, [.missingField: 2, .wrongType: 1, .invalidJSON: 1, .invalidUTF8: 1])
            XCTAssertEqual(report.total, 5)
            XCTAssertEqual(report.examples.count, SkipReport.exampleLimit)
            XCTAssertEqual(report.examples[0], "\(path):2: record 1: missing field \"text\"")
            XCTAssertEqual(report.summary, "invalid-json: 1\ninvalid-utf8: 1\nmissing-field: 2\nwrong-type: 1")
            total.merge(report)
        }
        XCTAssertEqual(total.count(.missingField), 4)
        XCTAssertEqual(total.total, 10)
        XCTAssertEqual(total.examples.count, SkipReport.exampleLimit)
        // Without skipBad, the first bad record (line 2) stops the reading.
        assertCorpusError(dir.path + "/mixed.jsonl", reason: .missingField, contains: ["mixed.jsonl:2: record 1:"])
    }

    // MARK: - Plain text

    func testTextLinesAndParagraphs() throws {
        let dir = try TemporaryDirectory()
        let content = "first line\r\n\r\n  \nsecond para, line 1\nline 2\n\n\n  third  \nno newline"
        for path in try dir.writeBoth("t.txt", content) {
            let (lines, _) = try readAll(path)
            XCTAssertEqual(lines.map(\.text), ["first line", "second para, line 1", "line 2", "  third  ", "no newline"])
            XCTAssertEqual(lines.map(\.line), [1, 4, 5, 8, 9])
            XCTAssertEqual(lines.map(\.record), [0, 1, 2, 3, 4])
            XCTAssertEqual(lines[1].byteOffset, 17)
            let (paragraphs, _) = try readAll(path, ReaderOptions(paragraphs: true))
            XCTAssertEqual(paragraphs.map(\.text), ["first line", "second para, line 1\nline 2", "  third  \nno newline"])
            XCTAssertEqual(paragraphs.map(\.line), [1, 4, 8])
            XCTAssertEqual(paragraphs.map(\.byteOffset), [0, 17, 46])
        }
    }

    func testTextInvalidUTF8() throws {
        let dir = try TemporaryDirectory()
        let content = Array("good\npara\nbad ".utf8) + [0xE2, 0x82] + Array(" here\n\nlast\n".utf8)
        for path in try dir.writeBoth("u.txt", content) {
            assertCorpusError(path, reason: .invalidUTF8,
                              contains: ["\(path):3: record 2: invalid UTF-8 at column 5: missing continuation byte"])
            assertCorpusError(path, ReaderOptions(paragraphs: true), reason: .invalidUTF8,
                              contains: ["\(path):3: record 0: invalid UTF-8 at column 5"])
            let (docs, reader) = try readAll(path, ReaderOptions(paragraphs: true, skipBad: true))
            XCTAssertEqual(docs.map(\.text), ["last"])
            XCTAssertEqual(docs.map(\.record), [1])
            XCTAssertEqual(reader.skipped.counts, [.invalidUTF8: 1])
        }
    }

    // MARK: - Format detection

    func testFormatFromFileName() {
        let table: [(String, CorpusFormat?)] = [
            ("a.jsonl", .jsonl), ("dir.x/a.JSON.zst", .jsonl), ("a.ndjson.zstd", .jsonl),
            ("p.fasta.zst", .fasta), ("p.fa", .fasta), ("p.FAA", .fasta), ("p.fas", .fasta),
            ("notes.txt.zst", .text), ("data.zst", nil), ("data", nil), ("-", nil), ("x.csv", nil),
        ]
        for (name, format) in table { XCTAssertEqual(CorpusFormat.fromFileName(name), format, name) }
    }

    func testFormatSniffedFromContentAndOverride() throws {
        let dir = try TemporaryDirectory()
        let json = try dir.writeBoth("data1", "\n  \n {\"text\": \"j\"}\n")
        let fasta = try dir.writeBoth("data2", "\n>p1\nACD\n")
        let text = try dir.writeBoth("data3", "hello\n")
        for path in json { XCTAssertEqual(try readAll(path).0.map(\.text), ["j"]) }
        for path in fasta { XCTAssertEqual(try readAll(path).0.map(\.text), ["ACD"]) }
        for path in text { XCTAssertEqual(try readAll(path).1.format, .text) }
        let empty = try dir.write("empty", [])
        XCTAssertEqual(try readAll(empty).0, [])
        // The override wins over both the name and the content.
        let (docs, reader) = try readAll(json[1], ReaderOptions(format: .text))
        XCTAssertEqual(reader.format, .text)
        XCTAssertEqual(docs.map(\.text), [" {\"text\": \"j\"}"])
    }

    // MARK: - Damaged zstd input

    func testTruncatedAndCorruptZstdAreNotSkippable() throws {
        let dir = try TemporaryDirectory()
        var content = ""
        for k in 0..<3000 { content += "{\"id\": \(k), \"text\": \"document number \(k) \(k * 7919 % 1000)\"}\n" }
        let compressed = try Zstd.compress(Array(content.utf8), level: 3)
        let truncated = try dir.write("cut.jsonl.zst", Array(compressed[0..<(compressed.count / 2)]))
        var corrupted = compressed
        // Overwrite the first block header: block type 3 is reserved, so libzstd must reject it.
        corrupted[6] = 0xFF; corrupted[7] = 0xFF; corrupted[8] = 0xFF
        let corrupt = try dir.write("bad.jsonl.zst", corrupted)
        for options in [ReaderOptions(), ReaderOptions(skipBad: true)] {
            XCTAssertThrowsError(try readAll(truncated, options)) { error in
                guard case let ZstdError.truncated(path, offset) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(path, truncated)
                XCTAssertEqual(offset, compressed.count / 2)
                XCTAssertTrue("\(error)".contains("cut.jsonl.zst: zstd stream is truncated"))
            }
            XCTAssertThrowsError(try readAll(corrupt, options)) { error in
                guard case let ZstdError.corrupt(path, _, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(path, corrupt)
                XCTAssertTrue("\(error)".contains("bad.jsonl.zst: corrupt zstd data near compressed byte"))
            }
        }
    }

    func testMultiFrameZstdReadsAsConcatenation() throws {
        let dir = try TemporaryDirectory()
        let first = "{\"text\": \"one\"}\n{\"text\": \"tw"
        let second = "o\"}\n{\"text\": \"three\"}\n"
        let both = try Zstd.compress(Array(first.utf8)) + Zstd.compress(Array(second.utf8))
        let path = try dir.write("frames.jsonl.zst", both)
        let (docs, reader) = try readAll(path)
        XCTAssertEqual(docs.map(\.text), ["one", "two", "three"])
        XCTAssertEqual(reader.compressedBytesRead, both.count)
    }

    func testMissingFileAndDirectory() throws {
        let dir = try TemporaryDirectory()
        XCTAssertThrowsError(try CorpusReader(path: dir.path + "/nope.jsonl")) { error in
            XCTAssertTrue("\(error)".contains("nope.jsonl: cannot open"), "\(error)")
        }
        XCTAssertThrowsError(try CorpusReader(path: dir.path)) { error in
            XCTAssertTrue("\(error)".contains("is a directory"), "\(error)")
        }
    }

    // MARK: - Shipped corpus

    func testShippedUDHRSample() throws {
        let path = repositoryRoot + "/corpora/udhr.sample.jsonl.zst"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) not present") }
        let (docs, reader) = try readAll(path)
        XCTAssertEqual(docs.count, 313)  // corpora/README.md
        XCTAssertEqual(reader.compression, .zstd)
        XCTAssertEqual(Set(docs.compactMap(\.id)).count, 313)
        XCTAssertTrue(docs.allSatisfy { $0.lang != nil && $0.source != nil && !$0.text.isEmpty })
        XCTAssertEqual(docs.map(\.record), Array(0..<313))
    }
}
