// NarrowKernelNoteTests.swift — `narrowBLASKernelNote`: the commands that train say when
// OPENBLAS_CORETYPE holds OpenBLAS to AVX2 (or older) kernels on a CPU with AVX-512, and stay
// silent otherwise (issue 19: on this project's Zen 5 machine such a pin halves the products' speed).

import Support
import XCTest

final class NarrowKernelNoteTests: XCTestCase {
    private func cpuinfo(_ flags: String) -> String {
        "processor\t: 0\nvendor_id\t: AuthenticAMD\nfpu\t\t: yes\nflags\t\t: \(flags)\nbugs\t\t: sysret_ss_attrs\n"
    }
    private let avx2 = "fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2"
    private let avx512 = "avx512f avx512dq avx512cd avx512bw avx512vl"

    func testAPinToAnAVX2CoreOnAnAVX512CPUIsNamed() throws {
        let note = try XCTUnwrap(narrowBLASKernelNote(coreType: "Haswell", cpuinfo: cpuinfo("\(avx2) \(avx512) avx512_bf16")))
        XCTAssertTrue(note.contains("OPENBLAS_CORETYPE=Haswell"), note)
        XCTAssertTrue(note.contains("AVX-512"), note)
        XCTAssertNotNil(narrowBLASKernelNote(coreType: "zen", cpuinfo: cpuinfo("\(avx2) \(avx512)")))
    }

    func testSilentWithoutAPinWithAnAVX512PinOrWithoutAVX512() {
        XCTAssertNil(narrowBLASKernelNote(coreType: nil, cpuinfo: cpuinfo("\(avx2) \(avx512)")))
        XCTAssertNil(narrowBLASKernelNote(coreType: "", cpuinfo: cpuinfo("\(avx2) \(avx512)")))
        for core in ["SkylakeX", "COOPERLAKE", "SapphireRapids"] {
            XCTAssertNil(narrowBLASKernelNote(coreType: core, cpuinfo: cpuinfo("\(avx2) \(avx512)")), core)
        }
        XCTAssertNil(narrowBLASKernelNote(coreType: "Haswell", cpuinfo: cpuinfo(avx2)))
        // avx512vl missing: OpenBLAS's AVX-512 kernels could not run here either.
        XCTAssertNil(narrowBLASKernelNote(coreType: "Haswell", cpuinfo: cpuinfo("\(avx2) avx512f avx512dq avx512cd avx512bw")))
        XCTAssertNil(narrowBLASKernelNote(coreType: "Haswell", cpuinfo: ""))
    }
}
