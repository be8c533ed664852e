// ReliabilitySupport.swift — helpers for the bad-input suite (issue 8 item 1): locating the
// committed files written by tools/gen_bad_inputs.py, reading a corpus file to its end or its
// first error, and comparing documents by the fields the expectations name.

import Corpus
import Foundation
import Storage
import XCTest

/// The committed bad inputs: Tests/ReliabilityTests/BadInputs/<relative>.
func badInput(_ relative: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("BadInputs")
        .appendingPathComponent(relative).path
}

/// What reading one file produced: the documents before the end or the error, the error, the
/// skip tally and the `tokens` arrays of the documents.
struct ReadOutcome {
    var documents: [Document] = []
    var tokens: [[UInt32]?] = []
    var error: Error?
    var skipped = SkipReport()
    var compression: Compression?

    /// The error's text, nil when reading finished.
    var message: String? { error.map { "\($0)" } }
}

/// Reads `path` to its end or first error with `options`.
func readOutcome(_ path: String, _ options: ReaderOptions = ReaderOptions()) -> ReadOutcome {
    var outcome = ReadOutcome()
    var reader: CorpusReader?
    do {
        reader = try CorpusReader(path: path, options: options)
        outcome.compression = reader?.compression
        while let document = try reader!.next() {
            outcome.documents.append(document)
            outcome.tokens.append(reader!.tokens)
        }
    } catch {
        outcome.error = error
    }
    outcome.skipped = reader?.skipped ?? SkipReport()
    return outcome
}

/// The fields of a document that the expectations spell out.
struct Doc: Equatable, CustomStringConvertible {
    var text: String
    var line: Int
    var record: Int
    var id: String? = nil

    init(_ text: String, line: Int, record: Int, id: String? = nil) {
        self.text = text; self.line = line; self.record = record; self.id = id
    }

    init(_ document: Document) {
        self.init(document.text, line: document.line, record: document.record, id: document.id)
    }

    var description: String { "Doc(\(text.debugDescription), line \(line), record \(record), id \(id ?? "nil"))" }
}

func docs(_ outcome: ReadOutcome) -> [Doc] { outcome.documents.map(Doc.init) }

/// Asserts the strict reading of `path`: `documents`, then the `CorpusError` with `message`
/// (the full description) and `reason`, or no error when `message` is nil.
func assertStrict(_ path: String, _ options: ReaderOptions = ReaderOptions(), documents: [Doc],
                  message: String?, reason: SkipReason? = nil,
                  file: StaticString = #filePath, line: UInt = #line) {
    let outcome = readOutcome(path, options)
    XCTAssertEqual(docs(outcome), documents, "documents of \(path)", file: file, line: line)
    XCTAssertEqual(outcome.message, message, file: file, line: line)
    if let reason {
        XCTAssertEqual((outcome.error as? CorpusError)?.reason, reason, file: file, line: line)
    }
    XCTAssertEqual(outcome.skipped.total, 0, "strict reading skips nothing", file: file, line: line)
}

/// Asserts the `skipBad` reading of `path`: every document, the counts by reason, the first
/// examples (all of them when given in full), and that reading ended without an error.
func assertSkipping(_ path: String, _ options: ReaderOptions = ReaderOptions(), documents: [Doc],
                    counts: [SkipReason: Int], examples: [String],
                    file: StaticString = #filePath, line: UInt = #line) {
    var options = options
    options.skipBad = true
    let outcome = readOutcome(path, options)
    XCTAssertNil(outcome.error, "skipBad reading of \(path) threw", file: file, line: line)
    XCTAssertEqual(docs(outcome), documents, "documents of \(path)", file: file, line: line)
    XCTAssertEqual(outcome.skipped.counts, counts, file: file, line: line)
    XCTAssertEqual(outcome.skipped.total, counts.values.reduce(0, +), file: file, line: line)
    XCTAssertEqual(Array(outcome.skipped.examples.prefix(examples.count)), examples, file: file, line: line)
}
