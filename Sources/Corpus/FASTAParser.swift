// FASTAParser.swift — protein FASTA records for `CorpusReader` (issue 2 item 3).
//
// A record is a `>` header line followed by sequence lines, up to the next header.
// - `Document.id` is the header's first whitespace-delimited word (`swissprot|actb_human`); nil
//   for a bare `>`. `Document.source` is the whole header text after `>` (trimmed), so nothing
//   in it — descriptions, `[src=...]` provenance — is lost; nil when the header is empty.
// - Sequence lines are concatenated; lowercase is folded to uppercase; trailing spaces/tabs are
//   ignored; blank lines anywhere are ignored; CRLF is fine.
// - Alphabet (`ResidueAlphabet`): the 20 standard amino acids, X B Z U O J, `-` (gap) and `*`
//   (stop). One terminal `*` — the stop codon that translated sequences end with — is
//   stripped; a `*` anywhere else is kept (it is in the residues tokenizer's vocabulary).
// - Errors (bad records): any other character (digits, punctuation, spaces inside a line,
//   non-ASCII), naming line, column and character; a header without residues; ill-formed UTF-8
//   in a header; non-blank text before the first header (reported once, without record number,
//   and not counted as a record).
// - Line ends may be LF, CRLF or a lone CR (classic Mac OS; the reader sets
//   `LineReader.carriageReturnEndsLines` for FASTA).
// - A header line or a sequence longer than the record limit is a bad record
//   (`record-too-large`); the sequence never grows past the limit.
// `Document.line`/`byteOffset` point at the header line.

import Support

final class FASTAParser: RecordParser {
    private let path: String
    private var ordinal = 0
    /// The header read at the end of the previous record (bytes after `>`), not yet returned.
    private var pendingHeader: [UInt8] = []
    private var pendingLine = 0
    private var pendingOffset = 0
    private var hasPending = false
    /// The pending header was longer than the limit (its bytes were dropped).
    private var pendingTooLarge = false
    private var started = false
    private var sequence: [UInt8] = []
    private let maxRecordBytes: Int

    init(path: String, maxRecordBytes: Int = ReaderOptions.defaultMaxRecordBytes) {
        self.path = path
        self.maxRecordBytes = maxRecordBytes
    }

    func next(_ lines: LineReader) throws -> ParseOutcome? {
        if !started {
            started = true
            if let preamble = try seekFirstHeader(lines) { return .bad(preamble) }
        }
        guard hasPending else { return nil }
        hasPending = false
        let record = ordinal
        ordinal += 1
        let headerLine = pendingLine, headerOffset = pendingOffset
        var header: (id: String?, source: String?, problem: CorpusError?) = (nil, nil, nil)
        if pendingTooLarge {
            header.problem = .tooLarge(path: path, line: headerLine, record: record, limit: maxRecordBytes)
        } else {
            header = parseHeader(record: record)
        }
        var problem = header.problem
        try readSequence(lines, record: record, id: header.id, headerLine: headerLine, problem: &problem)
        if let problem { return .bad(problem) }
        if sequence.last == UInt8(ascii: "*") { sequence.removeLast() }
        if sequence.isEmpty {
            return .bad(CorpusError(path: path, line: headerLine, record: record, reason: .emptySequence,
                                    problem: "record \(describe(header.id)) has no sequence"))
        }
        let text = sequence.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
        return .document(Document(id: header.id, text: text, source: header.source, line: headerLine,
                                  record: record, byteOffset: headerOffset))
    }

    /// Skips blank lines up to the first header and keeps it pending; non-blank lines before it
    /// are consumed and reported as one error.
    private func seekFirstHeader(_ lines: LineReader) throws -> CorpusError? {
        var firstText: Int?
        while true {
            let line: LineReader.Line
            do {
                guard let next = try lines.next() else { break }
                line = next
            } catch let oversized as OversizedLine {
                guard oversized.skipped else {
                    return .tooLarge(path: path, line: oversized.number, record: nil, limit: oversized.limit)
                }
                if oversized.firstByte == UInt8(ascii: ">") {
                    keepPending(tooLarge: oversized)
                    break
                }
                if firstText == nil { firstText = oversized.number }
                continue
            }
            if line.bytes.first == UInt8(ascii: ">") {
                keepPending(line)
                break
            }
            if firstText == nil && !PlainTextParser.isBlank(line.bytes) { firstText = line.number }
        }
        guard let firstText else { return nil }
        return CorpusError(path: path, line: firstText, record: nil, column: 1, reason: .textBeforeHeader,
                           problem: "text before the first '>' header (not a FASTA file, or a missing header)")
    }

    private func keepPending(_ line: LineReader.Line) {
        pendingHeader.removeAll(keepingCapacity: true)
        pendingHeader.append(contentsOf: UnsafeBufferPointer(rebasing: line.bytes.dropFirst()))
        pendingLine = line.number
        pendingOffset = line.byteOffset
        hasPending = true
        pendingTooLarge = false
    }

    /// Keeps a header line that was too long (and skipped by the reader) as the next record.
    private func keepPending(tooLarge line: OversizedLine) {
        pendingHeader.removeAll(keepingCapacity: true)
        pendingLine = line.number
        pendingOffset = line.byteOffset
        hasPending = true
        pendingTooLarge = true
    }

    /// The pending header's id and full text, or an error for ill-formed UTF-8 in it.
    private func parseHeader(record: Int) -> (id: String?, source: String?, problem: CorpusError?) {
        pendingHeader.withUnsafeBufferPointer { bytes in
            if let bad = UTF8Check.firstInvalid(bytes) {
                // Column + 1 for the '>' that is not in `bytes`.
                let message = "invalid UTF-8 at column \(bad.offset + 2): \(bad.problem) in the header"
                return (nil, nil, CorpusError(path: path, line: pendingLine, record: record, column: bad.offset + 2,
                                              reason: .invalidUTF8, problem: message))
            }
            var start = 0, end = bytes.count
            while start < end && ByteText.isWhitespace(bytes[start]) { start += 1 }
            while end > start && ByteText.isWhitespace(bytes[end - 1]) { end -= 1 }
            guard start < end else { return (nil, nil, nil) }
            var wordEnd = start
            while wordEnd < end && !ByteText.isWhitespace(bytes[wordEnd]) { wordEnd += 1 }
            let id = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<wordEnd]), as: UTF8.self)
            let full = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            return (id, full, nil)
        }
    }

    /// Appends the sequence lines up to the next header (kept pending) or the end of input to
    /// `sequence`, folded to uppercase. After the first problem the rest of the record is only
    /// consumed, so that reading can resume at the next header.
    private func readSequence(_ lines: LineReader, record: Int, id: String?, headerLine: Int,
                              problem: inout CorpusError?) throws {
        sequence.removeAll(keepingCapacity: true)
        while true {
            let line: LineReader.Line
            do {
                guard let next = try lines.next() else { return }
                line = next
            } catch let oversized as OversizedLine {
                if oversized.skipped && oversized.firstByte == UInt8(ascii: ">") {
                    keepPending(tooLarge: oversized)
                    return
                }
                if !oversized.skipped {  // the reader cannot go on: report the line itself
                    let isHeader = oversized.firstByte == UInt8(ascii: ">")
                    problem = problem ?? .tooLarge(path: path, line: oversized.number, record: isHeader ? record + 1 : record,
                                                   limit: oversized.limit)
                    return
                }
                if problem == nil {
                    problem = .tooLarge(path: path, line: headerLine, record: record, limit: oversized.limit)
                }
                continue
            }
            if line.bytes.first == UInt8(ascii: ">") {
                keepPending(line)
                return
            }
            guard problem == nil else { continue }
            var end = line.bytes.count
            while end > 0 && ByteText.isWhitespace(line.bytes[end - 1]) { end -= 1 }
            if end == 0 { continue }
            if sequence.count + end > maxRecordBytes {
                problem = .tooLarge(path: path, line: headerLine, record: record, limit: maxRecordBytes)
                sequence.removeAll()
                continue
            }
            let old = sequence.count
            sequence.append(contentsOf: UnsafeBufferPointer(rebasing: line.bytes[0..<end]))
            let bad = sequence.withUnsafeMutableBufferPointer { ResidueAlphabet.foldInPlace($0, from: old) }
            if let bad {
                problem = invalidResidue(line, column: bad - old, record: record, id: id, headerLine: headerLine)
            }
        }
    }

    private func invalidResidue(_ line: LineReader.Line, column offset: Int, record: Int, id: String?,
                                headerLine: Int) -> CorpusError {
        let character = describeCharacter(line.bytes, offset)
        return CorpusError(path: path, line: line.number, record: record, column: offset + 1, reason: .invalidResidue,
                           problem: "invalid character \(character) at column \(offset + 1) in the sequence of "
                               + "record \(describe(id)) (header at line \(headerLine)); "
                               + "allowed: \(ResidueAlphabet.description)")
    }

    private func describe(_ id: String?) -> String {
        id.map { JSONValue.quoted($0) } ?? "without id"
    }

    /// `'x'` for ASCII, the whole character for valid non-ASCII UTF-8 (`'é' (U+00E9)`), otherwise
    /// the byte.
    private func describeCharacter(_ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int) -> String {
        let b = bytes[offset]
        if b < 0x80 { return ByteText.describe(b) }
        guard let base = bytes.baseAddress else { return ByteText.describe(b) }
        let n = UTF8Check.sequenceLength(base, offset, bytes.count)
        guard n > 0 else { return "\(ByteText.describe(b)) (invalid UTF-8)" }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[offset..<(offset + n)]), as: UTF8.self)
        let scalar = text.unicodeScalars.first.map { String($0.value, radix: 16, uppercase: true) } ?? "?"
        return "'\(text)' (U+\(String(repeating: "0", count: max(0, 4 - scalar.count)) + scalar))"
    }
}
