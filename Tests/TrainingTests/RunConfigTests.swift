// RunConfigTests.swift — one parser for the whole run config (STYLE.md §8): typed gradus.model /
// gradus.train values with their defaults, every problem of the file reported at once with its
// key path (unknown keys, types, inconsistent sizes, DeepSpeed batch keys that disagree with the
// trainer), curriculum-only files for the preview commands, and the resolved config round trip.

import Curriculum
import Foundation
import Model
import Support
import XCTest
@testable import Training

final class RunConfigTests: XCTestCase {
    private static let model = #""model": {"layers": 2, "d_model": 16, "heads": 4, "context": 12, "vocab": 24}"#
    private static let train = #""train": {"batch_size": 3, "steps": 10, "lr": {"peak": 0.01, "warmup": 2, "total": 10}}"#

    func testParseTypesBothBlocksWithDefaults() throws {
        let run = try RunConfig.parse("{\"train_batch_size\": 3, \"gradus\": {\(Self.model), \(Self.train)}}")
        XCTAssertEqual(run.model, ModelConfig(layers: 2, dModel: 16, heads: 4, context: 12, vocab: 24))
        XCTAssertEqual(run.train.batchSize, 3)
        XCTAssertEqual(run.train.seed, 1)
        XCTAssertEqual(run.train.validationFraction, 0.02)
        XCTAssertEqual(run.train.lr, LearningRateSchedule(peak: 0.01, min: 0, warmup: 2, total: 10, unit: .steps, decay: .cosine))
        XCTAssertEqual(run.train.optimizer, AdamWHyperparameters())
        XCTAssertEqual(run.file.trainBatchSize, 3)
        XCTAssertEqual(run.sequenceLength, 12)
        XCTAssertEqual(run.maxBatchRows, 3)
    }

    func testParseReportsEveryProblemOfTheFileWithItsPath() throws {
        let text = """
        {"train_batch_size": 8,
         "data_efficiency": {"enabled": true, "data_sampling": {"enabled": true, "curriculum_learning": {"enabled": true,
           "curriculum_metrics": {"seqlen_truncate": {"difficulty_type": "value", "clustering_type": "single_cluster",
             "min_difficulty": 0, "max_difficulty": 12, "schedule_type": "fixed_linear", "bogus": 1,
             "schedule_config": {"total_curriculum_step": 10, "difficulty_step": 1}}}}}},
         "gradus": {"model": {"layers": 2, "d_model": 18, "heads": 4, "context": 12, "vocab": 24},
                    "train": {"batch_size": 3, "steps": 10, "eval_intervall": 5,
                              "lr": {"peak": 0.01, "warmup": 2, "total": 10, "unit": "epochs"}}}}
        """
        XCTAssertThrowsError(try RunConfig.parse(text)) { error in
            guard let e = error as? ConfigError else { return XCTFail("\(error)") }
            let paths = Set(e.issues.map(\.path))
            XCTAssertEqual(paths, [
                "data_efficiency.data_sampling.curriculum_learning.curriculum_metrics.seqlen_truncate.bogus",
                "gradus.train.eval_intervall",
                "gradus.train.lr.unit",
                "gradus.model",
                "train_batch_size",
                "data_efficiency.data_sampling.curriculum_learning.curriculum_metrics.seqlen_truncate.min_difficulty",
            ], "\(e)")
            XCTAssertTrue(e.issues.contains { $0.message.contains("d_model (18) must be divisible by heads (4)") }, "\(e)")
        }
    }

    func testParseRequiresBothBlocksForTrainingAndTypesValues() throws {
        XCTAssertThrowsError(try RunConfig.parse(#"{"train_batch_size": 4}"#)) { error in
            let paths = (error as? ConfigError)?.issues.map(\.path)
            XCTAssertEqual(paths, ["gradus.model", "gradus.train"], "\(error)")
        }
        let wrongType = "{\"gradus\": {\(Self.model), \"train\": {\"batch_size\": \"3\", \"steps\": 1, \"lr\": {\"peak\": 1, \"warmup\": 0, \"total\": 1}}}}"
        XCTAssertThrowsError(try RunConfig.parse(wrongType)) { error in
            XCTAssertEqual((error as? ConfigError)?.issues.map(\.path), ["gradus.train.batch_size"], "\(error)")
        }
    }

    /// The keys of gradus.train are read by `ConfigDecoder` from the types' `Decodable`
    /// conformances: every problem with its path and the same messages as the other config keys.
    func testParseTrainBlockTypeErrorsUnknownKeysAndBadNamesAtOnce() throws {
        let text = """
        {"gradus": {\(Self.model), "train": {"batch_size": 3, "steps": 10.0, "grad_clip": true, "seed": -1, "seq_length": null,
          "optimizer": {"beta3": 0.9}, "lr": {"peak": 0.01, "warmup": 2, "total": 10, "decay": "cos"}}}}
        """
        XCTAssertThrowsError(try RunConfig.parse(text)) { error in
            let issues = (error as? ConfigError)?.issues.map(\.description) ?? ["\(error)"]
            XCTAssertEqual(Set(issues), [
                "gradus.train.steps: expected an integer, found a number",
                "gradus.train.seq_length: expected an integer, found null",
                "gradus.train.grad_clip: expected a number, found a boolean",
                "gradus.train.seed: -1 is out of range (0...18446744073709551615)",
                "gradus.train.optimizer.beta3: unknown key",
                #"gradus.train.lr.decay: "cos" is not one of "cosine", "linear", "constant""#,
            ])
        }
        XCTAssertThrowsError(try RunConfig.parse("{\"gradus\": {\(Self.model), \"train\": {\"batch_size\": 3, \"steps\": 1}}}")) { error in
            XCTAssertEqual((error as? ConfigError)?.issues.map(\.description), ["gradus.train.lr: required key is missing"])
        }
    }

    func testParseFileCurriculumOnlyHasNoRunAndHalfABlockIsAnError() throws {
        let (file, run) = try RunConfig.parseFile(#"{"train_batch_size": 4, "gradus": {"curriculum": {"step_unit": "tokens"}}}"#)
        XCTAssertNil(run)
        XCTAssertEqual(file.gradus.stepUnit, .tokens)
        XCTAssertThrowsError(try RunConfig.parseFile("{\"gradus\": {\(Self.model)}}")) { error in
            XCTAssertEqual((error as? ConfigError)?.issues.map(\.path), ["gradus.train"], "\(error)")
        }
    }

    func testResolvedJSONRoundTripsTheWholeConfig() throws {
        let text = """
        {"train_batch_size": 3, "data_efficiency": {"enabled": true, "seed": 7, "data_sampling": {"enabled": true,
          "curriculum_learning": {"enabled": true, "curriculum_metrics": {"seqlen_reshape": {"difficulty_type": "value",
            "clustering_type": "single_cluster", "min_difficulty": 3, "max_difficulty": 12, "schedule_type": "fixed_linear",
            "schedule_config": {"total_curriculum_step": 10, "difficulty_step": 1}}}}}},
         "gradus": {\(Self.model), \(Self.train)}}
        """
        let run = try RunConfig.parse(text)
        let back = try JSONDecoder().decode(RunConfig.self, from: try run.resolvedJSON())
        XCTAssertEqual(back, run)
        XCTAssertEqual(back.file.dataEfficiency.seed, 7)
        // reshape at difficulty 3 of S = 12: R = 4, k = 3, min(⌈3·13/4⌉, 3·3 + 3) = 10 rows.
        XCTAssertEqual(run.maxBatchRows, 10)
    }

    /// `validation_split_seed` (issue 18) is read, 0 by default, and written only when set: the
    /// resolved config of a run without it (checkpoint headers, config.json) is unchanged.
    func testValidationSplitSeedIsReadAndWrittenOnlyWhenSet() throws {
        let plain = try RunConfig.parse("{\"train_batch_size\": 3, \"gradus\": {\(Self.model), \(Self.train)}}")
        XCTAssertEqual(plain.train.validationSplitSeed, 0)
        XCTAssertFalse(String(decoding: try plain.resolvedJSON(), as: UTF8.self).contains("validation_split_seed"))
        let seeded = try RunConfig.parse("{\"train_batch_size\": 3, \"gradus\": {\(Self.model), "
            + #""train": {"batch_size": 3, "steps": 10, "validation_split_seed": 3, "lr": {"peak": 0.01, "warmup": 2, "total": 10}}}}"#)
        XCTAssertEqual(seeded.train.validationSplitSeed, 3)
        let back = try JSONDecoder().decode(RunConfig.self, from: try seeded.resolvedJSON())
        XCTAssertEqual(back.train.validationSplitSeed, 3)
        XCTAssertEqual(back, seeded)
        XCTAssertThrowsError(try RunConfig.parse("{\"train_batch_size\": 3, \"gradus\": {\(Self.model), "
            + #""train": {"batch_size": 3, "steps": 10, "validation_split_seed": -1, "lr": {"peak": 0.01, "warmup": 2, "total": 10}}}}"#)) {
            XCTAssertTrue("\($0)".contains("gradus.train.validation_split_seed"), "\($0)")
        }
    }
}
