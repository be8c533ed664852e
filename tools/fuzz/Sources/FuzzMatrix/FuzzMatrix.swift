// FuzzMatrix.swift — libFuzzer target `matrix`: arbitrary bytes as an experiment matrix
// (`gradus experiment MATRIX`, ExperimentMatrix.load) and, after the first NUL byte, as the run
// config its `base` names (RunConfig.parse, the experiment's config parser); without a NUL the base
// is a fixed small valid config (issue 14 items 6 and 15).
//
// Invariants beyond "no trap, no ASan report":
// - the matrix loader throws only `ExperimentError`; the config parser only its config errors;
// - a matrix that loads expands to safe run directories: every variant name is one path
//   component (not empty, ".", ".." or containing "/" or NUL), names are unique, the run directory
//   of each (variant, seed) is OUT/runs/NAME-seedN with a last component of at most 255 bytes,
//   the baseline is a variant, seeds are unique, the interval ≥ 1 and the held-out fraction in (0, 1);
// - a run config that parses is within the model and batch limits, so building it cannot
//   allocate without bound.

import Experiments
import Foundation
import FuzzSupport
import Model
import Training

let directory = scratchPath("matrix")
let defaultBase = """
    {"train_batch_size": 2, "gradus": {"model": {"layers": 1, "d_model": 8, "heads": 2, "context": 16, "vocab": 64},
     "train": {"batch_size": 2, "steps": 4, "lr": {"peak": 0.001, "warmup": 1, "total": 4}}}}
    """

func checkExpansion(_ matrix: ExperimentMatrix) {
    let runner = ExperimentRunner(matrix: matrix, indexPath: "unused.idx", outputPath: "/out", threads: 1, resume: false)
    let names = matrix.variants.map(\.name)
    fuzzCheck(!names.isEmpty && Set(names).count == names.count, "variant names empty or repeated: \(names)")
    fuzzCheck(names.contains(matrix.baseline), "the baseline \(matrix.baseline) is not a variant")
    fuzzCheck(!matrix.seeds.isEmpty && Set(matrix.seeds).count == matrix.seeds.count, "seeds empty or repeated")
    fuzzCheck(matrix.evalIntervalTokens >= 1, "eval_interval_tokens \(matrix.evalIntervalTokens)")
    fuzzCheck(matrix.validationFraction > 0 && matrix.validationFraction < 1, "validation fraction \(matrix.validationFraction)")
    for v in matrix.variants {
        fuzzCheck(!v.name.isEmpty && v.name != "." && v.name != ".." && !v.name.utf8.contains(0x2F) && !v.name.utf8.contains(0),
                  "unsafe variant name \(v.name.debugDescription)")
        for seed in matrix.seeds {
            let dir = runner.runDirectory(v, seed), component = "\(v.name)-seed\(seed)"
            fuzzCheck(dir == "/out/runs/" + component, "run directory \(dir.debugDescription) is not /out/runs/\(component)")
            fuzzCheck(component.utf8.count <= 255, "run directory name of \(component.utf8.count) bytes (NAME_MAX is 255)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let cut = input.firstIndex(of: 0) ?? input.count
    let base = cut < input.count ? Array(input[(cut + 1)...]) : Array(defaultBase.utf8)
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    writeScratch(directory + "/matrix.json", Array(input[..<cut]))
    writeScratch(directory + "/base.json", base)
    do { checkExpansion(try ExperimentMatrix.load(path: directory + "/matrix.json")) } catch {
        fuzzCheck(error is ExperimentError, "ExperimentMatrix.load threw \(type(of: error)): \(error)")
    }
    do {
        let config = try RunConfig.parse(String(decoding: base, as: UTF8.self))
        let m = config.model
        fuzzCheck(m.limitProblems().isEmpty && m.parameterCountEstimate <= Double(ModelConfig.maxParameters),
                  "a parsed run config exceeds the model limits: \(m)")
        fuzzCheck(m.activationLimitProblem(batch: config.maxBatchRows, length: config.sequenceLength) == nil,
                  "a parsed run config exceeds the activation limit")
    } catch {
        let kind = "\(type(of: error))"
        fuzzCheck(["ConfigError", "JSONSyntaxError", "ConfigFileError"].contains(kind), "RunConfig.parse threw \(kind): \(error)")
    }
    return 0
}

@main
enum FuzzMatrix {
    static func main() { runFuzzer(fuzzOne) }
}
