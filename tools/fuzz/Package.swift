// swift-tools-version:6.0
// Gradus fuzz targets (issue 8 item 4): libFuzzer executables over the readers of the main
// package, kept in their own package so that `swift build`/`swift test` of Gradus never builds
// them. Build and run them with tools/fuzz.sh, which passes `-sanitize=fuzzer,address` (applied
// to the Gradus modules too, so libFuzzer sees their coverage and ASan checks their memory use).
import Foundation
import PackageDescription

// A path dependency's identity is the last component of its path (the checkout's directory
// name, which differs between clones), so it is computed rather than written down.
let gradusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let gradus = gradusRoot.lastPathComponent

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: gradus) })
}

let package = Package(
    name: "GradusFuzz",
    dependencies: [.package(path: gradusRoot.path)],
    targets: [
        .target(name: "CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer", .product(name: "Storage", package: gradus)]),
        fuzzTarget("FuzzJSONL", ["Corpus", "Storage"]),
        fuzzTarget("FuzzFASTA", ["Corpus", "Storage"]),
        fuzzTarget("FuzzZstd", ["Storage"]),
        fuzzTarget("FuzzIdx", ["CorpusIndex"]),
        fuzzTarget("FuzzBPE", ["Corpus", "Storage"]),
        fuzzTarget("FuzzConfig", ["Curriculum"]),
        fuzzTarget("FuzzSamplerState", ["Curriculum"]),
        fuzzTarget("FuzzMatrix", ["Experiments", "Training", "Model"]),
        fuzzTarget("FuzzResults", ["Experiments"]),
    ]
)
