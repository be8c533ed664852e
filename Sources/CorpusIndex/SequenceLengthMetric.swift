// SequenceLengthMetric.swift — `seqlen` (spec §5.2, BERT): the number of real tokens, i.e. the
// non-zero entries of the padding mask. Gradus samples hold only real tokens, so it is the count.

/// The number of tokens in the sample.
public struct SequenceLengthMetric: DifficultyMetric {
    public let name: String
    public var needsTokenCounts: Bool { false }
    public var definition: String { "number of tokens in the sample" }

    public init(name: String = "seqlen") { self.name = name }

    public static func parse(_ argument: String) -> SequenceLengthMetric? {
        argument == "seqlen" ? SequenceLengthMetric() : nil
    }

    /// - Complexity: O(1).
    public func value(of sample: MetricSample, context: MetricContext, scratch: inout MetricScratch) throws -> Double {
        Double(sample.tokens.count)
    }
}
