// ByteKeyedTable.swift — an open-addressing hash table from short byte strings to short runs of
// token ids, with all keys and values in two fixed-size arenas (issue 2, item 4). It is the BPE
// encoder's per-thread word cache (pre-token bytes → ids; Hugging Face keeps 10 000 words) and, read
// only, the byte-level vocabulary used by `ignore_merges`. Lookups and inserts allocate nothing.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps byte strings (at most `maxKeyLength` bytes) to runs of `TokenID`s.
///
/// When an insert does not fit (entry limit or an arena full), the whole table is cleared first:
/// for a cache that is cheaper and steadier than eviction, and words recur quickly in text.
/// Not thread-safe for writing; a table that is only read may be shared.
final class ByteKeyedTable: @unchecked Sendable {
    /// One slot, 16 bytes: `tag` (the hash's high half, never 0) is 0 when the slot is empty.
    private struct Slot {
        var tag: UInt32
        var keyStart: UInt32
        var valueStart: UInt32
        var keyLength: UInt16
        var valueCount: UInt16
    }

    let maxKeyLength: Int
    let maxEntries: Int
    private(set) var count = 0
    private let slotMask: Int
    private let slots: UnsafeMutablePointer<Slot>
    private let keyArena: UnsafeMutablePointer<UInt8>
    private let keyCapacity: Int
    private var keyFill = 0
    private let valueArena: UnsafeMutablePointer<TokenID>
    private let valueCapacity: Int
    private var valueFill = 0

    /// - Parameters:
    ///   - maxEntries: entries kept before the table clears itself.
    ///   - keyBytes, valueCount: arena sizes (total key bytes, total ids).
    init(maxEntries: Int, maxKeyLength: Int, keyBytes: Int, valueCount: Int) {
        precondition(maxEntries > 0 && maxKeyLength > 0 && maxKeyLength <= Int(UInt16.max))
        precondition(keyBytes >= maxKeyLength && keyBytes <= Int(UInt32.max) && valueCount > 0 && valueCount <= Int(UInt32.max))
        self.maxEntries = maxEntries
        self.maxKeyLength = maxKeyLength
        var slotCount = 16
        while slotCount < maxEntries + maxEntries / 2 { slotCount <<= 1 }
        slotMask = slotCount - 1
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: Slot(tag: 0, keyStart: 0, valueStart: 0, keyLength: 0, valueCount: 0), count: slotCount)
        keyCapacity = keyBytes
        keyArena = .allocate(capacity: keyBytes)
        valueCapacity = valueCount
        valueArena = .allocate(capacity: valueCount)
    }

    deinit {
        slots.deallocate()
        keyArena.deallocate()
        valueArena.deallocate()
    }

    /// A 64-bit hash of `n` bytes at `p`; its low bits pick the slot, its high half (made
    /// non-zero) is the slot's tag. Reads 8 bytes at a time.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n { tail |= UInt64(p[i]) << shift; shift += 8; i += 1 }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        }
        h ^= h >> 32
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 29
        return h | (1 << 32)
    }

    /// The ids stored for the `n` bytes at `p`, as a pointer into the arena valid until the next
    /// insert or clear, or nil.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> UnsafeBufferPointer<TokenID>? {
        let tag = UInt32(truncatingIfNeeded: h >> 32)
        var index = Int(truncatingIfNeeded: h) & slotMask
        while true {
            let slot = slots[index]
            if slot.tag == 0 { return nil }
            if slot.tag == tag, Int(slot.keyLength) == n, memcmp(keyArena + Int(slot.keyStart), p, n) == 0 {
                return UnsafeBufferPointer(start: valueArena + Int(slot.valueStart), count: Int(slot.valueCount))
            }
            index = (index + 1) & slotMask
        }
    }

    /// Stores `ids` for the `n` bytes at `p` (which must not be present). Keys longer than
    /// `maxKeyLength` are not stored.
    func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, ids: UnsafeBufferPointer<TokenID>) {
        guard n <= maxKeyLength, ids.count <= min(valueCapacity, Int(UInt16.max)) else { return }
        if count >= maxEntries || keyFill + n > keyCapacity || valueFill + ids.count > valueCapacity { clear() }
        var index = Int(truncatingIfNeeded: h) & slotMask
        while slots[index].tag != 0 { index = (index + 1) & slotMask }
        (keyArena + keyFill).update(from: p, count: n)
        if let base = ids.baseAddress { (valueArena + valueFill).update(from: base, count: ids.count) }
        slots[index] = Slot(tag: UInt32(truncatingIfNeeded: h >> 32), keyStart: UInt32(keyFill),
                            valueStart: UInt32(valueFill), keyLength: UInt16(n), valueCount: UInt16(ids.count))
        keyFill += n
        valueFill += ids.count
        count += 1
    }

    /// Removes every entry.
    func clear() {
        for i in 0...slotMask { slots[i].tag = 0 }
        keyFill = 0
        valueFill = 0
        count = 0
    }
}
