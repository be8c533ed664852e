// SeqlenVocabularyRarityMetric.swift — `seqlen_vocabularyrarity`, DeepSpeed's `seqlen_vocab_rarity` (spec §5.2, BERT "seqlen reorder +
// voc"): seqlen · C + vocab_rarity with C = 10^(⌈log10(seq_length · max_k w_k)⌉ + 1), so the length
// dominates the order and rarity breaks ties.

import Curriculum
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// seqlen · C + Σ w[t_j].
public struct SeqlenVocabularyRarityMetric: DifficultyMetric {
    public let name: String
    public var needsTokenCounts: Bool { true }

    public var definition: String {
        "seqlen * C + vocabularyrarity, C = 10^(ceil(log10(S * max_k w_k)) + 1), S = longest sample, w_k = -ln p_k (DeepSpeed seqlen_vocab_rarity)"
    }

    public init(name: String = "seqlen_vocabularyrarity") { self.name = name }

    /// `seqlen_vocabularyrarity`, or DeepSpeed's `seqlen_vocab_rarity`.
    public static func parse(_ argument: String) -> SeqlenVocabularyRarityMetric? {
        MetricAliases.canonical(argument) == "seqlen_vocabularyrarity" ? SeqlenVocabularyRarityMetric() : nil
    }

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
    public func value(of sample: MetricSample, context: MetricContext, scratch: inout MetricScratch) throws -> Double {
        let tokens = sample.tokens
        let rarity = try context.requireRarity(for: name)
        let c = try Self.coefficient(sequenceLength: context.sequenceLength, maxWeight: rarity.maxWeight)
        return Double(tokens.count) * c + (try rarity.rarity(of: tokens, metric: name))
    }
}
