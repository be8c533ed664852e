// CorpusTestSupport.swift — shared helpers for the Corpus tests (issue 2): a temporary directory
// per test, writing inputs both plain and zstd-compressed, reading whole files, and asserting on
// error messages.

import Foundation
import XCTest
@testable import Corpus
import Storage
import TestSupport
import Support

/// Writing test inputs into a `TemporaryDirectory`.
extension TemporaryDirectory {
    /// Writes `bytes` to `name` and returns the path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = self.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    /// Writes `name` plain and `name.zst` compressed; returns both paths.
    func writeBoth(_ name: String, _ bytes: [UInt8]) throws -> [String] {
        [try write(name, bytes), try write(name + ".zst", Zstd.compress(bytes, level: 1))]
    }

    func writeBoth(_ name: String, _ text: String) throws -> [String] { try writeBoth(name, Array(text.utf8)) }
}

/// Every document of `path`, and the reader (for `skipped` and progress counters).
func readAll(_ path: String, _ options: ReaderOptions = ReaderOptions()) throws -> ([Document], CorpusReader) {
    let reader = try CorpusReader(path: path, options: options)
    var documents: [Document] = []
    while let document = try reader.next() { documents.append(document) }
    return (documents, reader)
}

/// Asserts that reading `path` throws a `CorpusError` whose description contains every string
/// in `parts`, with the given reason; returns the error.
@discardableResult
func assertCorpusError(_ path: String, _ options: ReaderOptions = ReaderOptions(), reason: SkipReason,
                       contains parts: [String], file: StaticString = #filePath, line: UInt = #line) -> CorpusError? {
    do {
        let (documents, _) = try readAll(path, options)
        XCTFail("expected an error, read \(documents.count) documents", file: file, line: line)
    } catch let error as CorpusError {
        XCTAssertEqual(error.reason, reason, "\(error)", file: file, line: line)
        for part in parts {
            XCTAssertTrue(error.description.contains(part), "\"\(error)\" lacks \"\(part)\"", file: file, line: line)
        }
        return error
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
    return nil
}


