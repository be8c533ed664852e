// Base64.swift — the one base64 decoder (RFC 4648 §4: `A–Z a–z 0–9 + /`, `=` padding), strict as
// the Rust `base64` crate's `STANDARD` engine that `tokenizers` uses for a SentencePiece
// `precompiled_charsmap`: padding required, no whitespace, unused bits of the last symbol zero.

/// Standard base64 decoding.
package enum Base64 {
    /// The bytes `text` encodes, or nil when it is not canonical padded standard base64.
    /// - Complexity: O(n).
    package static func decode(_ text: String) -> [UInt8]? {
        let symbols = Array(text.utf8)
        guard symbols.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(symbols.count / 4 * 3)
        var index = 0
        while index < symbols.count {
            let padding = index + 4 == symbols.count ? symbols[(index + 2)...].reversed().prefix { $0 == UInt8(ascii: "=") }.count : 0
            guard padding <= 2 else { return nil }
            var group: UInt32 = 0
            for k in 0..<(4 - padding) {
                guard let value = sextet(symbols[index + k]) else { return nil }
                group = group << 6 | UInt32(value)
            }
            group <<= 6 * UInt32(padding)
            // With padding the last symbol's unused low bits must be zero (canonical encoding).
            guard padding == 0 || group & (padding == 1 ? 0xFF : 0xFFFF) == 0 else { return nil }
            output.append(UInt8(group >> 16))
            if padding < 2 { output.append(UInt8(truncatingIfNeeded: group >> 8)) }
            if padding < 1 { output.append(UInt8(truncatingIfNeeded: group)) }
            index += 4
        }
        return output
    }

    /// The 6-bit value of a base64 symbol, or nil.
    private static func sextet(_ symbol: UInt8) -> UInt8? {
        switch symbol {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return symbol - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return symbol - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return symbol - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}
