// ExperimentRunner.swift — `gradus experiment` (issue 7 §1–2): every (variant, seed) of the
// matrix in OUT/runs/VARIANT-seedSEED, N at a time, then OUT/results.jsonl in matrix order and
// the report. OUT/matrix.json records the matrix and the index (path and content fingerprint);
// `--resume` refuses an OUT made by another matrix or on an index of other content, skips
// finished runs and resumes interrupted ones from their checkpoints.

import Foundation
import CorpusIndex
import Model
import Support

/// Runs a matrix into an output directory.
public struct ExperimentRunner: Sendable {
    public let matrix: ExperimentMatrix
    public let indexPath: String
    public let outputPath: String
    /// Runs trained at the same time; each gets `threads / jobs` threads.
    public let jobs: Int
    public let threads: Int
    public let resume: Bool
    /// How the runs open the index (`--no-lock`).
    public var indexOptions = IndexReadOptions()
    /// Seconds between whole progress lines during training (stderr not a terminal:
    /// `--progress-seconds`); nil prints only the evaluation and run lines.
    public var progressInterval: Double?
    /// Polled by every run after each step (`Trainer.train`'s `stopRequested`): when true the
    /// runs checkpoint and `run` throws `TrainingError.stopped`, to be continued with `--resume`.
    public var stopRequested: @Sendable () -> Bool = { false }
    /// The signal that asked to stop (SIGINT/SIGTERM), forwarded to external trainers; nil: none.
    public var stopSignal: @Sendable () -> Int32? = { nil }
    /// The `gradus` executable external trainers are told about (run.json, `GRADUS`); nil: unknown.
    public var gradusExecutable: String?

    /// - Precondition: jobs ≥ 1, threads ≥ 1.
    public init(matrix: ExperimentMatrix, indexPath: String, outputPath: String, jobs: Int = 1, threads: Int, resume: Bool) {
        precondition(jobs >= 1 && threads >= 1, "jobs and threads must be >= 1")
        (self.matrix, self.indexPath, self.outputPath) = (matrix, indexPath, outputPath)
        (self.jobs, self.threads, self.resume) = (jobs, threads, resume)
    }

    /// The run directory of (variant, seed).
    public func runDirectory(_ variant: ExperimentVariant, _ seed: UInt64) -> String {
        "\(outputPath)/runs/\(variant.name)-seed\(seed)"
    }

    /// Trains every run (skipping finished ones), writes results.jsonl and returns the results in
    /// matrix order.
    /// - Parameter log: progress lines (called from worker threads, serialised by a lock).
    /// - Throws: `ExperimentError.outputInUse` for a foreign or un-resumed OUT, or one made on an
    ///   index of other content; the first run's error.
    public func run(log: @escaping @Sendable (String) -> Void = { _ in }) throws -> [RunResult] {
        let index = try IndexReader(path: indexPath, options: indexOptions).manifest.contentFingerprint
        try prepareOutput(indexFingerprint: index)
        let tasks = matrix.variants.flatMap { v in matrix.seeds.map { (v, $0) } }
        let perRun = ComputeThreads(max(1, threads / jobs))
        let box = ResultBox(count: tasks.count)
        let started = Date()
        let progress = MatrixProgress(runs: tasks.count, budget: matrix.budget)
        var lastLine = Date()  // guarded by box's lock, as `progress`
        parallelFor(min(jobs, tasks.count)) { _ in
            while let i = box.claim() {
                let (variant, seed) = tasks[i]
                var executor = RunExecutor(matrix: matrix, variant: variant, seed: seed,
                                           directory: runDirectory(variant, seed), indexPath: indexPath)
                (executor.threads, executor.indexOptions, executor.stopRequested) = (perRun, indexOptions, stopRequested)
                (executor.stopSignal, executor.gradusExecutable) = (stopSignal, gradusExecutable)
                let label = "run \(i + 1) of \(tasks.count): "
                executor.onStep = { record in
                    box.locked {
                        progress.update(run: i, after: record)
                        // A whole line every `progressInterval` seconds between evaluations (a log).
                        guard let every = progressInterval, Date().timeIntervalSince(lastLine) >= every else { return }
                        lastLine = Date()
                        log("progress: \(label)\(variant.name) seed \(seed): step \(record.step), \(record.tokens) tokens "
                            + "(\(Int(progress.fraction(record) * 100))% of the run); \(progress.summary)")
                    }
                }
                do {
                    let result = try executor.run(log: { line in
                        box.locked { log(label + line + (progress.done > 0 ? "; \(progress.summary)" : "")) }
                    })
                    box.store(i, .success(result))
                    box.locked {
                        progress.finish(run: i)
                        let done = box.finishedCount
                        let elapsed = Date().timeIntervalSince(started)
                        let eta = done < tasks.count ? progress.secondsLeft.map { ", about \(Self.clock($0)) left for the matrix" } ?? "" : ""
                        log("\(label)\(variant.name) seed \(seed) finished; \(done) of \(tasks.count) runs done in \(Self.clock(elapsed))\(eta)")
                    }
                } catch {
                    box.store(i, .failure(error))
                }
            }
        }
        let results = try box.results()
        var lines = Data()
        for r in results { lines.append(try r.jsonLine()); lines.append(0x0A) }
        try writeAtomically(lines, to: outputPath + "/results.jsonl")
        return results
    }

    /// `m:ss`, or `h:mm:ss` from an hour on.
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return s >= 3600 ? "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" : "\(s / 60):\(two(s % 60))"
    }

    /// Creates OUT and records the matrix and the index (path and content fingerprint), or checks
    /// that OUT belongs to this matrix and to an index of the same content (`--resume`; the
    /// path may differ). A matrix.json without an index (made before issue 14) is not checked
    /// against the index; each run's checkpoint still is.
    private func prepareOutput(indexFingerprint: String) throws {
        let fm = FileManager.default
        let recordedPath = outputPath + "/matrix.json"
        let recorded = matrix.recorded()
        if fm.fileExists(atPath: recordedPath) {
            guard resume else {
                throw ExperimentError.outputInUse(path: outputPath, reason: "already holds an experiment; pass --resume to continue it or choose another --out")
            }
            let found = try readJSON(recordedPath)
            guard case .object(let members) = found, JSONValue.object(members.filter { $0.key != "index" }) == recorded else {
                throw ExperimentError.outputInUse(path: outputPath, reason: "holds runs of a different matrix (base, variants, seeds, budget or validation changed); choose another --out")
            }
            if let index = found["index"], let fingerprint = index["content_fingerprint"]?.stringValue, fingerprint != indexFingerprint {
                let path = index["path"]?.stringValue ?? "?"
                throw ExperimentError.outputInUse(path: outputPath, reason: "its runs were trained on the index \(path) (content fingerprint "
                    + "\(fingerprint)), but --index \(indexPath) holds other content (content fingerprint \(indexFingerprint)); "
                    + "resume with the index the experiment started on, or choose another --out")
            }
            return
        }
        if fm.fileExists(atPath: outputPath + "/runs") {
            throw ExperimentError.outputInUse(path: outputPath, reason: "holds runs but no matrix.json; choose another --out")
        }
        do { try fm.createDirectory(atPath: outputPath + "/runs", withIntermediateDirectories: true) } catch {
            throw ExperimentError.io(path: outputPath, reason: error.localizedDescription)
        }
        guard case .object(let members) = recorded else { preconditionFailure("ExperimentMatrix.recorded() is an object") }
        let index = JSONValue.object([("path", .string(indexPath)), ("content_fingerprint", .string(indexFingerprint))])
        try writeAtomically(Data(JSONValue.object(members + [("index", index)]).prettyText.utf8), to: recordedPath)
    }
}

/// The shared work queue and results of the worker threads.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var slots: [Result<RunResult, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    /// The next task index, or nil when all are claimed or one has failed (stop early).
    func claim() -> Int? {
        locked {
            guard next < slots.count, !slots.contains(where: { if case .failure = $0 { return true }; return false }) else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func store(_ i: Int, _ r: Result<RunResult, any Error>) { locked { slots[i] = r } }

    /// Runs finished so far (successfully). Call inside `locked`.
    var finishedCount: Int { slots.filter { if case .success = $0 { return true }; return false }.count }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// All results in order, or the first error.
    func results() throws -> [RunResult] {
        try locked {
            for case .failure(let error)? in slots { throw error }
            return try slots.map { slot in
                guard let slot else { throw ExperimentError.io(path: "runs", reason: "a run did not finish") }
                return try slot.get()
            }
        }
    }
}
