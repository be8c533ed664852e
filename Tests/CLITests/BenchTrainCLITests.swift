// BenchTrainCLITests.swift — `gradus bench train` run as a user would: one JSON line with the
// contract's keys for the shipped tiny config, and a clear message plus a non-zero exit for a
// config with an unknown key or inconsistent sizes (issue 5 acceptance, "bad input").

import Foundation
import TestSupport
import XCTest

final class BenchTrainCLITests: XCTestCase {
    func testBenchTrainPrintsOneJSONLinePerThreadCount() throws {
        let config = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("configs/tiny.json").path
        let r = try runGradus(["bench", "train", "--config", config, "--threads", "1", "--steps", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stdout)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        for key in ["bench", "config", "layers", "d_model", "heads", "vocab", "context", "batch", "threads",
                    "tokens_per_s", "gflops", "sgemm_gflops"] {
            XCTAssertNotNil(object[key], "missing \(key) in \(lines[0])")
        }
        XCTAssertEqual(object["bench"] as? String, "train")
        XCTAssertEqual(object["layers"] as? Int, 2)
        XCTAssertEqual(object["threads"] as? Int, 1)
        // The products' time is measured inside the step: positive, and on one thread no more
        // than the step's own wall-clock time.
        let gemm = try XCTUnwrap(object["gemm_cpu_s"] as? Double), step = try XCTUnwrap(object["step_s"] as? Double)
        XCTAssertGreaterThan(gemm, 0, lines[0].description)
        XCTAssertLessThanOrEqual(gemm, step, lines[0].description)
        let share = try XCTUnwrap(object["gemm_share"] as? Double)
        XCTAssertTrue(share > 0 && share <= 1.05, lines[0].description)
        XCTAssertGreaterThan(try XCTUnwrap(object["gemm_gflops"] as? Double), 0)
        XCTAssertFalse(try XCTUnwrap(object["blas_core"] as? String).isEmpty, lines[0].description)
    }

    /// OPENBLAS_CORETYPE decides OpenBLAS's kernels, and the bench names the ones it ran.
    func testBenchTrainNamesOpenBLASsKernels() throws {
        let config = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("configs/tiny.json").path
        let r = try runGradus(["bench", "train", "--config", config, "--threads", "1", "--steps", "1"],
                              env: ["OPENBLAS_CORETYPE": "Sandybridge"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["blas_core"] as? String, "Sandybridge", r.stdout)
        // On a CPU with AVX-512 (read here from /proc/cpuinfo), that pin is named on stderr.
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = Set((info.split(separator: "\n").first { $0.hasPrefix("flags") } ?? "").split(separator: " ").map(String.init))
        let avx512 = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        XCTAssertEqual(r.stderr.contains("note: OPENBLAS_CORETYPE=Sandybridge holds OpenBLAS"), avx512, r.stderr)
    }

    /// `--vs-torch` runs the PyTorch reference (eager and torch.compile) on the same config and
    /// adds its figures to the line; each ratio must follow from the figures printed beside it, and
    /// the products-only bound can never be below the whole step's CPU ratio (sgemm's time is part
    /// of the step). About 20 s, most of it torch.compile.
    func testBenchTrainVsTorchAddsBothReferencesAndConsistentRatios() throws {
        let config = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("configs/tiny.json").path
        let r = try runGradus(["bench", "train", "--config", config, "--threads", "1", "--steps", "1", "--vs-torch"],
                              cwd: repositoryRoot)
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        if let reason = object["vs_torch_eager_skipped"] as? String, reason.contains("torch") && reason.contains("import") {
            throw XCTSkip("torch cannot be imported here (tools/setup.sh installs it): \(reason)")
        }
        let gradus = try XCTUnwrap(object["tokens_per_s"] as? Double)
        for mode in ["eager", "compile"] {
            XCTAssertNil(object["vs_torch_\(mode)_skipped"], r.stdout)
            let torch = try XCTUnwrap(object["torch_\(mode)_tokens_per_s"] as? Double, r.stdout)
            XCTAssertGreaterThan(torch, 0)
            let ratio = try XCTUnwrap(object["vs_torch_\(mode)"] as? Double, r.stdout)
            XCTAssertEqual(ratio, gradus / torch, accuracy: 0.005 + 1e-9, r.stdout)
            let cpu = try XCTUnwrap(object["vs_torch_\(mode)_cpu"] as? Double, r.stdout)
            let bound = try XCTUnwrap(object["vs_torch_\(mode)_gemm_bound"] as? Double, r.stdout)
            XCTAssertGreaterThan(cpu, 0)
            XCTAssertGreaterThanOrEqual(bound, cpu - 0.01, r.stdout)
        }
    }

    func testBenchTrainBadConfigsFailWithTheirProblems() throws {
        let dir = URL(fileURLWithPath: try TemporaryDirectory("bench", removedAfter: self).path)
        let bad = dir.appendingPathComponent("bad.json")
        try #"{"gradus": {"model": {"layers": 1, "d_model": 10, "heads": 3, "context": 8, "vocab": 16},"#
            .appending(#" "train": {"batch_size": 0, "steps": 1, "lr": {"peak": 0.01, "warmup": 0, "total": 1}}}}"#)
            .write(to: bad, atomically: true, encoding: .utf8)
        let r = try runGradus(["bench", "train", "--config", bad.path, "--threads", "1", "--steps", "1"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("divisible by heads"), r.stderr)
        XCTAssertTrue(r.stderr.contains("batch_size"), r.stderr)

        let typo = dir.appendingPathComponent("typo.json")
        try #"{"gradus": {"model": {"layers": 1, "d_model": 8, "heads": 2, "context": 8, "vocab": 16, "dropout": 0.1},"#
            .appending(#" "train": {"batch_size": 1, "steps": 1, "lr": {"peak": 0.01, "warmup": 0, "total": 1}}}}"#)
            .write(to: typo, atomically: true, encoding: .utf8)
        let t = try runGradus(["bench", "train", "--config", typo.path, "--threads", "1", "--steps", "1"])
        XCTAssertNotEqual(t.status, 0)
        XCTAssertTrue(t.stderr.contains("dropout"), t.stderr)
    }
}
