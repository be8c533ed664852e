// Info.swift — `gradus info`: what an index holds — inputs, counts, skipped records, and per
// metric min/max/mean/percentiles (exact, from the order tables) with a text histogram.

import ArgumentParser
import CorpusIndex

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise an index: inputs, counts, metric percentiles and histograms.",
        discussion: """
        Examples:
          gradus info runs/text.idx
          gradus info runs/text.idx --json
        """
    )

    @Argument(help: "Index directory.")
    var index: String

    @OptionGroup var indexOpen: IndexOpenOptions

    @Flag(help: "One JSON object instead of text.")
    var json = false

    func run() throws {
        let reader = try IndexReader(path: index, options: indexOpen.options)
        let m = reader.manifest
        let summaries = try reader.metricNames.map { try reader.summary(of: $0) }
        if json { print(jsonText(m, summaries)); return }
        print("index: \(index) (\(m.kind), format \(try reader.store.formatVersion()), created \(m.created))")
        print("tokenizer: \(m.tokenizer.name), vocabulary \(m.tokenizer.vocabularySize), \(m.tokenWidth)-byte tokens")
        for input in m.inputs { print("input: \(input.path) (\(input.format), \(input.size.map { "\($0) bytes" } ?? "size unknown"))") }
        print("documents: \(m.counts.documents)  samples: \(m.counts.samples)  tokens: \(m.counts.tokens)" + (m.pack.map { "  packed to \($0 + 1) tokens (\(m.counts.droppedTokens) trailing tokens dropped)" } ?? ""))
        let skipped = m.counts.skipped.sorted { $0.key < $1.key }
        print("skipped: " + (skipped.isEmpty ? "none" : skipped.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        for s in summaries {
            print("\nmetric \(s.name): min \(s.min)  max \(s.max)  mean \(s.mean)")
            print("  percentiles: " + zip(MetricSummary.percentileLevels, s.percentiles).map { "p\($0) \($1)" }.joined(separator: "  "))
            let top = max(1, s.histogram.max() ?? 1)
            let width = (s.max - s.min) / Double(s.histogram.count)
            for (b, count) in s.histogram.enumerated() {
                let lo = s.min + Double(b) * width
                let bar = String(repeating: "#", count: count * 40 / top)
                print("  \(String(format1(lo)).padding(12)) \(String(count).padding(9)) \(bar)")
            }
        }
    }

    private func jsonText(_ m: IndexManifest, _ summaries: [MetricSummary]) -> String {
        var line = JSONLine()
        line.add("index", index)
        line.add("kind", m.kind)
        line.add("tokenizer", m.tokenizer.name)
        line.add("vocabulary_size", m.tokenizer.vocabularySize)
        line.addRaw("inputs", "[" + m.inputs.map { i in
            var o = JSONLine(); o.add("path", i.path); o.add("format", i.format); if let s = i.size { o.add("size", s) }; return o.text
        }.joined(separator: ",") + "]")
        line.add("documents", m.counts.documents)
        line.add("samples", m.counts.samples)
        line.add("tokens", m.counts.tokens)
        line.add("skipped", m.counts.skipped)
        if let pack = m.pack { line.add("pack", pack); line.add("dropped_tokens", m.counts.droppedTokens) }
        line.addRaw("metrics", "{" + summaries.map { s in
            var o = JSONLine()
            o.add("min", s.min); o.add("max", s.max); o.add("mean", s.mean)
            o.addRaw("percentiles", "{" + zip(MetricSummary.percentileLevels, s.percentiles).map { "\"p\($0)\":\(jsonNumber($1))" }.joined(separator: ",") + "}")
            o.addRaw("histogram", "[" + s.histogram.map(String.init).joined(separator: ",") + "]")
            return quote(s.name) + ":" + o.text
        }.joined(separator: ",") + "}")
        return line.text
    }
}

/// A JSON number (`null` for NaN/infinity).
func jsonNumber(_ x: Double) -> String { x.isFinite ? String(x) : "null" }
