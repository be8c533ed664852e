// GPT2PreTokenizer.swift — a hand-written matcher equivalent to the GPT-2 split regex
//
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// as Hugging Face tokenizers' ByteLevel pre-tokenizer evaluates it (issue 2, item 4): matches are
// taken left to right, each the first alternative that matches at the current position (with
// backtracking for `\s+(?!\S)`), and together they cover the whole text.
//
// Character classes, checked against tokenizers 0.23.3 for every code point (tools/gen_bpe_fixtures.py
// records it): `\p{L}` = general categories Lu Ll Lt Lm Lo, `\p{N}` = Nd Nl No, `\s` = the
// Unicode White_Space property (25 code points), as of Unicode 16.0 — the Unicode version of the
// regex engine's tables in that release, found by probing every code point. Swift's runtime may
// know a newer Unicode (6.3 knows 17.0), so a scalar assigned after 16.0 is classed as "other"
// (unassigned), exactly as tokenizers does; with that rule the classes agree for all 1 112 064
// scalars. (A Swift runtime older than Unicode 16 would disagree on the 16.0 additions.)
// Bytes that are not valid UTF-8 (tokenizers never sees them: Python passes `str`) are one-byte
// "other" characters here, so any byte string still encodes.

/// The classes of the GPT-2 regex, as stored in the classification tables.
enum GPT2CharacterClass {
    static let letter: UInt8 = 0
    static let number: UInt8 = 1
    static let whitespace: UInt8 = 2
    static let other: UInt8 = 3
}

/// Classifies scalars for the GPT-2 regex, with lazily filled per-256-scalar tables.
/// One per encoder (not thread-safe): a table block is computed on first use (~256 property lookups).
final class GPT2ScalarClassifier {
    /// The Unicode version whose assignments the reference (tokenizers 0.23.3) uses.
    static let unicodeVersion = (major: 16, minor: 0)

    private static let asciiTable: [UInt8] = (0..<128).map { classify(UInt32($0)) }
    private let ascii: UnsafeMutablePointer<UInt8>
    /// `blocks[v >> 8]` holds the classes of scalars `v & ~255 ..< (v | 255) + 1`, once computed.
    private let blocks: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    private static let blockCount = 0x110000 >> 8

    init() {
        ascii = .allocate(capacity: 128)
        for i in 0..<128 { ascii[i] = GPT2ScalarClassifier.asciiTable[i] }
        blocks = .allocate(capacity: GPT2ScalarClassifier.blockCount)
        blocks.initialize(repeating: nil, count: GPT2ScalarClassifier.blockCount)
    }

    deinit {
        for i in 0..<GPT2ScalarClassifier.blockCount { blocks[i]?.deallocate() }
        blocks.deallocate()
        ascii.deallocate()
    }

    /// The class of an ASCII byte.
    @inline(__always)
    func asciiClass(_ byte: UInt8) -> UInt8 { ascii[Int(byte)] }

    /// The class of scalar value `v` (< 0x110000).
    @inline(__always)
    func scalarClass(_ v: UInt32) -> UInt8 {
        let blockIndex = Int(v >> 8)
        if let block = blocks[blockIndex] { return block[Int(v & 255)] }
        return fillBlock(blockIndex)[Int(v & 255)]
    }

    private func fillBlock(_ index: Int) -> UnsafeMutablePointer<UInt8> {
        let block = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for i in 0..<256 { block[i] = GPT2ScalarClassifier.classify(UInt32(index << 8 | i)) }
        blocks[index] = block
        return block
    }

    /// The class of scalar value `v` from the Unicode properties (slow; fills the tables).
    static func classify(_ v: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(v) else { return GPT2CharacterClass.other }  // surrogates
        let properties = scalar.properties
        if let age = properties.age, (age.major, age.minor) > unicodeVersion { return GPT2CharacterClass.other }
        if properties.isWhitespace { return GPT2CharacterClass.whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return GPT2CharacterClass.letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return GPT2CharacterClass.number
        default:
            return GPT2CharacterClass.other
        }
    }
}

/// Splits UTF-8 text into GPT-2 pre-tokens without allocating.
struct GPT2PreTokenizer {
    let classifier: GPT2ScalarClassifier

    /// The class and byte length of the character starting at `i` (`i < n`). Invalid UTF-8 is a
    /// one-byte "other" character.
    @inline(__always)
    func character(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (cls: UInt8, length: Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (classifier.asciiClass(b0), 1) }
        return multiByteCharacter(p, i, n, b0)
    }

    private func multiByteCharacter(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ b0: UInt8) -> (cls: UInt8, length: Int) {
        let invalid = (GPT2CharacterClass.other, 1)
        @inline(__always) func continuation(_ k: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> UInt32? {
            guard i + k < n else { return nil }
            let b = p[i + k]
            return (b >= low && b <= high) ? UInt32(b & 0x3F) : nil
        }
        switch b0 {
        case 0xC2...0xDF:
            guard let c1 = continuation(1) else { return invalid }
            return (classifier.scalarClass(UInt32(b0 & 0x1F) << 6 | c1), 2)
        case 0xE0...0xEF:
            let low: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
            let high: UInt8 = b0 == 0xED ? 0x9F : 0xBF
            guard let c1 = continuation(1, low, high), let c2 = continuation(2) else { return invalid }
            return (classifier.scalarClass(UInt32(b0 & 0x0F) << 12 | c1 << 6 | c2), 3)
        case 0xF0...0xF4:
            let low: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
            let high: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
            guard let c1 = continuation(1, low, high), let c2 = continuation(2), let c3 = continuation(3) else { return invalid }
            return (classifier.scalarClass(UInt32(b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3), 4)
        default:
            return invalid
        }
    }

    /// The end of the maximal run of characters of class `cls` starting at `i`.
    @inline(__always)
    func runEnd(_ p: UnsafePointer<UInt8>, from i: Int, _ n: Int, _ cls: UInt8) -> Int {
        var j = i
        while j < n {
            let b = p[j]
            if b < 0x80 {
                if classifier.asciiClass(b) != cls { break }
                j += 1
            } else {
                let (c, length) = multiByteCharacter(p, j, n, b)
                if c != cls { break }
                j += length
            }
        }
        return j
    }

    /// The end of the pre-token that starts at `i` (`i < n`): the match of the GPT-2 regex there.
    func tokenEnd(_ p: UnsafePointer<UInt8>, from i: Int, count n: Int) -> Int {
        let b0 = p[i]
        if b0 == UInt8(ascii: "'"), i + 1 < n {
            // 's 't 'm 'd | 're 've 'll (case-sensitive, as in the regex).
            let b1 = p[i + 1]
            switch b1 {
            case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
                return i + 2
            case UInt8(ascii: "r"), UInt8(ascii: "v"):
                if i + 2 < n, p[i + 2] == UInt8(ascii: "e") { return i + 3 }
            case UInt8(ascii: "l"):
                if i + 2 < n, p[i + 2] == UInt8(ascii: "l") { return i + 3 }
            default:
                break
            }
        }
        if b0 == UInt8(ascii: " "), i + 1 < n {
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+` with the optional space present.
            let next = character(p, i + 1, n).cls
            if next != GPT2CharacterClass.whitespace { return runEnd(p, from: i + 1, n, next) }
        }
        let (cls, length) = character(p, i, n)
        if cls != GPT2CharacterClass.whitespace { return runEnd(p, from: i + length, n, cls) }
        return whitespaceEnd(p, from: i, n)
    }

    /// `\s+(?!\S)|\s+` at `i`: the whole whitespace run if it ends the text, else the run minus its
    /// last character (which then starts the next pre-token, e.g. as the space of ` word`), or the
    /// single whitespace character when the run has only one.
    private func whitespaceEnd(_ p: UnsafePointer<UInt8>, from i: Int, _ n: Int) -> Int {
        var j = i
        var lastStart = i
        while j < n {
            let (c, length) = character(p, j, n)
            if c != GPT2CharacterClass.whitespace { break }
            lastStart = j
            j += length
        }
        if j == n || lastStart == i { return j }
        return lastStart
    }
}
