// GroupTable+Merge.swift — the groups of a merged index (`gradus merge`, issue 17 item 2): the
// union of the shards' groups (names ascending, tallies summed) in the plan, and the `groups`
// table written from each shard's, codes renumbered by name, in `finish`. As the shards' samples
// are the single-process index's samples, the result equals that index's groups.

import Storage

extension GroupTable {
    /// The summaries of an index made of shards whose summaries are `shards` (one array per
    /// shard, fields in the same order): per field, the union of the names, ascending, with the
    /// samples, tokens and `(none)` documents summed.
    static func union(_ shards: [[GroupSummary]]) -> [GroupSummary] {
        guard let first = shards.first else { return [] }
        return first.indices.map { f in
            var samples: [String: Int] = [:], tokens: [String: Int] = [:], none = 0
            for shard in shards where f < shard.count {
                let s = shard[f]
                for (k, name) in s.names.enumerated() {
                    samples[name, default: 0] += s.samples[k]
                    tokens[name, default: 0] += s.tokens[k]
                }
                none += s.noneDocuments
            }
            let names = samples.keys.sorted()
            return GroupSummary(field: first[f].field, names: names, samples: names.map { samples[$0]! },
                                tokens: names.map { tokens[$0]! }, noneDocuments: none)
        }
    }

    /// Writes the merged index's `groups` table (replacing any): for each piece of `plan`, its
    /// shard's codes (`IndexReader.sampleGroups`, checked against the shard's checksums) mapped
    /// by name to the codes of `groups`, under the piece's global ids; one transaction.
    /// - Throws: `IndexError.corrupt` when a shard's group is not in `groups` (the plan is stale).
    static func merge(plan: MergePlan, shards: [IndexReader], groups: [GroupSummary], into store: IndexStore) throws {
        let fields = groups.count
        let n = plan.pieces.map(\.samples).reduce(0, +)
        var codes = [UInt32](repeating: 0, count: n * fields)
        let lookup = groups.map { g in Dictionary(uniqueKeysWithValues: g.names.enumerated().map { ($0.element, UInt32($0.offset)) }) }
        for (s, reader) in shards.enumerated() {
            let local = try reader.sampleGroups()
            guard local.map(\.field) == groups.map(\.field) else {
                throw IndexError.corrupt("\(reader.store.path) has group fields \(local.map(\.field)), the merge \(groups.map(\.field)); run the plan again")
            }
            let remap = try local.enumerated().map { f, g in
                try g.names.map { name -> UInt32 in
                    guard let code = lookup[f][name] else {
                        throw IndexError.corrupt("\(reader.store.path): group '\(name)' of field '\(g.field)' is not in the merge plan; run the plan again")
                    }
                    return code
                }
            }
            for piece in plan.pieces where piece.shard == s {
                for j in 0..<piece.samples {
                    for f in 0..<fields {
                        codes[(piece.globalFirst + j) * fields + f] = remap[f][Int(local[f].sampleGroup[piece.localFirst + j])]
                    }
                }
            }
        }
        let db = try store.database(groupsDB)
        try store.env.write { txn in
            try txn.clear(db)
            try codes.withUnsafeBufferPointer { all in
                try IndexFinisher.writeDense(count: n, firstIndex: 0, entryBytes: 4 * fields, db: db, txn: txn) { i, raw, offset in
                    for f in 0..<fields { raw.storeBytes(of: all[i * fields + f].littleEndian, toByteOffset: offset + 4 * f, as: UInt32.self) }
                }
            }
        }
    }
}
