// BertPreTokenizer.swift — the `BertPreTokenizer` pre-tokenizer of a tokenizer.json (issue 15
// item 1; `tokenizers`' `pre_tokenizers/bert.rs`): split on whitespace (removed), then isolate
// every punctuation character (`BertCharacters.isPunctuation`), in one pass over the scalars.

/// Whitespace-separated words with each punctuation character on its own.
struct BertPreTokenizer: PreTokenizerStep {
    func split(_ piece: TextPiece, into output: inout [TextPiece]) {
        piece.bytes.withUnsafeBufferPointer { bytes in
            var i = 0, wordStart = 0
            func flush(_ end: Int) {
                if wordStart < end {
                    output.append(TextPiece(bytes: Array(bytes[wordStart..<end]), atStart: piece.atStart && wordStart == 0))
                }
            }
            while i < bytes.count {
                let b = bytes[i]
                let c: UInt32, length: Int
                if b < 0x80 { (c, length) = (UInt32(b), 1) } else { (c, length) = UTF8Scalar.decode(bytes, at: i) }
                if BertCharacters.isWhitespace(c) {
                    flush(i)
                    wordStart = i + length
                } else if BertCharacters.isPunctuation(c) {
                    flush(i)
                    output.append(TextPiece(bytes: Array(bytes[i..<i + length]), atStart: piece.atStart && i == 0))
                    wordStart = i + length
                }
                i += length
            }
            flush(bytes.count)
        }
    }
}
