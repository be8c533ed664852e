// swift-tools-version:6.0
// Gradus — data-efficient language-model pretraining toolkit.
// Module graph and dependency rules: docs/architecture.md.
import PackageDescription
import Foundation

/// The CPU the Swift code is compiled for. On x86-64 it is `skylake-avx512` when the building machine
/// has AVX-512 F, CD, BW, DQ and VL (Intel servers since 2017, AMD since Zen 4), so the model's
/// sixteen-lane element-wise kernels (`SIMD16<Float>`) run as one 512-bit register; otherwise
/// `haswell` when it has AVX2 and FMA (every x86 server CPU since 2013–2015), so `SIMD8<Float>` runs
/// as one 256-bit register instead of two SSE halves and `addingProduct` is one instruction instead
/// of a libm call per lane. `gradus` checks at start that the CPU it runs on has what it was built
/// for (CPUCheck.swift). `GRADUS_TARGET_CPU=haswell` builds the AVX2 level on an AVX-512 machine,
/// `GRADUS_TARGET_CPU=generic` baseline x86-64 (e.g. a binary that must also run on older CPUs);
/// any other value is passed to swiftc as the CPU name.
let targetCPU: String? = {
    if let chosen = ProcessInfo.processInfo.environment["GRADUS_TARGET_CPU"] {
        return chosen.isEmpty || chosen == "generic" ? nil : chosen
    }
    #if arch(x86_64) && os(Linux)
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
    let flags = Set(flagsLine.split(separator: " ").map(String.init))
    guard flags.isSuperset(of: ["avx2", "fma"]) else { return nil }
    // The manifest cannot import Support: these lists are its `haswellFeatures` and
    // `avx512KernelFeatures` (CPUFeatures.swift), which `gradus` checks at start.
    return flags.isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]) ? "skylake-avx512" : "haswell"
    #else
    return nil
    #endif
}()

let package = Package(
    name: "Gradus",
    products: [
        .executable(name: "gradus", targets: ["gradus"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "Linalg", targets: ["Linalg"]),
        .library(name: "Corpus", targets: ["Corpus"]),
        .library(name: "CorpusIndex", targets: ["CorpusIndex"]),
        .library(name: "Curriculum", targets: ["Curriculum"]),
        .library(name: "Model", targets: ["Model"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Experiments", targets: ["Experiments"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian's -dev packages, reached through pkg-config.
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        // The regex engine and the Unicode normalization tables the tokenizer families need (issue 15).
        .systemLibrary(name: "COniguruma", pkgConfig: "oniguruma", providers: [.apt(["libonig-dev"])]),
        // The SVG renderer (librsvg over cairo) that draws the report's PNG plots from their SVG (issue 17 item 4).
        .systemLibrary(name: "CRsvg", pkgConfig: "librsvg-2.0", providers: [.apt(["librsvg2-dev"])]),

        // Shared utilities of the package (`package` access, no dependencies): the ordered JSON
        // value, its merge and the strict key-path reader; SplitMix64, FNV-1a, parallel-for.
        .target(name: "Support"),

        // Safe wrappers: the only Swift modules that import the C modules.
        // liblmdb reads behind a fault guard: a damaged page is an error, not a crash (issue 14).
        .target(name: "CLMDBGuard", dependencies: ["CLMDB"]),
        .target(name: "Storage", dependencies: ["CLMDB", "CLMDBGuard", "CZstd", "CZlib", "CXXHash"]),
        .target(name: "Linalg", dependencies: ["COpenBLAS"]),
        // Oniguruma regexes (tokenizers' engine) and ICU normalization forms, on UTF-8 bytes.
        // ICU through a C shim whose header names no ICU type: Foundation carries its own ICU
        // headers, which clash with Debian's in any module that sees both (libicu-dev).
        .target(name: "CICUShim", linkerSettings: [.linkedLibrary("icuuc"), .linkedLibrary("icudata")]),
        .target(name: "TextSupport", dependencies: ["COniguruma", "CICUShim"]),

        // Readers and tokenizers.
        .target(name: "Corpus", dependencies: ["Storage", "Support", "TextSupport"]),

        // The difficulty index: metrics, LMDB format, shards and merge, DeepSpeed/Megatron export.
        .target(name: "CorpusIndex", dependencies: ["Corpus", "Storage", "Curriculum", "Support"]),

        // Pacing functions, the data_efficiency config, the curriculum sampler (pure; DESIGN.md §4).
        .target(name: "Curriculum", dependencies: ["Support"]),

        // The GPT (one layer a file, forward and backward side by side) and its trainer.
        // Optimised in debug builds too: its eight-lane kernels (SIMD8<Float>) run ~100× slower
        // unoptimised, which doubled the training-heavy tests' time in `swift test`.
        .target(name: "Model", dependencies: ["Linalg", "Support"],
                swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "Training", dependencies: ["Model", "CorpusIndex", "Curriculum", "Storage", "Support"]),

        // The evaluation matrix (issue 7): runs variants × seeds at an equal budget, report.md and plots.
        // PNG plots are the SVG rendered by librsvg (CRsvg, imported by SVGRasterizer.swift alone).
        .target(name: "Experiments", dependencies: ["Training", "Curriculum", "CorpusIndex", "Model", "Storage", "Support", "CRsvg"]),

        // The command-line tool: one file per subcommand, no logic beyond argument handling.
        .executableTarget(
            name: "gradus",
            dependencies: [
                "Storage", "Linalg", "Corpus", "CorpusIndex", "Curriculum", "Model", "Training", "Experiments", "Support",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Helpers every test target shares: one temporary directory, one `gradus` launcher, one assertClose.
        .target(name: "TestSupport", dependencies: ["Corpus", "CorpusIndex", "Storage"], path: "Tests/TestSupport"),
        .testTarget(name: "SupportTests", dependencies: ["Support", "TestSupport"]),
        .testTarget(name: "TextSupportTests", dependencies: ["TextSupport"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "Support", "TestSupport"]),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg", "Support", "TestSupport"]),
        .testTarget(name: "CorpusTests", dependencies: ["Corpus", "Storage", "Support", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CorpusIndexTests", dependencies: ["CorpusIndex", "Corpus", "Storage", "Curriculum", "Support", "TestSupport"]),
        .testTarget(name: "CurriculumTests", dependencies: ["Curriculum", "Support", "TestSupport"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Linalg", "Support", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Model", "CorpusIndex", "Corpus", "Curriculum", "Support", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Training", "CorpusIndex", "Corpus", "Curriculum", "Storage", "Support", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["gradus", "Storage", "CorpusIndex", "Support", "TestSupport"]),
        // Bad-input suite (issue 8): committed inputs from tools/gen_bad_inputs.py, read in place.
        .testTarget(name: "ReliabilityTests", dependencies: ["gradus", "Corpus", "CorpusIndex", "Curriculum", "Experiments", "Storage", "Support", "TestSupport"],
                    exclude: ["BadInputs"]),
    ]
)

// Every Swift target (tests too: a SIMD value crossing modules must have one layout) is compiled for
// `targetCPU`; `GRADUS_TARGET_CPU_CHECK` tells `gradus` to check the CPU it runs on for AVX2 and FMA,
// `GRADUS_TARGET_AVX512` for AVX-512 as well.
if let cpu = targetCPU {
    for target in package.targets where target.type != .system {
        target.swiftSettings = (target.swiftSettings ?? []) + [
            .unsafeFlags(["-target-cpu", cpu]),
            .define("GRADUS_TARGET_CPU_CHECK"),
        ] + (cpu == "skylake-avx512" ? [.define("GRADUS_TARGET_AVX512")] : [])
    }
}
