// ClusterReader.swift — resolves a chunk of cluster domain positions to members in a few batched
// index reads (issue 4 item 3). A cluster pass visits positions in keyed-permutation order, which
// is random in rank; reading them one by one costs a protocol call, a B-tree descent (LMDB) or a
// cache miss per candidate and, for intersection clusters, one more per other metric. Here a
// chunk of positions is sorted by (segment, rank), read with one `entries` call per segment,
// then the candidates' values in the other filter metrics are read sorted by sample id with one
// `values` call per metric, and the filter runs on the gathered values. The result is in the
// chunk's original (permutation) order, so which members a pass serves, and in which order, is
// exactly that of a one-by-one walk. An index whose reads cost the same in any order
// (`readsInAnyOrder`: arrays, the LMDB index's dense tables) skips both sorts and takes
// `resolveAnyOrder`, whose loops run over unsafe buffers (no per-element uniqueness or
// exclusivity checks; issue 4 item 7).

import Support

/// Reusable buffers and the batched read of one chunk of a cluster's domain.
struct ClusterReader {
    /// Largest chunk: the packed sort keys keep the chunk slot in 16 bits.
    static let maxChunk = 1 << 16
    /// The marker of a rejected candidate in `members`.
    static let rejected = UInt64.max

    /// After `resolve`: the member at each chunk slot, or `rejected`.
    private(set) var members: [UInt64] = []
    private var keys: [UInt64] = []
    private var ranks: [Int] = []
    private var ids: [UInt64] = []
    private var entries: [OrderEntry] = []
    private var values: [Double] = []
    /// Per slot: the segment of the candidate.
    private var segmentOf: [Int] = []
    /// Flat slot-major matrix of filter-metric values (slot · metrics + i).
    private var filterValues: [Double] = []

    /// Resolves `positions` (domain positions of `runtime`'s cluster, any order, count ≤
    /// `maxChunk`) into `members`.
    /// - Complexity: O(k log k) for k positions, plus one batched read per segment and per other
    ///   filter metric.
    mutating func resolve<Index: DifficultyIndex>(_ positions: [Int], of runtime: ClusterRuntime, index: Index) throws {
        let n = positions.count
        precondition(n <= ClusterReader.maxChunk, "ClusterReader: chunk too large")
        members.removeAll(keepingCapacity: true)
        let segments = runtime.segments
        if segments.count == 1, segments[0].metric == nil {
            let lower = UInt64(segments[0].lower)
            for p in positions { members.append(lower + UInt64(p)) }
            return
        }
        if index.readsInAnyOrder {
            try resolveAnyOrder(positions, runtime, index: index)
            return
        }
        members.append(contentsOf: repeatElement(0, count: n))
        segmentOf.removeAll(keepingCapacity: true)
        segmentOf.append(contentsOf: repeatElement(0, count: n))
        sortBySegmentAndRank(positions, segments, groupOnly: false)
        try readEntries(segments, index: index)
        guard let filter = runtime.filter else { return }
        try readFilterValues(filter, index: index, anyOrder: false)
        rejectNonMembers(filter)
    }

    private mutating func rejectNonMembers(_ filter: ClusterFilter) {
        members.withUnsafeMutableBufferPointer { mem in
            segmentOf.withUnsafeBufferPointer { seg in
                filterValues.withUnsafeBufferPointer { fv in filter.rejectNonMembers(mem, segmentOf: seg, values: fv) }
            }
        }
    }

    /// `resolve` for an index that reads in any order: per segment one `entries` call over its
    /// candidates in slot order, per other filter metric one `values` call, then the filter; all
    /// loops over unsafe buffers. Same members as the sorted path.
    private mutating func resolveAnyOrder<Index: DifficultyIndex>(_ positions: [Int], _ runtime: ClusterRuntime, index: Index) throws {
        let n = positions.count
        let segments = runtime.segments
        resizeForOverwrite(&members, n, 0)
        resizeForOverwrite(&segmentOf, n, 0)
        resizeForOverwrite(&values, n, 0)
        if segments.count == 1 {
            let lower = segments[0].lower
            resizeForOverwrite(&ranks, n, 0)
            ranks.withUnsafeMutableBufferPointer { r in
                positions.withUnsafeBufferPointer { p in for j in 0..<n { r[j] = p[j] &+ lower } }
            }
            segmentOf.withUnsafeMutableBufferPointer { s in s.update(repeating: 0) }
            try index.entries(metric: segments[0].metric!, sortedRanks: ranks, into: &entries)
            precondition(entries.count == n, "index returned the wrong number of entries")
            scatterEntries(slots: nil)
        } else {
            // Segment of each slot (rank kept in `keys` as scratch), then one read per segment.
            resizeForOverwrite(&keys, n, 0)
            segments.withUnsafeBufferPointer { segs in
                segmentOf.withUnsafeMutableBufferPointer { so in
                    keys.withUnsafeMutableBufferPointer { rk in
                        positions.withUnsafeBufferPointer { p in
                            for slot in 0..<n {
                                var k = 0, offset = p[slot]
                                while offset >= segs[k].count { offset -= segs[k].count; k += 1 }
                                so[slot] = k
                                rk[slot] = UInt64(segs[k].lower + offset)
                            }
                        }
                    }
                }
            }
            for k in segments.indices {
                // The ranks and slots of segment k, in slot order (`ids` is scratch for the slots).
                var count = 0
                resizeForOverwrite(&ranks, n, 0)
                resizeForOverwrite(&ids, n, 0)
                segmentOf.withUnsafeBufferPointer { so in
                    keys.withUnsafeBufferPointer { rk in
                        ranks.withUnsafeMutableBufferPointer { r in
                            ids.withUnsafeMutableBufferPointer { sl in
                                for slot in 0..<n where so[slot] == k {
                                    r[count] = Int(rk[slot])
                                    sl[count] = UInt64(slot)
                                    count += 1
                                }
                            }
                        }
                    }
                }
                resizeForOverwrite(&ranks, count, 0)
                resizeForOverwrite(&ids, count, 0)
                guard count > 0 else { continue }
                try index.entries(metric: segments[k].metric!, sortedRanks: ranks, into: &entries)
                precondition(entries.count == ranks.count, "index returned the wrong number of entries")
                scatterEntries(slots: ids)
            }
        }
        guard let filter = runtime.filter else { return }
        let m = filter.metrics.count
        resizeForOverwrite(&filterValues, n * m, 0)
        var readIDs: [UInt64] = [], readSlots: [UInt64] = []
        swap(&readIDs, &ids)
        swap(&readSlots, &keys)  // scratch: the slots read from metric i
        defer { swap(&readIDs, &ids); swap(&readSlots, &keys) }
        for i in 0..<m {
            readIDs.removeAll(keepingCapacity: true)
            readSlots.removeAll(keepingCapacity: true)
            filter.segmentSlot.withUnsafeBufferPointer { segmentSlot in
                segmentOf.withUnsafeBufferPointer { so in
                    values.withUnsafeBufferPointer { own in
                        members.withUnsafeBufferPointer { mem in
                            filterValues.withUnsafeMutableBufferPointer { fv in
                                for slot in 0..<n {
                                    if segmentSlot[so[slot]] == i {
                                        fv[slot * m + i] = own[slot]
                                    } else {
                                        readIDs.append(mem[slot])
                                        readSlots.append(UInt64(slot))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            guard !readIDs.isEmpty else { continue }
            try index.values(metric: filter.metrics[i], sortedSampleIDs: readIDs, into: &entriesValues)
            precondition(entriesValues.count == readIDs.count, "index returned the wrong number of values")
            entriesValues.withUnsafeBufferPointer { got in
                readSlots.withUnsafeBufferPointer { slots in
                    filterValues.withUnsafeMutableBufferPointer { fv in
                        for j in 0..<slots.count { fv[Int(slots[j]) * m + i] = got[j] }
                    }
                }
            }
        }
        rejectNonMembers(filter)
    }

    /// Copies `entries` into `members`/`values` at `slots[j]` (or slot j when nil).
    private mutating func scatterEntries(slots: [UInt64]?) {
        entries.withUnsafeBufferPointer { e in
            members.withUnsafeMutableBufferPointer { mem in
                values.withUnsafeMutableBufferPointer { v in
                    if let slots {
                        slots.withUnsafeBufferPointer { s in
                            for j in 0..<e.count { let slot = Int(s[j]); mem[slot] = e[j].sampleID; v[slot] = e[j].value }
                        }
                    } else {
                        for j in 0..<e.count { mem[j] = e[j].sampleID; v[j] = e[j].value }
                    }
                }
            }
        }
    }

    /// Fills `keys` with (segment << 56 | rank << 16 | slot), sorted; with `groupOnly` (an index
    /// that reads in any order) only grouped by segment, in slot order within a segment.
    private mutating func sortBySegmentAndRank(_ positions: [Int], _ segments: [ClusterSegment], groupOnly: Bool) {
        keys.removeAll(keepingCapacity: true)
        for (slot, p) in positions.enumerated() {
            var k = 0, offset = p
            while offset >= segments[k].count { offset -= segments[k].count; k += 1 }
            segmentOf[slot] = k
            keys.append(UInt64(k) << 56 | UInt64(segments[k].lower + offset) << 16 | UInt64(slot))
        }
        guard groupOnly else { keys.sort(); return }
        guard segments.count > 1 else { return }
        ids.removeAll(keepingCapacity: true)  // scratch: a stable partition by segment
        for k in segments.indices { for key in keys where Int(key >> 56) == k { ids.append(key) } }
        swap(&keys, &ids)
    }

    /// Reads the order-table rows of the sorted keys, one `entries` call per segment; sets each
    /// slot's sample id in `members` and its own-metric value in `values` (slot order).
    private mutating func readEntries<Index: DifficultyIndex>(_ segments: [ClusterSegment], index: Index) throws {
        values.removeAll(keepingCapacity: true)
        values.append(contentsOf: repeatElement(0, count: keys.count))
        var start = 0
        while start < keys.count {
            let k = Int(keys[start] >> 56)
            var end = start
            ranks.removeAll(keepingCapacity: true)
            while end < keys.count, Int(keys[end] >> 56) == k {
                ranks.append(Int((keys[end] >> 16) & 0xFF_FFFF_FFFF))
                end += 1
            }
            try index.entries(metric: segments[k].metric!, sortedRanks: ranks, into: &entries)
            for j in start..<end {
                let slot = Int(keys[j] & 0xFFFF)
                members[slot] = entries[j - start].sampleID
                values[slot] = entries[j - start].value
            }
            start = end
        }
    }

    /// Gathers every candidate's value in every filter metric into `filterValues`: its own
    /// segment's metric from the entry just read, the others by sorted sample-id reads.
    private mutating func readFilterValues<Index: DifficultyIndex>(_ filter: ClusterFilter, index: Index, anyOrder: Bool) throws {
        let n = members.count, m = filter.metrics.count
        filterValues.removeAll(keepingCapacity: true)
        filterValues.append(contentsOf: repeatElement(0, count: n * m))
        for i in 0..<m {
            keys.removeAll(keepingCapacity: true)
            for slot in 0..<n {
                if filter.segmentSlot[segmentOf[slot]] == i {
                    filterValues[slot * m + i] = values[slot]
                } else {
                    keys.append(members[slot] << 16 | UInt64(slot))
                }
            }
            guard !keys.isEmpty else { continue }
            if !anyOrder { keys.sort() }
            ids.removeAll(keepingCapacity: true)
            for key in keys { ids.append(key >> 16) }
            try index.values(metric: filter.metrics[i], sortedSampleIDs: ids, into: &entriesValues)
            for (j, key) in keys.enumerated() { filterValues[Int(key & 0xFFFF) * m + i] = entriesValues[j] }
        }
    }

    private var entriesValues: [Double] = []
}

/// Members of one cluster already resolved ahead of its cursor: (id, domain position) pairs of
/// the current pass, in pass order. A cache, not state: it is a pure function of (cluster, pass,
/// cursor), so a restored sampler starts with it empty and serves the same sequence.
final class ClusterLookahead {
    var ids: [UInt64] = []
    var positions: [Int] = []
    /// Index of the next pair to serve.
    var next = 0
    /// The first domain position not yet resolved in this pass.
    var resolvedEnd: Int

    init(resolvedEnd: Int) { self.resolvedEnd = resolvedEnd }

    var isEmpty: Bool { next == ids.count }

    /// An independent copy (copy-on-write for a copied sampler).
    func copy() -> ClusterLookahead {
        let c = ClusterLookahead(resolvedEnd: resolvedEnd)
        c.ids = ids
        c.positions = positions
        c.next = next
        return c
    }

    /// Drops the pairs and restarts resolution at `position` (a new pass).
    func restart(at position: Int) {
        ids.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        next = 0
        resolvedEnd = position
    }
}
