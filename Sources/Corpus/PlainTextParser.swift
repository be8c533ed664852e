// PlainTextParser.swift — plain-text records for `CorpusReader` (issue 2 item 3).
//
// Line mode: every non-blank line is one document, kept exactly as written (minus its line
// break). Blank lines — empty or only spaces/tabs — are not records and get no record number.
// Paragraph mode: runs of non-blank lines separated by one or more blank lines; the lines of a
// paragraph are joined with "\n" (so CRLF input gives "\n" too). Text must be valid UTF-8; a
// record with an ill-formed byte is a bad record (`invalid-utf8`) naming line and column. A line
// or paragraph longer than the record limit is a bad record (`record-too-large`).

final class PlainTextParser: RecordParser {
    private let path: String
    private let paragraphs: Bool
    private let maxRecordBytes: Int
    private var ordinal = 0
    /// Paragraph mode: the joined lines of the current paragraph.
    private var paragraph: [UInt8] = []

    init(path: String, paragraphs: Bool, maxRecordBytes: Int = ReaderOptions.defaultMaxRecordBytes) {
        self.path = path
        self.paragraphs = paragraphs
        self.maxRecordBytes = maxRecordBytes
    }

    /// True when `bytes` is empty or only ASCII whitespace.
    static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in bytes where !ByteText.isWhitespace(b) { return false }
        return true
    }

    func next(_ lines: LineReader) throws -> ParseOutcome? {
        paragraphs ? try nextParagraph(lines) : try nextLine(lines)
    }

    private func nextLine(_ lines: LineReader) throws -> ParseOutcome? {
        while true {
            let line: LineReader.Line
            do {
                guard let next = try lines.next() else { return nil }
                line = next
            } catch let oversized as OversizedLine {
                ordinal += 1
                return .bad(.tooLarge(path: path, line: oversized.number, record: ordinal - 1, limit: oversized.limit))
            }
            if PlainTextParser.isBlank(line.bytes) { continue }
            let record = ordinal
            ordinal += 1
            if let bad = UTF8Check.firstInvalid(line.bytes) {
                return .bad(invalidUTF8(line, record: record, bad.offset, bad.problem))
            }
            return .document(Document(text: String(decoding: line.bytes, as: UTF8.self), line: line.number,
                                      record: record, byteOffset: line.byteOffset))
        }
    }

    private func nextParagraph(_ lines: LineReader) throws -> ParseOutcome? {
        var first: (number: Int, offset: Int)?
        var problem: CorpusError?
        paragraph.removeAll(keepingCapacity: true)
        while true {
            let line: LineReader.Line
            do {
                guard let next = try lines.next() else { break }
                line = next
            } catch let oversized as OversizedLine {
                if first == nil { first = (oversized.number, oversized.byteOffset) }
                if problem == nil {
                    problem = .tooLarge(path: path, line: first!.number, record: ordinal, limit: oversized.limit)
                }
                if !oversized.skipped { break }  // the reader cannot go on
                continue
            }
            if PlainTextParser.isBlank(line.bytes) {
                if first != nil { break }
                continue
            }
            if first == nil {
                first = (line.number, line.byteOffset)
            } else if problem == nil {
                paragraph.append(0x0A)
            }
            if problem == nil, paragraph.count + line.bytes.count > maxRecordBytes {
                problem = .tooLarge(path: path, line: first!.number, record: ordinal, limit: maxRecordBytes)
                paragraph.removeAll()
            }
            if problem == nil, let bad = UTF8Check.firstInvalid(line.bytes) {
                problem = invalidUTF8(line, record: ordinal, bad.offset, bad.problem)
            }
            if problem == nil { paragraph.append(contentsOf: line.bytes) }
        }
        guard let first else { return nil }
        let record = ordinal
        ordinal += 1
        if let problem { return .bad(problem) }
        let text = paragraph.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
        return .document(Document(text: text, line: first.number, record: record, byteOffset: first.offset))
    }

    private func invalidUTF8(_ line: LineReader.Line, record: Int, _ offset: Int, _ problem: String) -> CorpusError {
        CorpusError(path: path, line: line.number, record: record, column: offset + 1, reason: .invalidUTF8,
                    problem: UTF8Check.message(line.bytes, offset: offset, problem: problem))
    }
}
