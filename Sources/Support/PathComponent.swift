// PathComponent.swift — the one rule for names that come from data (a metric of an index's
// manifest, a matrix's variant) and become a file or directory name: letters, digits and
// - _ + . only, not "." or "..", so no such name can lead a write outside its directory.

/// Whether `name` may be used as one path component.
package func isSafePathComponent(_ name: String) -> Bool {
    !name.isEmpty && name != "." && name != ".." && name.allSatisfy { $0.isLetter || $0.isNumber || "-_+.".contains($0) }
}
