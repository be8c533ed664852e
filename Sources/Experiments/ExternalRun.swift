// ExternalRun.swift — one run of a matrix variant with a `trainer` command (issue 17 item 1).
// The runner hands over RUN/run.json (everything the run needs: config, index, budget, evaluation
// grid, validation, the `gradus` executable) and RUN/heldout.json (the ids of the same
// `HeldOutPartition` the built-in trainer holds out, in its evaluation order, with their groups),
// runs the command in gradus's working directory with GRADUS_RUN and GRADUS in its environment
// and its output appended to RUN/trainer.log, forwards SIGINT/SIGTERM, then reads the trainer's RUN/log.jsonl (`TrainerLog`), checks it spent
// the budget and evaluated on the matrix's grid, and builds the result with the built-in runs'
// `makeResult`. The trainer owns its checkpoints: `--resume` reruns the command in the same run
// directory until result.json exists.

import CorpusIndex
import Foundation
import Support
import Training
#if canImport(Glibc)
import Glibc
#endif

extension RunExecutor {
    /// The hand-over file of an external run.
    var handOverPath: String { directory + "/run.json" }
    /// The held-out sample ids of an external run.
    var heldOutPath: String { directory + "/heldout.json" }
    /// The external trainer's standard output and error, appended launch after launch.
    var trainerLogPath: String { directory + "/trainer.log" }

    /// Runs (or reruns, to resume) `trainer` for this run and writes result.json.
    /// - Throws: `ExperimentError.trainerFailed` (not started, failed, stopped),
    ///   `.invalidTrainerLog` (log.jsonl breaks the schema, misses evaluations or the budget), I/O errors.
    func runExternal(_ trainer: TrainerCommand, config: RunConfig, log: (String) -> Void) throws -> RunResult {
        let reader = try IndexReader(path: indexPath, options: indexOptions)
        // The built-in trainer's split: stratified by the index's sample groups when it has any,
        // the ids in the order it evaluates them.
        let groups = try reader.sampleGroups()
        let heldOut = try HeldOutPartition(count: reader.sampleCount, fraction: config.train.validationFraction, groups: groups,
                                           seed: config.train.validationSplitSeed).heldOut
        guard !heldOut.isEmpty else {
            throw ExperimentError.invalidMatrix(["validation.fraction \(matrix.validationFraction) holds out no sample of the index"])
        }
        var members: [(String, JSONValue)] = [("fraction", .double(config.train.validationFraction)),
                                              ("ids", .array(heldOut.map { .int(Int64($0)) }))]
        if !groups.isEmpty {  // each held-out id's group per field, for a trainer that reports val_groups
            members.append(("groups", .object(groups.map { g in
                (g.field, .array(heldOut.map { .string(g.names[Int(g.sampleGroup[$0])]) }))
            })))
        }
        try writeAtomically(Data(JSONValue.object(members).jsonText.utf8 + [0x0A]), to: heldOutPath)
        // The context-free reference on the rows the built-in trainer would evaluate: the first
        // eval_batches × B ids of heldout.json at the run's sequence length.
        let referenceSource = try IndexBatchSource(reader: reader, ids: heldOut, batchSize: config.train.batchSize,
                                                   length: config.sequenceLength, vocab: config.model.vocab, seed: 0, shuffle: false)
        let unigram = try UnigramReference.loss(heldOut: referenceSource, batches: config.train.evalBatches, counts: reader.tokenCounts())
        try writeAtomically(Data(handOver(config).prettyText.utf8), to: handOverPath)
        let run = Self.absolute(directory)
        let argv = trainer.argv(runDirectory: run, runJSON: run + "/run.json")
        var environment = ProcessInfo.processInfo.environment
        environment["GRADUS_RUN"] = run + "/run.json"
        if let gradusExecutable { environment["GRADUS"] = gradusExecutable }
        let start = Self.appendHeader(to: trainerLogPath, argv: argv)
        log("\(variant.name) seed \(seed): started the trainer \(argv.joined(separator: " "))")
        let child: ChildProcess
        do { child = try ChildProcess(argv: argv, environment: environment, logPath: trainerLogPath) } catch {
            throw ExperimentError.trainerFailed(run: directory, reason: "\(error)")
        }
        let stop = stopSignal, requested = stopRequested
        let (exit, forwarded) = child.wait { stop() ?? (requested() ? SIGTERM : nil) }
        if let forwarded {
            throw ExperimentError.trainerFailed(run: directory, reason: "stopped: signal \(forwarded) was forwarded to the trainer "
                + "(\(Self.describe(exit))); rerun with --resume to continue from the trainer's checkpoint")
        }
        guard exit == .status(0) else {
            throw ExperimentError.trainerFailed(run: directory, reason: "the trainer \(argv[0]) \(Self.describe(exit)); "
                + "the end of its output (\(trainerLogPath)):\n" + Self.tail(of: trainerLogPath, from: start))
        }
        let logged = try TrainerLog.read(path: logPath)
        try checkGrid(logged.steps, logged.evaluations)
        guard let last = logged.steps.last else { preconditionFailure("TrainerLog.read returns at least one step") }
        let sampler = logged.steps.contains { $0.difficulty != nil } ? "curriculum" : "uniform"
        var result = try makeResult(config, totals: (last.step, last.tokens, last.layerTokens), steps: logged.steps,
                                    evaluations: logged.evaluations, sampler: sampler)
        result.unigramValidationLoss = unigram
        try writeAtomically(try result.jsonLine(), to: resultPath)
        return result
    }

    /// RUN/run.json: what an external trainer needs (docs/evaluation.md, "Your own trainer in the matrix").
    func handOver(_ config: RunConfig) -> JSONValue {
        let run = Self.absolute(directory)
        let budget: JSONValue
        switch matrix.budget {
        case .steps(let n): budget = .object([("steps", .int(Int64(n)))])
        case .tokens(let n): budget = .object([("tokens", .int(Int64(n)))])
        case .seconds(let s): budget = .object([("seconds", .double(s))])
        }
        let requested = Self.requests(config)
        let validation = JSONValue.object([
            ("fraction", .double(config.train.validationFraction)), ("batches", .int(Int64(config.train.evalBatches))),
            ("batch_size", .int(Int64(config.train.batchSize))), ("seq_length", .int(Int64(config.sequenceLength))),
            ("heldout", .string(run + "/heldout.json")),
        ])
        return .object([
            ("format", .int(1)), ("variant", .string(variant.name)), ("seed", .int(Int64(seed))),
            ("run_dir", .string(run)), ("config", .string(run + "/config.json")), ("log", .string(run + "/log.jsonl")),
            ("index", .string(Self.absolute(indexPath))), ("no_lock", .bool(indexOptions.noLock)),
            ("gradus", gradusExecutable.map { .string($0) } ?? .null), ("threads", .int(Int64(threads.count))),
            ("budget", budget), ("eval_interval_tokens", .int(Int64(matrix.evalIntervalTokens))), ("validation", validation),
            ("curriculum", .bool(requested.curriculum)), ("random_ltd", .bool(requested.randomLTD)),
        ])
    }

    /// Refuses a log that stops before the budget or runs past it, or whose evaluations are not
    /// the matrix's grid (0, each crossing of `eval_interval_tokens`, the last step).
    func checkGrid(_ steps: [StepRecord], _ evaluations: [EvalRecord]) throws {
        let fail = { (problem: String) in ExperimentError.invalidTrainerLog(path: logPath, line: nil, problem: problem) }
        let reached: (StepRecord) -> Bool
        switch matrix.budget {
        case .steps(let n): reached = { $0.step >= n }
        case .tokens(let n): reached = { $0.tokens >= n }
        case .seconds(let s): reached = { $0.trainingSeconds >= s }
        }
        guard let last = steps.last, reached(last) else {
            throw fail("the last step (\(steps.last?.step ?? 0), \(steps.last?.tokens ?? 0) tokens) stops before the budget "
                + "(\(matrix.budget.text)); train until the first step that reaches it")
        }
        if let early = steps.dropLast().first(where: reached) {
            throw fail("step \(early.step) already reached the budget (\(matrix.budget.text)) but the log goes on to step \(last.step); "
                + "stop at the first step that reaches it")
        }
        let expected = Self.evaluationSteps(steps, every: matrix.evalIntervalTokens)
        let found = evaluations.map(\.step)
        guard found == expected else {
            throw fail("evaluations at steps \(found), but the matrix needs them at steps \(expected): at step 0, at each step "
                + "whose tokens cross a multiple of eval_interval_tokens (\(matrix.evalIntervalTokens)), and at the last step")
        }
    }

    /// `path` made absolute against the working directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Appends a line naming the launch to `path`; returns the offset after it (where this
    /// launch's output starts), 0 when the file cannot be written (the launch then reports it).
    static func appendHeader(to path: String, argv: [String]) -> UInt64 {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return 0 }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let line = "--- gradus experiment: \(ISO8601DateFormatter().string(from: Date())) started: \(argv.joined(separator: " "))\n"
        try? handle.write(contentsOf: Data(line.utf8))
        return (try? handle.seekToEnd()) ?? 0
    }

    /// The last 20 lines (at most 4000 characters) of `path` from byte `offset` on.
    static func tail(of path: String, from offset: UInt64) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "(cannot read it)" }
        let text = String(decoding: data.dropFirst(Int(min(offset, UInt64(data.count)))), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(21).joined(separator: "\n")
        let cut = String(lines.suffix(4000)).trimmingCharacters(in: .newlines)
        return cut.trimmingCharacters(in: .whitespaces).isEmpty ? "(no output)" : cut
    }

    /// "exited with status N" or "was killed by signal N".
    static func describe(_ exit: ChildProcess.Exit) -> String {
        switch exit {
        case .status(let code): return "exited with status \(code)"
        case .signal(let number): return "was killed by signal \(number)"
        }
    }
}
