// OnigurumaRegex.swift — a compiled Oniguruma regular expression, the engine `tokenizers` uses for
// `Split` pre-tokenizers and `Replace` normalizers (through the Rust `onig` crate), so a pattern from
// a tokenizer.json matches here exactly what it matches there: same syntax (Oniguruma's default,
// Ruby-like), same UTF-8 encoding, same Unicode tables version for `\p{L}` and friends.

internal import COniguruma

/// A pattern that does not compile; `message` is Oniguruma's.
public struct RegexCompileError: Error, CustomStringConvertible, Equatable {
    public let pattern: String
    public let message: String
    public var description: String { "regular expression \(pattern.debugDescription) does not compile: \(message)" }
}

/// An immutable compiled pattern; safe to share between threads (Oniguruma only reads a compiled
/// regex while searching). Each search allocates nothing but its match region.
///
/// ```swift
/// let regex = try OnigurumaRegex(pattern: #"\p{N}{1,3}"#)
/// var matches: [Range<Int>] = []
/// Array("a 12345".utf8).withUnsafeBufferPointer { regex.forEachMatch(in: $0) { matches.append($0) } }
/// // matches == [2..<5, 5..<7]
/// ```
public final class OnigurumaRegex: @unchecked Sendable {
    /// The source of the pattern.
    public let pattern: String
    private let regex: OnigRegex

    /// Oniguruma's one-time global set-up (UTF-8 only), done before the first compile.
    private static let initialised: Bool = {
        var encodings: [OnigEncoding?] = [gradus_onig_utf8()]
        return encodings.withUnsafeMutableBufferPointer { onig_initialize($0.baseAddress, 1) } == ONIG_NORMAL
    }()

    /// The Unicode version searches answer general-category classes for (`UnicodeStandIns`), nil
    /// for the linked library's own tables.
    private let standInsThrough: Unicode.Version?

    /// Compiles `pattern` as `tokenizers` does: default syntax, UTF-8, no options.
    /// - Parameter standInsThrough: when the pattern's Unicode properties are all general
    ///   categories, searches class characters assigned up to this version (newer than the linked
    ///   library's tables) as that version does; `tokenizers` 0.23.3's Oniguruma has 16.0.
    /// - Throws: `RegexCompileError` with Oniguruma's message.
    public init(pattern: String, standInsThrough: Unicode.Version? = (16, 0)) throws(RegexCompileError) {
        self.pattern = pattern
        self.standInsThrough = standInsThrough.flatMap { UnicodeStandIns.usesOnlyGeneralCategories(pattern) ? $0 : nil }
        guard Self.initialised else { throw RegexCompileError(pattern: pattern, message: "Oniguruma did not initialise") }
        var compiled: OnigRegex?
        var info = OnigErrorInfo()
        let bytes = Array(pattern.utf8)
        let status = bytes.withUnsafeBufferPointer { buffer -> Int32 in
            let start = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
            return onig_new(&compiled, start, start + buffer.count, OnigOptionType(ONIG_OPTION_NONE),
                            gradus_onig_utf8(), gradus_onig_default_syntax(), &info)
        }
        guard status == ONIG_NORMAL, let compiled else {
            throw RegexCompileError(pattern: pattern, message: Self.message(status, &info))
        }
        regex = compiled
    }

    deinit { onig_free(regex) }

    /// Calls `body` with each match in `text`, left to right, with the rule of the `onig` crate's
    /// `find_iter`: each search starts where the previous match ended (look-behind sees the text
    /// before it), and an empty match right at the end of the previous match is skipped by
    /// advancing one character.
    /// - Complexity: what the pattern costs Oniguruma; O(n) searches at most.
    public func forEachMatch(in text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        if let version = standInsThrough, let copy = UnicodeStandIns.substituted(text, through: version) {
            return copy.withUnsafeBufferPointer { search($0, body) }
        }
        search(text, body)
    }

    private func search(_ text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        guard let base = text.baseAddress else { return }
        let region = onig_region_new()
        defer { onig_region_free(region, 1) }
        let end = base + text.count
        var searchFrom = 0
        var lastMatchEnd: Int?
        while searchFrom <= text.count {
            onig_region_clear(region)
            let found = onig_search(regex, base, end, base + searchFrom, end, region, OnigOptionType(ONIG_OPTION_NONE))
            guard found >= 0, let region, region.pointee.num_regs > 0 else { return }
            let start = Int(region.pointee.beg[0]), stop = Int(region.pointee.end[0])
            if start == stop, lastMatchEnd == stop {
                searchFrom += Self.characterLength(text, at: searchFrom)
                continue
            }
            searchFrom = stop
            lastMatchEnd = stop
            body(start..<stop)
        }
    }

    /// Length of the UTF-8 character starting at `offset` (1 at the end or on a stray byte).
    private static func characterLength(_ text: UnsafeBufferPointer<UInt8>, at offset: Int) -> Int {
        guard offset < text.count else { return 1 }
        let lead = text[offset]
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }

    private static func message(_ status: Int32, _ info: inout OnigErrorInfo) -> String {
        var buffer = [UInt8](repeating: 0, count: Int(ONIG_MAX_ERROR_MESSAGE_LEN))
        let length = withUnsafeMutablePointer(to: &info) { infoPointer in
            buffer.withUnsafeMutableBufferPointer { gradus_onig_error_code_to_str($0.baseAddress!, status, infoPointer) }
        }
        return String(decoding: buffer.prefix(Int(max(0, length))), as: UTF8.self)
    }
}
