// RandomLTDPlan.swift — which tokens each dropping layer keeps in one step of random layerwise
// token dropping (random-LTD, arXiv 2211.11586; spec §9.4, DESIGN.md §5, STYLE.md §4). For every
// dropping layer and every row of the batch, r positions of {0 … T−1} drawn uniformly without
// replacement and sorted ascending. The plan is a value drawn from a generator the caller owns
// (the trainer's checkpointed `SplitMix64`) and passed explicitly to `forward`: nothing about the
// draw lives in the model. DeepSpeed draws with torch.multinomial + a counting-sort kernel, whose
// stream cannot be reproduced; this matches it in distribution (each position kept with
// probability r/T, rows and layers independent).
// Legend: l dropping layers, B batch, T length, r reserved (kept) length.

import Support

/// Sorted, unique kept positions per dropping layer and row: (l, B, r) row-major.
public struct RandomLTDPlan: Equatable, Sendable {
    /// The dropping layers' ids, strictly increasing, each in 0..<L.
    public let layers: [Int]
    /// Rows (B) and tokens per row (T) of the batch the plan is for.
    public let batchSize: Int, length: Int
    /// Kept positions per row (r), 1 ≤ r ≤ T.
    public let reserved: Int
    /// (l, B, r) kept positions; each (layer, row) run strictly increasing in 0..<T.
    public let kept: [Int32]

    /// A plan from explicit indices (tests, replay), fully validated.
    /// - Throws: `ModelError.invalidBatch` naming the first violation (shape, order, range).
    public init(layers: [Int], batchSize: Int, length: Int, reserved: Int, kept: [Int32]) throws {
        guard batchSize >= 1, length >= 1, reserved >= 1, reserved <= length else {
            throw ModelError.invalidBatch("random-LTD plan needs B, T >= 1 and 1 <= r <= T (B \(batchSize), T \(length), r \(reserved))")
        }
        guard zip(layers, layers.dropFirst()).allSatisfy({ $0 < $1 }), layers.allSatisfy({ $0 >= 0 }) else {
            throw ModelError.invalidBatch("random-LTD plan layers must be increasing and >= 0: \(layers)")
        }
        guard kept.count == layers.count * batchSize * reserved else {
            throw ModelError.invalidBatch("random-LTD plan needs \(layers.count)·\(batchSize)·\(reserved) indices, got \(kept.count)")
        }
        for run in 0..<(layers.count * batchSize) {
            let row = kept[(run * reserved)..<((run + 1) * reserved)]
            guard let first = row.first, first >= 0, row.last! < Int32(length),
                  zip(row, row.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw ModelError.invalidBatch("random-LTD plan run \(run) is not strictly increasing in 0..<\(length)")
            }
        }
        (self.layers, self.batchSize, self.length, self.reserved, self.kept) = (layers, batchSize, length, reserved, kept)
    }

    /// Draws a plan: for each layer in `layers` and each of the B rows, `reserved` positions of
    /// 0..<length uniformly without replacement (partial Fisher–Yates), sorted. Returns nil — no
    /// token dropped anywhere — when `reserved >= length` or `layers` is empty; `rng` is then
    /// left untouched, so a sequence-length curriculum below r costs no draws.
    /// - Complexity: O(l·B·(T + r log r)) time, O(T) extra space.
    package static func draw(layers: [Int], batchSize: Int, length: Int, reserved: Int,
                             using rng: inout SplitMix64) throws -> RandomLTDPlan? {
        guard reserved < length, !layers.isEmpty else { return nil }
        guard reserved >= 1 else { throw ModelError.invalidBatch("random-LTD reserved length must be >= 1 (got \(reserved))") }
        var kept: [Int32] = []
        kept.reserveCapacity(layers.count * batchSize * reserved)
        var pool = [Int32](repeating: 0, count: length)
        for _ in 0..<(layers.count * batchSize) {
            for i in 0..<length { pool[i] = Int32(i) }
            for j in 0..<reserved {  // pool[0...j] becomes a uniform j+1-subset, in random order
                // Multiply-high maps 64 random bits onto 0..<(T − j); bias ≤ T/2⁶⁴, and unlike the
                // stdlib's `next(upperBound:)` the stream is pinned by this code, not a toolchain.
                let pick = j + Int(UInt64(length - j).multipliedFullWidth(by: rng.next()).high)
                pool.swapAt(j, pick)
            }
            kept += pool[0..<reserved].sorted()
        }
        return try RandomLTDPlan(layers: layers, batchSize: batchSize, length: length, reserved: reserved, kept: kept)
    }

    /// Which entry of `layers` layer `l` is, or nil when layer `l` runs dense.
    public func slot(of l: Int) -> Int? { layers.firstIndex(of: l) }

    /// (B, r) kept positions of the `slot`-th dropping layer.
    public func kept(slot: Int) -> ArraySlice<Int32> {
        let n = batchSize * reserved
        return kept[(slot * n)..<((slot + 1) * n)]
    }
}
