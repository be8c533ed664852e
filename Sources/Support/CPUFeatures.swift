// CPUFeatures.swift — the instruction-set extensions a build needs that the running CPU lacks.
// On x86-64 the package compiles for AVX2 + FMA when the building machine has them (Package.swift);
// `gradus` checks the CPU it runs on before anything else, so a binary copied to an older CPU stops
// with a message instead of dying of SIGILL somewhere in training.

/// The extensions a build for `-target-cpu haswell` executes: 256-bit vectors and fused multiply-add.
package let haswellFeatures = ["avx2", "fma"]

/// The members of `required` missing from the `flags` line of a Linux `/proc/cpuinfo` text (all of
/// them when it has no `flags` line), in `required`'s order.
package func missingCPUFeatures(cpuinfo: String, required: [String]) -> [String] {
    guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
          let colon = line.firstIndex(of: ":") else { return required }
    let present = Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    return required.filter { !present.contains($0) }
}
