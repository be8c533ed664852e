// FuzzResults.swift — libFuzzer target `results`: arbitrary bytes as an experiment's
// `results.jsonl`, read by `RunResult.readLines` and turned into the report (`ReportTable`, and
// for a quarter of the inputs `Report.generate`: report.md and every SVG/PNG plot) in a scratch
// directory (issue 14 item 13). Run with -timeout=120 so that a hang in the plots is a finding
// (a report takes seconds under ASan on a loaded machine; -timeout=30 gave false timeouts).
//
// Invariants beyond "no trap, no hang, no ASan report":
// - reading and the report throw only `ExperimentError`;
// - from results that are read, every numeric cell of the table is finite (no "nan", no "inf")
//   and every row's summaries are finite.

import Experiments
import Foundation
import FuzzSupport

let directory = scratchPath("results")

func expectExperimentError(_ error: any Error, _ what: String) {
    fuzzCheck(error is ExperimentError, "\(what) threw \(type(of: error)): \(error)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    writeScratch(directory + "/results.jsonl", bytes(data, size))
    let results: [RunResult]
    do { results = try RunResult.readLines(path: directory + "/results.jsonl") } catch {
        expectExperimentError(error, "readLines")
        return 0
    }
    guard let first = results.first else { return 0 }
    let table: ReportTable
    do { table = try ReportTable(results: results, baseline: first.variant) } catch {
        expectExperimentError(error, "ReportTable")
        return 0
    }
    for row in table.rows {
        let summaries = [row.finalLoss, row.tokens, row.wall, row.layerTokens, row.flops]
        fuzzCheck(summaries.allSatisfy { [$0.mean, $0.std, $0.min, $0.max].allSatisfy(\.isFinite) }, "a summary of \(row.name) is not finite")
        let cells = ReportTable.cells(row).dropFirst()  // the first cell is the variant's name
        fuzzCheck(!cells.contains { $0.lowercased().contains("nan") || $0.lowercased().contains("inf") },
                  "a table cell of \(row.name) is not a number: \(Array(cells))")
    }
    // The whole report (markdown, SVG and PNG plots) costs ~1 s under ASan: rendered for the
    // quarter of inputs whose first byte is a multiple of 4 (deterministic per input).
    guard size > 0, data![0] % 4 == 0 else { return 0 }
    do { try Report.generate(directory: directory) } catch { expectExperimentError(error, "Report.generate") }
    return 0
}

@main
enum FuzzResults {
    static func main() { runFuzzer(fuzzOne) }
}
