// Export.swift — `gradus export`: write a complete index as DeepSpeed DataAnalyzer files and a
// Megatron token dataset (issue 3 item 8; layout in docs/index-format.md, "Export").

import ArgumentParser
import CorpusIndex

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export an index for DeepSpeed's curriculum sampler (metric index files) and Megatron (tokens).",
        discussion: """
        Writes, under --out: <m>/<m>_sample_to_metric, _index_to_sample,
        _index_to_metric and _index_to_sample_percentile_merged (.bin/.idx) for each
        metric, with values truncated toward zero as DeepSpeed's int();
        total_vocab_freq/total_vocab_freq_metric_value; and
        tokens_text_document.bin/.idx (sample i is item i). `--format megatron` writes
        only tokens_text_document.bin/.idx: a hard link to the index's own token files
        when they hold every sample (nothing copied), else a copy. The token dataset
        uses Megatron's dtype codes (read it with Megatron-LM / megatron-core, not
        DeepSpeed's data_sampling reader).

        Examples:
          gradus export runs/pile.idx --format deepspeed --out runs/pile-deepspeed
          gradus export runs/pile.idx --format megatron --out runs/pile-megatron
        """
    )

    /// The export formats.
    enum Format: String, ExpressibleByArgument, CaseIterable { case deepspeed, megatron }

    @Argument(help: "A complete index directory.")
    var index: String

    @OptionGroup var indexOpen: IndexOpenOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(help: "Output format: deepspeed (metric files and tokens) or megatron (tokens only).")
    var format: Format

    @Option(help: "Output directory.")
    var out: String

    func run() throws {
        let start = ProgressLine()
        if format == .megatron {
            let r = try IndexExport.megatron(indexPath: index, outputDirectory: out, options: indexOpen.options)
            writeStderr("exported \(r.samples) samples (\(r.linked ? "linked to the index's token files" : "copied")) in \(format1(start.elapsed)) s -> \(r.prefix)\n")
            return
        }
        let summary = try IndexExport.deepSpeed(indexPath: index, outputDirectory: out, options: indexOpen.options)
        for m in summary.metrics {
            writeStderr("\(m.metric): \(m.sampleCount) samples, \(m.distinctValueCount) distinct values (\(m.valueDType))\n")
        }
        writeStderr("exported \(summary.samples) samples in \(format1(start.elapsed)) s -> \(out)\n")
    }
}
