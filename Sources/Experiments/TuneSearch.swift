// TuneSearch.swift — the search file of `gradus tune` (issue 18 §1): the experiment matrix the
// search is built on (inline or a path: base config, baseline, seeds, validation, trainer as in
// `gradus experiment`), the variant candidates start from, the space of parameters over config key
// paths, the number of candidates, the halving factor η, the rungs' minimum and maximum budgets in
// tokens, the search seed and the confirmation (fresh seeds, a second held-out split). Read by the
// strict `ObjectReader` (every problem at once, with its key path); every candidate's merged config
// then goes through `RunConfig.parse`, the parser of `gradus train`, before anything trains.
//
//     {"matrix": "ablation.json", "variant": "cl-seqlen", "candidates": 8, "eta": 2, "seed": 1,
//      "budget": {"min_tokens": 76800, "max_tokens": 614400},
//      "space": {"data_efficiency.data_sampling.curriculum_learning.curriculum_metrics.seqlen_truncate.schedule_config.total_curriculum_step":
//                    {"int": [40, 400]},
//                "gradus.train.lr.peak": {"float": [1e-4, 3e-3], "log": true}},
//      "confirm": {"seeds": [11, 12], "split_seed": 1}}

import Foundation
import Support
import Training

/// A parsed search file.
package struct TuneSearch: Sendable {
    /// The search file's path (named by errors and the report).
    package var path: String
    /// The matrix the rungs are built from; its budget is replaced by each rung's.
    package var matrix: ExperimentMatrix
    /// The matrix variant whose override the candidates start from (before the space's values).
    package var start: ExperimentVariant
    package var space: [TuneParameter]
    package var candidateCount: Int
    package var eta: Int
    package var minTokens: Int, maxTokens: Int
    package var seed: UInt64
    /// Seeds of the confirmation runs (fresh: none of the matrix's seeds).
    package var confirmSeeds: [UInt64]
    /// The held-out split seed of the confirmation on the search's index (`validation_split_seed`);
    /// unused with `--confirm-index`.
    package var confirmSplitSeed: UInt64
    /// The rungs (budgets, sizes).
    package var halving: SuccessiveHalving
    /// The candidates, drawn from `space` by `seed`.
    package var candidates: [TuneCandidate]

    /// Reads and validates a search file (and the matrix it names, and every candidate's config).
    /// - Throws: `ExperimentError.invalidSearch` listing every problem with its key path, or `.io`.
    package static func load(path: String) throws -> TuneSearch {
        try parse(try readJSON(path), path: path)
    }

    /// Parses a search file's JSON; `path` is the file (its directory resolves a matrix path).
    /// - Throws: `ExperimentError.invalidSearch`, `.io`.
    package static func parse(_ root: JSONValue, path: String) throws -> TuneSearch {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard case .object = root else { throw ExperimentError.invalidSearch(path: path, issues: ["the search file must be a JSON object"]) }
        let log = IssueLog()
        var top = ObjectReader(root, path: "", log: log)
        var matrix: ExperimentMatrix?
        switch top.raw("matrix") {
        case .string(let name)?:
            let matrixPath = name.hasPrefix("/") ? name : directory + "/" + name
            do { matrix = try ExperimentMatrix.load(path: matrixPath) } catch let ExperimentError.invalidMatrix(issues) {
                for i in issues { top.issue("matrix", "\(matrixPath): \(i)") }
            } catch { top.issue("matrix", "\(error)") }
        case .object?:
            do { matrix = try ExperimentMatrix.parse(top.raw("matrix")!, directory: directory) } catch let ExperimentError.invalidMatrix(issues) {
                for i in issues { top.issue("matrix", i) }
            } catch { top.issue("matrix", "\(error)") }
        default: top.issue("matrix", "required, an experiment matrix (inline object) or the path to one (relative to the search file)")
        }
        let startName = top.string("variant")
        let space = parseSpace(&top)
        let count = top.int("candidates", required: true)
        if let count, !(1...999).contains(count) { top.issue("candidates", "must be an integer in 1...999") }
        let eta = top.int("eta") ?? 2
        if eta < 2 { top.issue("eta", "must be an integer >= 2 (the factor candidates are cut by at each rung)") }
        let seed = top.int("seed") ?? 1
        if seed < 0 { top.issue("seed", "must be a non-negative integer") }
        var budget = top.object("budget", required: true)
        let minTokens = budget.int("min_tokens", required: true)
        var maxTokens = budget.int("max_tokens")
        if maxTokens == nil, case .tokens(let n)? = matrix?.budget { maxTokens = n }
        if maxTokens == nil, top.has("budget") { budget.issue("max_tokens", "required (the matrix's budget is not in tokens)") }
        if let minTokens, minTokens < 1 { budget.issue("min_tokens", "must be an integer >= 1") }
        if let minTokens, let maxTokens, maxTokens < minTokens { budget.issue("max_tokens", "must be >= min_tokens (\(minTokens))") }
        budget.finish()
        var confirm = top.object("confirm")
        var confirmSeeds: [UInt64] = []
        if confirm.has("seeds") { confirmSeeds = ExperimentMatrix.parseSeeds(&confirm) }
        let splitSeed = confirm.int("split_seed") ?? 1
        if splitSeed < 1 { confirm.issue("split_seed", "must be an integer >= 1 (0 is the search's own held-out split)") }
        confirm.finish()
        top.finish()
        guard let matrix, log.issues.isEmpty else { throw ExperimentError.invalidSearch(path: path, issues: log.issues.map(\.description)) }

        // Checks that need the matrix.
        let start = startName.flatMap { n in matrix.variants.first { $0.name == n } } ?? matrix.variants.first { $0.name == matrix.baseline }!
        if let startName, !matrix.variants.contains(where: { $0.name == startName }) {
            top.issue("variant", "\"\(startName)\" is not a variant of the matrix (it has: \(matrix.variants.map(\.name).joined(separator: ", ")))")
        }
        if matrix.baseline.hasPrefix("candidate-") { top.issue("matrix", "the baseline's name must not start with candidate- (the candidates' names)") }
        if confirm.has("seeds") {
            let reused = confirmSeeds.filter(matrix.seeds.contains)
            if !reused.isEmpty { confirm.issue("seeds", "\(reused.map(String.init).joined(separator: ", ")) is also a matrix seed; confirmation seeds must be fresh") }
        } else {
            // Default: as many fresh seeds as the matrix has, above all of its seeds.
            let highest = matrix.seeds.max() ?? 0
            confirmSeeds = (1...UInt64(matrix.seeds.count)).map { highest + 1000 + $0 }
        }
        let halving = SuccessiveHalving(candidates: count ?? 1, eta: eta, minBudget: minTokens ?? 1, maxBudget: maxTokens ?? 1)
        let candidates = TuneCandidate.sample(space, count: count ?? 1, seed: UInt64(seed))
        var search = TuneSearch(path: path, matrix: matrix, start: start, space: space, candidateCount: count ?? 1, eta: eta,
                                minTokens: minTokens ?? 1, maxTokens: maxTokens ?? 1, seed: UInt64(seed), confirmSeeds: confirmSeeds,
                                confirmSplitSeed: UInt64(splitSeed), halving: halving, candidates: candidates)
        if log.issues.isEmpty { search.checkCandidates(log: log) }
        if !log.issues.isEmpty { throw ExperimentError.invalidSearch(path: path, issues: log.issues.map(\.description)) }
        search.matrix.budget = .tokens(search.maxTokens)
        return search
    }

    /// The space: an object of key path → `{"int": [lo, hi]}`, `{"float": [lo, hi], "log": true}`
    /// or `{"choice": [...]}`, in file order.
    static func parseSpace(_ top: inout ObjectReader) -> [TuneParameter] {
        guard case .object(let members)? = top.raw("space"), !members.isEmpty else {
            top.issue("space", "required, a non-empty object of config key path → {\"int\": [lo, hi]}, {\"float\": [lo, hi]} or {\"choice\": [...]}")
            return []
        }
        var out: [TuneParameter] = []
        for (key, value) in members {
            let keys = key.split(separator: ".", omittingEmptySubsequences: false)
            var r = ObjectReader(value, path: "space.\(key)", log: top.log)
            if keys.contains(where: \.isEmpty) { r.issue(nil, "the key path has an empty component"); continue }
            if keys.first == "gradus", keys.count >= 3, keys[1] == "train", ["seed", "validation_fraction", "validation_split_seed", "steps"].contains(String(keys[2])) {
                r.issue(nil, "gradus.train.\(keys[2]) is set by the matrix and the rungs (seeds, validation, budget); it cannot be searched")
                continue
            }
            guard case .object = value else { r.issue(nil, "must be {\"int\": [lo, hi]}, {\"float\": [lo, hi]} or {\"choice\": [...]}"); continue }
            let kinds = ["int", "float", "choice"].filter { r.has($0) }
            guard kinds.count == 1 else { r.issue(nil, "give exactly one of int, float, choice"); r.accept(["int", "float", "choice", "log"]); continue }
            let log = r.bool("log", default: false)
            var domain: TuneDomain?
            switch kinds[0] {
            case "int":
                let bounds = r.decode([Int].self, "int")
                if let b = bounds, b.count == 2, b[0] <= b[1], !log || b[0] >= 1 { domain = .int(lo: b[0], hi: b[1], log: log) } else if bounds != nil {
                    r.issue("int", "must be [lo, hi] with lo <= hi" + (log ? " and lo >= 1 (log scale)" : ""))
                }
            case "float":
                let bounds = r.numbers("float")
                if let b = bounds, b.count == 2, b[0] < b[1], b.allSatisfy(\.isFinite), !log || b[0] > 0 {
                    domain = .float(lo: b[0], hi: b[1], log: log)
                } else if bounds != nil { r.issue("float", "must be [lo, hi] with lo < hi" + (log ? " and lo > 0 (log scale)" : "")) }
            default:
                if log { r.issue("log", "applies to int and float only") }
                if case .array(let values)? = r.raw("choice"), !values.isEmpty { domain = .choice(values) } else {
                    r.issue("choice", "must be a non-empty list of values")
                }
            }
            r.finish()
            if let domain { out.append(TuneParameter(path: key, domain: domain)) }
        }
        return out
    }

    /// The matrix variant of candidate `c`: the start variant's override with the space's values set.
    package func variant(_ c: TuneCandidate) -> ExperimentVariant {
        ExperimentVariant(name: c.name, override: start.override.merged(with: c.patch(space)), trainer: start.trainer)
    }

    /// The baseline variant of the matrix.
    package var baseline: ExperimentVariant { matrix.variants.first { $0.name == matrix.baseline }! }

    /// Every candidate's merged config through `RunConfig.parse` and `randomLTDRouting` (as
    /// `gradus train` reads it and builds its trainer): a
    /// problem is recorded under `space` with the candidates that have it and their values (one
    /// issue per distinct problem, so a bad key path is reported once, not once per candidate).
    private func checkCandidates(log: IssueLog) {
        var problems: [(problem: String, candidates: [String])] = []
        for c in candidates {
            ExperimentMatrix.checkOverride(matrix.common.merged(with: variant(c).override), variant: c.name, log: log)
            do {
                // The parser of `gradus train`, then the random-LTD routing its trainer builds (layer checks).
                _ = try RunConfig.parse(matrix.runConfig(variant: variant(c), seed: matrix.seeds[0])).randomLTDRouting()
            } catch {
                let values = zip(space, c.values).map { "\($0.path) = \($1.jsonText)" }.joined(separator: ", ")
                let entry = "\(c.name) (\(values))"
                if let i = problems.firstIndex(where: { $0.problem == "\(error)" }) { problems[i].candidates.append(entry) } else {
                    problems.append(("\(error)", [entry]))
                }
            }
        }
        for (problem, names) in problems {
            log.add("space", "\(names.joined(separator: "; ")) \(names.count == 1 ? "gives a config" : "give configs") that gradus train "
                + "refuses (fix the space's key path or range): \(problem)")
        }
    }

    /// The matrix of rung `k`: the baseline and `survivors` at the rung's budget, the matrix's seeds.
    package func rungMatrix(_ k: Int, survivors: [TuneCandidate]) -> ExperimentMatrix {
        var m = matrix
        m.variants = [baseline] + survivors.map(variant)
        m.budget = .tokens(halving.budgets[k])
        return m
    }

    /// The confirmation matrix: baseline and `winner` at the maximum budget with the confirmation
    /// seeds, on the held-out split `splitSeed` (0: the matrix's own, for `--confirm-index`).
    package func confirmMatrix(winner: TuneCandidate, splitSeed: UInt64) -> ExperimentMatrix {
        var m = matrix
        m.variants = [baseline, variant(winner)]
        (m.budget, m.seeds, m.validationSplitSeed) = (.tokens(maxTokens), confirmSeeds, splitSeed)
        return m
    }

    /// The search as recorded in OUT/search.json (compared on `--resume`): everything that decides
    /// which runs are made.
    package func recorded() -> JSONValue {
        .object([
            ("matrix", matrix.recorded()), ("variant", .string(start.name)),
            ("space", .object(space.map { p in (p.path, p.recorded) })),
            ("candidates", .int(Int64(candidateCount))), ("eta", .int(Int64(eta))), ("seed", .int(Int64(seed))),
            ("budget", .object([("min_tokens", .int(Int64(minTokens))), ("max_tokens", .int(Int64(maxTokens)))])),
            ("confirm", .object([("seeds", .array(confirmSeeds.map { .int(Int64($0)) })), ("split_seed", .int(Int64(confirmSplitSeed)))])),
        ])
    }
}

extension TuneParameter {
    /// The domain as written in a search file.
    var recorded: JSONValue {
        switch domain {
        case .int(let lo, let hi, let log): return .object([("int", .array([.int(Int64(lo)), .int(Int64(hi))])), ("log", .bool(log))])
        case .float(let lo, let hi, let log): return .object([("float", .array([.double(lo), .double(hi)])), ("log", .bool(log))])
        case .choice(let values): return .object([("choice", .array(values))])
        }
    }
}
