// JSONLine+Strings.swift — the string scanner of the JSONL parser (issue 2 item 3): finds the end
// of a JSON string eight bytes at a time, validates UTF-8 and escapes, and decodes escapes into
// the parser's scratch buffer only when the string has any (most corpus strings have few, so the
// common case is one pass and one copy into the resulting `String`).

import Support

extension JSONLineParser {
    /// Where a scanned string's content is: in the line itself (no escapes) or in `scratch`.
    enum StringSpan {
        case raw(start: Int, end: Int)
        case decoded

        func withBytes<R>(_ scratch: [UInt8], _ line: UnsafeBufferPointer<UInt8>,
                          _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
            switch self {
            case let .raw(start, end): return body(UnsafeBufferPointer(rebasing: line[start..<end]))
            case .decoded: return scratch.withUnsafeBufferPointer(body)
            }
        }

        /// The content as a `String` (already validated, so decoding never repairs anything).
        func makeString(_ scratch: [UInt8], _ line: UnsafeBufferPointer<UInt8>) -> String {
            withBytes(scratch, line) { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Scans the string whose opening quote is at `i` and leaves `i` after its closing quote.
    /// With `decode`, escaped content is decoded into `scratch`; without, it is only validated.
    mutating func scanString(decode: Bool) throws(JSONLineError) -> StringSpan {
        let open = i
        var runStart = i + 1
        var escaped = false
        i += 1
        while true {
            let j = try nextSpecial(from: i)
            guard j < line.count else {
                throw JSONLineError(reason: .invalidJSON, column: open + 1,
                                    message: "unterminated string starting at column \(open + 1)")
            }
            let b = line[j]
            if b == UInt8(ascii: "\"") {
                i = j + 1
                if !escaped { return .raw(start: runStart, end: j) }
                if decode { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: line[runStart..<j])) }
                return .decoded
            }
            if b == UInt8(ascii: "\\") {
                if decode {
                    if !escaped { scratch.removeAll(keepingCapacity: true) }
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: line[runStart..<j]))
                }
                escaped = true
                i = j
                try decodeEscape(emit: decode)
                runStart = i
                continue
            }
            throw JSONLineError(reason: .invalidJSON, column: j + 1, message:
                "unescaped control character \(ByteText.describe(b)) in a string at column \(j + 1)")
        }
    }

    /// Position of the next `"`, `\` or control character at or after `from` (or `line.count`),
    /// validating the UTF-8 it passes over.
    @inline(__always)
    private func nextSpecial(from: Int) throws(JSONLineError) -> Int {
        let end = line.count
        guard let p = line.baseAddress else { return end }
        var j = from
        while j < end {
            while j + 8 <= end, JSONLineParser.isPlainWord(UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self)) {
                j += 8
            }
            guard j < end else { break }
            let b = p[j]
            if b < 0x80 {
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 { return j }
                j += 1
                continue
            }
            let n = UTF8Check.sequenceLength(p, j, end)
            if n < 0 {
                throw JSONLineError(reason: .invalidUTF8, column: j + 1,
                                    message: UTF8Check.message(line, offset: j, problem: UTF8Check.problem(n)))
            }
            j += n
        }
        return end
    }

    /// True when none of the eight bytes is `"`, `\`, below 0x20 or above 0x7F. Each term sets a
    /// byte's high bit exactly when that byte is special (the borrows of the subtractions start
    /// only at such bytes, and bytes ≥ 0x80 are caught by `w` itself).
    @inline(__always)
    static func isPlainWord(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = w ^ (ones &* 0x22)
        let backslash = w ^ (ones &* 0x5C)
        let special = w | (w &- ones &* 0x20) | (quote &- ones) | (backslash &- ones)
        return special & 0x8080_8080_8080_8080 == 0
    }

    /// Decodes the escape whose backslash is at `i` (appending its UTF-8 to `scratch` if `emit`)
    /// and moves `i` past it.
    private mutating func decodeEscape(emit: Bool) throws(JSONLineError) {
        let at = i
        guard at + 1 < line.count else {
            throw JSONLineError(reason: .invalidJSON, column: at + 1,
                                message: "unterminated string (line ends after '\\') at column \(at + 1)")
        }
        let simple: UInt8
        switch line[at + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): simple = line[at + 1]
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            let scalar = try decodeUnicodeEscape()  // a scalar value: surrogates are paired or refused
            if emit, let s = Unicode.Scalar(scalar) { UTF8.encode(s) { scratch.append($0) } }
            return
        default:
            throw JSONLineError(reason: .invalidEscape, column: at + 1, message:
                "invalid escape \\\(escapedCharacter(at + 1)) at column \(at + 1)")
        }
        if emit { scratch.append(simple) }
        i = at + 2
    }

    /// `\uXXXX`, or a `\uD8xx\uDCxx` surrogate pair, at `i`; returns the scalar value.
    private mutating func decodeUnicodeEscape() throws(JSONLineError) -> UInt32 {
        let at = i
        let unit = try hex4(at: at + 2, escapeAt: at)
        i = at + 6
        switch unit {
        case 0xD800...0xDBFF:
            if i + 1 < line.count, line[i] == UInt8(ascii: "\\"), line[i + 1] == UInt8(ascii: "u") {
                let low = try hex4(at: i + 2, escapeAt: i)
                if (0xDC00...0xDFFF).contains(low) {
                    i += 6
                    return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                }
            }
            throw loneSurrogate(at: at)
        case 0xDC00...0xDFFF:
            throw loneSurrogate(at: at)
        default:
            return unit
        }
    }

    private func hex4(at start: Int, escapeAt: Int) throws(JSONLineError) -> UInt32 {
        var value: UInt32 = 0
        for k in start..<(start + 4) {
            guard k < line.count, let digit = hexDigitValue(line[k]) else {
                throw JSONLineError(reason: .invalidEscape, column: escapeAt + 1, message:
                    "invalid \\u escape (expected 4 hex digits) at column \(escapeAt + 1)")
            }
            value = value << 4 | digit
        }
        return value
    }

    private func loneSurrogate(at: Int) -> JSONLineError {
        let text = String(decoding: UnsafeBufferPointer(rebasing: line[at..<(at + 6)]), as: UTF8.self)
        return JSONLineError(reason: .invalidEscape, column: at + 1,
                             message: "lone surrogate \(text) at column \(at + 1)")
    }

    /// The character after a backslash, for messages (non-ASCII shown as its lead byte).
    private func escapedCharacter(_ k: Int) -> String {
        let b = line[k]
        return b >= 0x20 && b < 0x7F ? String(Character(Unicode.Scalar(b))) : ByteText.describe(b)
    }
}
