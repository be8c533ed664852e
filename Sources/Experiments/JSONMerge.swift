// JSONMerge.swift — the variant override (issue 7 §1): a partial DeepSpeed-style config merged
// into the base config's JSON before parsing, with RFC 7396 (JSON Merge Patch) semantics: objects
// merge key by key, recursively; any other value (array, number, string, bool) replaces; `null`
// deletes the key. Values are Foundation JSON objects (`JSONSerialization`).

import Foundation

/// Deep merge of JSON values and the canonical text Gradus writes them as.
public enum JSONMerge {
    /// `patch` applied to `base` (RFC 7396).
    public static func merge(_ base: Any, _ patch: Any) -> Any {
        guard let patchObject = patch as? [String: Any] else { return patch }
        var out = base as? [String: Any] ?? [:]
        for (key, value) in patchObject {
            if value is NSNull {
                out[key] = nil
            } else {
                out[key] = merge(out[key] ?? [String: Any](), value)
            }
        }
        return out
    }

    /// Parses JSON text into Foundation values.
    /// - Throws: `ExperimentError.io` naming `path` when the text is not JSON.
    public static func parse(_ data: Data, path: String) throws -> Any {
        do { return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw ExperimentError.io(path: path, reason: "not valid JSON (\(error.localizedDescription))")
        }
    }

    /// Pretty, key-sorted JSON text (stable across runs, so it can be compared byte for byte).
    /// - Throws: `ExperimentError.io` when `value` is not a JSON value.
    public static func text(_ value: Any) throws -> Data {
        do { return try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed]) } catch {
            throw ExperimentError.io(path: "<json>", reason: "not encodable as JSON: \(error.localizedDescription)")
        }
    }

    /// The value at a dotted `path` (e.g. `gradus.train.seed`), or nil.
    public static func value(_ root: Any, at path: [String]) -> Any? {
        var node: Any? = root
        for key in path { node = (node as? [String: Any])?[key] }
        return node
    }

    /// `root` with `value` set at `path`, creating objects along the way.
    public static func setting(_ root: Any, _ path: [String], to value: Any) -> Any {
        var patch: Any = value
        for key in path.reversed() { patch = [key: patch] }
        return merge(root, patch)
    }
}
