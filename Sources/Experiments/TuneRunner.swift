// TuneRunner.swift — `gradus tune` (issue 18 §2–3): successive halving over the search's
// candidates, each rung an experiment matrix (the baseline and the surviving candidates at the
// rung's budget, the matrix's seeds) run by `ExperimentRunner` in OUT/rung-K, then the
// confirmation (winner and baseline at the maximum budget with fresh seeds on a second held-out
// split, or on `--confirm-index`) in OUT/confirm. Nothing but OUT/search.json is kept beside the
// rungs: which candidates run at a rung follows from the search file and the previous rung's
// results, so `--resume` after kill -9 reruns the same rungs, skipping finished runs and resuming
// interrupted ones from their checkpoints.

import CorpusIndex
import Foundation
import Support
import Training

/// One finished rung.
package struct TuneRung: Sendable {
    /// 0-based rung number.
    package var number: Int
    package var budget: Int
    /// The candidates run at this rung, in candidate order.
    package var candidates: [TuneCandidate]
    /// The rung's report table (baseline first, then the candidates).
    package var table: ReportTable
    /// Candidates ranked by mean final held-out loss (ties: candidate index).
    package var ranking: [(candidate: Int, loss: Double)]
    /// The candidates promoted to the next rung (empty at the last rung).
    package var promoted: [Int]
}

/// What a search found.
package struct TuneOutcome: Sendable {
    package var rungs: [TuneRung]
    package var winner: TuneCandidate
    /// The confirmation's table (baseline, winner).
    package var confirmation: ReportTable
    package var confirmationResults: [RunResult]
    /// The index the confirmation ran on, and its held-out split seed.
    package var confirmIndex: String
    package var confirmSplitSeed: UInt64
}

/// Runs a search into an output directory.
package struct TuneRunner: Sendable {
    package let search: TuneSearch
    package let indexPath: String
    package let outputPath: String
    /// A second index to confirm on; nil: the search's index with the confirmation split seed.
    package var confirmIndexPath: String?
    package let jobs: Int, threads: Int, resume: Bool
    /// Passed to every rung's `ExperimentRunner` (see there).
    package var indexOptions = IndexReadOptions()
    package var progressInterval: Double?
    package var stopRequested: @Sendable () -> Bool = { false }
    package var stopSignal: @Sendable () -> Int32? = { nil }
    package var gradusExecutable: String?

    /// - Precondition: jobs ≥ 1, threads ≥ 1.
    package init(search: TuneSearch, indexPath: String, outputPath: String, jobs: Int = 1, threads: Int, resume: Bool) {
        precondition(jobs >= 1 && threads >= 1, "jobs and threads must be >= 1")
        (self.search, self.indexPath, self.outputPath) = (search, indexPath, outputPath)
        (self.jobs, self.threads, self.resume) = (jobs, threads, resume)
    }

    /// The directory of rung `k`.
    package func rungDirectory(_ k: Int) -> String { "\(outputPath)/rung-\(k)" }
    /// The confirmation's directory.
    package var confirmDirectory: String { outputPath + "/confirm" }

    /// Runs every rung and the confirmation (skipping finished runs) and returns what was found.
    /// - Parameter log: progress lines.
    /// - Throws: `ExperimentError.outputInUse` for a foreign or un-resumed OUT, `.invalidSearch`
    ///   when a candidate's config does not fit the index, the first run's error.
    package func run(log: @escaping @Sendable (String) -> Void = { _ in }) throws -> TuneOutcome {
        try checkIndex(indexPath)
        if let confirmIndexPath { try checkIndex(confirmIndexPath) }
        try prepareOutput()
        let h = search.halving
        var survivors = search.candidates
        var rungs: [TuneRung] = []
        for k in h.budgets.indices {
            let matrix = search.rungMatrix(k, survivors: survivors)
            // Rungs are numbered from 0, as their directories (rung-K) and the report number them.
            let prefix = "rung \(k) of 0…\(h.budgets.count - 1) (\(h.budgets[k]) tokens, \(survivors.count) candidate\(survivors.count == 1 ? "" : "s") + baseline): "
            log(prefix + "started")
            let results = try experiment(matrix, index: indexPath, directory: rungDirectory(k), log: { log(prefix + $0) })
            let table = try ReportTable(results: results, baseline: matrix.baseline)
            let ranking = SuccessiveHalving.rank(survivors.map { c in
                (c.index, table.rows.first { $0.name == c.name }?.finalLoss.mean ?? .nan)
            })
            let promoted = k + 1 < h.budgets.count ? Array(ranking.prefix(h.sizes[k + 1]).map(\.candidate)) : []
            rungs.append(TuneRung(number: k, budget: h.budgets[k], candidates: survivors, table: table, ranking: ranking, promoted: promoted))
            if k + 1 < h.budgets.count {
                log(prefix + "promoted " + promoted.map { search.candidates[$0 - 1].name }.joined(separator: ", "))
                survivors = search.candidates.filter { promoted.contains($0.index) }
            }
        }
        let winner = search.candidates[rungs.last!.ranking[0].candidate - 1]
        let splitSeed = confirmIndexPath == nil ? search.confirmSplitSeed : search.matrix.validationSplitSeed
        let confirmIndex = confirmIndexPath ?? indexPath
        let matrix = search.confirmMatrix(winner: winner, splitSeed: splitSeed)
        let prefix = "confirmation (\(winner.name) and the baseline, \(search.maxTokens) tokens, seeds "
            + search.confirmSeeds.map(String.init).joined(separator: ", ")
            + (confirmIndexPath == nil ? ", held-out split seed \(splitSeed)" : ", index \(confirmIndex)") + "): "
        log(prefix + "started")
        let results = try experiment(matrix, index: confirmIndex, directory: confirmDirectory, log: { log(prefix + $0) })
        return TuneOutcome(rungs: rungs, winner: winner, confirmation: try ReportTable(results: results, baseline: matrix.baseline),
                           confirmationResults: results, confirmIndex: confirmIndex, confirmSplitSeed: splitSeed)
    }

    /// One matrix through `ExperimentRunner` (results.jsonl in `directory`).
    private func experiment(_ matrix: ExperimentMatrix, index: String, directory: String,
                            log: @escaping @Sendable (String) -> Void) throws -> [RunResult] {
        var runner = ExperimentRunner(matrix: matrix, indexPath: index, outputPath: directory, jobs: jobs, threads: threads,
                                      resume: resume || !FileManager.default.fileExists(atPath: directory + "/matrix.json"))
        (runner.indexOptions, runner.progressInterval, runner.stopRequested) = (indexOptions, progressInterval, stopRequested)
        (runner.stopSignal, runner.gradusExecutable) = (stopSignal, gradusExecutable)
        return try runner.run(log: log)
    }

    /// Refuses, before anything trains, a candidate (or the baseline) whose config cannot train
    /// on the index (`TrainingData.problems`: vocabulary, sequence length, curriculum metrics).
    private func checkIndex(_ path: String) throws {
        let reader = try IndexReader(path: path, options: indexOptions)
        var issues: [String] = []
        for v in [search.baseline] + search.candidates.map(search.variant) {
            let config = try RunConfig.parse(search.matrix.runConfig(variant: v, seed: search.matrix.seeds[0]))
            for p in TrainingData.problems(config, reader) { issues.append("\(v.name) cannot train on the index \(path): \(p)") }
        }
        if !issues.isEmpty { throw ExperimentError.invalidSearch(path: search.path, issues: issues) }
    }

    /// Creates OUT and records the search (OUT/search.json), or checks that OUT holds this search
    /// (`--resume`).
    private func prepareOutput() throws {
        let recordedPath = outputPath + "/search.json"
        let recorded = JSONValue.object([("search", search.recorded()), ("confirm_index", confirmIndexPath.map { .string($0) } ?? .null)])
        if FileManager.default.fileExists(atPath: recordedPath) {
            guard resume else {
                throw ExperimentError.outputInUse(path: outputPath, reason: "already holds a search; pass --resume to continue it or choose another --out")
            }
            guard try readJSON(recordedPath) == recorded else {
                throw ExperimentError.outputInUse(path: outputPath, reason: "holds a different search (matrix, space, candidates, eta, "
                    + "budgets, seeds, confirmation or --confirm-index changed); choose another --out")
            }
            return
        }
        if FileManager.default.fileExists(atPath: rungDirectory(0)) {
            throw ExperimentError.outputInUse(path: outputPath, reason: "holds rungs but no search.json; choose another --out")
        }
        do { try FileManager.default.createDirectory(atPath: outputPath, withIntermediateDirectories: true) } catch {
            throw ExperimentError.io(path: outputPath, reason: error.localizedDescription)
        }
        try writeAtomically(Data(recorded.prettyText.utf8), to: recordedPath)
    }
}
