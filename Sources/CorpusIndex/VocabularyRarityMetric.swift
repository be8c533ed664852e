// VocabularyRarityMetric.swift — `vocab_rarity` (spec §5.2): the sum (not the mean) of the rarity
// weights of a sample's tokens. DeepSpeed exports int(Σ w) (GPT) or the int64 cast (BERT), both
// truncation toward zero; Gradus keeps the exact sum.

/// Σ_j w[t_j] with w from `RarityWeights`.
public struct VocabularyRarityMetric: DifficultyMetric {
    public let name: String
    public var needsTokenCounts: Bool { true }

    public init(name: String = "vocab_rarity") { self.name = name }

    /// - Complexity: O(tokens.count).
    public func value(of tokens: UnsafeBufferPointer<UInt32>, context: MetricContext,
                      scratch: inout MetricScratch) throws -> Double {
        try context.requireRarity(for: name).rarity(of: tokens, metric: name)
    }
}
