// KeyedPermutation.swift — a keyed pseudo-random permutation of 0..<n computed pointwise
// (DESIGN.md §4): a 4-round Feistel network over the smallest power-of-two domain ≥ n (at least
// 4), restricted to 0..<n by cycle-walking (Black & Rogaway, 2002). An odd number of domain bits
// is handled by an unbalanced split (⌊b/2⌋ and ⌈b/2⌉ bits; each round moves the right part to
// the top, so the widths alternate and every round is a bijection of b-bit words). The round
// function is a multiply–xorshift–multiply hash of the right part and a per-round key, truncated
// to the left part's width from its high bits. A cluster pass reads position i as `apply(i)`, so
// a shuffled cluster of any size costs O(1) memory and a resume needs only (key, position).
// (Until issue 4's speed work this was a 6-round balanced Feistel with a SplitMix64 round
// function over the next even-bit power of two: ~2.2 evaluations per position instead of ~1.4,
// each three times as costly. The draw order changed with it; the admitted sets did not.)

import Support

/// A bijection of 0..<count chosen by `key`.
public struct KeyedPermutation: Sendable, Equatable {
    public let count: UInt64
    public let key: UInt64
    /// Domain bits b and the split: the low part of an input has `lowBits` = ⌊b/2⌋ bits.
    @usableFromInline let bits: UInt64
    @usableFromInline let lowBits: UInt64
    @usableFromInline let k0: UInt64
    @usableFromInline let k1: UInt64
    @usableFromInline let k2: UInt64
    @usableFromInline let k3: UInt64

    public init(count: UInt64, key: UInt64) {
        self.count = count
        self.key = key
        var b: UInt64 = 2
        while b < 64, (UInt64(1) << b) < count { b += 1 }
        bits = b
        lowBits = b / 2
        k0 = mix64(key &+ 0x9e37_79b9_7f4a_7c15)
        k1 = mix64(key &+ 0x3c6e_f372_fe94_f82a)
        k2 = mix64(key &+ 0xdaa6_6d2c_7ddf_743f)
        k3 = mix64(key &+ 0x78dd_e6e5_fd29_f054)
    }

    /// The image of `i` (0 ≤ i < count).
    /// - Complexity: expected < 2 Feistel evaluations (the domain is < 2·count).
    @inlinable @inline(__always)
    public func apply(_ i: UInt64) -> UInt64 {
        precondition(i < count, "permutation index out of range")
        var x = feistel(i)
        while x >= count { x = feistel(x) }
        return x
    }

    /// The round function: `width` (1…63) pseudo-random bits of (r, k).
    @inlinable @inline(__always)
    static func round(_ r: UInt64, _ k: UInt64, width: UInt64) -> UInt64 {
        var h = (r ^ k) &* 0xd6e8_feb8_6659_fd93
        h ^= h &>> 32
        h = h &* 0xd6e8_feb8_6659_fd93
        return h &>> (64 &- width)
    }

    /// One round on a b-bit word whose low part has `low` bits: (L, R) → (R, L ⊕ F(R)), with R
    /// moved to the top; the new low part has b − low bits.
    @inlinable @inline(__always)
    static func step(_ x: UInt64, low: UInt64, high: UInt64, key: UInt64) -> UInt64 {
        let right = x & ((1 &<< low) &- 1), left = x &>> low
        return right &<< high | (left ^ round(right, key, width: high))
    }

    @inlinable @inline(__always)
    func feistel(_ x: UInt64) -> UInt64 {
        let a = lowBits, c = bits &- lowBits
        var y = KeyedPermutation.step(x, low: a, high: c, key: k0)
        y = KeyedPermutation.step(y, low: c, high: a, key: k1)
        y = KeyedPermutation.step(y, low: a, high: c, key: k2)
        return KeyedPermutation.step(y, low: c, high: a, key: k3)
    }
}
