// HugePages.swift — the model's arenas (activations and their gradients: 470 MB each for the
// small-text config; parameters, gradients) are streamed through every step by the matrix
// products' packing and the element-wise passes. In 4 KiB pages a 64 MB logits matrix alone spans
// 16 384 pages, far beyond the TLB; asking Linux for transparent huge pages (2 MiB) on them cuts
// those misses (issue 19). Where THP is off or unavailable the advice does nothing.

#if canImport(Glibc)
import Glibc
#endif

/// Asks the kernel to back the 2 MiB-aligned part of `buffer` with transparent huge pages. Call
/// before the first write: pages are chosen when first touched. Buffers under 4 MiB are left alone.
func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
    #if os(Linux)
    let huge = 2 << 20
    guard let base = buffer.baseAddress, buffer.count >= 2 * huge else { return }
    let start = (Int(bitPattern: base) + huge - 1) / huge * huge
    let end = (Int(bitPattern: base) + buffer.count) / huge * huge
    guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
    _ = madvise(p, end - start, MADV_HUGEPAGE)
    #endif
}
