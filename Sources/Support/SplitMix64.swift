// SplitMix64.swift — the one seedable random generator of the project (STYLE.md §9) and its
// 64-bit mixing function (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
// generators"). The whole state is one UInt64, so a saved state (a sampler state, a checkpoint's
// `trainerRNG`) is exactly the generator in use; its Codable form is `{"state": N}`. Model
// initialisation, the trainer, batch sources and the curriculum sampler all draw from it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SplitMix64 finaliser: a bijective 64-bit mix with full avalanche.
@inlinable
package func mix64(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
}

/// SplitMix64: period 2^64, passes BigCrush; one word of state.
package struct SplitMix64: RandomNumberGenerator, Codable, Sendable, Equatable {
    /// The whole generator state.
    package var state: UInt64

    /// Starts from `seed`.
    package init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    @inlinable
    package mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        return mix64(state)
    }

    /// A uniform double in [0, 1) with 53 random bits.
    @inlinable
    package mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal sample (Box–Muller, one of the pair).
    package mutating func nextNormal() -> Double {
        let u1 = 1 - nextDouble(), u2 = nextDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A uniform integer in 0..<bound (Lemire's nearly-divisionless method; unbiased).
    @inlinable
    package mutating func nextInt(below bound: UInt64) -> UInt64 {
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
    package mutating func shuffle<T>(_ a: inout [T]) {
        var i = a.count - 1
        while i > 0 {
            let j = Int(nextInt(below: UInt64(i + 1)))
            a.swapAt(i, j)
            i -= 1
        }
    }
}
