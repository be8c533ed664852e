// CPUCheck.swift — stop with a message when this build's instruction set is missing on this CPU, and note
// when OPENBLAS_CORETYPE holds OpenBLAS to kernels narrower than the CPU's vectors.

import Foundation
import Support

/// Exits with status 1 and a message naming the missing extensions when the package was compiled
/// for AVX2 + FMA, or for AVX-512 as well (Package.swift's `targetCPU`), and `/proc/cpuinfo` lacks
/// them. Nothing to check for a baseline build, or where `/proc/cpuinfo` cannot be read.
func checkCPUFeatures() {
    #if GRADUS_TARGET_CPU_CHECK && os(Linux)
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return }
    #if GRADUS_TARGET_AVX512
    let (required, level) = (avx512BuildFeatures, "AVX2, FMA and AVX-512")
    #else
    let (required, level) = (haswellFeatures, "AVX2 and FMA")
    #endif
    let missing = missingCPUFeatures(cpuinfo: cpuinfo, required: required)
    guard !missing.isEmpty else { return }
    FileHandle.standardError.write(Data("""
        error: this gradus was compiled for x86-64 with \(level), and this CPU lacks \
        \(missing.joined(separator: ", ")) (/proc/cpuinfo). Rebuild it on this machine, or for \
        baseline x86-64 with: GRADUS_TARGET_CPU=generic swift build -c release

        """.utf8))
    exit(1)
    #endif
}

/// Writes `narrowBLASKernelNote` to standard error when it applies: the commands that train call
/// this at start, since the products are most of a training step.
func noteNarrowBLASKernels() {
    let coreType = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
    guard coreType != nil, let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let note = narrowBLASKernelNote(coreType: coreType, cpuinfo: cpuinfo) else { return }
    writeStderr("note: \(note)\n")
}
