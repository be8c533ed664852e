// Metric.swift — `gradus metric add|remove`: scores computed after the fact become metrics of a
// complete index, or go again, in one atomic transaction each (issue 15 item 4).

import ArgumentParser
import CorpusIndex
import Foundation

struct MetricCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metric",
        abstract: "Add a metric computed elsewhere to a complete index, or remove one.",
        subcommands: [MetricAdd.self, MetricRemove.self]
    )
}

extension MetricGranularity: ExpressibleByArgument {}

struct MetricAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add the metric NAME to a complete index from per-sample or per-document values.",
        discussion: """
        FILE is a numpy .npy array (1-D, little-endian float32/float64/int32/int64;
        recognised by its magic) in sample order (--per sample, the default) or
        document order (--per document), or JSONL lines {"id": ..., "value": ...}
        ("score" works for "value"): with --per sample the id is the sample index
        0..<N, with --per document the input's document id (as file: metrics join).
        Every sample (or document) needs exactly one finite value. On a packed index a
        sample's value is the token-weighted mean of the values of the documents it
        overlaps (.npy in document order only). Tokens are not touched; the tables,
        manifest and checksums change in one transaction, so an interruption leaves
        the index as it was. The index's content fingerprint changes: checkpoints made
        before are refused until the metric is removed. Format: docs/index-format.md
        ("Metrics added after indexing").

        Examples:
          gradus metric add runs/text.idx perplexity --from ppl.npy
          gradus metric add runs/text.idx quality --from scores.jsonl --per document
          gradus metric add runs/pile-packed.idx loss --from doc_loss.npy \\
            --per document
        """
    )

    @Argument(help: "Index directory (a complete index, not a shard).")
    var index: String

    @Argument(help: "Name of the new metric (letters, digits and - _ + .; not a built-in metric).")
    var name: String

    @Option(help: "The values: a .npy array or JSONL {\"id\": ..., \"value\": ...} lines.")
    var from: String

    @Option(help: "Whether the values are per `sample` or per `document`.")
    var per: MetricGranularity = .sample

    @Flag(help: "Overwrite the values of a metric of that name added before.")
    var replace = false

    func validate() throws {
        do { try IndexMetricEditor.checkName(name) } catch let error as IndexError { throw ValidationError(error.description) }
    }

    func run() throws {
        let hooks = TestHooks.current
        let change = try IndexMetricEditor.add(index: index, name: name, from: from, per: per, replace: replace) {
            hooks.abortIfPhase("metric-" + $0)
        }
        let out = StandardOutput()
        try out.write("\(replace && change.before.metrics.contains { $0.name == name } ? "replaced" : "added") metric \(name) "
            + "of \(change.after.counts.samples) samples in \(index); index fingerprint \(change.before.contentFingerprint) -> "
            + "\(change.after.contentFingerprint)\n")
        try out.flush()
    }
}

struct MetricRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove a metric added with `gradus metric add` (or a file: metric) from an index.",
        discussion: """
        Built-in metrics (seqlen, vocabularyrarity, seqlen_vocabularyrarity, entropy)
        stay: rebuild the index without them. The index's last metric stays too. One
        transaction: an interruption leaves the index as it was. Removing a metric
        added after a checkpoint gives the index its old content fingerprint back, so
        the checkpoint resumes again.

        Example:
          gradus metric remove runs/text.idx perplexity
        """
    )

    @Argument(help: "Index directory.")
    var index: String

    @Argument(help: "Name of the metric to remove.")
    var name: String

    func validate() throws {
        do { try IndexMetricEditor.checkRemovable(name) } catch let error as IndexError { throw ValidationError(error.description) }
    }

    func run() throws {
        let hooks = TestHooks.current
        let change = try IndexMetricEditor.remove(index: index, name: name) { hooks.abortIfPhase("metric-" + $0) }
        let out = StandardOutput()
        try out.write("removed metric \(name) from \(index); index fingerprint \(change.before.contentFingerprint) -> "
            + "\(change.after.contentFingerprint)\n")
        try out.flush()
    }
}
