// Bench.swift — `gradus bench ...`: speed measurements in a release build, one JSON line each
// (DESIGN.md §7). Reference figures: ../shared/reference/peer-figures.md.

import ArgumentParser
import Corpus
import Support

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput (run a release build: swift build -c release).",
        subcommands: [BenchTokenize.self, BenchIndex.self, BenchSampler.self, BenchTrain.self, BenchLTD.self]
    )
}

/// Warns when the measurement would be of a debug build.
func warnIfDebugBuild() {
    #if DEBUG
    writeStderr("warning: this is a debug build; benchmark with `swift build -c release` and .build/release/gradus\n")
    #endif
}
