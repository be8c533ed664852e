// StoredTokenMetric.swift — metrics that score a sample straight from its stored uint16 elements
// (issue 16 item 5): pass 2 reads a mapped token file of uint16 items without widening each
// sample to UInt32 first (that copy was ≈ 13 % of a one-thread build, perf). The values are the
// same bits as `value(of:)` gives for the widened tokens.

/// A metric with a second entry point over stored little-endian uint16 elements.
protocol StoredTokenMetric: DifficultyMetric {
    /// The value of the sample whose stored elements are `items`; equal, bit for bit, to
    /// `value(of:)` on the same ids as UInt32.
    /// - Throws: `MetricError`, as `value(of:)` does.
    func value(ofStored items: UnsafeBufferPointer<UInt16>, context: MetricContext) throws -> Double
}

extension VocabularyRarityMetric: StoredTokenMetric {
    /// - Complexity: O(items.count).
    func value(ofStored items: UnsafeBufferPointer<UInt16>, context: MetricContext) throws -> Double {
        try context.requireRarity(for: name).rarity(ofStored: items, metric: name)
    }
}

extension SeqlenVocabularyRarityMetric: StoredTokenMetric {
    /// - Complexity: O(items.count).
    func value(ofStored items: UnsafeBufferPointer<UInt16>, context: MetricContext) throws -> Double {
        let rarity = try context.requireRarity(for: name)
        let c = try Self.coefficient(sequenceLength: context.sequenceLength, maxWeight: rarity.maxWeight)
        return Double(items.count) * c + (try rarity.rarity(ofStored: items, metric: name))
    }
}

extension RarityWeights {
    /// Σ_j w[t_j] over stored little-endian uint16 ids, in the order and with the four partial
    /// sums of `rarity(of:metric:)`, so the result is the same bits. The ids are looked up in
    /// `storedWeights` (65 536 entries, NaN past the vocabulary) without a bounds pass first: a
    /// sum of finite non-negative weights is never NaN, so a NaN result means an id outside the
    /// vocabulary, which is then found and reported.
    /// - Throws: `MetricError.tokenOutsideVocabulary` for an id without a weight.
    /// - Complexity: O(items.count).
    func rarity(ofStored items: UnsafeBufferPointer<UInt16>, metric: String) throws -> Double {
        let sum = storedWeights.withUnsafeBufferPointer { w -> Double in
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var j = 0
            while j + 4 <= items.count {
                s0 += w[Int(UInt16(littleEndian: items[j]))]; s1 += w[Int(UInt16(littleEndian: items[j + 1]))]
                s2 += w[Int(UInt16(littleEndian: items[j + 2]))]; s3 += w[Int(UInt16(littleEndian: items[j + 3]))]
                j += 4
            }
            if j < items.count { s0 += w[Int(UInt16(littleEndian: items[j]))] }
            if j + 1 < items.count { s1 += w[Int(UInt16(littleEndian: items[j + 1]))] }
            if j + 2 < items.count { s2 += w[Int(UInt16(littleEndian: items[j + 2]))] }
            return (s0 + s1) + (s2 + s3)
        }
        if sum.isNaN, let bad = items.lazy.map({ UInt16(littleEndian: $0) }).first(where: { Int($0) >= weights.count }) {
            throw MetricError.tokenOutsideVocabulary(metric: metric, id: UInt32(bad), vocabularySize: weights.count)
        }
        return sum
    }

    /// `weights` padded to every uint16 id: w_k for k below the vocabulary size, NaN above
    /// (only the first 65 536 weights when the vocabulary is larger).
    static func storedTable(_ weights: [Double]) -> [Double] {
        var table = [Double](repeating: .nan, count: 1 << 16)
        for k in 0..<min(weights.count, table.count) { table[k] = weights[k] }
        return table
    }
}
