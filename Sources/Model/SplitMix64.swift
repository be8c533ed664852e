// SplitMix64.swift — the seeded generator used for initialisation and by the trainer (Steele,
// Lea, Flood 2014, "Fast splittable pseudorandom number generators"). Its whole state is one
// UInt64, so a checkpoint saves exactly the generator in use (STYLE.md §9).

/// A tiny, fast, seedable generator with a `Codable` state.
public struct SplitMix64: RandomNumberGenerator, Codable, Equatable, Sendable {
    /// The complete state.
    public var state: UInt64

    /// Starts from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal sample (Box–Muller, one of the pair).
    public mutating func nextNormal() -> Double {
        let u1 = 1 - nextUnit(), u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
#endif
