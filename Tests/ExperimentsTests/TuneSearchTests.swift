// TuneSearchTests.swift — the search file of `gradus tune` (issue 18 §1, §5): candidates are a
// function of the search seed alone (same seed, same candidates; another seed, others), values stay
// in their domains, and bad search files are refused before anything trains with the search file,
// the key path and the problem — including a candidate whose merged config `gradus train` refuses.

import Foundation
import Support
import TestSupport
import XCTest
@testable import Experiments

final class TuneSearchTests: XCTestCase {
    private let p = "data_efficiency.data_sampling.curriculum_learning.curriculum_metrics.seqlen_truncate"

    private func parse(_ text: String) throws -> TuneSearch {
        try TuneSearch.parse(try JSONValue.parse(text), path: "/tmp/search.json")
    }

    /// The issues of a refused search file.
    private func issues(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do { _ = try parse(text) } catch ExperimentError.invalidSearch(let path, let issues) {
            XCTAssertEqual(path, "/tmp/search.json", file: file, line: line)
            return issues
        } catch { XCTFail("unexpected error \(error)", file: file, line: line) }
        XCTFail("the search file was accepted", file: file, line: line)
        return []
    }

    func testTheSameSeedGivesTheSameCandidatesAndAnotherSeedOthers() throws {
        let space = #"{"\#(p).schedule_config.total_curriculum_step": {"int": [1, 1000]}, "\#(p).min_difficulty": {"choice": [8, 16, 24]}, "gradus.train.lr.peak": {"float": [1e-3, 1e-2], "log": true}}"#
        let a = try parse(TuneFixture.searchText(seed: 7, candidates: 8, space: space))
        let b = try parse(TuneFixture.searchText(seed: 7, candidates: 8, space: space))
        let c = try parse(TuneFixture.searchText(seed: 8, candidates: 8, space: space))
        XCTAssertEqual(a.candidates, b.candidates)
        XCTAssertNotEqual(a.candidates.map(\.values), c.candidates.map(\.values))
        XCTAssertEqual(a.candidates.map(\.name), (1...8).map { "candidate-0\($0)" })
        for cand in a.candidates + c.candidates {
            XCTAssertTrue((1...1000).contains(cand.values[0].intValue!), "\(cand)")
            XCTAssertTrue([JSONValue.int(8), .int(16), .int(24)].contains(cand.values[1]), "\(cand)")
            XCTAssertTrue((1e-3...1e-2).contains(cand.values[2].number!), "\(cand)")
        }
        // The values are set into the start variant's override: the candidate's config holds them.
        let config = a.matrix.runConfig(variant: a.variant(a.candidates[0]), seed: 1)
        XCTAssertEqual(config.value(at: (p + ".schedule_config.total_curriculum_step").split(separator: ".").map(String.init)),
                       a.candidates[0].values[0])
        XCTAssertEqual(config.value(at: ["gradus", "train", "lr", "peak"]), a.candidates[0].values[2])
        XCTAssertEqual(config.value(at: (p + ".schedule_config.difficulty_step").split(separator: ".").map(String.init)), .int(8),
                       "the rest of the start variant's override is kept")
    }

    /// Without a confirm block: as many fresh seeds as the matrix has, from its highest seed + 1001.
    func testDefaultConfirmationSeedsAreFresh() throws {
        let search = try parse(TuneFixture.searchText().replacingOccurrences(of: #""confirm": {"seeds": [5, 6]}"#, with: #""confirm": {}"#))
        XCTAssertEqual(search.matrix.seeds, [1])
        XCTAssertEqual(search.confirmSeeds, [1002])
        XCTAssertEqual(search.confirmSplitSeed, 1)
    }

    /// A choice over whole sub-objects replaces the object (which metric), it does not merge into it.
    func testAChoiceOverSubObjectsReplacesThem() throws {
        let metric = #"{"difficulty_type": "value", "clustering_type": "single_cluster", "min_difficulty": 16, "max_difficulty": 64, "schedule_type": "fixed_root", "schedule_config": {"total_curriculum_step": 40, "difficulty_step": 8, "root_degree": 2}}"#
        let space = #"{"data_efficiency.data_sampling.curriculum_learning.curriculum_metrics": {"choice": [{"seqlen_truncate": \#(metric)}]}}"#
        let search = try parse(TuneFixture.searchText(candidates: 1, space: space))
        let config = search.matrix.runConfig(variant: search.variant(search.candidates[0]), seed: 1)
        let sc = config.value(at: (p + ".schedule_config").split(separator: ".").map(String.init))
        XCTAssertEqual(sc, try JSONValue.parse(#"{"total_curriculum_step": 40, "difficulty_step": 8, "root_degree": 2}"#))
    }

    func testBadSearchFilesAreRefusedWithTheKeyPath() {
        // A key path the config does not have: gradus train's parser names it, once for all candidates.
        var found = issues(TuneFixture.searchText(space: #"{"\#(p).schedule_config.total_curriculum_stp": {"int": [1, 100]}}"#))
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found[0].hasPrefix("space: candidate-01 ("), found[0])
        XCTAssertTrue(found[0].contains("\(p).schedule_config.total_curriculum_stp: unknown key"), found[0])
        // A range whose values the parser refuses (min_difficulty above max_difficulty 64).
        found = issues(TuneFixture.searchText(space: #"{"\#(p).min_difficulty": {"int": [100, 200]}}"#))
        XCTAssertTrue(found.count == 1 && found[0].contains("max_difficulty must be ≥ min_difficulty"), "\(found)")
        // Malformed domains, searched keys the matrix owns, settings out of range: all at once.
        found = issues(TuneFixture.searchText(space: #"{"\#(p).min_difficulty": {"int": [5, 1]}, "gradus.train.seed": {"int": [1, 2]}, "a..b": {"choice": [1]}, "x.y": {"float": [0, 1], "log": true}, "x.z": {"choice": []}, "x.w": {"int": [1, 2], "choice": [1]}}"#,
                                                   extra: #", "eta": 1, "oops": 2"#).replacingOccurrences(of: #""eta": 2,"#, with: ""))
        XCTAssertEqual(Set(found), [
            "space.\(p).min_difficulty.int: must be [lo, hi] with lo <= hi",
            "space.gradus.train.seed: gradus.train.seed is set by the matrix and the rungs (seeds, validation, budget); it cannot be searched",
            "space.a..b: the key path has an empty component",
            "space.x.y.float: must be [lo, hi] with lo < hi and lo > 0 (log scale)",
            "space.x.z.choice: must be a non-empty list of values",
            "space.x.w: give exactly one of int, float, choice",
            "eta: must be an integer >= 2 (the factor candidates are cut by at each rung)",
            "oops: unknown key",
        ])
        // Budgets, confirmation seeds, the start variant.
        found = issues(TuneFixture.searchText().replacingOccurrences(of: #""min_tokens": 512, "max_tokens": 2048"#, with: #""min_tokens": 4096, "max_tokens": 2048"#))
        XCTAssertEqual(found, ["budget.max_tokens: must be >= min_tokens (4096)"])
        found = issues(TuneFixture.searchText().replacingOccurrences(of: #""seeds": [5, 6]"#, with: #""seeds": [1, 6]"#)
            .replacingOccurrences(of: #""variant": "cl""#, with: #""variant": "cx""#))
        XCTAssertEqual(Set(found), ["variant: \"cx\" is not a variant of the matrix (it has: baseline, cl)",
                                    "confirm.seeds: 1 is also a matrix seed; confirmation seeds must be fresh"])
        // The matrix's own problems, under matrix.
        found = issues(TuneFixture.searchText().replacingOccurrences(of: #""eval_interval_tokens": 512,"#, with: ""))
        XCTAssertEqual(found, ["matrix: eval_interval_tokens: required key is missing"])
    }

    /// The shipped search parses (every candidate's config included) with the rungs its docs state.
    func testTheShippedSearchParsesWithTheDocumentedRungs() throws {
        let search = try TuneSearch.load(path: repositoryRoot + "/configs/tune-demo.json")
        XCTAssertEqual(search.halving.budgets, [61440, 122880, 245760])
        XCTAssertEqual(search.halving.sizes, [4, 2, 1])
        XCTAssertEqual(search.matrix.seeds, [1, 2])
        XCTAssertEqual(search.confirmSeeds, [11, 12])
        XCTAssertEqual(search.start.name, "cl-seqlen")
        // 5·61 440 + 3·122 880 + 2·245 760 tokens per seed, as docs/evaluation.md counts them.
        let perSeed = zip(search.halving.sizes, search.halving.budgets).map { ($0 + 1) * $1 }.reduce(0, +)
        XCTAssertEqual(perSeed, 1_167_360)
    }
}
