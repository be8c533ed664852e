// RecordStartFinder.swift — where the next record of a corpus file starts, from its bytes alone
// (issue 16 item 2: a large file is cut into pieces at record starts). The rules are those of the
// parsers: JSONL and plain text (line mode) start a record at every line that is not blank (only
// spaces, tabs, CR, LF), paragraph mode at a non-blank line after a blank one, FASTA at a `>` that
// begins a line (lines end at LF, CRLF or a lone CR, as `CorpusReader` reads FASTA).

/// Scans bytes fed in order for the first record start that begins after the first byte fed
/// (or at it, from the start of a file).
///
/// Unless told it is at the start of the file, the line holding the first byte is taken as partial (what came before it is unknown), so a
/// record that starts exactly at the first byte is not found: scanning from byte `c - 1` finds
/// the first record start at or after `c` (in paragraph mode, the first whose blank line before
/// it lies wholly at or after `c - 1`). A cut at the position found leaves every record whole on
/// one side, and cuts from the same candidates are the same whatever reads them.
public struct RecordStartFinder: Sendable {
    private let format: CorpusFormat
    private let paragraphs: Bool
    /// The next byte begins a line.
    private var atLineStart = false
    /// FASTA: a CR was seen; the next byte decides whether it ended the line alone.
    private var pendingCarriageReturn = false
    /// Start of the current line when it is whole (nil while in the partial first line).
    private var lineStart: Int?
    private var lineBlank = true
    /// The previous whole line was blank (paragraph mode).
    private var previousBlank = false

    /// - Parameters:
    ///   - format: the file's record syntax.
    ///   - paragraphs: plain text only: one record per blank-line-separated paragraph.
    ///   - atFileStart: the first byte fed is the file's first byte (a line start, as after a
    ///     blank line), so a record starting there is found; false: it is inside a line.
    public init(format: CorpusFormat, paragraphs: Bool = false, atFileStart: Bool = false) {
        self.format = format
        self.paragraphs = paragraphs && format == .text
        atLineStart = atFileStart
        previousBlank = atFileStart
    }

    /// Feeds the next `bytes`, the first of which is at `offset` in the file (or stream); returns
    /// the offset of the first record start found in them, or nil to be fed more.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        format == .fasta ? feedFASTA(bytes, at: offset) : feedLines(bytes, at: offset)
    }

    private mutating func feedFASTA(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        for (i, b) in bytes.enumerated() {
            if pendingCarriageReturn {
                pendingCarriageReturn = false
                if b == 0x0A { atLineStart = true; continue }
                atLineStart = true  // the CR ended the line alone
            }
            if atLineStart && b == UInt8(ascii: ">") { return offset + i }
            atLineStart = b == 0x0A
            pendingCarriageReturn = b == 0x0D
        }
        return nil
    }

    private mutating func feedLines(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        for (i, b) in bytes.enumerated() {
            if atLineStart {
                atLineStart = false
                lineStart = offset + i
                lineBlank = true
            }
            if b == 0x0A {
                previousBlank = lineStart != nil && lineBlank
                atLineStart = true
                continue
            }
            if ByteText.isWhitespace(b) { continue }
            lineBlank = false
            if let start = lineStart, !paragraphs || previousBlank { return start }
        }
        return nil
    }
}
