// JSONValue.swift — the one JSON value of Gradus: a small, strict reader that keeps object keys
// in document order (Python semantics: dict iteration order is the JSON key order, and DeepSpeed
// processes curriculum metrics in that order) and tells `40` from `40.0`, a writer that keeps the
// order, and RFC 7396 merge. Foundation's JSONSerialization returns unordered dictionaries, cannot
// tell `40` from `40.0` or `true` from `1`, and on Linux drops a U+FEFF at the start of a string;
// config files, experiment matrices, tokenizer.json and score files are all read with this instead.

/// A JSON value with ordered objects and integers kept apart from floats.
package enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in Int64.
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    /// Members in document order; a duplicate key keeps its first position and the last value.
    case object([(key: String, value: JSONValue)])

    package static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The value of `key` in an object, nil otherwise.
    package subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members.first { $0.key == key }?.value }
        return nil
    }

    /// A short name of the value's JSON type, for messages.
    package var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The string, for `.string`.
    package var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The integer, for `.int`.
    package var intValue: Int? { if case .int(let i) = self { return Int(exactly: i) } else { return nil } }
    /// The elements, for `.array`.
    package var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }

    /// The number as a Double, for `.int` and `.double`.
    package var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// Compact JSON text with keys in their stored order.
    package var jsonText: String { text(indent: nil) }

    /// Indented JSON text (two spaces a level) with keys in their stored order, for files people read.
    package var prettyText: String { text(indent: "") + "\n" }

    /// JSON text; `indent` is the current line's indentation, nil for compact output.
    private func text(indent: String?) -> String {
        let inner = indent.map { $0 + "  " }
        let (open, sep, colon) = inner.map { ("\n" + $0, ",\n" + $0, ": ") } ?? ("", ",", ":")
        let close = indent.map { "\n" + $0 } ?? ""
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? "\(d)" : "null"
        case .string(let s): return JSONValue.quoted(s)
        case .array(let a) where a.isEmpty: return "[]"
        case .object(let o) where o.isEmpty: return "{}"
        case .array(let a): return "[" + open + a.map { $0.text(indent: inner) }.joined(separator: sep) + close + "]"
        case .object(let o):
            return "{" + open + o.map { JSONValue.quoted($0.key) + colon + $0.value.text(indent: inner) }
                .joined(separator: sep) + close + "}"
        }
    }

    /// A JSON string literal.
    package static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// A JSON syntax error with its 1-based line and column.
package struct JSONSyntaxError: Error, CustomStringConvertible, Sendable, Equatable {
    package var line: Int
    package var column: Int
    package var problem: String
    package var description: String { "JSON syntax error at line \(line), column \(column): \(problem)" }
}

extension JSONValue {
    /// Parses one JSON document (RFC 8259; nesting limited to 256 levels).
    package static func parse(_ text: String) throws -> JSONValue {
        var parser = JSONTextParser(bytes: Array(text.utf8))
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.atEnd else { throw parser.error("unexpected text after the JSON value") }
        return value
    }
}

/// Recursive-descent parser over UTF-8 bytes.
struct JSONTextParser {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { i >= bytes.count }

    func error(_ problem: String) -> JSONSyntaxError {
        var line = 1, column = 1
        for b in bytes[0..<min(i, bytes.count)] {
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return JSONSyntaxError(line: line, column: column, problem: problem)
    }

    mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth < 256 else { throw error("nesting too deep") }
        guard i < bytes.count else { throw error("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else {
            throw error("invalid literal")
        }
        i += w.count
    }

    mutating func object(depth: Int) throws -> JSONValue {
        i += 1
        var members: [(key: String, value: JSONValue)] = []
        var position: [String: Int] = [:]  // a tokenizer's vocabulary has ~10⁵ keys
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try string()
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
            i += 1
            skipSpace()
            let v = try value(depth: depth + 1)
            if let k = position[key] { members[k].value = v } else {
                position[key] = members.count
                members.append((key, v))
            }
            skipSpace()
            guard i < bytes.count else { throw error("unterminated object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw error("expected ',' or '}'")
        }
    }

    mutating func array(depth: Int) throws -> JSONValue {
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard i < bytes.count else { throw error("unterminated array") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw error("expected ',' or ']'")
        }
    }

    mutating func string() throws -> String {
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw error("invalid UTF-8 in string") }
                return s
            }
            guard b >= 0x20 else { throw error("control character in string") }
            if b == UInt8(ascii: "\\") { try escape(into: &out) } else { out.append(b); i += 1 }
        }
        throw error("unterminated string")
    }

    static let simpleEscapes: [UInt8: UInt8] = [0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 0x08, 0x66: 0x0C,
                                                0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09]

    mutating func escape(into out: inout [UInt8]) throws {
        guard i + 1 < bytes.count else { throw error("unterminated escape") }
        let c = bytes[i + 1]
        i += 2
        if let s = JSONTextParser.simpleEscapes[c] { out.append(s); return }
        guard c == UInt8(ascii: "u") else { throw error("invalid escape") }
        var code = try hex4()
        if (0xD800..<0xDC00).contains(code) {
            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                throw error("lone surrogate")
            }
            i += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("lone surrogate") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(code) {
            throw error("lone surrogate")
        }
        guard let scalar = Unicode.Scalar(code) else { throw error("invalid code point") }
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw error("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = hexDigitValue(bytes[i]) else { throw error("bad hex digit") }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    mutating func number() throws -> JSONValue {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
        guard i > intStart else { throw error("invalid value") }
        guard !(bytes[intStart] == 0x30 && i - intStart > 1) else { throw error("leading zero in number") }
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            let f = i
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
            guard i > f else { throw error("digits expected after '.'") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let e = i
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
            guard i > e else { throw error("digits expected in exponent") }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInteger, let v = Int64(text) { return .int(v) }
        guard let d = Double(text) else { throw error("invalid number") }
        // 1e999 would become infinity, which JSON cannot write back (found by the config fuzzer).
        guard d.isFinite else { throw error("number out of range") }
        return .double(d)
    }
}

/// The value of the ASCII hex digit `b` (0-9, A-F, a-f), or nil: for `\u` escapes here and in
/// Corpus's JSONL parser.
@inlinable
package func hexDigitValue(_ b: UInt8) -> UInt32? {
    switch b {
    case 0x30...0x39: return UInt32(b - 0x30)
    case 0x41...0x46: return UInt32(b - 0x41 + 10)
    case 0x61...0x66: return UInt32(b - 0x61 + 10)
    default: return nil
    }
}
