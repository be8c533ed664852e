// IndexedDatasetDType.swift — the integer element types of a Megatron/DeepSpeed MMapIndexedDataset,
// their on-disk codes in the three code tables in circulation, and `find_fit_int_dtype`
// (spec §3.1 "dtype codes", §3.3 helpers, §13 quirk 20).
//
// The code byte in an `.idx` file means different things depending on who wrote it:
//
// | code | DeepSpeed ≥ 0.13.3 | DeepSpeed ≤ 0.13.2 | Megatron (-DeepSpeed, -LM) |
// | ---- | ------------------ | ------------------ | -------------------------- |
// | 1–5  | uint8 int8 int16 int32 int64 (all tables)                      |
// | 6    | uint16             | float64            | float64                    |
// | 7    | uint32             | float64            | float32 / float64          |
// | 8    | uint64             | uint16             | uint16                     |
// | 9    | —                  | uint32             | —                          |
// | 10   | —                  | uint64             | —                          |
//
// Gradus writes DeepSpeed's current table for difficulty-index files and Megatron's table for
// token datasets that Megatron's trainer will read. Floating-point codes are always rejected.

/// An integer element type of an indexed dataset. Floats are deliberately absent (spec §3.1).
public enum IndexedDatasetDType: String, Sendable, CaseIterable, CustomStringConvertible {
    case uint8, int8, int16, int32, int64, uint16, uint32, uint64

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32: return 4
        case .int64, .uint64: return 8
        }
    }

    /// Whether the type is signed.
    public var isSigned: Bool {
        switch self {
        case .int8, .int16, .int32, .int64: return true
        case .uint8, .uint16, .uint32, .uint64: return false
        }
    }

    /// The smallest representable value.
    public var minimum: Int64 {
        switch self {
        case .int8: return Int64(Int8.min)
        case .int16: return Int64(Int16.min)
        case .int32: return Int64(Int32.min)
        case .int64: return Int64.min
        case .uint8, .uint16, .uint32, .uint64: return 0
        }
    }

    /// The largest representable value.
    public var maximum: UInt64 {
        switch self {
        case .int8: return UInt64(Int8.max)
        case .int16: return UInt64(Int16.max)
        case .int32: return UInt64(Int32.max)
        case .int64: return UInt64(Int64.max)
        case .uint8: return UInt64(UInt8.max)
        case .uint16: return UInt64(UInt16.max)
        case .uint32: return UInt64(UInt32.max)
        case .uint64: return UInt64.max
        }
    }

    /// Whether `value` is representable in this type.
    @inlinable
    public func contains<T: BinaryInteger>(_ value: T) -> Bool {
        if value < 0 { return Int64(exactly: value).map { $0 >= minimum } ?? false }
        return UInt64(exactly: value).map { $0 <= maximum } ?? false
    }

    /// numpy's name, e.g. `uint16`.
    public var description: String { rawValue }
}

/// Which table maps the `.idx` dtype byte to an element type (see the file header).
public enum DTypeCodeTable: String, Sendable, CaseIterable, CustomStringConvertible {
    /// DeepSpeed ≥ 0.13.3 (PR #5108): 6 uint16, 7 uint32, 8 uint64. Gradus's difficulty-index files.
    case deepSpeed
    /// DeepSpeed ≤ 0.13.2: 6 and 7 float64, 8 uint16, 9 uint32, 10 uint64.
    case deepSpeedLegacy
    /// Megatron-DeepSpeed and Megatron-LM `indexed_dataset.py`: 6 and 7 floats, 8 uint16; no
    /// uint32 or uint64. Token datasets for Megatron's trainer use this table.
    case megatron

    public var description: String {
        switch self {
        case .deepSpeed: return "DeepSpeed ≥ 0.13.3"
        case .deepSpeedLegacy: return "DeepSpeed ≤ 0.13.2"
        case .megatron: return "Megatron"
        }
    }

    /// The code of `dtype` in this table, or nil if the table has no code for it.
    public func code(of dtype: IndexedDatasetDType) -> UInt8? {
        switch dtype {
        case .uint8: return 1
        case .int8: return 2
        case .int16: return 3
        case .int32: return 4
        case .int64: return 5
        case .uint16: return self == .deepSpeed ? 6 : 8
        case .uint32: return self == .deepSpeed ? 7 : (self == .deepSpeedLegacy ? 9 : nil)
        case .uint64: return self == .deepSpeed ? 8 : (self == .deepSpeedLegacy ? 10 : nil)
        }
    }

    /// What `code` means in this table.
    public func lookUp(_ code: UInt8) -> DTypeCodeMeaning {
        switch (code, self) {
        case (1, _): return .integer(.uint8)
        case (2, _): return .integer(.int8)
        case (3, _): return .integer(.int16)
        case (4, _): return .integer(.int32)
        case (5, _): return .integer(.int64)
        case (6, .deepSpeed): return .integer(.uint16)
        case (7, .deepSpeed): return .integer(.uint32)
        case (8, .deepSpeed): return .integer(.uint64)
        case (6, _), (7, _): return .floatingPoint
        case (8, _): return .integer(.uint16)
        case (9, .deepSpeedLegacy): return .integer(.uint32)
        case (10, .deepSpeedLegacy): return .integer(.uint64)
        default: return .unknown
        }
    }

    /// A one-line summary of where this table differs from the others, for error messages.
    var otherTablesHint: String {
        switch self {
        case .deepSpeed:
            return "files written by DeepSpeed ≤ 0.13.2 use a different table: 6/7 float64, 8 uint16, "
                + "9 uint32, 10 uint64 (open with code table deepSpeedLegacy); Megatron uses 8 uint16 "
                + "(open with code table megatron)"
        case .deepSpeedLegacy, .megatron:
            return "DeepSpeed ≥ 0.13.3 uses 6 uint16, 7 uint32, 8 uint64 (open with code table deepSpeed)"
        }
    }
}

/// The meaning of a dtype code byte in one table.
public enum DTypeCodeMeaning: Equatable, Sendable {
    case integer(IndexedDatasetDType)
    case floatingPoint
    case unknown
}

/// DeepSpeed's `find_fit_int_dtype(min, max)`: the narrowest type holding [min, max] — unsigned
/// when min ≥ 0, else signed (spec §3.3).
public func fitIntDType(min: Int64, max: Int64) -> IndexedDatasetDType {
    if min >= 0 {
        if max <= 255 { return .uint8 }
        if max <= 65_535 { return .uint16 }
        if max <= 4_294_967_295 { return .uint32 }
        return .uint64
    }
    if min >= -128 && max <= 127 { return .int8 }
    if min >= -32_768 && max <= 32_767 { return .int16 }
    if min >= Int64(Int32.min) && max <= Int64(Int32.max) { return .int32 }
    return .int64
}

/// DeepSpeed's `split_index(start, end, n)`: numpy `linspace(start, end, n + 1, dtype=int)`
/// boundaries, i.e. boundary_i = ⌊start + i·((end − start)/n)⌋ in Double with the last one exactly
/// `end` (spec §3.3). Parts may be empty.
/// - Precondition: `parts ≥ 1` and `start ≤ end`.
/// - Complexity: O(parts).
public func splitIndex(start: Int, end: Int, parts: Int) -> [Range<Int>] {
    precondition(parts >= 1, "splitIndex needs at least one part")
    precondition(start <= end, "splitIndex needs start ≤ end")
    let step = Double(end - start) / Double(parts)
    var bounds = (0..<parts).map { i in
        min(end, Int((Double(i) * step + Double(start)).rounded(.down)))
    }
    bounds.append(end)
    return (0..<parts).map { bounds[$0]..<bounds[$0 + 1] }
}
