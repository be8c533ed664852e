// JSONOutput.swift — one-line JSON objects for `--json` output and benchmarks, keys in the order
// they are added (Foundation's serializer sorts or scrambles them).

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

/// A JSON string literal for `s`.
func quote(_ s: String) -> String {
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
