// SplitMix64.swift — the sampler's explicit, seedable random generator (STYLE.md §9) and the
// 64-bit mixing function used for permutation keys. SplitMix64 (Steele, Lea & Flood, 2014) has a
// single 64-bit word of state, so the saved state is exactly the state used (the fix for
// DeepSpeed #8405, spec §6.7). Draw order is not numpy's (spec §7 is not reproduced on purpose:
// DESIGN.md §4 only requires the admitted set to match).

/// The SplitMix64 finaliser: a bijective 64-bit mix with full avalanche.
@inlinable
public func mix64(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
}

/// SplitMix64: period 2^64, passes BigCrush; one word of state.
public struct SplitMix64: RandomNumberGenerator, Codable, Sendable, Equatable {
    /// The whole generator state.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        return mix64(state)
    }

    /// A uniform double in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform integer in 0..<bound (Lemire's nearly-divisionless method; unbiased).
    @inlinable
    public mutating func nextInt(below bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return m.high
    }

    /// Fisher–Yates shuffle of `a` in place.
    @inlinable
    public mutating func shuffle<T>(_ a: inout [T]) {
        var i = a.count - 1
        while i > 0 {
            let j = Int(nextInt(below: UInt64(i + 1)))
            a.swapAt(i, j)
            i -= 1
        }
    }
}
