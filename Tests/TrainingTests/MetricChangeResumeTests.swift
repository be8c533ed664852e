// MetricChangeResumeTests.swift — training resume across `gradus metric add/remove` (issue 15
// item 4): the content fingerprint covers the metric list, so a checkpoint made before a metric
// was added is refused with a message that names `gradus metric remove`; removing the metric gives
// the old fingerprint back and the run resumes exactly as if nothing had happened.

import Corpus
import CorpusIndex
import Foundation
import TestSupport
import XCTest
@testable import Training

final class MetricChangeResumeTests: XCTestCase {
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

    func testACheckpointFromBeforeAnAddedMetricIsRefusedAndResumesOnceItIsRemoved() throws {
        let dir = try TemporaryDirectory("metric-resume", removedAfter: self).path
        let index = dir + "/index"
        var options = IndexBuildOptions(inputs: ["docs"], output: index)
        options.vocabularySize = 64
        let docs: [[TokenID]] = (0..<40).map { (i: Int) -> [TokenID] in
            let fillers: [TokenID] = (0..<(2 + (7 * i) % 17)).map { (k: Int) -> TokenID in TokenID(41 + (k + i) % 20) }
            return [TokenID(i + 1)] + fillers
        }
        _ = try IndexBuilder.build(options, openSource: { _, _ in ArrayRecordSource(tokens: docs) }, onCommit: { _ in })
        func open() throws -> (LMDBDifficultyIndex, String) {
            let idx = try LMDBDifficultyIndex(path: index)
            return (idx, idx.reader.manifest.contentFingerprint)
        }
        let (original, before) = try open()
        let straight = try Trainer(config: config, source: try CurriculumBatchStream(index: original, run: config), threads: .one)
        let all = try straight.train()
        let first = try Trainer(config: config, source: try CurriculumBatchStream(index: original, run: config), threads: .one,
                                indexFingerprint: before)
        _ = try first.train(budget: .steps(3), checkpointPath: dir + "/run.ck")

        // 40 float64 values in a .npy of format 1.0 (header padded to 64 bytes).
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (40,), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        for i in 0..<40 { withUnsafeBytes(of: Double(i % 3).bitPattern.littleEndian) { npy += $0 } }
        try Data(npy).write(to: URL(fileURLWithPath: dir + "/extra.npy"))
        _ = try IndexMetricEditor.add(index: index, name: "extra", from: dir + "/extra.npy", per: .sample)
        let (added, after) = try open()
        XCTAssertNotEqual(after, before)
        XCTAssertThrowsError(try Trainer(resumingFrom: dir + "/run.ck", config: config,
                                         source: try CurriculumBatchStream(index: added, run: config), threads: .one,
                                         indexFingerprint: after)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("content fingerprint \(before), this index has \(after)"), message)
            XCTAssertTrue(message.contains("`gradus metric remove`, which gives the index its old fingerprint back"), message)
        }

        _ = try IndexMetricEditor.remove(index: index, name: "extra")
        let (restored, again) = try open()
        XCTAssertEqual(again, before)
        let resumed = try Trainer(resumingFrom: dir + "/run.ck", config: config,
                                  source: try CurriculumBatchStream(index: restored, run: config), threads: .one,
                                  indexFingerprint: again)
        XCTAssertEqual(try resumed.train().map(\.loss), all.suffix(3).map(\.loss))
        XCTAssertEqual(Array(resumed.model.parameters), Array(straight.model.parameters))
    }
}
