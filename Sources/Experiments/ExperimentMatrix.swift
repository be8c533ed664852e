// ExperimentMatrix.swift — the matrix file of `gradus experiment` (issue 7 §1, DESIGN.md §6): a
// base run config, a common override, the variants (each a partial override: RFC 7396 merge with
// the `{"$set": value}` form, Support/JSONValue+Merge.swift), the seeds, the equal budget (tokens
// or wall-clock seconds), the evaluation interval in tokens and the held-out split shared by every
// run (its fraction, batches and optional `split_seed`). Read by the strict `ObjectReader`: unknown keys and wrong types are errors with their key
// path and every problem is reported at once (STYLE.md §8).
//
//     {"base": "small-text.json", "baseline": "baseline", "seeds": [1, 2],
//      "budget": {"tokens": 4096000}, "eval_interval_tokens": 204800,
//      "validation": {"fraction": 0.02, "batches": 8},
//      "common": {"gradus": {"train": {"lr": {"unit": "tokens"}}}},
//      "variants": [{"name": "baseline", "override": {}}, {"name": "cl", "override": {…}}]}
//
// An optional `"trainer": {"command": [...]}` (top level or in a variant) runs an external
// trainer instead of the built-in one (TrainerCommand.swift, ExternalRun.swift).

import Foundation
import Support
import Training

extension TrainingBudget {
    /// Human-readable form for the report.
    public var text: String {
        switch self {
        case .steps(let n): return "\(n) steps"
        case .tokens(let n): return "\(n) tokens"
        case .seconds(let s): return "\(formatNumber(s)) s of training wall-clock"
        }
    }
}

/// One variant: a name (also its run directories' prefix) and its override of the base config.
public struct ExperimentVariant: Sendable {
    public var name: String
    /// A JSON object merged into the base config (after `common`), RFC 7396 with the `$set` form.
    package var override: JSONValue
    /// The external trainer of this variant's runs (its own `trainer`, else the matrix's); nil:
    /// the built-in trainer.
    public var trainer: TrainerCommand? = nil
}

/// A parsed matrix file.
public struct ExperimentMatrix: Sendable {
    /// The base config path, resolved against the matrix file's directory.
    public var basePath: String
    /// The base config's JSON.
    package var base: JSONValue
    /// Merged into the base before every variant's override.
    package var common: JSONValue
    public var variants: [ExperimentVariant]
    public var seeds: [UInt64]
    /// The equal budget every run gets: tokens, or seconds of training wall-clock.
    public var budget: TrainingBudget
    /// Tokens between held-out evaluations (an evaluation also runs at 0 and at the end).
    public var evalIntervalTokens: Int
    /// Fraction of the index's samples held out (same split for every run).
    public var validationFraction: Double
    /// Held-out batches per evaluation (nil: the base config's `eval_batches`).
    public var validationBatches: Int?
    /// The variant the others are compared with.
    public var baseline: String
    /// Seeds which samples are held out (`gradus.train.validation_split_seed`); 0, the default, is
    /// the split every run had before it existed. `gradus tune` confirms on another one (issue 18 §3).
    public var validationSplitSeed: UInt64 = 0

    /// Reads and validates a matrix file.
    /// - Throws: `ExperimentError.invalidMatrix` listing every problem with its key path, or
    ///   `.io` when a file cannot be read or is not JSON.
    public static func load(path: String) throws -> ExperimentMatrix {
        let root = try readJSON(path)
        return try parse(root, directory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// Parses a matrix's JSON strictly (unknown keys and wrong types reported with their key
    /// path, every problem at once); `directory` resolves a relative `base` and (made absolute
    /// against the working directory) is what a trainer command's `{matrix_dir}` stands for.
    /// - Throws: `ExperimentError.invalidMatrix`.
    package static func parse(_ root: JSONValue, directory: String) throws -> ExperimentMatrix {
        guard case .object = root else { throw ExperimentError.invalidMatrix(["the matrix must be a JSON object"]) }
        let log = IssueLog()
        var top = ObjectReader(root, path: "", log: log)
        let baseName = top.string("base")
        if !top.has("base") { top.issue("base", "required, a path to the run config (relative to the matrix file)") }
        let common = top.raw("common") ?? .object([])
        if case .object = common {} else { top.issue("common", "must be a JSON object") }
        let seeds = parseSeeds(&top)
        let budget = parseBudget(&top)
        let interval = top.int("eval_interval_tokens", required: true)
        if let interval, interval < 1 { top.issue("eval_interval_tokens", "must be an integer >= 1") }
        var validation = top.object("validation")
        let fraction = validation.number("fraction")?.value ?? 0.02
        if !(fraction > 0 && fraction < 1) { validation.issue("fraction", "must be a number in (0, 1)") }
        let batches = validation.int("batches")
        if let batches, batches < 1 { validation.issue("batches", "must be an integer >= 1") }
        let splitSeed = validation.int("split_seed") ?? 0
        if splitSeed < 0 { validation.issue("split_seed", "must be a non-negative integer") }
        validation.finish()
        let matrixDirectory = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        let trainer = TrainerCommand.parse(&top, matrixDirectory: matrixDirectory)
        var variants = parseVariants(&top, matrixDirectory: matrixDirectory)
        for i in variants.indices where variants[i].trainer == nil { variants[i].trainer = trainer }
        let baseline = top.string("baseline") ?? variants.first?.name ?? ""
        if !variants.isEmpty && !variants.contains(where: { $0.name == baseline }) {
            top.issue("baseline", "\"\(baseline)\" is not one of the variants")
        }
        top.finish()
        var base = JSONValue.object([]), basePath = ""
        if let baseName {
            basePath = baseName.hasPrefix("/") ? baseName : directory + "/" + baseName
            if let loaded = try? readJSON(basePath), case .object = loaded { base = loaded } else {
                top.issue("base", "\(basePath) is not a readable JSON object")
            }
        }
        for v in variants { checkOverride(common.merged(with: v.override), variant: v.name, log: log) }
        if !log.issues.isEmpty { throw ExperimentError.invalidMatrix(log.issues.map(\.description)) }
        return ExperimentMatrix(basePath: basePath, base: base, common: common, variants: variants, seeds: seeds,
                                budget: budget ?? .tokens(0), evalIntervalTokens: interval ?? 1,
                                validationFraction: fraction, validationBatches: batches, baseline: baseline,
                                validationSplitSeed: UInt64(max(0, splitSeed)))
    }

    /// The full config JSON of (variant, seed): base ⊕ common ⊕ override, with the matrix's seed,
    /// held-out fraction and evaluation batches written in (so every run shares the split).
    package func runConfig(variant: ExperimentVariant, seed: UInt64) -> JSONValue {
        var config = base.merged(with: common).merged(with: variant.override)
        let train = ["gradus", "train"]
        config = config.merged(with: .patch(train + ["seed"], .int(Int64(seed))))
        config = config.merged(with: .patch(train + ["validation_fraction"], .double(validationFraction)))
        if let validationBatches {
            config = config.merged(with: .patch(train + ["eval_batches"], .int(Int64(validationBatches))))
        }
        if validationSplitSeed != 0 {
            config = config.merged(with: .patch(train + ["validation_split_seed"], .int(Int64(validationSplitSeed))))
        }
        return config
    }

    /// The monitors an enabled block of any variant's config asks for that gradus does not write,
    /// in first-seen order (the `gradus experiment` warning names them): `wandb`, `comet`, and for
    /// a variant run by an external trainer also its `tensorboard` / `csv_monitor` (gradus writes
    /// those only for the built-in trainer), named with the variant.
    /// - Throws: a variant's config error (the runs would stop on it too).
    public func unwrittenMonitors() throws -> [String] {
        var out: [String] = []
        for variant in variants {
            let config = try RunConfig.parse(runConfig(variant: variant, seed: seeds.first ?? 0))
            let monitors = config.file.monitors
            var names = monitors?.unwritten ?? []
            if variant.trainer != nil {
                names += [monitors?.tensorboard.map { _ in "tensorboard" }, monitors?.csvMonitor.map { _ in "csv_monitor" }]
                    .compactMap { $0.map { "\($0) (variant \(variant.name) runs an external trainer)" } }
            }
            for name in names where !out.contains(name) { out.append(name) }
        }
        return out
    }

    /// The matrix as it is recorded in the output directory (compared on `--resume`).
    package func recorded() -> JSONValue {
        let budgetObject: JSONValue
        switch budget {
        case .steps(let n): budgetObject = .object([("steps", .int(Int64(n)))])
        case .tokens(let n): budgetObject = .object([("tokens", .int(Int64(n)))])
        case .seconds(let s): budgetObject = .object([("seconds", .double(s))])
        }
        return .object([
            ("base", base), ("common", common), ("baseline", .string(baseline)),
            ("seeds", .array(seeds.map { .int(Int64($0)) })), ("budget", budgetObject),
            ("eval_interval_tokens", .int(Int64(evalIntervalTokens))),
            // The split seed only when set, so the record of a matrix without one is unchanged.
            ("validation", .object([("fraction", .double(validationFraction)),
                                    ("batches", validationBatches.map { .int(Int64($0)) } ?? .null)]
                                   + (validationSplitSeed != 0 ? [("split_seed", .int(Int64(validationSplitSeed)))] : []))),
            // A variant's trainer is recorded only when it has one, so a built-in matrix's record is unchanged.
            ("variants", .array(variants.map { v in
                .object([("name", .string(v.name)), ("override", v.override)] + (v.trainer.map { [("trainer", $0.recorded)] } ?? []))
            })),
        ])
    }
}

// MARK: - Field parsers (each records its problems with the key path)

extension ExperimentMatrix {
    static func parseSeeds(_ r: inout ObjectReader) -> [UInt64] {
        guard case .array(let list)? = r.raw("seeds"), !list.isEmpty else {
            r.issue("seeds", "required, a non-empty list of non-negative integers")
            return []
        }
        var seeds: [UInt64] = []
        for (i, item) in list.enumerated() {
            if case .int(let n) = item, n >= 0 { seeds.append(UInt64(n)) } else { r.issue("seeds[\(i)]", "must be a non-negative integer") }
        }
        if Set(seeds).count != seeds.count { r.issue("seeds", "a seed is listed twice") }
        return seeds
    }

    static func parseBudget(_ r: inout ObjectReader) -> TrainingBudget? {
        if !r.has("budget") { r.issue("budget", "required, {\"tokens\": N} or {\"seconds\": S}") }
        var b = r.object("budget")
        defer { b.finish() }
        let (tokens, seconds) = (b.int("tokens"), b.number("seconds")?.value)
        switch (b.has("tokens"), b.has("seconds")) {
        case (true, false):
            if let tokens, tokens >= 1 { return .tokens(tokens) }
            if tokens != nil { b.issue("tokens", "must be an integer >= 1") }
        case (false, true):
            if let seconds, seconds > 0 { return .seconds(seconds) }
            if seconds != nil { b.issue("seconds", "must be a number > 0") }
        default: if r.has("budget") { b.issue(nil, "give exactly one of tokens, seconds") }
        }
        return nil
    }

    static func parseVariants(_ r: inout ObjectReader, matrixDirectory: String) -> [ExperimentVariant] {
        guard case .array(let list)? = r.raw("variants"), !list.isEmpty else {
            r.issue("variants", "required, a non-empty list of {\"name\", \"override\"}")
            return []
        }
        var variants: [ExperimentVariant] = []
        for (i, item) in list.enumerated() {
            var v = ObjectReader(item, path: "variants[\(i)]", log: r.log)
            let name = v.string("name")
            let override = v.raw("override") ?? .object([])
            if case .object = override {} else { v.issue("override", "must be a JSON object") }
            let trainer = TrainerCommand.parse(&v, matrixDirectory: matrixDirectory)
            v.finish()
            guard let name, isSafePathComponent(name) else {
                v.issue("name", "required; letters, digits and - _ + . only, not . or .. (it names directories)")
                continue
            }
            variants.append(ExperimentVariant(name: name, override: override, trainer: trainer))
        }
        let names = variants.map(\.name)
        if Set(names).count != names.count { r.issue("variants", "a name is used twice") }
        return variants
    }

    /// Keys the matrix sets itself; a variant overriding them would break the equal comparison.
    static func checkOverride(_ override: JSONValue, variant: String, log: IssueLog) {
        let train = override.value(at: ["gradus", "train"])
        for key in ["seed", "validation_fraction", "validation_split_seed", "steps"] where train?[key] != nil {
            log.add("variants[\(variant)]", "gradus.train.\(key) is set by the matrix (seeds, validation, budget); remove it from the override")
        }
    }
}

/// Reads a whole file.
/// - Throws: `ExperimentError.io` when it cannot be read.
func readFile(_ path: String) throws -> Data {
    do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw ExperimentError.io(path: path, reason: error.localizedDescription)
    }
}

/// Reads and parses a JSON file.
/// - Throws: `ExperimentError.io` when it cannot be read or is not JSON.
func readJSON(_ path: String) throws -> JSONValue {
    let data = try readFile(path)
    do { return try JSONValue.parse(String(decoding: data, as: UTF8.self)) } catch {
        throw ExperimentError.io(path: path, reason: "not valid JSON (\(error))")
    }
}

/// A number with up to 4 significant decimals, without trailing zeros.
func formatNumber(_ x: Double, digits: Int = 4) -> String {
    if x.isNaN { return "—" }
    if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
    let s = String(format: "%.\(digits)f", x)
    var t = s
    while t.hasSuffix("0") { t.removeLast() }
    if t.hasSuffix(".") { t.removeLast() }
    return t
}
