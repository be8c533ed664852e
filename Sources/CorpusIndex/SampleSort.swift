// SampleSort.swift — ordering sample ids by (metric value, sample id), the order of the rows of
// DeepSpeed's `index_to_sample` and `index_to_sample_percentile_merged` files (spec §4.3 step 3,
// §4.6 step 3: rows in ascending value order, ids ascending within a row).
//
// A least-significant-digit radix sort over the value's offset from the minimum, 8 bits a pass,
// starting from the ids in ascending order. Each pass is stable, so equal values keep ascending
// ids. Passes over digits that are equal for every sample are skipped, so a metric whose range
// fits 16 bits costs two passes however many samples there are.

/// Returns the sample ids 0..<values.count sorted by (values[id], id).
/// - Precondition: `values.count ≤ UInt32.max + 1`.
/// - Complexity: O(N · p) time, p = number of bytes in (max − min), at most 8; memory 8·N bytes
///   (the result and one scratch array of UInt32) besides the caller's 8·N bytes of values.
func sampleIDsSortedByValue(_ values: UnsafeBufferPointer<Int64>) -> [UInt32] {
    let n = values.count
    precondition(UInt64(n) <= UInt64(UInt32.max) + 1, "too many samples for 32-bit ids")
    guard n > 1 else { return n == 1 ? [0] : [] }
    let low = values.min()!, high = values.max()!
    let range = UInt64(bitPattern: high &- low)  // exact: the difference is in [0, 2^64)
    var order = [UInt32](unsafeUninitializedCapacity: n) { buffer, initialized in
        for i in 0..<n { buffer[i] = UInt32(truncatingIfNeeded: i) }
        initialized = n
    }
    var scratch = [UInt32](repeating: 0, count: n)
    var shift: UInt64 = 0
    while shift < 64 && (range >> shift) != 0 {
        if radixPass(values, low: low, shift: shift, from: order, to: &scratch) {
            swap(&order, &scratch)
        }
        shift += 8
    }
    return order
}

/// One stable counting pass on digit `(value − low) >> shift & 0xFF`; returns false (and leaves
/// `to` untouched) when every sample has the same digit.
private func radixPass(_ values: UnsafeBufferPointer<Int64>, low: Int64, shift: UInt64,
                       from: [UInt32], to: inout [UInt32]) -> Bool {
    @inline(__always) func digit(_ id: UInt32) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: values[Int(id)] &- low) >> shift) & 0xFF)
    }
    var counts = [Int](repeating: 0, count: 256)
    for id in from { counts[digit(id)] += 1 }
    if counts.contains(from.count) { return false }
    var next = 0
    for d in 0..<256 {
        let c = counts[d]
        counts[d] = next
        next += c
    }
    to.withUnsafeMutableBufferPointer { out in
        for id in from {
            let d = digit(id)
            out[counts[d]] = id
            counts[d] += 1
        }
    }
    return true
}
