// TrainerLog.swift — reads an external trainer's `RUN/log.jsonl` (issue 17 item 1) in the schema
// of docs/evaluation.md ("Your own trainer in the matrix") into the record types of the built-in
// log (`StepRecord`, `EvalRecord`), so a field those types gain later is decoded here too. Every
// line is checked strictly — a required field missing or of the wrong type, a step out of
// sequence, counts that decrease, an evaluation not after its step — and refused with the file,
// the line and the problem. Keys outside the schema are ignored.

import Foundation
import Support
import Training

/// The checked records of an external trainer's log.
enum TrainerLog {
    private enum Kind { case count, number }

    /// Step-record fields: required, then optional (StepRecord's non-optional ones read as 0 when absent).
    private static let stepRequired: [(String, Kind)] = [("step", .count), ("tokens", .count), ("layer_tokens", .count),
                                                         ("loss", .number), ("lr", .number), ("seq_length", .count), ("train_s", .number)]
    private static let stepOptional: [(String, Kind)] = [("samples", .count), ("grad_norm", .number), ("tokens_per_s", .number),
                                                         ("elapsed", .number), ("flops", .number), ("step_tokens", .count),
                                                         ("rows", .count), ("curriculum_step", .count), ("reserved", .count)]
    /// Evaluation-record fields (a line with `val_loss` is an evaluation).
    private static let evalRequired: [(String, Kind)] = [("step", .count), ("tokens", .count), ("val_loss", .number), ("train_s", .number)]
    private static let evalOptional: [(String, Kind)] = [("elapsed", .number)]
    /// StepRecord / EvalRecord fields that are not optional there, filled in when the trainer omits them.
    private static let zeroWhenAbsent = ["samples", "grad_norm", "tokens_per_s", "elapsed", "flops"]

    /// Reads and checks the log at `path`.
    /// - Throws: `ExperimentError.invalidTrainerLog` naming `path`, the line and the problem.
    static func read(path: String) throws -> (steps: [StepRecord], evaluations: [EvalRecord]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExperimentError.invalidTrainerLog(path: path, line: nil, problem: "the trainer exited 0 but wrote no log (the file is missing or unreadable)")
        }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() } else if !lines.isEmpty {
            throw ExperimentError.invalidTrainerLog(path: path, line: lines.count, problem: "the last line has no newline (a torn write)")
        }
        var steps: [StepRecord] = [], evaluations: [EvalRecord] = []
        let decoder = JSONDecoder()
        for (i, bytes) in lines.enumerated() {
            let fail = { (problem: String) in ExperimentError.invalidTrainerLog(path: path, line: i + 1, problem: problem) }
            guard let value = try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)), case .object(var members) = value else {
                throw fail("not a JSON object (NaN and Infinity are not JSON)")
            }
            let isEvaluation = value["val_loss"] != nil
            let (required, optional) = isEvaluation ? (evalRequired, evalOptional) : (stepRequired, stepOptional)
            for (key, kind) in required + optional {
                guard let field = value[key] else {
                    if required.contains(where: { $0.0 == key }) {
                        throw fail("\(isEvaluation ? "evaluation" : "step") record misses \"\(key)\"")
                    }
                    if zeroWhenAbsent.contains(key) { members.append((key, .int(0))) }
                    continue
                }
                if let problem = check(field, kind) { throw fail("\"\(key)\" \(problem)") }
            }
            if !isEvaluation, let difficulty = value["difficulty"] {
                guard case .object(let d) = difficulty, d.allSatisfy({ $0.value.number?.isFinite == true }) else {
                    throw fail("\"difficulty\" must be an object of finite numbers, one per curriculum metric")
                }
            }
            let filled = Data(JSONValue.object(members).jsonText.utf8)
            do {
                if isEvaluation {
                    let e = try decoder.decode(EvalRecord.self, from: filled)
                    let (last, expected) = (steps.last?.step ?? 0, steps.last?.tokens ?? 0)
                    guard e.step == last else {
                        throw fail("evaluation at step \(e.step) does not follow step \(e.step)'s record (the last step so far is \(last))")
                    }
                    guard e.tokens == expected else { throw fail("evaluation tokens \(e.tokens) differ from step \(e.step)'s tokens \(expected)") }
                    if evaluations.last?.step == e.step { throw fail("a second evaluation at step \(e.step)") }
                    evaluations.append(e)
                } else {
                    let s = try decoder.decode(StepRecord.self, from: filled)
                    let previous = steps.last
                    guard s.step == (previous?.step ?? 0) + 1 else {
                        throw fail("step \(s.step) follows step \(previous?.step ?? 0); steps are numbered 1, 2, 3, … without gaps or repeats "
                            + "(on resume, cut the log back to the checkpoint's step)")
                    }
                    if let previous {
                        for (name, now, before) in [("tokens", Double(s.tokens), Double(previous.tokens)),
                                                    ("layer_tokens", Double(s.layerTokens), Double(previous.layerTokens)),
                                                    ("train_s", s.trainingSeconds, previous.trainingSeconds)] where now < before {
                            throw fail("\"\(name)\" \(now) is below the previous step's \(before) (they count the whole run so far)")
                        }
                    }
                    steps.append(s)
                }
            } catch let error as ExperimentError { throw error } catch {
                throw fail("\(error)")
            }
        }
        if steps.isEmpty { throw ExperimentError.invalidTrainerLog(path: path, line: nil, problem: "holds no step record") }
        return (steps, evaluations)
    }

    /// Why `value` is not of `kind` (a count: an integer ≥ 0; a number: finite), or nil.
    private static func check(_ value: JSONValue, _ kind: Kind) -> String? {
        switch (kind, value) {
        case (.count, .int(let n)): return n >= 0 ? nil : "must be an integer >= 0, found \(n)"
        case (.count, _): return "must be an integer >= 0, found \(value.typeName) \(value.jsonText)"
        case (.number, .int): return nil
        case (.number, .double(let x)): return x.isFinite ? nil : "must be a finite number"
        case (.number, _): return "must be a number, found \(value.typeName) \(value.jsonText)"
        }
    }
}
