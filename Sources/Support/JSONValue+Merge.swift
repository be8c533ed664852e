// JSONValue+Merge.swift — JSON Merge Patch (RFC 7396) on the ordered `JSONValue`, as experiment
// overrides use it: objects merge key by key, recursively; any other patch value replaces; `null`
// deletes the key. A merged object keeps the target's key order, and keys new to it are appended
// in the patch's order (so `curriculum_metrics` keep the order DeepSpeed processes them in).
//
// RFC 7396 cannot set a key to JSON null (null means "delete"), and some configs need null
// (`"model_mask_name": null`). Gradus's one addition: a patch value that is an object with the
// single key `"$set"` replaces the target's value by the `$set` value as it stands, unmerged:
// `{"model_mask_name": {"$set": null}}` sets null, `{"points": {"$set": {...}}}` replaces an object
// wholesale instead of merging into it.

extension JSONValue {
    /// The reserved key of the verbatim-replace form (see the file header).
    package static let setKey = "$set"

    /// `patch` applied to `self` by RFC 7396 (with the `{"$set": value}` form; see the file header).
    package func merged(with patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        if changes.count == 1, changes[0].key == JSONValue.setKey { return changes[0].value }
        var members: [(key: String, value: JSONValue)]
        if case .object(let m) = self { members = m } else { members = [] }
        for (key, change) in changes {
            let at = members.firstIndex { $0.key == key }
            if change == .null {
                if let at { members.remove(at: at) }
            } else if let at {
                members[at].value = members[at].value.merged(with: change)
            } else {
                members.append((key, JSONValue.null.merged(with: change)))
            }
        }
        return .object(members)
    }

    /// The value at the key path `path` (`["gradus", "train", "seed"]`), or nil.
    package func value(at path: [String]) -> JSONValue? {
        path.reduce(self as JSONValue?) { node, key in node?[key] }
    }

    /// A patch that sets `path` to `value` (objects along the way are created or merged into).
    package static func patch(_ path: [String], _ value: JSONValue) -> JSONValue {
        path.reversed().reduce(value) { inner, key in .object([(key, inner)]) }
    }
}
