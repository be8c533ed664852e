// JSONLine.swift — a fast hand-written parser for one JSONL record (issue 2 item 3, DESIGN.md §2
// `Corpus`). Foundation's JSONSerialization builds a whole object tree per line; this parser
// extracts only the fields a corpus reader needs (the text field, `id`, `lang`, `source`,
// `tokens`) and skips every other value without building anything.
//
// Rules (RFC 8259, strict):
// - the line is exactly one JSON object, surrounded by optional whitespace;
// - every string anywhere in the line must be well-formed: valid UTF-8 (no overlong forms), no
//   unescaped control characters (< U+0020), only the escapes \" \\ \/ \b \f \n \r \t \uXXXX,
//   and \u surrogates only as a high+low pair (a lone surrogate cannot be UTF-8);
// - a duplicate key: the last occurrence wins (as in Python's `json` and JavaScript);
// - `id` may be a string or a number (kept as its literal text, e.g. `17`); `id`, `lang`,
//   `source` and `tokens` may be `null`, meaning absent; the text field must be a string;
// - `tokens`, if present, is an array of integers in 0...4294967295 (pre-tokenized input);
// - nesting deeper than `JSONLineParser.maxDepth` is rejected (no unbounded recursion);
// - a group field (`groupFields`, `gradus index --group-field`) may hold any JSON value: a string
//   is the record's group, anything else (null, a number, an object, ...) no group; this holds for
//   `lang` and `source` too when they are group fields.
// Columns in messages are 1-based byte columns within the line.

import Support

/// The fields of one JSONL record that the corpus reader uses.
public struct JSONLineRecord: Sendable, Equatable {
    /// The text field's value (nil only when the parser was told the field is optional).
    public var text: String?
    /// `id` as a string; a numeric id is kept as written (`17` → `"17"`).
    public var id: String?
    /// `lang`, e.g. a BCP-47 tag.
    public var lang: String?
    /// `source`: where the document came from.
    public var source: String?
    /// The `tokens` array of pre-tokenized input, if present.
    public var tokens: [UInt32]?
    /// Per group field the parser was given (`JSONLineParser.groupFields`), in that order, the
    /// field's string value; nil where the field is missing, null or not a string (`--group-field`).
    public var groups: [String?] = []

    public init(text: String? = nil, id: String? = nil, lang: String? = nil, source: String? = nil,
                tokens: [UInt32]? = nil) {
        self.text = text; self.id = id; self.lang = lang; self.source = source; self.tokens = tokens
    }
}

/// Why a line could not be parsed; `column` is the 1-based byte column, when there is one.
public struct JSONLineError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of problem, as counted in a `SkipReport`.
    public var reason: SkipReason
    /// 1-based byte column in the line; nil for problems of the whole record (a missing field).
    public var column: Int?
    /// Full message including the column, e.g. `invalid UTF-8 at column 17: overlong encoding ...`.
    public var message: String

    public var description: String { message }
}

/// Parses JSONL lines; keep one per thread (it reuses scratch buffers between lines).
public struct JSONLineParser {
    /// Containers nested deeper than this are rejected.
    public static let maxDepth = 256

    /// Name of the field that holds the document text.
    public let textField: String
    /// When true (the default), a record without the text field is an error.
    public var requireText: Bool

    /// Fields whose string values are returned in `JSONLineRecord.groups` (`--group-field`).
    public let groupFields: [String]
    private let textKey: [UInt8]
    private let groupKeys: [[UInt8]]
    // Parse state, internal so that the string scanner in JSONLine+Strings.swift can use it.
    /// The line being parsed (empty between calls).
    var line = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    /// Current position in `line`.
    var i = 0
    /// Decoded bytes of the current string when it had escapes.
    var scratch: [UInt8] = []
    private var tokenScratch: [UInt32] = []

    public init(textField: String = "text", requireText: Bool = true, groupFields: [String] = []) {
        self.textField = textField
        self.requireText = requireText
        self.textKey = Array(textField.utf8)
        self.groupFields = groupFields
        self.groupKeys = groupFields.map { Array($0.utf8) }
        scratch.reserveCapacity(4096)
    }

    /// Parses one line (without its newline).
    /// - Throws: `JSONLineError` naming the problem and its column.
    /// - Complexity: O(line length); allocates only the returned strings and token array.
    public mutating func parse(_ line: UnsafeBufferPointer<UInt8>) throws(JSONLineError) -> JSONLineRecord {
        self.line = line
        i = 0
        defer { self.line = UnsafeBufferPointer(start: nil, count: 0) }
        var record = JSONLineRecord()
        if !groupKeys.isEmpty { record.groups = [String?](repeating: nil, count: groupKeys.count) }
        skipWhitespace()
        guard i < line.count, line[i] == UInt8(ascii: "{") else {
            throw error(.invalidJSON, "expected '{' (a JSONL line must be a JSON object)", found: true)
        }
        i += 1
        skipWhitespace()
        if i < line.count && line[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            try parseMembers(into: &record)
        }
        skipWhitespace()
        if i < line.count {
            throw error(.invalidJSON, "unexpected characters after the JSON object", found: true)
        }
        for (k, name) in groupFields.enumerated() where name == "id" { record.groups[k] = record.id }  // a numeric id as written
        if requireText && record.text == nil {
            throw JSONLineError(reason: .missingField, column: nil,
                                message: "missing field \(JSONValue.quoted(textField))")
        }
        return record
    }

    // MARK: - Object members

    private enum Field { case text, id, lang, source, tokens, group(Int), other }

    /// Parses `"key": value` pairs up to and including the closing `}`.
    private mutating func parseMembers(into record: inout JSONLineRecord) throws(JSONLineError) {
        while true {
            let field = try memberName(decode: true).withBytes(scratch, line) {
                JSONLineParser.classify($0, textKey: textKey, groupKeys: groupKeys)
            }
            switch field {
            case .text: record.text = try parseStringField(textField)
            case .id: record.id = try parseIDField()
            case .lang: record.lang = try parseOptionalStringField("lang")
            case .source: record.source = try parseOptionalStringField("source")
            case .tokens: record.tokens = try parseTokensField()
            case .group(let k):
                let value = try parseGroupField()
                record.groups[k] = value
                if groupFields[k] == "lang" { record.lang = value } else if groupFields[k] == "source" { record.source = value }
            case .other: try skipValue(depth: 1)
            }
            skipWhitespace()
            guard i < line.count else {
                throw error(.invalidJSON, "unexpected end of line inside the object (missing '}')")
            }
            if line[i] == UInt8(ascii: ",") {
                i += 1
                skipWhitespace()
            } else if line[i] == UInt8(ascii: "}") {
                i += 1
                return
            } else {
                throw error(.invalidJSON, "expected ',' or '}' after a value", found: true)
            }
        }
    }

    /// Reads `"name":` and the whitespace after it (the name scanned as `scanString(decode:)`
    /// does); returns where the name is.
    private mutating func memberName(decode: Bool) throws(JSONLineError) -> StringSpan {
        guard i < line.count, line[i] == UInt8(ascii: "\"") else {
            throw error(.invalidJSON, "expected a field name in double quotes", found: true)
        }
        let span = try scanString(decode: decode)
        skipWhitespace()
        guard i < line.count, line[i] == UInt8(ascii: ":") else {
            throw error(.invalidJSON, "expected ':' after the field name", found: true)
        }
        i += 1
        skipWhitespace()
        return span
    }

    /// Which known field a key names (the text field wins over the others).
    private static func classify(_ key: UnsafeBufferPointer<UInt8>, textKey: [UInt8], groupKeys: [[UInt8]]) -> Field {
        func matches(_ name: StaticString) -> Bool {
            key.count == name.utf8CodeUnitCount && ByteText.equal(key.baseAddress, name.utf8Start, key.count)
        }
        let isText = textKey.withUnsafeBufferPointer {
            key.count == $0.count && ByteText.equal(key.baseAddress, $0.baseAddress, key.count)
        }
        if isText { return .text }
        if matches("id") { return .id }
        if matches("tokens") { return .tokens }
        // A group field (`lang` and `source` too, when named) takes any JSON value: only a string
        // is a group, anything else is no group rather than a bad record.
        for (k, groupKey) in groupKeys.enumerated() {
            let hit = groupKey.withUnsafeBufferPointer {
                key.count == $0.count && ByteText.equal(key.baseAddress, $0.baseAddress, key.count)
            }
            if hit { return .group(k) }
        }
        if matches("lang") { return .lang }
        if matches("source") { return .source }
        return .other
    }

    /// A group field's value: its string, or nil for null or any other JSON value (skipped, not
    /// an error: a record without a usable group is counted as group `(none)`).
    private mutating func parseGroupField() throws(JSONLineError) -> String? {
        if i < line.count, line[i] == UInt8(ascii: "\"") { return try scanString(decode: true).makeString(scratch, line) }
        try skipValue(depth: 1)
        return nil
    }

    private mutating func parseStringField(_ name: String) throws(JSONLineError) -> String {
        guard i < line.count, line[i] == UInt8(ascii: "\"") else { throw wrongType(name, expected: "a string") }
        return try scanString(decode: true).makeString(scratch, line)
    }

    private mutating func parseOptionalStringField(_ name: String) throws(JSONLineError) -> String? {
        if try consumeNull() { return nil }
        return try parseStringField(name)
    }

    private mutating func parseIDField() throws(JSONLineError) -> String? {
        if try consumeNull() { return nil }
        if i < line.count, line[i] == UInt8(ascii: "-") || (0x30...0x39).contains(line[i]) {
            let start = i
            try skipNumber()
            return String(decoding: UnsafeBufferPointer(rebasing: line[start..<i]), as: UTF8.self)
        }
        guard i < line.count, line[i] == UInt8(ascii: "\"") else {
            throw wrongType("id", expected: "a string or a number")
        }
        return try scanString(decode: true).makeString(scratch, line)
    }

    /// `[n, n, ...]` with every n an integer in 0...UInt32.max; `null` gives nil.
    private mutating func parseTokensField() throws(JSONLineError) -> [UInt32]? {
        if try consumeNull() { return nil }
        guard i < line.count, line[i] == UInt8(ascii: "[") else {
            throw wrongType("tokens", expected: "an array of non-negative integers")
        }
        i += 1
        tokenScratch.removeAll(keepingCapacity: true)
        skipWhitespace()
        if i < line.count && line[i] == UInt8(ascii: "]") {
            i += 1
            return []
        }
        while true {
            tokenScratch.append(try parseTokenID(index: tokenScratch.count))
            skipWhitespace()
            guard i < line.count else { throw error(.invalidJSON, "unexpected end of line inside \"tokens\"") }
            if line[i] == UInt8(ascii: ",") {
                i += 1
                skipWhitespace()
            } else if line[i] == UInt8(ascii: "]") {
                i += 1
                return tokenScratch
            } else {
                throw error(.invalidJSON, "expected ',' or ']' in \"tokens\"", found: true)
            }
        }
    }

    /// One element of `tokens`; stops accumulating as soon as the value exceeds UInt32.max, so
    /// a 100-digit number is an error, not an overflow.
    private mutating func parseTokenID(index: Int) throws(JSONLineError) -> UInt32 {
        let start = i
        var value: UInt64 = 0
        while i < line.count, (0x30...0x39).contains(line[i]) {
            value = value * 10 + UInt64(line[i] - 0x30)
            i += 1
            if value > UInt64(UInt32.max) {
                while i < line.count, (0x30...0x39).contains(line[i]) { i += 1 }
                let digits = String(decoding: UnsafeBufferPointer(rebasing: line[start..<i]), as: UTF8.self)
                throw JSONLineError(reason: .invalidTokens, column: start + 1, message:
                    "field \"tokens\": element \(index) (\(digits)) exceeds 4294967295 at column \(start + 1)")
            }
        }
        let isPlainInteger = i > start && !(line[start] == 0x30 && i - start > 1)
        let next = i < line.count ? line[i] : UInt8(ascii: ",")
        let terminated = next == UInt8(ascii: ",") || next == UInt8(ascii: "]") || ByteText.isWhitespace(next)
        guard isPlainInteger && terminated else {
            throw JSONLineError(reason: .invalidTokens, column: start + 1, message:
                "field \"tokens\": element \(index) is not a non-negative integer at column \(start + 1)")
        }
        return UInt32(value)
    }

    // MARK: - Skipping values

    /// Skips any JSON value, validating it.
    private mutating func skipValue(depth: Int) throws(JSONLineError) {
        guard i < line.count else { throw error(.invalidJSON, "expected a value, found end of line") }
        switch line[i] {
        case UInt8(ascii: "\""): _ = try scanString(decode: false)
        case UInt8(ascii: "{"): try skipContainer(close: UInt8(ascii: "}"), keyed: true, depth: depth)
        case UInt8(ascii: "["): try skipContainer(close: UInt8(ascii: "]"), keyed: false, depth: depth)
        case UInt8(ascii: "t"): try skipLiteral("true")
        case UInt8(ascii: "f"): try skipLiteral("false")
        case UInt8(ascii: "n"): try skipLiteral("null")
        case UInt8(ascii: "-"), 0x30...0x39: try skipNumber()
        default: throw error(.invalidJSON, "expected a value", found: true)
        }
    }

    /// Skips an object (`keyed`) or array starting at the opening bracket.
    private mutating func skipContainer(close: UInt8, keyed: Bool, depth: Int) throws(JSONLineError) {
        guard depth < JSONLineParser.maxDepth else {
            throw error(.invalidJSON, "nesting deeper than \(JSONLineParser.maxDepth) levels")
        }
        i += 1
        skipWhitespace()
        if i < line.count && line[i] == close {
            i += 1
            return
        }
        while true {
            if keyed { _ = try memberName(decode: false) }
            try skipValue(depth: depth + 1)
            skipWhitespace()
            guard i < line.count else { throw error(.invalidJSON, "unexpected end of line inside a nested value") }
            if line[i] == UInt8(ascii: ",") {
                i += 1
                skipWhitespace()
            } else if line[i] == close {
                i += 1
                return
            } else {
                throw error(.invalidJSON, "expected ',' or '\(Character(Unicode.Scalar(close)))'", found: true)
            }
        }
    }

    private mutating func skipLiteral(_ word: StaticString) throws(JSONLineError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= line.count, ByteText.equal(line.baseAddress! + i, word.utf8Start, n) else {
            throw error(.invalidJSON, "invalid literal (expected \(word))")
        }
        i += n
    }

    /// Consumes `null` if it is next.
    private mutating func consumeNull() throws(JSONLineError) -> Bool {
        guard i < line.count, line[i] == UInt8(ascii: "n") else { return false }
        try skipLiteral("null")
        return true
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func skipNumber() throws(JSONLineError) {
        let start = i
        let bad = JSONLineError(reason: .invalidJSON, column: start + 1,
                                message: "invalid number at column \(start + 1)")
        if line[i] == UInt8(ascii: "-") { i += 1 }
        guard i < line.count, ByteText.isDigit(line[i]) else { throw bad }
        if line[i] == 0x30 {
            i += 1
            if i < line.count && ByteText.isDigit(line[i]) { throw bad }
        } else {
            skipDigits()
        }
        if i < line.count && line[i] == UInt8(ascii: ".") {
            i += 1
            guard i < line.count, ByteText.isDigit(line[i]) else { throw bad }
            skipDigits()
        }
        if i < line.count && (line[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            if i < line.count && (line[i] == UInt8(ascii: "+") || line[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < line.count, ByteText.isDigit(line[i]) else { throw bad }
            skipDigits()
        }
    }

    private mutating func skipDigits() {
        while i < line.count && ByteText.isDigit(line[i]) { i += 1 }
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while i < line.count && ByteText.isWhitespace(line[i]) { i += 1 }
    }

    // MARK: - Errors

    /// An error at the current position; `found` appends what is there.
    private func error(_ reason: SkipReason, _ text: String, found: Bool = false) -> JSONLineError {
        var message = "\(text) at column \(i + 1)"
        if found { message += i < line.count ? ", found \(ByteText.describe(line[i]))" : ", found end of line" }
        return JSONLineError(reason: reason, column: i + 1, message: message)
    }

    private func wrongType(_ name: String, expected: String) -> JSONLineError {
        let kind: String
        switch i < line.count ? line[i] : 0 {
        case UInt8(ascii: "\""): kind = "a string"
        case UInt8(ascii: "{"): kind = "an object"
        case UInt8(ascii: "["): kind = "an array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): kind = "a boolean"
        case UInt8(ascii: "n"): kind = "null"
        case UInt8(ascii: "-"), 0x30...0x39: kind = "a number"
        default: return error(.invalidJSON, "expected a value", found: true)
        }
        return JSONLineError(reason: .wrongType, column: i + 1,
                             message: "field \(JSONValue.quoted(name)) is \(kind), expected \(expected) (at column \(i + 1))")
    }
}
