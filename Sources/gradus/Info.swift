// Info.swift — `gradus info`: what an index holds — inputs, counts, skipped records, per
// `--group-field` the groups' samples and tokens, and per metric min/max/mean/percentiles
// (exact, from the order tables) with a text histogram.

import ArgumentParser
import CorpusIndex

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise an index: inputs, counts, groups, metric percentiles and histograms.",
        discussion: """
        Examples:
          gradus info runs/text.idx
          gradus info runs/text.idx --json
        """
    )

    @Argument(help: "Index directory.")
    var index: String

    @OptionGroup var indexOpen: IndexOpenOptions

    @Flag(help: "List every group of a --group-field (default: the \(Info.shownGroups) largest, then a count of the rest).")
    var allGroups = false

    /// Groups listed per field without --all-groups (a multilingual corpus can have hundreds).
    static let shownGroups = 25

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
        for g in m.groups ?? [] { printGroups(g, samples: m.counts.samples) }
        for s in summaries {
            print("\nmetric \(s.name): min \(s.min)  max \(s.max)  mean \(s.mean)")
            print("  percentiles: " + zip(MetricSummary.percentileLevels, s.percentiles).map { "p\($0) \($1)" }.joined(separator: "  "))
            guard s.max > s.min else {  // one value (e.g. seqlen of a packed index): one line, not 20 empty bins
                print("  all \(m.counts.samples) samples have the value \(format1(s.min))")
                continue
            }
            let top = max(1, s.histogram.max() ?? 1)
            let width = (s.max - s.min) / Double(s.histogram.count)
            for (b, count) in s.histogram.enumerated() {
                let lo = s.min + Double(b) * width
                let bar = String(repeating: "#", count: count * 40 / top)
                print("  \(String(format1(lo)).padding(12)) \(String(count).padding(9)) \(bar)")
            }
        }
    }

    /// The histogram of one `--group-field`: each group's samples (with a bar) and tokens, largest
    /// first (ties by name); without --all-groups the `shownGroups` largest and a line for the rest.
    private func printGroups(_ g: GroupSummary, samples total: Int) {
        print("\ngroups by \(g.field): \(g.names.count) groups; \(g.noneDocuments) documents without a string \(g.field) "
            + "(group \(GroupSummary.noneName))")
        let order = g.names.indices.sorted { (g.samples[$0], g.names[$1]) > (g.samples[$1], g.names[$0]) }
        let shown = allGroups ? order : Array(order.prefix(Self.shownGroups))
        let top = max(1, g.samples.max() ?? 1), width = max(12, (shown.map { g.names[$0].count }.max() ?? 0) + 1)
        print("  \("group".padding(width)) \("samples".padding(9)) \("share".padding(7)) \("tokens".padding(11))")
        for k in shown {
            let share = total > 0 ? 100 * Double(g.samples[k]) / Double(total) : 0
            print("  \(g.names[k].padding(width)) \(String(g.samples[k]).padding(9)) \((format1(share) + "%").padding(7)) "
                + "\(String(g.tokens[k]).padding(11)) \(String(repeating: "#", count: g.samples[k] * 40 / top))")
        }
        let rest = order.dropFirst(shown.count)
        if !rest.isEmpty {
            let samples = rest.reduce(0) { $0 + g.samples[$1] }, tokens = rest.reduce(0) { $0 + g.tokens[$1] }
            print("  … \(rest.count) more groups: \(samples) samples, \(tokens) tokens (`gradus info --all-groups` lists them)")
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
        if let groups = m.groups {
            line.addRaw("groups", "[" + groups.map { g in
                var o = JSONLine()
                o.add("field", g.field)
                o.add("none_documents", g.noneDocuments)
                o.addRaw("groups", "[" + g.names.indices.map { k in
                    var e = JSONLine(); e.add("name", g.names[k]); e.add("samples", g.samples[k]); e.add("tokens", g.tokens[k]); return e.text
                }.joined(separator: ",") + "]")
                return o.text
            }.joined(separator: ",") + "]")
        }
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
