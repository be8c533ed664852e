// VocabularyRarityMetric.swift — `vocabularyrarity`, DeepSpeed's `vocab_rarity` (spec §5.2): the
// sum (not the mean) of the rarity weights of a sample's tokens. DeepSpeed exports int(Σ w) (GPT)
// or the int64 cast (BERT), both truncation toward zero; Gradus keeps the exact sum.

import Curriculum

/// Σ_j w[t_j] with w from `RarityWeights`.
public struct VocabularyRarityMetric: DifficultyMetric {
    public let name: String
    public var needsTokenCounts: Bool { true }
    public var definition: String {
        "sum over the sample's tokens of -ln(f_t / sum f), f = corpus token counts over all samples (vocabulary-size histogram) with zero counts set to 1 (DeepSpeed vocab_rarity, exact float)"
    }

    public init(name: String = "vocabularyrarity") { self.name = name }

    /// `vocabularyrarity`, or DeepSpeed's `vocab_rarity`.
    public static func parse(_ argument: String) -> VocabularyRarityMetric? {
        MetricAliases.canonical(argument) == "vocabularyrarity" ? VocabularyRarityMetric() : nil
    }

    /// - Complexity: O(tokens.count).
    public func value(of sample: MetricSample, context: MetricContext, scratch: inout MetricScratch) throws -> Double {
        try context.requireRarity(for: name).rarity(of: sample.tokens, metric: name)
    }
}
