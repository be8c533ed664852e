// TokenEntropyMetric.swift — a Gradus metric (not in DeepSpeed's examples): the Shannon entropy in
// bits of a sample's own token distribution, H = −Σ_t p_t log2 p_t with p_t = count_t / n. Low
// entropy marks repetitive samples. Allocation-free: counts live in the caller's `MetricScratch`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Shannon entropy (bits) of the sample's token histogram; 0 for an empty sample.
public struct TokenEntropyMetric: DifficultyMetric {
    public let name: String
    public var needsTokenCounts: Bool { false }

    public var definition: String {
        "Shannon entropy of the sample's token distribution, bits: -sum_k (c_k/n) log2(c_k/n)"
    }

    public init(name: String = "entropy") { self.name = name }

    public static func parse(_ argument: String) -> TokenEntropyMetric? {
        argument == "entropy" ? TokenEntropyMetric() : nil
    }

    /// - Throws: `MetricError.tokenOutsideVocabulary` for an id beyond `scratch.counts` (the
    ///   scratch is restored first).
    /// - Complexity: O(tokens.count); no allocation.
    public func value(of sample: MetricSample, context: MetricContext, scratch: inout MetricScratch) throws -> Double {
        let tokens = sample.tokens
        return try scratch.counts.withUnsafeMutableBufferPointer { counts in
            for (j, t) in tokens.enumerated() {
                guard Int(t) < counts.count else {
                    for u in tokens[0..<j] { counts[Int(u)] = 0 }
                    throw MetricError.tokenOutsideVocabulary(metric: name, id: t, vocabularySize: counts.count)
                }
                counts[Int(t)] += 1
            }
            let n = Double(tokens.count)
            var entropy = 0.0
            for t in tokens where counts[Int(t)] != 0 {  // first occurrence of each distinct id
                let p = Double(counts[Int(t)]) / n
                entropy -= p * log2(p)
                counts[Int(t)] = 0
            }
            return entropy
        }
    }
}
