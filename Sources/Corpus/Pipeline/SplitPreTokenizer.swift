// SplitPreTokenizer.swift — the `Split` pre-tokenizer of a Hugging Face tokenizer.json (issue 15
// item 1): the Llama-3 / GPT-4 / Qwen2 split regex, or any pattern, with one of the five
// `SplitDelimiterBehavior`s and `invert`. It is the one Split implementation: `PipelineTokenizer`
// runs it as a `PreTokenizerStep`, `BPEEncoder` calls `forEachPiece` on its hot path.
//
// Semantics, from tokenizers 0.23.3 (`pre_tokenizers/split.rs`, `tokenizer/pattern.rs`,
// `NormalizedString::split` in `tokenizer/normalizer.rs`):
// 1. The pattern is compiled by Oniguruma — a `Regex` as written, a `String` after the Rust
//    `regex::escape` (so it matches literally; an empty `String` matches the empty string).
// 2. The matches (the `onig` crate's `find_iter`, see `OnigurumaRegex.forEachMatch`) and the gaps
//    between them cover the piece: a list of (range, isMatch), gaps never empty, matches possibly
//    empty. `invert` flips every isMatch.
// 3. The behaviour folds that list into pieces, left to right: `Removed` keeps the non-matches,
//    `Isolated` keeps everything, `MergedWithPrevious` appends a match to the piece before it when
//    that piece's last element is not a match, `MergedWithNext` prepends a match to the next element
//    when that one is not a match, `Contiguous` joins neighbours with equal isMatch.
// 4. Empty pieces are dropped (`PreTokenizedString::split`).

import Support
import TextSupport

/// HF's `Split` pre-tokenizer.
///
/// ```swift
/// let split = try SplitPreTokenizer(pattern: .string("-"), behavior: .mergedWithNext, invert: false)
/// var pieces: [TextPiece] = []
/// split.split(TextPiece(bytes: Array("The-final--countdown".utf8), atStart: true), into: &pieces)
/// // "The", "-final", "-", "-countdown"
/// ```
struct SplitPreTokenizer: PreTokenizerStep {
    /// The tokenizer.json `pattern` object: `{"Regex": ...}` or `{"String": ...}`.
    enum Pattern: Equatable, Sendable {
        case regex(String)
        case string(String)
    }

    /// HF's `SplitDelimiterBehavior`, by its tokenizer.json name.
    typealias Behavior = SplitDelimiterBehavior

    let pattern: Pattern
    let behavior: Behavior
    let invert: Bool
    private let regex: OnigurumaRegex

    /// Compiles the pattern as `tokenizers` does.
    /// - Throws: `RegexCompileError` (Oniguruma's message) for a `Regex` that does not compile.
    init(pattern: Pattern, behavior: Behavior, invert: Bool) throws(RegexCompileError) {
        self.pattern = pattern
        self.behavior = behavior
        self.invert = invert
        switch pattern {
        case .regex(let source): regex = try OnigurumaRegex(pattern: source)
        case .string(let literal): regex = try OnigurumaRegex(pattern: PatternReplacer.escaped(literal))
        }
    }

    /// Reads a `{"type": "Split", ...}` step of a `PipelineTokenizer` file (see `init(json:at:problem:)`).
    init(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        try self.init(json: json, at: keyPath, problem: file.problem)
    }

    /// Reads a `{"type": "Split", "pattern": ..., "behavior": ..., "invert": ...}` object; all
    /// three keys are required, as in `tokenizers`.
    /// - Parameters:
    ///   - keyPath: where the object is in the file, e.g. `pre_tokenizer.pretokenizers[0]`.
    ///   - problem: makes the error for a message naming the key (the file's path is added by it).
    init(json: JSONValue, at keyPath: String, problem: (String) -> TokenizerError) throws(TokenizerError) {
        let pattern: Pattern
        switch json["pattern"] {
        case .object(let members)? where members.count == 1:
            guard let source = members[0].value.stringValue else {
                throw problem("`\(keyPath).pattern.\(members[0].key)` is not a string")
            }
            switch members[0].key {
            case "Regex": pattern = .regex(source)
            case "String": pattern = .string(source)
            default: throw problem("`\(keyPath).pattern` is `\(members[0].key)`; a Split pattern is {\"Regex\": ...} or {\"String\": ...}")
            }
        default:
            throw problem("`\(keyPath).pattern` is missing or not an object {\"Regex\": ...} or {\"String\": ...}")
        }
        guard let name = json["behavior"]?.stringValue else {
            throw problem("`\(keyPath).behavior` is missing or not a string; one of \(Behavior.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let behavior = Behavior(rawValue: name) else {
            throw problem("`\(keyPath).behavior` is \(name.debugDescription); supported: \(Behavior.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case .bool(let invert)? = json["invert"] else {
            throw problem("`\(keyPath).invert` is missing or not a boolean")
        }
        do {
            try self.init(pattern: pattern, behavior: behavior, invert: invert)
        } catch {
            throw problem("`\(keyPath).pattern`: \(error)")
        }
    }

    func split(_ piece: TextPiece, into output: inout [TextPiece]) {
        piece.bytes.withUnsafeBufferPointer { text in
            forEachPiece(in: text) { range in
                output.append(TextPiece(bytes: Array(text[range]), atStart: piece.atStart && range.lowerBound == 0))
            }
        }
    }

    /// Calls `body` with the byte range of each piece `text` (valid UTF-8) splits into, in order;
    /// never with an empty range. Allocates only Oniguruma's match region.
    func forEachPiece(in text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        guard !text.isEmpty else { return }
        if behavior == .isolated {
            // Every element is its own piece: no fold needed (the Llama-3 case, on the hot path).
            var previous = 0
            regex.forEachMatch(in: text) { match in
                if previous < match.lowerBound { body(previous..<match.lowerBound) }
                if !match.isEmpty { body(match) }
                previous = match.upperBound
            }
            if previous < text.count { body(previous..<text.count) }
            return
        }
        var fold = SplitDelimiterBehavior.Fold(behavior: behavior)
        var previous = 0
        regex.forEachMatch(in: text) { match in
            if previous < match.lowerBound, let piece = fold.add(previous..<match.lowerBound, isMatch: invert) { body(piece) }
            if let piece = fold.add(match, isMatch: !invert) { body(piece) }
            previous = match.upperBound
        }
        if previous < text.count, let piece = fold.add(previous..<text.count, isMatch: invert) { body(piece) }
        if let piece = fold.finish() { body(piece) }
    }
}
