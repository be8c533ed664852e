// Verify.swift — `gradus verify INDEX`: checks a whole index (format, state, manifest, every
// checksum, every entry against the manifest, LMDB's structure) and names each problem
// (issue 14 item 14). Exit 0 when sound, 1 otherwise.

import ArgumentParser
import CorpusIndex
import Foundation

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check an index completely: checksums, counts, tables against each other.",
        discussion: """
        Reads every entry of every database of the index once. Prints what it checked
        and exits 0, or prints each problem (database, key or chunk, sample range) on
        standard error and exits 1. An index made before checksums (format 1) is
        reported as such: rebuild it to verify it. Examples:
          gradus verify runs/text.idx
        """
    )

    @Argument(help: "Index directory.")
    var index: String

    @OptionGroup var indexOpen: IndexOpenOptions

    func run() throws {
        let report = IndexVerifier.verify(index, options: indexOpen.options)
        let out = StandardOutput()
        for line in report.checked { try out.write("checked \(line)\n") }
        let time = String(format: "%.2f", report.seconds)
        guard report.problems.isEmpty else {
            try out.flush()
            for p in report.problems { FileHandle.standardError.write(Data("\(p)\n".utf8)) }
            throw InputError("\(index): \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s") found in \(time) s; "
                + "restore the index from a copy or rebuild it")
        }
        try out.write("ok: \(index) verified in \(time) s\n")
        try out.flush()
    }
}
