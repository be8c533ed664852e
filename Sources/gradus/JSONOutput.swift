// JSONOutput.swift — one-line JSON objects for `--json` output and benchmarks, keys in the order
// they are added (Foundation's serializer sorts or scrambles them).

import Support

struct JSONLine {
    private var fields: [String] = []

    mutating func add(_ key: String, _ value: String) { fields.append("\(quote(key)):\(quote(value))") }
    mutating func add(_ key: String, _ value: Int) { fields.append("\(quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: Bool) { fields.append("\(quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: Double) {
        fields.append("\(quote(key)):\(value.isFinite ? String(value) : "null")")
    }
    mutating func add(_ key: String, _ value: [String: Int]) {
        let inner = value.sorted { $0.key < $1.key }.map { "\(quote($0.key)):\($0.value)" }
        fields.append("\(quote(key)):{\(inner.joined(separator: ","))}")
    }
    /// Adds pre-serialised JSON.
    mutating func addRaw(_ key: String, _ json: String) { fields.append("\(quote(key)):\(json)") }

    var text: String { "{" + fields.joined(separator: ",") + "}" }
}

/// A JSON string literal for `s` (the curriculum module's JSON writer owns the escaping rules).
func quote(_ s: String) -> String { JSONValue.quoted(s) }
