// Metrics.swift — the difficulty-metric abstraction and the shared math behind Megatron-DeepSpeed's
// analyzer metrics (spec §5.2): token rarity weights from corpus counts, and the context and
// scratch space a metric is evaluated with. Each metric is one type in its own file
// (`SequenceLengthMetric.swift`, `VocabularyRarityMetric.swift`, …), so adding a metric is adding
// a file.
//
// Gradus keeps metric values as exact Float64; DeepSpeed's integer truncation happens only on
// export (`DeepSpeedExport.truncatedForExport`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A per-sample difficulty metric.
public protocol DifficultyMetric: Sendable {
    /// The name used for index files and configs, e.g. `vocab_rarity`.
    var name: String { get }
    /// Whether the metric needs corpus token counts (`context.rarity`), i.e. a second pass over
    /// the corpus after `total_vocab_freq`.
    var needsTokenCounts: Bool { get }
    /// The exact value for one sample.
    /// - Parameters:
    ///   - tokens: the sample's token ids (real tokens only; Gradus samples carry no padding).
    ///   - scratch: per-thread scratch space; left as it was found.
    /// - Throws: `MetricError`.
    func value(of tokens: UnsafeBufferPointer<UInt32>, context: MetricContext,
               scratch: inout MetricScratch) throws -> Double
}

/// What a metric may use besides the sample itself.
public struct MetricContext: Sendable {
    /// The training sequence length (BERT 512, GPT 2048); scales `seqlen_vocab_rarity`.
    public var sequenceLength: Int
    /// Rarity weights from the corpus counts; nil in the first pass.
    public var rarity: RarityWeights?

    public init(sequenceLength: Int, rarity: RarityWeights? = nil) {
        self.sequenceLength = sequenceLength
        self.rarity = rarity
    }

    /// `rarity`, or `MetricError.missingTokenCounts` naming the metric.
    public func requireRarity(for metric: String) throws -> RarityWeights {
        guard let rarity else { throw MetricError.missingTokenCounts(metric: metric) }
        return rarity
    }
}

/// Per-thread scratch space for metrics that count tokens (e.g. entropy): one counter per
/// vocabulary id, all zero between calls.
public struct MetricScratch {
    /// Zero between calls; metrics restore every entry they touch.
    public var counts: [UInt32]

    /// - Complexity: allocates 4 bytes per vocabulary id, once per thread.
    public init(vocabularySize: Int) {
        counts = [UInt32](repeating: 0, count: vocabularySize)
    }
}

/// Per-token rarity weights w_k = −ln(f_k / Σ f), with zero counts replaced by 1 **before**
/// normalising (spec §5.2, `vocab_rarity`).
public struct RarityWeights: Sendable, Equatable {
    /// w_k, Float64.
    public let weights: [Double]
    /// max_k w_k (used by `seqlen_vocab_rarity`'s coefficient).
    public let maxWeight: Double

    /// - Parameter counts: the `total_vocab_freq` histogram f.
    /// - Throws: `MetricError.invalidCounts` for an empty histogram, a negative count or a total
    ///   above Int64.max.
    /// - Complexity: O(counts.count).
    public init(counts: [Int64]) throws {
        guard !counts.isEmpty else { throw MetricError.invalidCounts("the histogram is empty") }
        var total: Int64 = 0
        for (k, f) in counts.enumerated() {
            guard f >= 0 else { throw MetricError.invalidCounts("token \(k) has negative count \(f)") }
            let (sum, overflow) = total.addingReportingOverflow(max(f, 1))
            guard !overflow else { throw MetricError.invalidCounts("the total exceeds Int64.max") }
            total = sum
        }
        let denominator = Double(total)
        weights = counts.map { -log(Double(max($0, 1)) / denominator) }
        maxWeight = weights.max()!
    }

    /// Σ_j w[t_j], summed in token order in Float64 (torch may reduce in another order, so the
    /// last bits can differ; truncation differs only within a few ulps of an integer).
    /// - Throws: `MetricError.tokenOutsideVocabulary` for an id without a weight.
    /// - Complexity: O(tokens.count).
    public func rarity(of tokens: UnsafeBufferPointer<UInt32>, metric: String) throws -> Double {
        var sum = 0.0
        try weights.withUnsafeBufferPointer { w in
            for t in tokens {
                guard Int(t) < w.count else {
                    throw MetricError.tokenOutsideVocabulary(metric: metric, id: t, vocabularySize: w.count)
                }
                sum += w[Int(t)]
            }
        }
        return sum
    }
}

/// Failures while computing metrics, naming the metric and the problem.
public enum MetricError: Error, CustomStringConvertible, Equatable {
    /// A metric that needs corpus token counts was run without them.
    case missingTokenCounts(metric: String)
    /// A token id at or above the vocabulary size of the weights or scratch counts.
    case tokenOutsideVocabulary(metric: String, id: UInt32, vocabularySize: Int)
    /// The token-count histogram cannot give weights.
    case invalidCounts(String)
    /// `seqlen_vocab_rarity`'s coefficient is undefined (seq_length · max w ≤ 0, as when the
    /// corpus has a single token type; Python's `math.log` raises there too).
    case undefinedCoefficient(sequenceLength: Int, maxWeight: Double)

    public var description: String {
        switch self {
        case let .missingTokenCounts(metric):
            return "metric \(metric) needs corpus token counts (total_vocab_freq) from a first pass"
        case let .tokenOutsideVocabulary(metric, id, size):
            return "metric \(metric): token id \(id) is outside the vocabulary (size \(size))"
        case let .invalidCounts(problem):
            return "token counts: \(problem)"
        case let .undefinedCoefficient(sequenceLength, maxWeight):
            return "seqlen_vocab_rarity: log10(\(sequenceLength) · \(maxWeight)) is undefined"
        }
    }
}
