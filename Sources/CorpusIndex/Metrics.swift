// Metrics.swift — the difficulty-metric abstraction and the shared math behind Megatron-DeepSpeed's
// analyzer metrics (spec §5.2): token rarity weights from corpus counts, and the context and
// scratch space a metric is evaluated with, and the registry of `--metrics` names. Each metric is
// one type in its own file (`SequenceLengthMetric.swift`, `VocabularyRarityMetric.swift`, …), so
// adding a metric is adding a file (and its type to `MetricRegistry.kinds`).
//
// Gradus keeps metric values as exact Float64; DeepSpeed's integer truncation happens only on
// export (`DeepSpeedExport.truncatedForExport`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A per-sample difficulty metric: the only abstraction `gradus index`, `gradus merge` and the
/// tests compute metrics through. A conforming type says how it is named on the command line
/// (`parse`), what it means (`definition`, recorded in the manifest) and whether it needs the
/// corpus token counts (computed in pass 2 from the stored tokens) or not (pass 1).
public protocol DifficultyMetric: Sendable {
    /// The name used for the index tables and export files, e.g. `vocabularyrarity`.
    var name: String { get }
    /// The `--metrics` item that gives this metric back (the name, or `file:NAME=PATH`).
    var argument: String { get }
    /// A one-line definition, recorded in the index manifest.
    var definition: String { get }
    /// Whether the metric needs corpus token counts (`context.rarity`), i.e. a second pass over
    /// the corpus after `total_vocab_freq`.
    var needsTokenCounts: Bool { get }
    /// The metric named by one `--metrics` item, or nil when `argument` names another metric.
    /// - Throws: when `argument` is this metric's syntax but unusable (e.g. an unreadable file).
    static func parse(_ argument: String) throws -> Self?
    /// The exact value for one sample.
    /// - Parameters:
    ///   - sample: the sample's token ids (real tokens only; Gradus samples carry no padding) and
    ///     the id of the document it came from.
    ///   - scratch: per-thread scratch space; left as it was found.
    /// - Throws: `MetricError`.
    func value(of sample: MetricSample, context: MetricContext, scratch: inout MetricScratch) throws -> Double
}

extension DifficultyMetric {
    public var argument: String { name }

    /// The value of a sample given by its tokens alone (no document id).
    public func value(of tokens: UnsafeBufferPointer<UInt32>, context: MetricContext,
                      scratch: inout MetricScratch) throws -> Double {
        try value(of: MetricSample(tokens: tokens), context: context, scratch: &scratch)
    }
}

/// One sample as a metric sees it.
public struct MetricSample {
    /// The sample's token ids.
    public var tokens: UnsafeBufferPointer<UInt32>
    /// The input's id of the sample's (first) document, when the input has ids.
    public var documentID: String?

    public init(tokens: UnsafeBufferPointer<UInt32>, documentID: String? = nil) {
        self.tokens = tokens
        self.documentID = documentID
    }
}

/// The metrics `--metrics` accepts. Adding a metric is adding its file and its type to `kinds`.
public enum MetricRegistry {
    /// Every metric type, tried in order by `parse`.
    static let kinds: [any DifficultyMetric.Type] = [
        SequenceLengthMetric.self, VocabularyRarityMetric.self, SeqlenVocabularyRarityMetric.self,
        TokenEntropyMetric.self, FileScoreMetric.self,
    ]

    /// Parses one `--metrics` item.
    /// - Throws: `IndexError.invalidArgument` naming the accepted metrics, or what the metric's
    ///   `parse` throws.
    public static func parse(_ argument: String) throws -> any DifficultyMetric {
        for kind in kinds {
            if let metric = try kind.parse(argument) { return metric }
        }
        throw IndexError.invalidArgument(
            "unknown metric '\(argument)': use seqlen, vocabularyrarity, seqlen_vocabularyrarity, entropy or file:NAME=PATH")
    }

    /// Parses a comma-separated `--metrics` list (empty lists and duplicate names are errors).
    public static func parseList(_ text: String) throws -> [any DifficultyMetric] {
        let metrics = try text.split(separator: ",").map { try parse(String($0)) }
        let names = metrics.map(\.name)
        guard Set(names).count == names.count else { throw IndexError.invalidArgument("--metrics lists a metric twice") }
        guard !metrics.isEmpty else { throw IndexError.invalidArgument("--metrics is empty") }
        return metrics
    }

    /// The default metrics: `seqlen,vocabularyrarity`, plus `entropy` for `residues`.
    public static func defaults(tokenizer: String) -> [any DifficultyMetric] {
        let base: [any DifficultyMetric] = [SequenceLengthMetric(), VocabularyRarityMetric()]
        return tokenizer == "residues" ? base + [TokenEntropyMetric()] : base
    }
}

/// What a metric may use besides the sample itself.
public struct MetricContext: Sendable {
    /// The length that scales `seqlen_vocabularyrarity`'s coefficient: Gradus passes the longest
    /// sample of the corpus (DeepSpeed passes the training sequence length, an upper bound of it).
    public var sequenceLength: Int
    /// Rarity weights from the corpus counts; nil in the first pass.
    public var rarity: RarityWeights?
    /// `--skip-bad`: a sample a metric cannot score gets NaN instead of an error (file scores).
    public var skipBad: Bool

    public init(sequenceLength: Int, rarity: RarityWeights? = nil, skipBad: Bool = false) {
        self.sequenceLength = sequenceLength
        self.rarity = rarity
        self.skipBad = skipBad
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
    /// `weights` over every uint16 id, NaN past the vocabulary (`rarity(ofStored:metric:)`).
    let storedWeights: [Double]

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
        storedWeights = Self.storedTable(weights)
    }

    /// Weights from an unsigned histogram (the index's `counts` table).
    /// - Throws: `MetricError.invalidCounts` for a count above Int64.max, and what
    ///   `init(counts: [Int64])` throws.
    public init(tokenCounts counts: [UInt64]) throws {
        let signed = try counts.enumerated().map { k, f in
            guard let v = Int64(exactly: f) else { throw MetricError.invalidCounts("token \(k) has count \(f) above Int64.max") }
            return v
        }
        try self.init(counts: signed)
    }

    /// Σ_j w[t_j] in Float64, as four interleaved partial sums (tokens j ≡ 0, 1, 2, 3 mod 4)
    /// added at the end: four independent add chains instead of one, and a fixed order, so the
    /// value does not depend on threads or shards. numpy and torch reduce in other orders, so the
    /// last bits can differ (relative error ~1e-15; truncation differs only within a few ulps of
    /// an integer).
    /// - Throws: `MetricError.tokenOutsideVocabulary` for an id without a weight.
    /// - Complexity: O(tokens.count).
    public func rarity(of tokens: UnsafeBufferPointer<UInt32>, metric: String) throws -> Double {
        try weights.withUnsafeBufferPointer { w in
            var high: UInt32 = 0
            for t in tokens { high = Swift.max(high, t) }
            guard Int(high) < w.count || tokens.isEmpty else {
                let t = tokens.first { Int($0) >= w.count }!
                throw MetricError.tokenOutsideVocabulary(metric: metric, id: t, vocabularySize: w.count)
            }
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var j = 0
            while j + 4 <= tokens.count {
                s0 += w[Int(tokens[j])]; s1 += w[Int(tokens[j + 1])]
                s2 += w[Int(tokens[j + 2])]; s3 += w[Int(tokens[j + 3])]
                j += 4
            }
            if j < tokens.count { s0 += w[Int(tokens[j])] }
            if j + 1 < tokens.count { s1 += w[Int(tokens[j + 1])] }
            if j + 2 < tokens.count { s2 += w[Int(tokens[j + 2])] }
            return (s0 + s1) + (s2 + s3)
        }
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
    /// A `file:` metric has no score for the sample's document (or the sample has no document id).
    case missingScore(metric: String, documentID: String?)

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
        case let .missingScore(metric, id):
            return id.map { "metric \(metric): no score for document id \($0)" }
                ?? "metric \(metric): the sample has no document id to join the scores on"
        }
    }
}
