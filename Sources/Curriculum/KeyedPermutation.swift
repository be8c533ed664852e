// KeyedPermutation.swift — a keyed pseudo-random permutation of 0..<n computed pointwise
// (DESIGN.md §4): a balanced Feistel network over the smallest even-bit power-of-two domain
// ≥ n, restricted to 0..<n by cycle-walking (Black & Rogaway, 2002). A cluster pass reads
// position i as `apply(i)`, so a shuffled cluster of any size costs O(1) memory and a resume
// needs only (key, position).

/// A bijection of 0..<count chosen by `key`.
public struct KeyedPermutation: Sendable, Equatable {
    public let count: UInt64
    public let key: UInt64
    @usableFromInline let halfBits: UInt64
    @usableFromInline let halfMask: UInt64
    @usableFromInline static let rounds = 6

    public init(count: UInt64, key: UInt64) {
        self.count = count
        self.key = key
        var bits: UInt64 = 2
        while bits < 64, (UInt64(1) << bits) < count { bits += 2 }
        halfBits = bits / 2
        halfMask = (UInt64(1) << halfBits) - 1
    }

    /// The image of `i` (0 ≤ i < count).
    /// - Complexity: expected < 4 Feistel evaluations (the domain is < 4·count).
    @inlinable
    public func apply(_ i: UInt64) -> UInt64 {
        precondition(i < count, "permutation index out of range")
        var x = feistel(i)
        while x >= count { x = feistel(x) }
        return x
    }

    @inlinable
    func feistel(_ x: UInt64) -> UInt64 {
        var left = x >> halfBits, right = x & halfMask
        for r in 0..<KeyedPermutation.rounds {
            let f = mix64(right ^ (key &+ UInt64(r) &* 0x9e37_79b9_7f4a_7c15)) & halfMask
            (left, right) = (right, left ^ f)
        }
        return left << halfBits | right
    }
}
