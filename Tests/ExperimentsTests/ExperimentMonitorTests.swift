// ExperimentMonitorTests.swift — an experiment run writes the config's csv_monitor files (issue 17
// item 3) under its own run directory (a relative output_path is relative to it), with DeepSpeed's
// tags at the samples consumed, equal to the run's log.jsonl.

import Corpus
import CorpusIndex
import Foundation
import Support
import TestSupport
import XCTest
@testable import Experiments

final class ExperimentMonitorTests: XCTestCase {
    func testExperimentRunWritesCSVMonitorUnderItsRunDirectory() throws {
        let dir = try TemporaryDirectory("experiment-monitor", removedAfter: self).path
        try buildGeneratedIndex(at: dir + "/index", stride: 5)
        let object: [String: Any] = [
            "base": repositoryRoot + "/configs/tiny.json", "seeds": [1], "baseline": "uniform",
            "budget": ["tokens": 512], "eval_interval_tokens": 256, "validation": ["fraction": 0.1, "batches": 1],
            "common": ["csv_monitor": ["enabled": true, "output_path": "monitors", "job_name": "job"]],
            "variants": [["name": "uniform", "override": [:] as [String: Any]]],
        ]
        let matrix = try ExperimentMatrix.parse(
            try JSONValue.parse(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)), directory: "/")
        var executor = RunExecutor(matrix: matrix, variant: matrix.variants[0], seed: 1, directory: dir + "/uniform", indexPath: dir + "/index")
        executor.threads = .one
        _ = try executor.run()
        // configs/tiny.json: batch_size 4, context 64, so a budget of 512 tokens is 2 steps, ending at 4 and 8 samples.
        let lossCSV = try String(contentsOfFile: dir + "/uniform/monitors/job/Train_Samples_train_loss.csv", encoding: .utf8)
        let rows = lossCSV.components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.first, ["step", "train_loss"])
        // JSONValue reads numbers exactly (Double(text)); Foundation's JSONSerialization on Linux
        // reads about one 17-digit double in five an ulp or two off.
        let logged = try String(contentsOfFile: dir + "/uniform/log.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONValue.parse(String($0)) }
            .filter { $0["loss"] != nil }
        XCTAssertEqual(rows.dropFirst().map { $0[0] }, ["4", "8"])
        XCTAssertEqual(rows.dropFirst().map { Double($0[1]) }, logged.map { $0["loss"]?.number })
        let valRows = try String(contentsOfFile: dir + "/uniform/monitors/job/Train_Samples_val_loss.csv", encoding: .utf8)
            .components(separatedBy: "\r\n").filter { !$0.isEmpty }
        XCTAssertEqual(valRows.first, "step,val_loss")
        XCTAssertEqual(valRows.dropFirst().map { $0.split(separator: ",")[0] }, ["0", "4", "8"], "at start, every 256 tokens (one step of 4 × 64), at the end")
    }

    func testMatrixNamesTheMonitorsGradusDoesNotWriteOnce() throws {
        /// `trainer`: an external trainer for variant b only.
        func matrix(_ common: [String: Any], second: [String: Any] = [:], trainer: [String: Any]? = nil) throws -> ExperimentMatrix {
            var b: [String: Any] = ["name": "b", "override": second]
            if let trainer { b["trainer"] = trainer }
            let object: [String: Any] = [
                "base": repositoryRoot + "/configs/tiny.json", "seeds": [1, 2], "baseline": "a",
                "budget": ["tokens": 512], "eval_interval_tokens": 256, "validation": ["fraction": 0.1, "batches": 1],
                "common": common,
                "variants": [["name": "a", "override": [:] as [String: Any]], b],
            ]
            return try ExperimentMatrix.parse(
                try JSONValue.parse(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)), directory: "/")
        }
        XCTAssertEqual(try matrix([:]).unwrittenMonitors(), [])
        XCTAssertEqual(try matrix(["wandb": ["enabled": false]]).unwrittenMonitors(), [])
        XCTAssertEqual(try matrix(["wandb": ["enabled": true]], second: ["comet": ["enabled": true]]).unwrittenMonitors(), ["wandb", "comet"])
        XCTAssertEqual(try matrix(["csv_monitor": ["enabled": true]]).unwrittenMonitors(), [], "written monitors are not named")
        // An external trainer's variant: gradus writes no monitor file for it, so its tensorboard /
        // csv_monitor are named too, with the variant (the built-in variant a's are written).
        XCTAssertEqual(try matrix(["csv_monitor": ["enabled": true], "tensorboard": ["enabled": true]],
                                  second: [:], trainer: ["command": ["python3", "t.py"]]).unwrittenMonitors(),
                       ["tensorboard (variant b runs an external trainer)", "csv_monitor (variant b runs an external trainer)"])
    }
}
