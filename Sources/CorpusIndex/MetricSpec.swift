// MetricSpec.swift — the metrics `gradus index --metrics` accepts and how each is defined
// (issue 3 item 2, spec §5.2). Pass-1 metrics are computed per sample as it is stored; corpus
// metrics (rarity) need the token counts of the whole corpus and are computed in pass 2.

/// Metric names as they appear in the index and in DeepSpeed configs.
public enum MetricName {
    public static let seqlen = "seqlen"
    public static let entropy = "entropy"
    public static let vocabularyRarity = "vocabularyrarity"
    public static let seqlenVocabularyRarity = "seqlen_vocabularyrarity"
}

/// One requested metric.
public enum MetricSpec: Equatable, Sendable {
    case seqlen
    case entropy
    case vocabularyRarity
    case seqlenVocabularyRarity
    /// `file:NAME=PATH`: per-document scores joined by document id.
    case file(name: String, path: String)

    /// Parses one `--metrics` item.
    /// - Throws: `IndexError.invalidArgument` naming the accepted metrics.
    public init(parsing text: String) throws {
        switch text {
        case MetricName.seqlen: self = .seqlen
        case MetricName.entropy: self = .entropy
        case MetricName.vocabularyRarity, "vocab_rarity": self = .vocabularyRarity
        case MetricName.seqlenVocabularyRarity, "seqlen_vocab_rarity": self = .seqlenVocabularyRarity
        default:
            if text.hasPrefix("file:"), let eq = text.firstIndex(of: "=") {
                let name = String(text[text.index(text.startIndex, offsetBy: 5)..<eq])
                let path = String(text[text.index(after: eq)...])
                if !name.isEmpty, !path.isEmpty, !name.contains("/") { self = .file(name: name, path: path); return }
            }
            throw IndexError.invalidArgument(
                "unknown metric '\(text)': use seqlen, vocabularyrarity, seqlen_vocabularyrarity, entropy or file:NAME=PATH")
        }
    }

    /// Parses a comma-separated `--metrics` list (duplicates are an error).
    public static func parseList(_ text: String) throws -> [MetricSpec] {
        let specs = try text.split(separator: ",").map { try MetricSpec(parsing: String($0)) }
        let names = specs.map(\.name)
        guard Set(names).count == names.count else { throw IndexError.invalidArgument("--metrics lists a metric twice") }
        guard !specs.isEmpty else { throw IndexError.invalidArgument("--metrics is empty") }
        return specs
    }

    /// The default metrics: `seqlen,vocabularyrarity`, plus `entropy` for `residues`.
    public static func defaults(tokenizer: String) -> [MetricSpec] {
        tokenizer == "residues" ? [.seqlen, .vocabularyRarity, .entropy] : [.seqlen, .vocabularyRarity]
    }

    /// The name of the metric's databases.
    public var name: String {
        switch self {
        case .seqlen: return MetricName.seqlen
        case .entropy: return MetricName.entropy
        case .vocabularyRarity: return MetricName.vocabularyRarity
        case .seqlenVocabularyRarity: return MetricName.seqlenVocabularyRarity
        case let .file(name, _): return name
        }
    }

    /// The `--metrics` item that gives this metric back.
    public var argument: String {
        if case let .file(name, path) = self { return "file:\(name)=\(path)" }
        return name
    }

    /// The definition recorded in the manifest.
    public var definition: String {
        switch self {
        case .seqlen: return "number of tokens in the sample"
        case .entropy: return "Shannon entropy of the sample's token distribution, bits: -sum_k (c_k/n) log2(c_k/n)"
        case .vocabularyRarity:
            return "sum over the sample's tokens of -ln(f_t / sum f), f = corpus token counts over all samples (vocabulary-size histogram) with zero counts set to 1 (DeepSpeed vocab_rarity, exact float)"
        case .seqlenVocabularyRarity:
            return "seqlen * C + vocabularyrarity, C = 10^(ceil(log10(S * max_k w_k)) + 1), S = longest sample, w_k = -ln p_k (DeepSpeed seqlen_vocab_rarity)"
        case let .file(_, path): return "external per-document score joined by document id from \(path)"
        }
    }

    /// Whether the metric needs the whole corpus (computed in pass 2).
    var isCorpusLevel: Bool {
        switch self {
        case .seqlen, .entropy: return false
        default: return true
        }
    }
}
