// IndexFingerprintResumeTests.swift — training resume and the index (issue 14 item 8), on a
// curriculum run over a tiny index and its byte-identical rebuild (another `created` second, so
// the sampler's whole-manifest hash differs while `IndexManifest.contentFingerprint` agrees): a
// checkpoint that records the fingerprint resumes on the rebuild exactly as on the original; an
// older checkpoint without one falls back to the sampler's check, whose refusal says to resume on
// the original index and offers no --force (`train` has none).

import Corpus
import CorpusIndex
import Foundation
import TestSupport
import XCTest
@testable import Training

final class IndexFingerprintResumeTests: XCTestCase {
    private func build(_ path: String) throws -> LMDBDifficultyIndex {
        var options = IndexBuildOptions(inputs: ["docs"], output: path)
        options.vocabularySize = 64
        let docs: [[TokenID]] = (0..<40).map { (i: Int) -> [TokenID] in
            let fillers: [TokenID] = (0..<(2 + (7 * i) % 17)).map { (k: Int) -> TokenID in TokenID(41 + (k + i) % 20) }
            return [TokenID(i + 1)] + fillers
        }
        _ = try IndexBuilder.build(options, openSource: { _, _ in ArrayRecordSource(tokens: docs) }, onCommit: { _ in })
        return try LMDBDifficultyIndex(path: path)
    }

    /// seqlen (value, 6 → 20 over 6 steps) as the one curriculum metric; 6 steps of 3 rows.
    private let config = try! RunConfig.parse("""
        {"train_batch_size": 3, "data_efficiency": {"enabled": true, "seed": 11, "data_sampling": {"enabled": true,
          "curriculum_learning": {"enabled": true, "curriculum_metrics": {
            "seqlen": {"difficulty_type": "value", "clustering_type": "schedule_based", "min_difficulty": 6,
              "max_difficulty": 20, "schedule_type": "fixed_linear",
              "schedule_config": {"total_curriculum_step": 6, "difficulty_step": 1}}}}}},
         "gradus": {"model": {"layers": 1, "d_model": 16, "heads": 4, "context": 12, "vocab": 64},
           "train": {"batch_size": 3, "seed": 42, "steps": 6, "validation_fraction": 0.25,
             "lr": {"peak": 0.01, "min": 0.001, "warmup": 2, "total": 6}}}}
        """)

    func testARebuildResumesWithTheFingerprintAndOlderCheckpointsFallBackWithoutForce() throws {
        let dir = try TemporaryDirectory("fingerprint", removedAfter: self).path
        let original = try build(dir + "/original")
        sleep(1)
        let rebuilt = try build(dir + "/rebuilt")
        let content = original.reader.manifest.contentFingerprint
        XCTAssertNotEqual(original.fingerprint, rebuilt.fingerprint, "the rebuild's manifest differs (created)")
        XCTAssertEqual(content, rebuilt.reader.manifest.contentFingerprint)

        let straight = try Trainer(config: config, source: try CurriculumBatchStream(index: original, run: config), threads: .one)
        let all = try straight.train()

        // A checkpoint that records the content fingerprint resumes on the rebuild bit-identically.
        let first = try Trainer(config: config, source: try CurriculumBatchStream(index: original, run: config), threads: .one,
                                indexFingerprint: content)
        _ = try first.train(budget: .steps(3), checkpointPath: dir + "/new.ck")
        XCTAssertEqual(try Checkpoint.read(from: dir + "/new.ck").header.indexFingerprint, content)
        let resumed = try Trainer(resumingFrom: dir + "/new.ck", config: config,
                                  source: try CurriculumBatchStream(index: rebuilt, run: config), threads: .one,
                                  indexFingerprint: content)
        XCTAssertEqual(try resumed.train().map(\.loss), all.suffix(3).map(\.loss))
        XCTAssertEqual(Array(resumed.model.parameters), Array(straight.model.parameters))

        // A checkpoint without one (as before issue 14): the sampler's own check refuses the rebuild.
        let old = try Trainer(config: config, source: try CurriculumBatchStream(index: original, run: config), threads: .one)
        _ = try old.train(budget: .steps(3), checkpointPath: dir + "/old.ck")
        XCTAssertNil(try Checkpoint.read(from: dir + "/old.ck").header.indexFingerprint)
        XCTAssertThrowsError(try Trainer(resumingFrom: dir + "/old.ck", config: config,
                                         source: try CurriculumBatchStream(index: rebuilt, run: config), threads: .one,
                                         indexFingerprint: content)) { error in
            guard case TrainingError.invalidSourceState(let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("the state was saved with another index"), why)
            XCTAssertTrue(why.hasSuffix("; resume on the index the run started with"), why)
            XCTAssertFalse(why.contains("--force"), why)
        }
        XCTAssertNoThrow(try Trainer(resumingFrom: dir + "/old.ck", config: config,
                                     source: try CurriculumBatchStream(index: original, run: config), threads: .one,
                                     indexFingerprint: content), "an older checkpoint still resumes on its own index")
    }
}
