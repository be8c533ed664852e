// GlobalBatch.swift — one global batch and its split into gradient-accumulation micro-batches and
// data-parallel rank slices (spec §6.6): micro-batch j of a global batch is elements
// [j·mbs·world, (j+1)·mbs·world), and rank r takes [round(r·L/world), round((r+1)·L/world)) of
// it with Python's half-to-even `round`.

/// The samples of one global batch (one optimizer step), already shuffled.
public struct GlobalBatch: Sendable, Equatable {
    /// The curriculum step: 1 for the first global batch (spec §2.4).
    public var step: Int
    /// Each configured metric's difficulty at this step, in config order.
    public var difficulties: [Double]
    /// `train_batch_size` sample ids.
    public var sampleIDs: [UInt64]

    public init(step: Int, difficulties: [Double], sampleIDs: [UInt64]) {
        self.step = step; self.difficulties = difficulties; self.sampleIDs = sampleIDs
    }

    /// The ids of micro-batch `j` for `rank` (0 ≤ j < gas, 0 ≤ rank < world).
    public func microBatch(_ j: Int, rank: Int, geometry: BatchGeometry) -> ArraySlice<UInt64> {
        let width = geometry.microBatchSize * geometry.world
        let start = Swift.min(sampleIDs.count, j * width)
        let end = Swift.min(sampleIDs.count, start + width)
        let slice = rankSlice(length: end - start, rank: rank, world: geometry.world)
        return sampleIDs[(start + slice.lowerBound)..<(start + slice.upperBound)]
    }
}

/// DeepSpeed's rank slice of a micro-batch of `length` ids (spec §6.6 table): half-to-even rounding
/// of r·L/world, computed in Double as Python does.
public func rankSlice(length: Int, rank: Int, world: Int) -> Range<Int> {
    func bound(_ r: Int) -> Int { Int((Double(r * length) / Double(world)).rounded(.toNearestOrEven)) }
    return bound(rank)..<bound(rank + 1)
}
