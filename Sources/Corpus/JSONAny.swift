// JSONAny.swift — parses JSON into plain Swift values (`[String: Any]`, `[Any]`, `String`, `Int`,
// `Double`, `Bool`, `NSNull`) through `JSONDecoder`, for reading `tokenizer.json` (issue 2).
//
// Why not `JSONSerialization`: on Linux it drops a U+FEFF at the start of a string value (a
// tokenizer's added token or vocabulary entry may start with one), and it returns booleans as
// numbers. `JSONDecoder` keeps strings exact and types strict.

import Foundation

/// A JSON value decoded strictly (`true` is never the number 1).
private enum JSONAny: Decodable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONAny])
    case object([String: JSONAny])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONAny].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONAny].self))
        }
    }

    var plain: Any {
        switch self {
        case .null: return NSNull()
        case let .bool(value): return value
        case let .int(value): return value
        case let .double(value): return value
        case let .string(value): return value
        case let .array(values): return values.map(\.plain)
        case let .object(members): return members.mapValues(\.plain)
        }
    }
}

/// The JSON document in `bytes` as plain Swift values.
/// - Throws: `DecodingError` (with a description of where) for malformed JSON.
func parseJSONAsPlainValues(_ bytes: [UInt8]) throws -> Any {
    try JSONDecoder().decode(JSONAny.self, from: Data(bytes)).plain
}
