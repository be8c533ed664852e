// ExperimentMatrix.swift — the matrix file of `gradus experiment` (issue 7 §1, DESIGN.md §6): a
// base run config, a common override, the variants (each a partial override, RFC 7396 deep
// merge), the seeds, the equal budget (tokens or wall-clock seconds), the evaluation interval in
// tokens and the held-out split shared by every run. Parsed strictly: unknown keys are errors with
// their key path and every problem is reported at once (STYLE.md §8).
//
//     {"base": "small-text.json", "baseline": "baseline", "seeds": [1, 2],
//      "budget": {"tokens": 4096000}, "eval_interval_tokens": 204800,
//      "validation": {"fraction": 0.02, "batches": 8},
//      "common": {"gradus": {"train": {"lr": {"unit": "tokens"}}}},
//      "variants": [{"name": "baseline", "override": {}}, {"name": "cl", "override": {…}}]}

import Foundation

/// The equal budget every run gets.
public enum ExperimentBudget: Equatable, Sendable {
    /// Train until at least this many tokens are consumed.
    case tokens(Int)
    /// Train until this many seconds of training wall-clock (evaluation excluded) have passed.
    case seconds(Double)

    /// Human-readable form for the report.
    public var text: String {
        switch self {
        case .tokens(let n): return "\(n) tokens"
        case .seconds(let s): return "\(formatNumber(s)) s of training wall-clock"
        }
    }
}

/// One variant: a name (also its run directories' prefix) and its override of the base config.
public struct ExperimentVariant: @unchecked Sendable {
    public var name: String
    /// A JSON object merged into the base config (after `common`).
    public var override: [String: Any]
}

/// A parsed matrix file.
public struct ExperimentMatrix: @unchecked Sendable {
    /// The base config path, resolved against the matrix file's directory.
    public var basePath: String
    /// The base config's JSON.
    public var base: [String: Any]
    /// Merged into the base before every variant's override.
    public var common: [String: Any]
    public var variants: [ExperimentVariant]
    public var seeds: [UInt64]
    public var budget: ExperimentBudget
    /// Tokens between held-out evaluations (an evaluation also runs at 0 and at the end).
    public var evalIntervalTokens: Int
    /// Fraction of the index's samples held out (same split for every run).
    public var validationFraction: Double
    /// Held-out batches per evaluation (nil: the base config's `eval_batches`).
    public var validationBatches: Int?
    /// The variant the others are compared with.
    public var baseline: String

    static let keys = ["base", "baseline", "common", "variants", "seeds", "budget", "eval_interval_tokens", "validation"]

    /// Reads and validates a matrix file.
    /// - Throws: `ExperimentError.invalidMatrix` listing every problem with its key path, or
    ///   `.io` when a file cannot be read.
    public static func load(path: String) throws -> ExperimentMatrix {
        let root = try JSONMerge.parse(try readFile(path), path: path)
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(root, directory: dir)
    }

    /// Parses a matrix's JSON; `directory` resolves a relative `base`.
    public static func parse(_ root: Any, directory: String) throws -> ExperimentMatrix {
        var problems: [String] = []
        guard let top = root as? [String: Any] else { throw ExperimentError.invalidMatrix(["the matrix must be a JSON object"]) }
        problems += unknownKeys(top, known: keys, path: "")
        let baseName = top["base"] as? String
        if baseName == nil { problems.append("base: required, a path to the run config (relative to the matrix file)") }
        let common = object(top["common"], "common", &problems) ?? [:]
        let seeds = parseSeeds(top["seeds"], &problems)
        let budget = parseBudget(top["budget"], &problems)
        let interval = integer(top["eval_interval_tokens"], "eval_interval_tokens", &problems, minimum: 1)
        let (fraction, batches) = parseValidation(top["validation"], &problems)
        let variants = parseVariants(top["variants"], &problems)
        let baseline = (top["baseline"] as? String) ?? variants.first?.name ?? ""
        if top["baseline"] != nil && !(top["baseline"] is String) { problems.append("baseline: must be a variant name") }
        if !variants.isEmpty && !variants.contains(where: { $0.name == baseline }) {
            problems.append("baseline: \"\(baseline)\" is not one of the variants")
        }
        var base: [String: Any] = [:], basePath = ""
        if let baseName {
            basePath = baseName.hasPrefix("/") ? baseName : directory + "/" + baseName
            if let loaded = try? JSONMerge.parse(try readFile(basePath), path: basePath) as? [String: Any] {
                base = loaded
            } else {
                problems.append("base: \(basePath) is not a readable JSON object")
            }
        }
        for v in variants { problems += overrideProblems(JSONMerge.merge(common, v.override) as? [String: Any] ?? [:], variant: v.name) }
        if !problems.isEmpty { throw ExperimentError.invalidMatrix(problems) }
        return ExperimentMatrix(basePath: basePath, base: base, common: common, variants: variants, seeds: seeds,
                                budget: budget ?? .tokens(0), evalIntervalTokens: interval ?? 1,
                                validationFraction: fraction, validationBatches: batches, baseline: baseline)
    }

    /// The full config JSON of (variant, seed): base ⊕ common ⊕ override, with the matrix's seed,
    /// held-out fraction and evaluation batches written in (so every run shares the split).
    public func runConfig(variant: ExperimentVariant, seed: UInt64) -> [String: Any] {
        var config = JSONMerge.merge(JSONMerge.merge(base, common), variant.override)
        config = JSONMerge.setting(config, ["gradus", "train", "seed"], to: Int(seed))
        config = JSONMerge.setting(config, ["gradus", "train", "validation_fraction"], to: validationFraction)
        if let validationBatches {
            config = JSONMerge.setting(config, ["gradus", "train", "eval_batches"], to: validationBatches)
        }
        return config as? [String: Any] ?? [:]
    }

    /// The matrix as it is recorded in the output directory (compared on `--resume`).
    public func recorded() -> [String: Any] {
        var budgetObject: [String: Any] = [:]
        switch budget {
        case .tokens(let n): budgetObject["tokens"] = n
        case .seconds(let s): budgetObject["seconds"] = s
        }
        return ["base": base, "common": common, "baseline": baseline, "seeds": seeds.map { Int($0) },
                "budget": budgetObject, "eval_interval_tokens": evalIntervalTokens,
                "validation": ["fraction": validationFraction, "batches": validationBatches as Any? ?? NSNull()],
                "variants": variants.map { ["name": $0.name, "override": $0.override] }]
    }
}

// MARK: - Field parsers (each appends its problems with the key path)

extension ExperimentMatrix {
    static func parseSeeds(_ value: Any?, _ problems: inout [String]) -> [UInt64] {
        guard let list = value as? [Any], !list.isEmpty else {
            problems.append("seeds: required, a non-empty list of non-negative integers")
            return []
        }
        var seeds: [UInt64] = []
        for (i, item) in list.enumerated() {
            if let n = exactInteger(item), n >= 0 { seeds.append(UInt64(n)) } else { problems.append("seeds[\(i)]: must be a non-negative integer") }
        }
        if Set(seeds).count != seeds.count { problems.append("seeds: a seed is listed twice") }
        return seeds
    }

    static func parseBudget(_ value: Any?, _ problems: inout [String]) -> ExperimentBudget? {
        guard let object = value as? [String: Any] else {
            problems.append("budget: required, {\"tokens\": N} or {\"seconds\": S}")
            return nil
        }
        problems += unknownKeys(object, known: ["tokens", "seconds"], path: "budget")
        switch (object["tokens"], object["seconds"]) {
        case (let t?, nil):
            if let n = exactInteger(t), n >= 1 { return .tokens(n) }
            problems.append("budget.tokens: must be an integer >= 1")
        case (nil, let s?):
            if let x = (s as? NSNumber)?.doubleValue, x > 0, !isJSONBool(s) { return .seconds(x) }
            problems.append("budget.seconds: must be a number > 0")
        default: problems.append("budget: give exactly one of tokens, seconds")
        }
        return nil
    }

    static func parseValidation(_ value: Any?, _ problems: inout [String]) -> (Double, Int?) {
        guard let value else { return (0.02, nil) }
        guard let object = value as? [String: Any] else {
            problems.append("validation: must be an object {\"fraction\": F, \"batches\": N}")
            return (0.02, nil)
        }
        problems += unknownKeys(object, known: ["fraction", "batches"], path: "validation")
        var fraction = 0.02
        if let f = object["fraction"] {
            if let x = (f as? NSNumber)?.doubleValue, x > 0, x < 1 { fraction = x } else {
                problems.append("validation.fraction: must be a number in (0, 1)")
            }
        }
        let batches = object["batches"] == nil ? nil : integer(object["batches"], "validation.batches", &problems, minimum: 1)
        return (fraction, batches)
    }

    static func parseVariants(_ value: Any?, _ problems: inout [String]) -> [ExperimentVariant] {
        guard let list = value as? [Any], !list.isEmpty else {
            problems.append("variants: required, a non-empty list of {\"name\", \"override\"}")
            return []
        }
        var variants: [ExperimentVariant] = []
        for (i, item) in list.enumerated() {
            let path = "variants[\(i)]"
            guard let object = item as? [String: Any] else { problems.append("\(path): must be an object"); continue }
            problems += unknownKeys(object, known: ["name", "override"], path: path)
            guard let name = object["name"] as? String, !name.isEmpty,
                  name.allSatisfy({ $0.isLetter || $0.isNumber || "-_+.".contains($0) }) else {
                problems.append("\(path).name: required; letters, digits and - _ + . only (it names directories)")
                continue
            }
            let override = Self.object(object["override"], "\(path).override", &problems) ?? [:]
            variants.append(ExperimentVariant(name: name, override: override))
        }
        let names = variants.map(\.name)
        if Set(names).count != names.count { problems.append("variants: a name is used twice") }
        return variants
    }

    /// Keys the matrix sets itself; a variant overriding them would break the equal comparison.
    static func overrideProblems(_ override: [String: Any], variant: String) -> [String] {
        let train = JSONMerge.value(override, at: ["gradus", "train"]) as? [String: Any] ?? [:]
        return ["seed", "validation_fraction", "steps"].filter { train[$0] != nil }.map {
            "variants[\(variant)]: gradus.train.\($0) is set by the matrix (seeds, validation, budget); remove it from the override"
        }
    }

    static func unknownKeys(_ object: [String: Any], known: [String], path: String) -> [String] {
        object.keys.filter { !known.contains($0) }.sorted().map {
            "\(path.isEmpty ? "" : path + ".")\($0): unknown key (known: \(known.joined(separator: ", ")))"
        }
    }

    static func object(_ value: Any?, _ path: String, _ problems: inout [String]) -> [String: Any]? {
        guard let value else { return nil }
        guard let object = value as? [String: Any] else { problems.append("\(path): must be a JSON object"); return nil }
        return object
    }

    static func integer(_ value: Any?, _ path: String, _ problems: inout [String], minimum: Int) -> Int? {
        guard let value, let n = exactInteger(value), n >= minimum else {
            problems.append("\(path): required, an integer >= \(minimum)")
            return nil
        }
        return n
    }

    /// An integral JSON number as Int (not a bool, not 2.5).
    static func exactInteger(_ value: Any) -> Int? {
        guard let n = value as? NSNumber, !isJSONBool(value) else { return nil }
        let d = n.doubleValue
        guard d.rounded() == d, abs(d) < 9e15 else { return nil }
        return Int(d)
    }
}

/// Reads a whole file.
/// - Throws: `ExperimentError.io` when it cannot be read.
func readFile(_ path: String) throws -> Data {
    do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw ExperimentError.io(path: path, reason: error.localizedDescription)
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

/// True for a JSON `true`/`false`: Foundation on Linux hands them back as `__NSCFBoolean`, which
/// (like every NSNumber) also casts to Bool, so the dynamic type is what tells them apart.
func isJSONBool(_ value: Any) -> Bool {
    "\(type(of: value))".contains("Boolean") || type(of: value) == Bool.self
}
