// SplitDelimiterBehavior.swift — what a splitting pre-tokenizer does with the characters it splits
// on (`behavior` in a tokenizer.json: `Punctuation`, `Digits`, `Split`; `tokenizers`'
// `SplitDelimiterBehavior` and `NormalizedString::split`), and the split itself for a per-scalar
// predicate (issue 15 item 1).

import Support

/// The `behavior` of a splitting pre-tokenizer. For `"the-final--countdown"` split on `-`:
/// `removed` → the, final, countdown; `isolated` → the, -, final, -, -, countdown;
/// `mergedWithPrevious` → the-, final-, -, countdown; `mergedWithNext` → the, -final, -, -countdown;
/// `contiguous` → the, -, final, --, countdown.
enum SplitDelimiterBehavior: String, Sendable, CaseIterable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"
}

extension SplitDelimiterBehavior {
    /// The `behavior` of the step object `json` at `keyPath`, nil when absent.
    /// - Throws: `invalidDefinition` naming the key when it is not one of the five names.
    init?(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        guard let name = try file.string(json, "behavior", at: keyPath, default: nil) else { return nil }
        guard let behavior = SplitDelimiterBehavior(rawValue: name) else {
            let names = SplitDelimiterBehavior.allCases.map(\.rawValue).joined(separator: ", ")
            throw file.problem("`\(keyPath).behavior` is \(name.debugDescription); supported: \(names)")
        }
        self = behavior
    }
}

extension TextPiece {
    /// Splits this piece where `matches` holds for a scalar — each such scalar is one match, the
    /// runs between them the non-matches — and appends the pieces `behavior` makes, without empty
    /// ones, to `output`. The first piece keeps `atStart` when it starts at byte 0.
    func split(_ behavior: SplitDelimiterBehavior, into output: inout [TextPiece], where matches: (UInt32) -> Bool) {
        // (start, end, isMatch) events in order, as `tokenizers`' `find_matches` for a char predicate.
        var events: [(start: Int, end: Int, isMatch: Bool)] = []
        bytes.withUnsafeBufferPointer { buffer in
            var i = 0, runStart = 0
            while i < buffer.count {
                let (c, length) = UTF8Scalar.decode(buffer, at: i)
                if matches(c) {
                    if runStart < i { events.append((runStart, i, false)) }
                    events.append((i, i + length, true))
                    runStart = i + length
                }
                i += length
            }
            if runStart < buffer.count { events.append((runStart, buffer.count, false)) }
        }
        var spans: [(start: Int, end: Int)] = []
        var previousMatch = false
        switch behavior {
        case .removed:
            spans = events.filter { !$0.isMatch }.map { ($0.start, $0.end) }
        case .isolated:
            spans = events.map { ($0.start, $0.end) }
        case .contiguous:
            for event in events {
                if event.isMatch == previousMatch, !spans.isEmpty { spans[spans.count - 1].end = event.end } else { spans.append((event.start, event.end)) }
                previousMatch = event.isMatch
            }
        case .mergedWithPrevious:
            for event in events {
                if event.isMatch && !previousMatch, !spans.isEmpty { spans[spans.count - 1].end = event.end } else { spans.append((event.start, event.end)) }
                previousMatch = event.isMatch
            }
        case .mergedWithNext:
            for event in events.reversed() {
                if event.isMatch && !previousMatch, !spans.isEmpty { spans[spans.count - 1].start = event.start } else { spans.append((event.start, event.end)) }
                previousMatch = event.isMatch
            }
            spans.reverse()
        }
        for span in spans where span.start < span.end {
            output.append(TextPiece(bytes: Array(bytes[span.start..<span.end]), atStart: atStart && span.start == 0))
        }
    }
}
