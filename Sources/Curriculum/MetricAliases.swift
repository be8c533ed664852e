// MetricAliases.swift — DeepSpeed's metric names for Gradus's index metrics (issue 15 item 5):
// one table, read by `gradus index --metrics` (CorpusIndex's metric parsers) and by a config's
// `curriculum_metrics` (the sampler's lookup of a metric in the index), so that a name accepted
// at index time names the same metric in a config.

/// DeepSpeed's spellings of index metric names.
public enum MetricAliases {
    /// DeepSpeed name → Gradus's index metric name (spec §5.2).
    public static let deepSpeedNames: [String: String] = [
        "vocab_rarity": "vocabularyrarity",
        "seqlen_vocab_rarity": "seqlen_vocabularyrarity",
    ]

    /// The index metric `name` stands for: the Gradus name of a DeepSpeed alias, else `name` itself.
    public static func canonical(_ name: String) -> String { deepSpeedNames[name] ?? name }

    /// The position in `available` (an index's metric names) of the metric a config's `name`
    /// means: the name itself, else its Gradus name; nil when the index has neither.
    public static func position(of name: String, in available: [String]) -> Int? {
        available.firstIndex(of: name) ?? available.firstIndex(of: canonical(name))
    }
}
