// ConfigDecoder.swift — a strict `Decoder` over `JSONValue` with `ObjectReader`'s rules, so that a
// config type writes its keys (`CodingKeys`) and defaults (its `init(from:)`) once and is read from
// config files, experiment configs and checkpoint headers by the same code. Problems go to the
// shared `IssueLog` with their key path instead of being thrown, so one pass reports every problem
// of a file: a key that is not one of the type's `CodingKeys` (they must be `CaseIterable`) is
// "unknown"; a missing required key, or a value of the wrong JSON type (an integer is a number, a
// number with a fraction is not an integer), is recorded and a placeholder (0, "", false, an empty
// object) decoded in its place; a string that is not a case of a `ConfigChoice` enum is recorded
// and replaced by the enum's first case, its default, so the rest is still checked.

/// A string enum read from config files: a bad name is reported with the list of valid ones, and
/// replaced by `allCases.first` (declare the default first).
package protocol ConfigChoice: CaseIterable, RawRepresentable where RawValue == String {}

/// Decodes config types from `JSONValue`s, recording problems in an `IssueLog`.
package enum ConfigDecoder {
    /// `type` decoded from `value` (at key path `path`), or nil when a placeholder had to be used
    /// (a missing or mistyped value; the problems are in `log`).
    package static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, path: String, log: IssueLog) -> T? {
        let state = DecodeState(log: log)
        let result = try? T(from: ValueDecoder(value, path: path, codingPath: [], state: state))
        return state.placeholders == 0 ? result : nil
    }
}

/// The log and how many placeholders one `decode` used.
private final class DecodeState {
    let log: IssueLog
    var placeholders = 0
    init(log: IssueLog) { self.log = log }
}

private struct IndexKey: CodingKey {
    var stringValue: String { String(intValue!) }
    var intValue: Int?
    init(_ i: Int) { intValue = i }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// One value; `value` nil is a placeholder for a missing one (records nothing more).
private struct ValueDecoder: Decoder, SingleValueDecodingContainer {
    let value: JSONValue?
    let path: String
    let codingPath: [any CodingKey]
    let state: DecodeState
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ value: JSONValue?, path: String, codingPath: [any CodingKey], state: DecodeState) {
        (self.value, self.path, self.codingPath, self.state) = (value, path, codingPath, state)
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func child(_ v: JSONValue?, _ key: any CodingKey) -> ValueDecoder {
        let p = key.intValue.map { "\(path)[\($0)]" } ?? keyPath(key.stringValue)
        return ValueDecoder(v, path: p, codingPath: codingPath + [key], state: state)
    }

    /// A placeholder at the same place (its reads record nothing).
    var quiet: ValueDecoder { ValueDecoder(nil, path: path, codingPath: codingPath, state: state) }

    /// Records that `value` is not `expected` and returns `placeholder`.
    func mismatch<T>(_ expected: String, _ placeholder: T) -> T {
        state.placeholders += 1
        if let value { state.log.add(path, "expected \(expected), found \(value.typeName)") }
        return placeholder
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members)? = value else {
            return KeyedDecodingContainer(Keyed<Key>(decoder: mismatch("an object", quiet), members: []))
        }
        if let cases = (Key.self as? any CaseIterable.Type)?.allCases as? any Collection {
            let known = Set(cases.compactMap { ($0 as? Key)?.stringValue })
            for m in members where !known.contains(m.key) { state.log.add(keyPath(m.key), "unknown key") }
        }
        return KeyedDecodingContainer(Keyed<Key>(decoder: self, members: members))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items)? = value else { return Unkeyed(decoder: mismatch("an array", quiet), items: []) }
        return Unkeyed(decoder: self, items: items)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        if case .bool(let b)? = value { return b }
        return mismatch("a boolean", false)
    }

    func decode(_ type: String.Type) throws -> String {
        if case .string(let s)? = value { return s }
        return mismatch("a string", "")
    }

    func decode(_ type: Double.Type) throws -> Double { value?.number ?? mismatch("a number", 0) }
    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    /// Every integer type's `decode` (the generic one below dispatches here).
    func integer<I: FixedWidthInteger>(_ type: I.Type) -> I {
        guard case .int(let i)? = value else { return mismatch("an integer", 0) }
        if let exact = I(exactly: i) { return exact }
        state.placeholders += 1
        state.log.add(path, "\(i) is out of range (\(I.min)...\(I.max))")
        return 0
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let choice = T.self as? any ConfigChoice.Type { return self.choice(choice) as! T }
        if let integer = T.self as? any FixedWidthInteger.Type { return self.integer(integer) as! T }
        return try T(from: self)
    }

    func choice<E: ConfigChoice>(_ type: E.Type) -> E {
        let name = (try? decode(String.self)) ?? ""
        if let e = E(rawValue: name) { return e }
        if case .string? = value {
            state.log.add(path, "\"\(name)\" is not one of " + E.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        return E.allCases.first!
    }
}

private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: ValueDecoder
    let members: [(key: String, value: JSONValue)]
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { members.contains { $0.key == key.stringValue } }

    /// The value of `key`; a missing one is recorded as required and decoded as a placeholder.
    func value(_ key: Key) -> ValueDecoder {
        let v = members.first { $0.key == key.stringValue }?.value
        let d = decoder.child(v, key)
        if v == nil {
            decoder.state.placeholders += 1
            if decoder.value != nil { decoder.state.log.add(d.path, "required key is missing") }
        }
        return d
    }

    /// Always false: as in `ObjectReader`, `null` is a value of the wrong type for a typed key (so an
    /// optional key written `null` is reported, not taken as absent).
    func decodeNil(forKey key: Key) throws -> Bool { false }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try value(key).decode(type) }
    func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
        try value(key).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try value(key).unkeyedContainer() }
    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { value(key) }
}

private struct Unkeyed: UnkeyedDecodingContainer {
    let decoder: ValueDecoder
    let items: [JSONValue]
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    mutating func next() -> ValueDecoder {
        defer { currentIndex += 1 }
        return decoder.child(isAtEnd ? nil : items[currentIndex], IndexKey(currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }
    mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> {
        try next().container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { next() }
}
