// Decoders.swift — the decoders of a tokenizer.json that SentencePiece-style files chain, as
// `tokenizers` 0.23 defines them (`decoders/*.rs`, `pre_tokenizers/metaspace.rs`): each takes the
// list of token strings and returns a new list (HF's `decode_chain`); the last list is joined.

import Support

/// `Metaspace`: `replacement` becomes a space, except in the first token when the scheme prepends
/// (there every `replacement` is dropped).
struct MetaspaceDecoder: DecoderStep {
    let replacement: Unicode.Scalar
    let prependScheme: MetaspacePreTokenizer.PrependScheme

    init(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        let step = try MetaspacePreTokenizer(json, file: file, at: keyPath)
        replacement = String(decoding: step.replacement, as: UTF8.self).unicodeScalars.first!
        prependScheme = step.prependScheme
    }

    func decode(_ tokens: [[UInt8]]) -> [[UInt8]] {
        tokens.enumerated().map { index, token in
            var out = String.UnicodeScalarView()
            for scalar in String(decoding: token, as: UTF8.self).unicodeScalars {
                if scalar != replacement { out.append(scalar) }
                else if index > 0 || prependScheme == .never { out.append(" ") }
            }
            return Array(String(out).utf8)
        }
    }
}

/// `Replace`: in each token, every match of the pattern replaced by `content`.
struct ReplaceDecoder: DecoderStep {
    let replacer: PatternReplacer
    init(_ replacer: PatternReplacer) { self.replacer = replacer }
    func decode(_ tokens: [[UInt8]]) -> [[UInt8]] { tokens.map { replacer.replace($0) } }
}

/// `Strip`: from each token, up to `start` leading and `stop` trailing `content` characters.
struct StripDecoder: DecoderStep {
    let content: Unicode.Scalar
    let start: Int
    let stop: Int

    func decode(_ tokens: [[UInt8]]) -> [[UInt8]] {
        tokens.map { token in
            let scalars = Array(String(decoding: token, as: UTF8.self).unicodeScalars)
            var lo = 0
            while lo < min(start, scalars.count), scalars[lo] == content { lo += 1 }
            var hi = scalars.count
            while scalars.count - hi < stop, hi > lo, scalars[hi - 1] == content { hi -= 1 }
            var out = String.UnicodeScalarView()
            out.append(contentsOf: scalars[lo..<hi])
            return Array(String(out).utf8)
        }
    }
}

/// `Fuse`: all tokens into one.
struct FuseDecoder: DecoderStep {
    func decode(_ tokens: [[UInt8]]) -> [[UInt8]] { [tokens.flatMap { $0 }] }
}

/// `ByteFallback`: runs of `<0xNN>` tokens become their bytes, as one string when they are valid
/// UTF-8, else one U+FFFD per byte.
struct ByteFallbackDecoder: DecoderStep {
    func decode(_ tokens: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var bytes: [UInt8] = []
        func flush() {
            guard !bytes.isEmpty else { return }
            if String(validating: bytes, as: UTF8.self) != nil { out.append(bytes) }
            else { out += Array(repeating: Array("\u{FFFD}".utf8), count: bytes.count) }
            bytes.removeAll()
        }
        for token in tokens {
            if let byte = Self.byteValue(token) { bytes.append(byte) } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }

    /// The byte of a `<0xNN>` token (exactly six bytes, two hex digits of either case).
    static func byteValue(_ token: [UInt8]) -> UInt8? {
        guard token.count == 6, token.starts(with: Array("<0x".utf8)), token[5] == UInt8(ascii: ">"),
              let high = hexDigitValue(token[3]), let low = hexDigitValue(token[4]) else { return nil }
        return UInt8(high << 4 | low)
    }
}
