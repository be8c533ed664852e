// Dump.swift — `gradus dump`: one JSON line per sample
// `{"id", "doc_id", "groups": {...}, "metrics": {...}, "tokens": [...]}` (issue 3 item 7; `groups`,
// field → the sample's group, only for an index built with `--group-field`).

import ArgumentParser
import Foundation
import CorpusIndex

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print samples of an index as JSON lines.",
        discussion: """
        Examples:
          gradus dump runs/text.idx --metrics --range 0..10
          gradus dump runs/text.idx --tokens --range 5..6
        """
    )

    @Argument(help: "Index directory.")
    var index: String

    @OptionGroup var indexOpen: IndexOpenOptions

    @Flag(help: "Include metric values.")
    var metrics = false

    @Flag(help: "Include token ids.")
    var tokens = false

    @Option(help: "Sample ids A..B (B exclusive); default: all.")
    var range: String?

    func run() throws {
        let reader = try IndexReader(path: index, options: indexOpen.options)
        let ids = try parseRange(reader.sampleCount)
        let names = reader.metricNames
        let groups = try reader.sampleGroups()
        let out = StandardOutput()
        try reader.forEach(in: ids, tokens: tokens) { id, toks, doc, values in
            var line = JSONLine()
            line.add("id", id)
            line.addRaw("doc_id", doc.docID.map(quote) ?? "null")
            if !groups.isEmpty {
                line.addRaw("groups", "{" + groups.map { "\(quote($0.field)):\(quote($0.names[Int($0.sampleGroup[id])]))" }.joined(separator: ",") + "}")
            }
            if metrics {
                line.addRaw("metrics", "{" + zip(names, values).map { "\(quote($0)):\(jsonNumber($1))" }.joined(separator: ",") + "}")
            }
            if tokens { line.addRaw("tokens", "[" + toks.map { String($0) }.joined(separator: ",") + "]") }
            try out.write(line.text + "\n")
        }
        try out.flush()
    }

    private func parseRange(_ count: Int) throws -> Range<Int> {
        guard let range else { return 0..<count }
        let parts = range.components(separatedBy: "..")
        guard parts.count == 2, let a = Int(parts[0].isEmpty ? "0" : parts[0]), let b = Int(parts[1].isEmpty ? "\(count)" : parts[1]),
              a >= 0, a <= b else {
            throw ValidationError("--range must be A..B with 0 <= A <= B (got '\(range)')")
        }
        guard a <= count else {
            throw ValidationError("--range starts at \(a), past the index's \(count) samples (ids 0..<\(count))")
        }
        return a..<min(b, count)
    }
}
