// FuzzConfig.swift — libFuzzer target `config`: arbitrary bytes (as UTF-8, ill-formed sequences
// replaced) parsed by `GradusConfig.parse` (the DeepSpeed/Gradus config reader).
//
// Invariants checked beyond "no crash, no ASan report":
// - parse throws only `JSONSyntaxError` or a `ConfigError` with at least one issue (by type name);
// - parse is deterministic: a second parse gives an equal config or an error with the same text;
// - a config that parses survives a Codable round trip (JSONEncoder → JSONDecoder) unchanged,
//   whenever it can be encoded (JSON has no infinities, which "1e999" produces).

import Curriculum
import Foundation
import FuzzSupport

func outcome(_ text: String) -> Result<GradusConfig, Error> {
    Result { try GradusConfig.parse(text) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: bytes(data, size), as: UTF8.self)
    let first = outcome(text), second = outcome(text)
    switch (first, second) {
    case let (.success(a), .success(b)):
        fuzzCheck(a == b, "two parses of one text differ")
        if let encoded = try? JSONEncoder().encode(a) {
            do {
                let back = try JSONDecoder().decode(GradusConfig.self, from: encoded)
                fuzzCheck(back == a, "Codable round trip changed the config")
            } catch { fuzzFailure("decoding an encoded config threw \(error)") }
        }
    case let (.failure(a), .failure(b)):
        fuzzCheck("\(a)" == "\(b)", "two parses of one text give different errors")
        // Both error types are `package` in Support (invisible from this package): checked by name,
        // and a ConfigError's text lists at least one issue ("\n  - path: message").
        switch "\(type(of: a))" {
        case "JSONSyntaxError": break
        case "ConfigError": fuzzCheck("\(a)".contains("\n  - "), "ConfigError without issues")
        default: fuzzFailure("parse threw \(type(of: a)): \(a)")
        }
    default:
        fuzzFailure("two parses of one text disagree on success")
    }
    return 0
}

@main
enum FuzzConfig {
    static func main() { runFuzzer(fuzzOne) }
}
