// KeyCoding.swift — order-preserving binary key coding for LMDB (issue 2, DESIGN.md §3, STYLE.md
// §10). LMDB compares keys with memcmp (then length), so a key's bytes must sort the way its
// numbers do: unsigned integers are stored big-endian, signed integers with the sign bit flipped,
// and Float64 with the IEEE 754 totalOrder trick (positive: flip the sign bit; negative: flip
// every bit). `KeyBuilder` concatenates such fields into a composite key (e.g. value + sample id
// for the `order/<name>` tables) in inline storage, without touching the heap.

/// Contiguous bytes that can be lent, read-only, to a closure — the currency of the LMDB API.
///
/// Conformers: `[UInt8]`, `ArraySlice<UInt8>`, `UnsafeRawBufferPointer` and `KeyBuilder`. The
/// buffer passed to `body` is valid only during the call and must not escape it.
public protocol BorrowableBytes {
    func withBorrowedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: BorrowableBytes where Element == UInt8 {
    @inlinable
    public func withBorrowedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes { try body($0) }
    }
}

extension ArraySlice: BorrowableBytes where Element == UInt8 {
    @inlinable
    public func withBorrowedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes { try body($0) }
    }
}

extension UnsafeRawBufferPointer: BorrowableBytes {
    @inlinable
    public func withBorrowedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(self)
    }
}

/// A key was shorter than the field being decoded from it.
public enum KeyCodingError: Error, CustomStringConvertible, Equatable {
    /// Decoding needed bytes `offset ..< offset + needed` of a key holding `available` bytes.
    case tooShort(offset: Int, needed: Int, available: Int)

    public var description: String {
        switch self {
        case let .tooShort(offset, needed, available):
            return "key too short: need \(needed) bytes at offset \(offset) but the key has \(available) bytes; "
                + "the database probably holds keys of another layout (wrong database or index format version)"
        }
    }
}

/// Order-preserving encodings: for any two values `a`, `b` of the same type, the encoded bytes
/// compare (memcmp, as LMDB does) exactly as the values compare numerically.
///
/// `Double` follows IEEE 754 `totalOrder`: −∞ < negative normals < negative subnormals < −0.0 <
/// +0.0 < positive subnormals < positive normals < +∞ < NaN. Two consequences to know:
/// - `-0.0` and `+0.0` are *different* keys (−0.0 sorts just before +0.0) and each round-trips
///   with its sign. Normalise with `x + 0.0` before encoding if they must be the same key.
/// - Every NaN (any sign or payload) is canonicalised to the positive quiet NaN and sorts after
///   +∞, so NaN round-trips as a NaN but not bit-exactly. All non-NaN values round-trip exactly.
public enum KeyCoding {
    /// The canonical NaN's ordered bits: all NaNs encode to this and sort after +∞.
    public static let nanOrderedBits: UInt64 = Double.nan.bitPattern | (1 << 63)

    /// Maps `value` to a `UInt64` whose unsigned order is the signed order (sign bit flipped).
    @inlinable
    public static func orderedBits(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: value) ^ (1 << 63)
    }

    /// Inverse of `orderedBits(_: Int64)`.
    @inlinable
    public static func int64(orderedBits bits: UInt64) -> Int64 {
        Int64(bitPattern: bits ^ (1 << 63))
    }

    /// Maps `value` to a `UInt64` whose unsigned order is IEEE `totalOrder` (NaN canonicalised,
    /// last). Positive values (sign bit 0) get the sign bit set; negative ones have every bit
    /// flipped, which reverses their magnitude order.
    @inlinable
    public static func orderedBits(_ value: Double) -> UInt64 {
        if value.isNaN { return nanOrderedBits }
        let bits = value.bitPattern
        return bits & (1 << 63) == 0 ? bits | (1 << 63) : ~bits
    }

    /// Inverse of `orderedBits(_: Double)`; exact for every non-NaN value.
    @inlinable
    public static func double(orderedBits bits: UInt64) -> Double {
        Double(bitPattern: bits & (1 << 63) != 0 ? bits & ~(1 << 63) : ~bits)
    }

    /// The 8 big-endian bytes of `value`.
    @inlinable
    public static func encode(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// The 4 big-endian bytes of `value`.
    @inlinable
    public static func encode(_ value: UInt32) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// The 8 order-preserving bytes of `value`.
    @inlinable
    public static func encode(_ value: Int64) -> [UInt8] { encode(orderedBits(value)) }

    /// The 8 order-preserving bytes of `value` (see the type's notes on ±0 and NaN).
    @inlinable
    public static func encode(_ value: Double) -> [UInt8] { encode(orderedBits(value)) }

    /// Reads a big-endian `UInt64` at `offset` (the key may hold further fields after it).
    @inlinable
    public static func decodeUInt64(_ key: some BorrowableBytes, at offset: Int = 0) throws -> UInt64 {
        try key.withBorrowedBytes { raw in
            try checkLength(raw, offset: offset, needed: 8)
            return UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
    }

    /// Reads a big-endian `UInt32` at `offset`.
    @inlinable
    public static func decodeUInt32(_ key: some BorrowableBytes, at offset: Int = 0) throws -> UInt32 {
        try key.withBorrowedBytes { raw in
            try checkLength(raw, offset: offset, needed: 4)
            return UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }
    }

    /// Reads an order-preserving `Int64` at `offset`.
    @inlinable
    public static func decodeInt64(_ key: some BorrowableBytes, at offset: Int = 0) throws -> Int64 {
        int64(orderedBits: try decodeUInt64(key, at: offset))
    }

    /// Reads an order-preserving `Double` at `offset`.
    @inlinable
    public static func decodeDouble(_ key: some BorrowableBytes, at offset: Int = 0) throws -> Double {
        double(orderedBits: try decodeUInt64(key, at: offset))
    }

    @inlinable
    static func checkLength(_ raw: UnsafeRawBufferPointer, offset: Int, needed: Int) throws {
        guard offset >= 0, raw.count - offset >= needed else {
            throw KeyCodingError.tooShort(offset: offset, needed: needed, available: raw.count)
        }
    }
}

/// A composite key of up to `capacity` bytes built from order-preserving fields, stored inline
/// (no heap allocation). Keys built with the same sequence of field types compare field by field,
/// e.g. `KeyBuilder().appending(value).appending(sampleID)` sorts by value, then sample id.
///
/// Appending past `capacity` is a programming error and traps.
public struct KeyBuilder: BorrowableBytes, Sendable, Equatable, CustomStringConvertible {
    /// Maximum key length in bytes (enough for four 8-byte fields).
    public static let capacity = 32

    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    @usableFromInline var length = 0

    /// Bytes written so far.
    public var count: Int { length }

    /// An empty key.
    @inlinable public init() {}

    /// Appends `value` as 8 big-endian bytes.
    @inlinable
    public mutating func append(_ value: UInt64) { appendRaw(value.bigEndian) }

    /// Appends `value` as 4 big-endian bytes.
    @inlinable
    public mutating func append(_ value: UInt32) { appendRaw(value.bigEndian) }

    /// Appends `value` as 8 order-preserving bytes.
    @inlinable
    public mutating func append(_ value: Int64) { append(KeyCoding.orderedBits(value)) }

    /// Appends `value` as 8 order-preserving bytes (IEEE totalOrder, NaN last).
    @inlinable
    public mutating func append(_ value: Double) { append(KeyCoding.orderedBits(value)) }

    /// Returns a copy with `value` appended, for chaining.
    @inlinable
    public func appending(_ value: UInt64) -> KeyBuilder { var k = self; k.append(value); return k }

    /// Returns a copy with `value` appended, for chaining.
    @inlinable
    public func appending(_ value: UInt32) -> KeyBuilder { var k = self; k.append(value); return k }

    /// Returns a copy with `value` appended, for chaining.
    @inlinable
    public func appending(_ value: Int64) -> KeyBuilder { var k = self; k.append(value); return k }

    /// Returns a copy with `value` appended, for chaining.
    @inlinable
    public func appending(_ value: Double) -> KeyBuilder { var k = self; k.append(value); return k }

    @inlinable
    mutating func appendRaw<T: FixedWidthInteger>(_ raw: T) {
        let size = MemoryLayout<T>.size
        precondition(length + size <= KeyBuilder.capacity, "KeyBuilder: key longer than \(KeyBuilder.capacity) bytes")
        let offset = length
        withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: raw, toByteOffset: offset, as: T.self) }
        length += size
    }

    /// Lends the key's `count` bytes to `body`.
    @inlinable
    public func withBorrowedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { try body(UnsafeRawBufferPointer(rebasing: $0.prefix(length))) }
    }

    /// The key's bytes as an array.
    public var bytes: [UInt8] { withBorrowedBytes { Array($0) } }

    public static func == (lhs: KeyBuilder, rhs: KeyBuilder) -> Bool { lhs.bytes == rhs.bytes }

    /// The key in hexadecimal, for messages.
    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
