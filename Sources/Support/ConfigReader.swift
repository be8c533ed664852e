// ConfigReader.swift — a tiny key-path-tracking reader over `JSONValue` objects: every key read is
// marked known, wrong types and missing required keys are recorded with their path instead of
// thrown (typed values are read by `ConfigDecoder`, so both follow one set of rules), and
// `finish()` records each unread key as unknown, so that one pass reports every problem of a file
// at once. The run config (Curriculum, Training) and the experiment matrix (Experiments) are read
// with it.

/// One configuration problem: the key path (`data_efficiency.seed`) and what is wrong.
package struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    package var path: String
    package var message: String
    package init(path: String, message: String) { self.path = path; self.message = message }
    package var description: String { "\(path.isEmpty ? "(top level)" : path): \(message)" }
}

/// Every problem found in a config file, in document order.
package struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    package var issues: [ConfigIssue]
    package init(issues: [ConfigIssue]) { self.issues = issues }
    package var description: String {
        "invalid config (\(issues.count) problem\(issues.count == 1 ? "" : "s")):\n"
            + issues.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Collects issues across all readers of one document.
package final class IssueLog {
    package private(set) var issues: [ConfigIssue] = []
    package init() {}
    /// Records `message` at the key path `path` (empty: the top level).
    package func add(_ path: String, _ message: String) { issues.append(ConfigIssue(path: path, message: message)) }
}

/// Reads the members of one JSON object, tracking which keys were consumed.
package struct ObjectReader {
    /// The key path of this object (`gradus.train`).
    package let path: String
    let members: [(key: String, value: JSONValue)]
    /// Where problems go.
    package let log: IssueLog
    private var seen: Set<String> = []

    /// A reader for `value` at `path`; records an issue (and reads nothing) if it is not an object.
    package init(_ value: JSONValue?, path: String, log: IssueLog) {
        self.path = path
        self.log = log
        switch value {
        case .object(let m)?: members = m
        case nil: members = []
        case let other?:
            members = []
            log.add(path, "expected an object, found \(other.typeName)")
        }
    }

    package var isPresent: Bool { !members.isEmpty }

    package func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw value of `key` (marks it known).
    package mutating func raw(_ key: String) -> JSONValue? {
        seen.insert(key)
        return members.first { $0.key == key }?.value
    }

    /// Marks keys as known without reading them (accepted and ignored).
    package mutating func accept(_ keys: [String]) { seen.formUnion(keys) }

    /// Keys of the object in document order.
    package var keys: [String] { members.map(\.key) }

    package mutating func bool(_ key: String, default value: Bool) -> Bool { decode(Bool.self, key) ?? value }

    /// An integer; `required` records a missing key.
    package mutating func int(_ key: String, required: Bool = false) -> Int? { decode(Int.self, key, required: required) }

    /// A number (integer or not) and whether it was written as an integer.
    package mutating func number(_ key: String, required: Bool = false) -> (value: Double, integral: Bool)? {
        decode(Double.self, key, required: required).map { ($0, raw(key)?.intValue != nil) }
    }

    package mutating func string(_ key: String, required: Bool = false) -> String? { decode(String.self, key, required: required) }

    /// A string restricted to `allowed` values.
    package mutating func choice(_ key: String, _ allowed: [String], required: Bool = false) -> String? {
        guard let s = string(key, required: required) else { return nil }
        guard allowed.contains(s) else {
            log.add(keyPath(key), "\"\(s)\" is not one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))")
            return nil
        }
        return s
    }

    /// An array of numbers.
    package mutating func numbers(_ key: String, required: Bool = false) -> [Double]? {
        decode([Double].self, key, required: required)
    }

    /// A nested object reader (empty when the key is absent; `required` records that).
    package mutating func object(_ key: String, required: Bool = false) -> ObjectReader {
        let v = raw(key)
        if v == nil, required { log.add(keyPath(key), "required key is missing") }
        return ObjectReader(v, path: keyPath(key), log: log)
    }

    /// Whether `key` is present in the object (does not mark it read).
    package func has(_ key: String) -> Bool { members.contains { $0.key == key } }

    /// Records `message` at `key` of this object (or at the object itself when `key` is nil).
    package func issue(_ key: String?, _ message: String) { log.add(key.map(keyPath) ?? path, message) }

    /// The value of `key` decoded by `ConfigDecoder` into the same log; nil when absent (recorded
    /// if `required`) or when it has a missing or mistyped value.
    package mutating func decode<T: Decodable>(_ type: T.Type, _ key: String, required: Bool = false) -> T? {
        guard let value = raw(key) else {
            if required { log.add(keyPath(key), "required key is missing") }
            return nil
        }
        return ConfigDecoder.decode(type, from: value, path: keyPath(key), log: log)
    }

    /// Records every key that no accessor read as unknown.
    package func finish() {
        for m in members where !seen.contains(m.key) { log.add(keyPath(m.key), "unknown key") }
    }
}
