// PatternReplacer.swift — the `Replace` normalizer's and decoder's work: every match of a pattern
// replaced by a string. Like `tokenizers`, a literal pattern is escaped the way the Rust `regex`
// crate's `escape` does and compiled with Oniguruma too, so both kinds share one matcher and its
// rules (left to right, non-overlapping, the empty-match rule of `find_iter`).

import TextSupport

/// A compiled `Replace` pattern and its replacement.
struct PatternReplacer: Sendable {
    /// A `pattern` of the file.
    enum Pattern: Sendable, Equatable {
        case literal(String)
        case regex(String)
    }

    let regex: OnigurumaRegex
    let content: [UInt8]

    /// - Throws: `RegexCompileError` for a regex Oniguruma refuses.
    init(_ pattern: Pattern, content: String) throws(RegexCompileError) {
        switch pattern {
        case .literal(let text): regex = try OnigurumaRegex(pattern: Self.escaped(text))
        case .regex(let text): regex = try OnigurumaRegex(pattern: text)
        }
        self.content = Array(content.utf8)
    }

    /// `text` with every match replaced; an empty text is left alone (HF reports no match in it).
    func replace(_ text: [UInt8]) -> [UInt8] {
        guard !text.isEmpty else { return text }
        var output: [UInt8] = []
        var last = 0
        text.withUnsafeBufferPointer { buffer in
            regex.forEachMatch(in: buffer) { match in
                output.append(contentsOf: buffer[last..<match.lowerBound])
                output.append(contentsOf: content)
                last = match.upperBound
            }
            if last == 0 && output.isEmpty { return }
            output.append(contentsOf: buffer[last...])
        }
        return last == 0 && output.isEmpty ? text : output
    }

    /// `text` with the characters the Rust `regex` crate's `escape` escapes preceded by `\`.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text.unicodeScalars {
            if "\\.+*?()|[]{}^$#&-~".unicodeScalars.contains(character) { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(character)
        }
        return out
    }
}
