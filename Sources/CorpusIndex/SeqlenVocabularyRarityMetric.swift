// SeqlenVocabularyRarityMetric.swift — `seqlen_vocab_rarity` (spec §5.2, BERT "seqlen reorder +
// voc"): seqlen · C + vocab_rarity with C = 10^(⌈log10(seq_length · max_k w_k)⌉ + 1), so the length
// dominates the order and rarity breaks ties.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// seqlen · C + Σ w[t_j].
public struct SeqlenVocabularyRarityMetric: DifficultyMetric {
    public let name: String
    public var needsTokenCounts: Bool { true }

    public init(name: String = "seqlen_vocab_rarity") { self.name = name }

    /// C = 10^(⌈log(x)/log(10)⌉ + 1), x = sequenceLength · maxWeight. The logarithm is computed as
    /// Python's `math.log(x, 10)` = ln x / ln 10 (not `log10`, which can differ at exact powers of ten).
    /// - Throws: `MetricError.undefinedCoefficient` when x ≤ 0 or is not finite.
    public static func coefficient(sequenceLength: Int, maxWeight: Double) throws -> Double {
        let x = Double(sequenceLength) * maxWeight
        guard x > 0, x.isFinite else {
            throw MetricError.undefinedCoefficient(sequenceLength: sequenceLength, maxWeight: maxWeight)
        }
        let exponent = (log(x) / log(10.0)).rounded(.up) + 1
        return pow(10.0, exponent)
    }

    /// - Complexity: O(tokens.count).
    public func value(of tokens: UnsafeBufferPointer<UInt32>, context: MetricContext,
                      scratch: inout MetricScratch) throws -> Double {
        let rarity = try context.requireRarity(for: name)
        let c = try Self.coefficient(sequenceLength: context.sequenceLength, maxWeight: rarity.maxWeight)
        return Double(tokens.count) * c + (try rarity.rarity(of: tokens, metric: name))
    }
}
