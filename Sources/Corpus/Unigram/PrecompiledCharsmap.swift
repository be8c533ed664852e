// PrecompiledCharsmap.swift — SentencePiece's compiled normalization rules
// (`normalizer_spec.precompiled_charsmap`, e.g. the `nmt_nfkc` rule set), as the `spm_precompiled`
// crate that `tokenizers` uses reads them.
//
// Layout (little-endian): u32 `trie_size` in bytes; `trie_size / 4` u32 units of a darts-clone
// double-array trie keyed by the UTF-8 of the text to replace; the rest is the replacement
// strings, each ending with NUL. A unit: bits 0–7 label, bit 8 "has a leaf", bits 10–31 the
// offset (shifted left by 8 when bit 9 is set); a leaf unit's low 31 bits are a byte offset into
// the replacements.
//
// The library indexes the array without bounds checks (a corrupt file panics there); here a
// position outside the array ends the search (no match), and every leaf is checked when the file
// is read, so no lookup can slice outside the replacement strings.

/// A parsed `precompiled_charsmap`.
struct PrecompiledCharsmap: Sendable {
    private let units: [UInt32]
    /// The replacement strings (UTF-8, each ended by NUL).
    private let normalized: [UInt8]

    /// Why a charsmap cannot be used.
    enum Problem: Error, CustomStringConvertible {
        case truncated(size: Int, trieBytes: Int)
        case emptyTrie
        case invalidUTF8
        case leafOutside(offset: Int, count: Int)

        var description: String {
            switch self {
            case let .truncated(size, trieBytes):
                return "is \(size) bytes but its header announces a \(trieBytes)-byte trie"
            case .emptyTrie: return "has an empty trie"
            case .invalidUTF8: return "has replacement strings that are not valid UTF-8"
            case let .leafOutside(offset, count):
                return "has a rule pointing at byte \(offset) of its \(count) bytes of replacement strings, not at the start of a character"
            }
        }
    }

    /// Parses the decoded bytes of a `precompiled_charsmap`.
    /// - Throws: `Problem` for a truncated blob, an empty trie, replacement strings that are not
    ///   UTF-8, or a rule that points outside them (the library would fail or panic on each).
    init(_ blob: [UInt8]) throws {
        guard blob.count >= 4 else { throw Problem.truncated(size: blob.count, trieBytes: 4) }
        let trieBytes = Int(UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24)
        let unitCount = trieBytes / 4
        guard blob.count - 4 >= unitCount * 4 else { throw Problem.truncated(size: blob.count, trieBytes: trieBytes) }
        guard unitCount > 0 else { throw Problem.emptyTrie }
        var units = [UInt32](repeating: 0, count: unitCount)
        for i in 0..<unitCount {
            let at = 4 + 4 * i
            units[i] = UInt32(blob[at]) | UInt32(blob[at + 1]) << 8 | UInt32(blob[at + 2]) << 16 | UInt32(blob[at + 3]) << 24
        }
        self.units = units
        normalized = Array(blob[(4 + unitCount * 4)...])
        guard String(validating: normalized, as: UTF8.self) != nil else { throw Problem.invalidUTF8 }
        try checkLeaves()
    }

    @inline(__always) private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ unit: UInt32) -> Int { Int(unit & 0x7FFF_FFFF) }
    @inline(__always) private static func label(_ unit: UInt32) -> UInt32 { unit & 0x8000_00FF }
    @inline(__always) private static func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }

    /// The replacement of the shortest prefix of `key` that has a rule (the library's
    /// `transform`: `common_prefix_search(key)[0]`), or nil. The search stops at a NUL byte.
    /// - Complexity: O(key length).
    func replacement(_ key: UnsafeBufferPointer<UInt8>) -> ArraySlice<UInt8>? {
        var position = Self.offset(units[0])
        for byte in key {
            if byte == 0 { return nil }
            position ^= Int(byte)
            guard position < units.count else { return nil }
            let unit = units[position]
            guard Self.label(unit) == UInt32(byte) else { return nil }
            position ^= Self.offset(unit)
            if Self.hasLeaf(unit) {
                guard position < units.count else { return nil }
                return string(at: Self.value(units[position]))
            }
        }
        return nil
    }

    /// The NUL-ended replacement string starting at byte `start` (checked by `checkLeaves`).
    private func string(at start: Int) -> ArraySlice<UInt8> {
        var end = start
        while end < normalized.count, normalized[end] != 0 { end += 1 }
        return normalized[start..<end]
    }

    /// Checks that every leaf's replacement starts at a character boundary inside `normalized`
    /// (the library slices there). darts-clone marks value units with bit 31, which no label has,
    /// and leaves unused units 0; so every unit with a label is a node, and a node with a leaf
    /// finds its value at `position ^ offset`. Checking all of them (a linear scan, not a walk
    /// from the root) covers every leaf a search can reach.
    private func checkLeaves() throws {
        for (position, unit) in units.enumerated() where unit & 0x8000_0000 == 0 && unit & 0xFF != 0 && Self.hasLeaf(unit) {
            let child = position ^ Self.offset(unit)
            guard child < units.count else { continue }
            let start = Self.value(units[child])
            guard start == normalized.count || (start < normalized.count && normalized[start] & 0xC0 != 0x80) else {
                throw Problem.leafOutside(offset: start, count: normalized.count)
            }
        }
    }
}
