// SampleSort.swift — ordering sample ids by (metric value, sample id): the order of the rows of
// DeepSpeed's `index_to_sample` and `index_to_sample_percentile_merged` files (spec §4.3 step 3,
// §4.6 step 3: rows in ascending value order, ids ascending within a row) and of the index's
// `ranks/<metric>` tables.
//
// A least-significant-digit radix sort over an order-preserving UInt64 key of each value (the
// offset from the minimum for Int64; a sign-flipped bit pattern for Float64, NaN last), 8 bits a
// pass, starting from the ids in ascending order. Each pass is stable, so equal values keep
// ascending ids. Passes over digits that are equal for every sample are skipped, so a metric whose
// range fits 16 bits costs two passes however many samples there are.

/// Returns the sample ids 0..<values.count sorted by (values[id], id).
/// - Precondition: `values.count ≤ UInt32.max + 1`.
/// - Complexity: O(N · p) time, p = number of bytes in (max − min), at most 8; memory 16·N bytes
///   (keys, the result and one scratch array of UInt32) besides the caller's values.
func sampleIDsSortedByValue(_ values: UnsafeBufferPointer<Int64>) -> [UInt32] {
    guard let low = values.min() else { return [] }
    return sortedIDs(count: values.count) { UInt64(bitPattern: values[$0] &- low) }  // exact: in [0, 2^64)
}

/// Returns the sample ids 0..<values.count sorted by (values[id], id), with −0.0 equal to +0.0 and
/// every NaN after every number (NaNs by id).
/// - Precondition: `values.count ≤ UInt32.max + 1`.
/// - Complexity: O(N · p), p ≤ 8 passes; memory 16·N bytes besides the caller's values.
func sampleIDsSortedByValue(_ values: UnsafeBufferPointer<Double>) -> [UInt32] {
    sortedIDs(count: values.count) { orderKey(values[$0]) }
}

/// An order-preserving key of `x`: a < b ⇔ key(a) < key(b) for numbers, −0.0 and +0.0 equal,
/// every NaN the largest key.
@inline(__always)
func orderKey(_ x: Double) -> UInt64 {
    if x.isNaN { return UInt64.max }
    let bits = (x == 0 ? 0.0 : x).bitPattern
    return bits >> 63 == 1 ? ~bits : bits | (1 << 63)
}

/// Ids 0..<count sorted by (key(id), id).
@inline(__always)
private func sortedIDs(count n: Int, key: (Int) -> UInt64) -> [UInt32] {
    precondition(UInt64(n) <= UInt64(UInt32.max) + 1, "too many samples for 32-bit ids")
    guard n > 1 else { return n == 1 ? [0] : [] }
    var keys = [UInt64](unsafeUninitializedCapacity: n) { buffer, initialized in
        for i in 0..<n { buffer[i] = key(i) }
        initialized = n
    }
    var order = [UInt32](unsafeUninitializedCapacity: n) { buffer, initialized in
        for i in 0..<n { buffer[i] = UInt32(truncatingIfNeeded: i) }
        initialized = n
    }
    var scratch = [UInt32](repeating: 0, count: n)
    let spread = keys.withUnsafeBufferPointer { k in k.reduce(0) { $0 | ($1 ^ k[0]) } }  // bits that differ
    var shift: UInt64 = 0
    while shift < 64 && (spread >> shift) != 0 {
        let moved = keys.withUnsafeBufferPointer { radixPass($0, shift: shift, from: order, to: &scratch) }
        if moved { swap(&order, &scratch) }
        shift += 8
    }
    keys = []
    return order
}

/// One stable counting pass on digit `key >> shift & 0xFF`; returns false (and leaves `to`
/// untouched) when every sample has the same digit.
private func radixPass(_ keys: UnsafeBufferPointer<UInt64>, shift: UInt64, from: [UInt32], to: inout [UInt32]) -> Bool {
    @inline(__always) func digit(_ id: UInt32) -> Int {
        Int(truncatingIfNeeded: (keys[Int(id)] >> shift) & 0xFF)
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
