// UTF8Check.swift — strict UTF-8 validation shared by the JSONL, FASTA and plain-text readers
// (issue 2 item 3). Strict means the Unicode Standard's Table 3-7 of well-formed byte sequences:
// no overlong encodings (C0/C1, E0 80..9F, F0 80..8F), no encoded surrogates (ED A0..BF), nothing
// above U+10FFFF (F4 90.., F5..FF), no stray continuation bytes, no truncated sequences.

enum UTF8Check {
    /// Outcome codes of `sequenceLength` below 1 (a problem), see `problem(_:)`.
    static let truncated = -1, strayContinuation = -2, overlong = -3, surrogate = -4,
               tooLarge = -5, invalidByte = -6, badContinuation = -7

    /// Length (2...4) of the well-formed multi-byte sequence whose lead byte is `p[i]` (≥ 0x80),
    /// or a negative problem code.
    @inline(__always)
    static func sequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let b0 = p[i]
        let need: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        var rangeProblem = badContinuation
        switch b0 {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; low = 0xA0; rangeProblem = overlong
        case 0xE1...0xEC, 0xEE, 0xEF: need = 2
        case 0xED: need = 2; high = 0x9F; rangeProblem = surrogate
        case 0xF0: need = 3; low = 0x90; rangeProblem = overlong
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; high = 0x8F; rangeProblem = tooLarge
        case 0xC0, 0xC1: return overlong
        case 0x80...0xBF: return strayContinuation
        case 0x00...0x7F: return 1
        default: return invalidByte
        }
        // Check the bytes that are present first, so "E0 80" at the end reads as overlong.
        let available = min(need, end - i - 1)
        if available >= 1 {
            let b1 = p[i + 1]
            if b1 < 0x80 || b1 > 0xBF { return badContinuation }
            if b1 < low || b1 > high { return rangeProblem }
        }
        if available >= 2 && (p[i + 2] & 0xC0) != 0x80 { return badContinuation }
        if available >= 3 && (p[i + 3] & 0xC0) != 0x80 { return badContinuation }
        if available < need { return truncated }
        return need + 1
    }

    /// A human-readable description of a negative `sequenceLength` code.
    static func problem(_ code: Int) -> String {
        switch code {
        case truncated: return "truncated multi-byte sequence"
        case strayContinuation: return "unexpected continuation byte"
        case overlong: return "overlong encoding"
        case surrogate: return "encoded surrogate (U+D800...U+DFFF)"
        case tooLarge: return "code point above U+10FFFF"
        case invalidByte: return "byte that never occurs in UTF-8"
        default: return "missing continuation byte"
        }
    }

    /// The first ill-formed position in `bytes` with its problem, or nil when all is valid UTF-8.
    /// - Complexity: O(n), eight ASCII bytes per step.
    static func firstInvalid(_ bytes: UnsafeBufferPointer<UInt8>) -> (offset: Int, problem: String)? {
        guard let p = bytes.baseAddress else { return nil }
        let end = bytes.count
        var i = 0
        while i < end {
            while i + 8 <= end,
                  UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
            }
            guard i < end else { break }
            if p[i] < 0x80 { i += 1; continue }
            let n = sequenceLength(p, i, end)
            if n < 0 { return (i, problem(n)) }
            i += n
        }
        return nil
    }

    /// `"invalid UTF-8 at column C: problem (byte 0xHH)"`, `offset` being 0-based within the line.
    static func message(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int, problem: String) -> String {
        "invalid UTF-8 at column \(offset + 1): \(problem) (byte 0x\(hex(bytes[offset])))"
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}

/// Byte-level helpers shared by the readers.
enum ByteText {
    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    /// Whether `n` bytes at `a` and `b` are equal (true for n == 0).
    @inline(__always)
    static func equal(_ a: UnsafePointer<UInt8>?, _ b: UnsafePointer<UInt8>?, _ n: Int) -> Bool {
        guard n > 0 else { return true }
        guard let a, let b else { return false }
        for k in 0..<n where a[k] != b[k] { return false }
        return true
    }

    /// `'x'` for printable ASCII, `U+000A` for control characters, `byte 0xC3` otherwise.
    static func describe(_ b: UInt8) -> String {
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        if b < 0x20 || b == 0x7F { return "U+00\(UTF8Check.hex(b))" }
        return "byte 0x\(UTF8Check.hex(b))"
    }
}
