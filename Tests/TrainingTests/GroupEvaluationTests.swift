// GroupEvaluationTests.swift — held-out loss per sample group (issue 17 item 2): the model's
// per-row loss sums against its own mean, the groups' counted positions by hand, per-group losses
// that weighted by positions give back the overall loss, each group's loss against one-row
// forward passes (an independent path), ln V for every group of an all-zero model, `val_groups`
// in log.jsonl (and omitted without groups), and a held-out source without row ids refused.

import Corpus
import CorpusIndex
import Foundation
import Linalg
import Model
import TestSupport
import XCTest
@testable import Training

final class GroupEvaluationTests: XCTestCase {
    override func setUp() { BLAS.setThreads(1) }

    /// Six documents, vocabulary 10; counted positions (tokens − 1): 2, 5, 1, 4, 2, 3.
    private static let docs: [[TokenID]] = [[1, 2, 3], [4, 5, 6, 7, 8, 9], [2, 2], [9, 1, 1, 1, 1], [3, 4, 5], [7, 7, 7, 7]]
    /// lang: en, fr, en, fr, de, en (names ascending: de 0, en 1, fr 2) → positions en 2+1+3 = 6, fr 5+4 = 9, de 2.
    private static let lang = SampleGroups(field: "lang", names: ["de", "en", "fr"], sampleGroup: [1, 2, 1, 2, 0, 1])
    /// source: web, web, book, book, book, web → web 2+5+3 = 10, book 1+4+2 = 7.
    private static let source = SampleGroups(field: "source", names: ["book", "web"], sampleGroup: [1, 1, 0, 0, 0, 1])

    private func trainer(dir: String, groups: [SampleGroups], log: RunLog? = nil) throws -> Trainer {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var options = IndexBuildOptions(inputs: ["a"], output: dir + "/i")
        options.vocabularySize = 10
        _ = try IndexBuilder.build(options, openSource: { _, _ in ArrayRecordSource(tokens: Self.docs) }, onCommit: { _ in })
        let reader = try IndexReader(path: dir + "/i")
        var config = tinyConfig()
        config.train.evalBatches = 2  // 2 × 3 rows: every sample once
        let heldOut = try IndexBatchSource(reader: reader, ids: Array(0..<6), batchSize: 3, length: 12, vocab: 24, seed: 0,
                                           shuffle: false)
        return try Trainer(config: config, source: SyntheticBatchSource(batchSize: 3, length: 12, vocab: 24, seed: 1),
                           heldOut: heldOut, log: log, threads: .one, groups: groups)
    }

    func testRowLossesSplitTheForwardMeanByRow() throws {
        let model = try GPT(config: tinyConfig().model, maxBatch: 3, maxLength: 4, threads: .one)
        model.initializeParameters(seed: 3)
        let batch = try TokenBatch(batchSize: 2, length: 4, inputs: [1, 2, 3, 4, 5, 6, 7, 8], targets: [2, 3, 4, 5, 6, 7, 8, 9],
                                   lossMask: [1, 1, 0, 0, 1, 1, 1, 1])
        let mean = Double(try model.forward(batch))
        let rows = model.rowLosses()
        XCTAssertEqual(rows.map(\.positions), [2, 4])
        let pooled = rows.reduce(0) { $0 + $1.lossSum } / rows.reduce(0) { $0 + $1.positions }
        XCTAssertEqual(pooled, mean, accuracy: 1e-6 * mean)
    }

    func testGroupLossesWeightedByPositionsGiveTheOverallLoss() throws {
        let dir = try TemporaryDirectory("training", removedAfter: self).path
        let t = try trainer(dir: dir, groups: [Self.lang, Self.source])
        _ = try t.step()
        let e = try XCTUnwrap(try t.evaluate())
        let groups = try XCTUnwrap(e.valGroups)
        XCTAssertEqual(groups["lang"]?.mapValues(\.positions), ["en": 6, "fr": 9, "de": 2])
        XCTAssertEqual(groups["source"]?.mapValues(\.positions), ["web": 10, "book": 7])
        for (field, perGroup) in groups {
            let positions = perGroup.values.reduce(0) { $0 + Double($1.positions) }
            let weighted = perGroup.values.reduce(0) { $0 + $1.loss * Double($1.positions) } / positions
            XCTAssertEqual(positions, 17, field)
            XCTAssertEqual(weighted, e.valLoss, accuracy: 1e-9 * e.valLoss, field)
        }
        // Independently: each document alone in a one-row batch of its own length (causal, so its
        // positions' losses are the padded row's), pooled per group by hand.
        var sums: [String: (Double, Double)] = [:]
        for (id, doc) in Self.docs.enumerated() {
            let mean = Double(try t.model.forward(try TokenBatch(rows: doc.map(Int32.init), width: doc.count)))
            let name = Self.lang.names[Int(Self.lang.sampleGroup[id])], n = Double(doc.count - 1)
            sums[name] = ((sums[name]?.0 ?? 0) + mean * n, (sums[name]?.1 ?? 0) + n)
        }
        for (name, (sum, n)) in sums {
            XCTAssertEqual(groups["lang"]?[name]?.loss ?? .nan, sum / n, accuracy: 1e-5 * sum / n, name)
        }
    }

    func testAnAllZeroModelLosesLnVOnEveryGroup() throws {
        // Zero weights: every LayerNorm gives 0, so every logit is 0 and softmax is uniform over
        // V = 24: the loss is ln 24 at every position of every group.
        let dir = try TemporaryDirectory("training", removedAfter: self).path
        let t = try trainer(dir: dir, groups: [Self.lang])
        for i in t.model.parameters.indices { t.model.parameters[i] = 0 }
        let e = try XCTUnwrap(try t.evaluate())
        XCTAssertEqual(e.valLoss, log(24), accuracy: 1e-6)
        for (name, g) in try XCTUnwrap(e.valGroups?["lang"]) { XCTAssertEqual(g.loss, log(24), accuracy: 1e-6, name) }
    }

    func testLogLinesCarryValGroupsOnlyWithGroups() throws {
        let dir = try TemporaryDirectory("training", removedAfter: self).path
        let grouped = try trainer(dir: dir + "/g", groups: [Self.lang], log: try RunLog(path: dir + "/g.jsonl"))
        let plain = try trainer(dir: dir + "/p", groups: [], log: try RunLog(path: dir + "/p.jsonl"))
        _ = try grouped.evaluate()
        XCTAssertNil(try plain.evaluate()?.valGroups)
        let line = try String(contentsOfFile: dir + "/g.jsonl", encoding: .utf8)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let en = try XCTUnwrap(((object["val_groups"] as? [String: Any])?["lang"] as? [String: Any])?["en"] as? [String: Any])
        XCTAssertEqual(en["positions"] as? Int, 6)
        XCTAssertNotNil(en["loss"] as? Double)
        XCTAssertFalse(try String(contentsOfFile: dir + "/p.jsonl", encoding: .utf8).contains("val_groups"))
        let decoded = try JSONDecoder().decode(EvalRecord.self, from: Data(line.utf8))
        XCTAssertEqual(decoded.valGroups?["lang"]?["en"]?.positions, 6)
        let old = try JSONDecoder().decode(EvalRecord.self, from: Data(#"{"step":1,"tokens":2,"val_loss":3,"elapsed":4,"train_s":5}"#.utf8))
        XCTAssertNil(old.valGroups)
    }

    func testGroupsWithAHeldOutSourceWithoutRowIDsAreRefused() throws {
        let t = try Trainer(config: tinyConfig(), source: SyntheticBatchSource(batchSize: 3, length: 12, vocab: 24, seed: 1),
                            heldOut: SyntheticBatchSource(batchSize: 3, length: 12, vocab: 24, seed: 2), threads: .one,
                            groups: [Self.lang])
        XCTAssertThrowsError(try t.evaluate()) { error in
            XCTAssertTrue("\(error)".contains("sample id"), "\(error)")
        }
    }
}
