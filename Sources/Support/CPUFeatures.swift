// CPUFeatures.swift — the instruction-set extensions a build needs that the running CPU lacks, and
// the note for an OPENBLAS_CORETYPE narrower than the CPU's vectors.
// On x86-64 the package compiles for AVX2 + FMA, or for AVX-512 as well, when the building machine
// has them (Package.swift); `gradus` checks the CPU it runs on before anything else, so a binary
// copied to an older CPU stops with a message instead of dying of SIGILL somewhere in training.

/// The extensions a build for `-target-cpu haswell` executes: 256-bit vectors and fused multiply-add.
package let haswellFeatures = ["avx2", "fma"]

/// The extensions a build for `-target-cpu skylake-avx512` executes: those of `haswellFeatures` and
/// the AVX-512 subsets F, CD, BW, DQ and VL (the model's sixteen-lane kernels in one register).
package let avx512BuildFeatures = haswellFeatures + avx512KernelFeatures

/// The members of `required` missing from the `flags` line of a Linux `/proc/cpuinfo` text (all of
/// them when it has no `flags` line), in `required`'s order.
package func missingCPUFeatures(cpuinfo: String, required: [String]) -> [String] {
    guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
          let colon = line.firstIndex(of: ":") else { return required }
    let present = Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    return required.filter { !present.contains($0) }
}

/// The AVX-512 subsets OpenBLAS's SkylakeX and Cooperlake kernels use (F, CD, BW, DQ, VL).
package let avx512KernelFeatures = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

/// A note for a user whose `OPENBLAS_CORETYPE` holds OpenBLAS to kernels narrower than the CPU's
/// vectors: set to a core without AVX-512 (Haswell, Zen, Sandybridge, …) on a CPU whose
/// `/proc/cpuinfo` lists every one of `avx512KernelFeatures`. Those kernels run the products up to
/// twice as fast: on the Zen 5 the project is measured on, 211–236 against 111–121 GFLOP/s for
/// every product shape of the small-text model, one thread. nil when the variable is unset, names
/// an AVX-512 core, or the CPU lacks AVX-512.
package func narrowBLASKernelNote(coreType: String?, cpuinfo: String) -> String? {
    guard let coreType, !coreType.isEmpty,
          !["skylakex", "cooperlake", "sapphirerapids"].contains(coreType.lowercased()),
          missingCPUFeatures(cpuinfo: cpuinfo, required: avx512KernelFeatures).isEmpty else { return nil }
    return "OPENBLAS_CORETYPE=\(coreType) holds OpenBLAS to its \(coreType) kernels, but this CPU has AVX-512, "
        + "for which OpenBLAS's SkylakeX and Cooperlake kernels multiply up to twice as fast; unset "
        + "OPENBLAS_CORETYPE (or set it to one of those) unless it is pinned on purpose"
}
