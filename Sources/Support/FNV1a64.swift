// FNV1a64.swift — the one 64-bit FNV-1a hash (Fowler, Noll, Vo): index and config fingerprints,
// the built-in tokenizers' digests and the checkpoint checksum. Fast and stable; not for security.
// Also the one lowercase hex text of bytes (digests, file headers in messages).

/// 64-bit FNV-1a over bytes fed in order.
package struct FNV1a64: Sendable {
    /// The hash of everything added so far (the offset basis before anything is added).
    package private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Starts from the offset basis.
    package init() {}

    /// The hash of `bytes`.
    @inlinable
    package init(_ bytes: some Sequence<UInt8>) { add(bytes) }

    /// Feeds `bytes` in order.
    @inlinable
    package mutating func add(_ bytes: some Sequence<UInt8>) {
        var h = value
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        value = h
    }

    /// Feeds the 8 little-endian bytes of `v`.
    package mutating func add(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { add($0) } }

    /// Feeds the UTF-8 length of `s` (as `add(UInt64)`) and then its UTF-8 bytes.
    package mutating func add(_ s: String) { add(UInt64(s.utf8.count)); add(s.utf8) }

    /// `value` as 16 lowercase hex digits.
    package var hex: String { Self.hex(value) }

    /// `v` as 16 lowercase hex digits, zero-padded.
    package static func hex(_ v: UInt64) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// `bytes` as lowercase hexadecimal, two digits each, joined by `separator`.
package func hexText(_ bytes: some Sequence<UInt8>, separator: String = "") -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: separator)
}
