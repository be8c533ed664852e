// AddedTokenSplitter.swift — splitting text on a tokenizer.json's added tokens before
// pre-tokenization, as Hugging Face tokenizers' `AddedVocabulary::extract_and_normalize` and
// `find_matches` do (issue 2, item 4; `tokenizer/added_vocabulary.rs`):
//
// 1. tokens with `normalized: false` are found in the raw text, leftmost-longest and
//    non-overlapping (HF uses an Aho-Corasick automaton with `MatchKind::LeftmostLongest`);
// 2. tokens with `normalized: true` are then found the same way inside each remaining piece (there
//    is no normalizer — files with one are rejected — so "normalized text" is the text itself).
//
// Per match: `single_word` drops the match unless it is not preceded and not followed by a word
// character (`\w`: Alphabetic, marks, Nd, Pc, Join_Control); `lstrip` widens it over whitespace on
// its left (not into the previous match), `rstrip` over whitespace on its right. A dropped match
// does not make the search resume inside it (the automaton has moved on), as in HF. The trained
// Gradus file uses none of these flags; they are checked by the fixture's variant records.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One added token from `added_tokens`.
struct AddedToken: Sendable, Equatable {
    var id: TokenID
    var content: String
    var singleWord: Bool
    var lstrip: Bool
    var rstrip: Bool
    var normalized: Bool
    var special: Bool
}

/// Finds added tokens in text; immutable and shareable.
struct AddedTokenSplitter: Sendable {
    /// One phase's tokens: contents (UTF-8) longest first, and which bytes can start one.
    private struct Phase: Sendable {
        var tokens: [(bytes: [UInt8], token: AddedToken)]
        var startsToken: [Bool]
        /// The first byte of every token, when they all share one (then the scan is a `memchr`).
        var commonStartByte: UInt8?

        init(_ tokens: [AddedToken]) {
            self.tokens = tokens.map { (Array($0.content.utf8), $0) }.filter { !$0.bytes.isEmpty }
                .sorted { $0.bytes.count > $1.bytes.count }
            startsToken = [Bool](repeating: false, count: 256)
            for entry in self.tokens { startsToken[Int(entry.bytes[0])] = true }
            let firstBytes = Set(self.tokens.map { $0.bytes[0] })
            commonStartByte = firstBytes.count == 1 ? firstBytes.first : nil
        }
    }

    private let raw: Phase
    private let normalized: Phase
    /// No added tokens at all: the splitter passes text through.
    let isEmpty: Bool

    init(tokens: [AddedToken]) {
        raw = Phase(tokens.filter { !$0.normalized })
        normalized = Phase(tokens.filter { $0.normalized })
        isEmpty = raw.tokens.isEmpty && normalized.tokens.isEmpty
    }

    /// Calls `onText(lo, hi)` for each piece of `p[0..<n]` that is not an added token and
    /// `onToken(id)` for each added token, in text order. Empty pieces are not reported.
    func split(_ p: UnsafePointer<UInt8>, _ n: Int,
               onText: (Int, Int) throws -> Void, onToken: (TokenID) throws -> Void) rethrows {
        try findMatches(raw, p, 0, n, onText: { lo, hi in
            try findMatches(normalized, p, lo, hi, onText: onText, onToken: onToken)
        }, onToken: onToken)
    }

    /// Only the tokens with `normalized: false`, on raw text (the first phase; a pipeline with a
    /// normalizer normalizes each text piece before `splitNormalized`).
    func splitRaw(_ p: UnsafePointer<UInt8>, _ n: Int,
                  onText: (Int, Int) throws -> Void, onToken: (TokenID) throws -> Void) rethrows {
        try findMatches(raw, p, 0, n, onText: onText, onToken: onToken)
    }

    /// Only the tokens with `normalized: true`, on normalized text (the second phase).
    func splitNormalized(_ p: UnsafePointer<UInt8>, _ n: Int,
                         onText: (Int, Int) throws -> Void, onToken: (TokenID) throws -> Void) rethrows {
        try findMatches(normalized, p, 0, n, onText: onText, onToken: onToken)
    }

    /// HF's `find_matches` over the sentence `p[lo..<hi]`.
    private func findMatches(_ phase: Phase, _ p: UnsafePointer<UInt8>, _ lo: Int, _ hi: Int,
                             onText: (Int, Int) throws -> Void, onToken: (TokenID) throws -> Void) rethrows {
        guard lo < hi else { return }
        if phase.tokens.isEmpty { return try onText(lo, hi) }
        var startOffset = lo
        var searchFrom = lo
        while let (matchStart, entry) = leftmostLongest(phase, p, from: searchFrom, hi) {
            let matchEnd = matchStart + entry.bytes.count
            searchFrom = matchEnd
            var start = matchStart
            var stop = matchEnd
            let token = entry.token
            if token.singleWord {
                let startSpace = start == lo || !UTF8Scan.endsWithWordCharacter(p, lo, start)
                let stopSpace = stop == hi || !UTF8Scan.startsWithWordCharacter(p, stop, hi)
                if !startSpace || !stopSpace { continue }
            }
            if token.lstrip { start = max(UTF8Scan.whitespaceRunStart(p, lo, start), startOffset) }
            if token.rstrip { stop = UTF8Scan.whitespaceRunEnd(p, stop, hi) }
            if startOffset < start { try onText(startOffset, start) }
            try onToken(token.id)
            startOffset = stop
        }
        if startOffset < hi { try onText(startOffset, hi) }
    }

    /// The leftmost position at or after `from` where a token starts, with the longest token there.
    private func leftmostLongest(_ phase: Phase, _ p: UnsafePointer<UInt8>, from: Int, _ hi: Int)
        -> (Int, (bytes: [UInt8], token: AddedToken))? {
        var i = from
        while i < hi {
            if let byte = phase.commonStartByte {
                guard let found = memchr(p + i, Int32(byte), hi - i) else { return nil }
                i = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - p
            } else if !phase.startsToken[Int(p[i])] {
                i += 1
                continue
            }
            for entry in phase.tokens where entry.bytes.count <= hi - i {
                if entry.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, p + i, $0.count) == 0 }) {
                    return (i, entry)
                }
            }
            i += 1
        }
        return nil
    }
}

/// Scalar-level helpers over UTF-8 bytes for the added-token flags (rarely used; not hot).
enum UTF8Scan {
    /// The scalar whose encoding ends at `end` (> lo) and its start, if valid UTF-8.
    static func scalar(endingAt end: Int, _ p: UnsafePointer<UInt8>, _ lo: Int) -> (Unicode.Scalar, Int)? {
        var start = end - 1
        while start > lo, end - start < 4, p[start] & 0xC0 == 0x80 { start -= 1 }
        guard let (scalar, length) = scalar(at: start, p, end), start + length == end else { return nil }
        return (scalar, start)
    }

    /// The scalar starting at `i` (< hi) and its length, if valid UTF-8.
    static func scalar(at i: Int, _ p: UnsafePointer<UInt8>, _ hi: Int) -> (Unicode.Scalar, Int)? {
        var iterator = UnsafeBufferPointer(start: p + i, count: min(4, hi - i)).makeIterator()
        var decoder = UTF8()
        if case .scalarValue(let scalar) = decoder.decode(&iterator) {
            return (scalar, UTF8.width(scalar))
        }
        return nil
    }

    /// `\w` of the Rust regex crate (UTS #18 Annex C word character), with its Unicode 16.0
    /// tables: a character assigned later (Swift's tables are newer) is not a word character there.
    static func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
        let properties = s.properties
        guard let age = properties.age, age.major <= 16 else { return false }
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    static func endsWithWordCharacter(_ p: UnsafePointer<UInt8>, _ lo: Int, _ end: Int) -> Bool {
        guard end > lo, let (scalar, _) = scalar(endingAt: end, p, lo) else { return false }
        return isWordCharacter(scalar)
    }

    static func startsWithWordCharacter(_ p: UnsafePointer<UInt8>, _ start: Int, _ hi: Int) -> Bool {
        guard start < hi, let (scalar, _) = scalar(at: start, p, hi) else { return false }
        return isWordCharacter(scalar)
    }

    /// Start of the run of White_Space scalars that ends at `end` (`end` itself if none).
    static func whitespaceRunStart(_ p: UnsafePointer<UInt8>, _ lo: Int, _ end: Int) -> Int {
        var i = end
        while i > lo, let (scalar, start) = scalar(endingAt: i, p, lo), scalar.properties.isWhitespace { i = start }
        return i
    }

    /// End of the run of White_Space scalars that starts at `start`.
    static func whitespaceRunEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ hi: Int) -> Int {
        var i = start
        while i < hi, let (scalar, length) = scalar(at: i, p, hi), scalar.properties.isWhitespace { i += length }
        return i
    }
}
