// GroupTable.swift — how an index stores its samples' groups (issue 17 item 2, `gradus index
// --group-field F`): pass 1 gives every sample a group code per field, in order of first
// appearance, in the per-sample table `groupcodes`; when pass 1 ends the codes are renumbered
// so that names ascend and written as the dense table `groups` (chunk c → for samples
// c·8192 ..< min((c+1)·8192, N), per sample one UInt32 LE code per field, fields in
// command-line order), and `groupcodes` is dropped. `manifest.groups` holds the names and the
// samples, tokens and `(none)` documents of each group. Layout: docs/index-format.md "Groups".

import Storage

/// One `--group-field`: its groups and what they hold (`manifest.groups`; while building, the
/// resume cursor's `groups`).
public struct GroupSummary: Codable, Equatable, Sendable {
    /// The record field.
    public var field: String
    /// The group names: ascending in a complete index; while building, in order of first
    /// appearance (a sample's code in `groupcodes` indexes this array).
    public var names: [String]
    /// Per group (same order as `names`), its samples and their tokens.
    public var samples: [Int]
    public var tokens: [Int]
    /// Documents whose record had no string value for the field (missing, null, another JSON
    /// type): their group is `GroupTable.none`.
    public var noneDocuments: Int

    /// The group of a document without a string value for the field: `(none)`.
    public static let noneName = "(none)"

    /// A field without groups yet.
    public init(field: String) {
        self.field = field; names = []; samples = []; tokens = []; noneDocuments = 0
    }

    public init(field: String, names: [String], samples: [Int], tokens: [Int], noneDocuments: Int) {
        (self.field, self.names, self.samples, self.tokens, self.noneDocuments) = (field, names, samples, tokens, noneDocuments)
    }
}

/// `--group-field` with an input that is not JSONL (FASTA, plain text, Megatron): only JSONL
/// records have fields. A usage error (`gradus index` exits 64).
public struct GroupFieldRefused: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var format: String
    public var field: String
    public var description: String {
        "--group-field \(field): \(path) is \(format) input, and only JSONL records have fields; "
            + "index it without --group-field, or convert it to JSONL"
    }
}

/// Names and layout of the group tables, and the end-of-pass-1 renumbering.
enum GroupTable {
    /// The group of a document without a string value for the field.
    static let none = GroupSummary.noneName
    /// Pass 1: sample id (UInt64 BE) → one UInt32 LE code per field (first-appearance codes).
    static let codesDB = "groupcodes"
    /// The dense table of a complete index (see the file comment).
    static let groupsDB = "groups"

    /// Whether `manifest` has group fields (and so a `groups` table once complete).
    static func hasGroups(_ manifest: IndexManifest) -> Bool { !(manifest.groupFields ?? []).isEmpty }

    /// `summaries` with names ascending, and the map from each field's first-appearance code to
    /// its ascending code.
    /// Groups without a sample (packed: documents outvoted in every sample they touch) are left out.
    static func sorted(_ summaries: [GroupSummary]) -> (summaries: [GroupSummary], remap: [[UInt32]]) {
        var out: [GroupSummary] = [], remaps: [[UInt32]] = []
        for s in summaries {
            let order = s.names.indices.filter { s.samples[$0] > 0 }.sorted { s.names[$0] < s.names[$1] }
            var remap = [UInt32](repeating: UInt32.max, count: s.names.count)
            for (new, old) in order.enumerated() { remap[old] = UInt32(new) }
            out.append(GroupSummary(field: s.field, names: order.map { s.names[$0] }, samples: order.map { s.samples[$0] },
                                    tokens: order.map { s.tokens[$0] }, noneDocuments: s.noneDocuments))
            remaps.append(remap)
        }
        return (out, remaps)
    }

    /// End of pass 1 (inside its last transaction): reads `groupcodes` (one entry per sample,
    /// `samples` of them), writes `groups` with the codes of the ascending names, drops
    /// `groupcodes`, and returns the summaries with ascending names.
    /// - Throws: `IndexError.corrupt` when `groupcodes` does not hold one valid entry per sample.
    /// Open `codesDB` and `groupsDB` (`store.database`) before the transaction.
    static func finish(_ summaries: [GroupSummary], samples n: Int, store: IndexStore, codesDB: LMDBDatabase,
                       groupsDB: LMDBDatabase, txn: LMDBWriteTransaction) throws -> [GroupSummary] {
        let fields = summaries.count
        let (sorted, remap) = self.sorted(summaries)
        var codes = [UInt32]()
        codes.reserveCapacity(n * fields)
        try txn.forEach(in: codesDB) { _, raw in
            guard raw.count == 4 * fields else {
                throw IndexError.corrupt("\(store.path): a \(GroupTable.codesDB) entry of \(raw.count) bytes, expected \(4 * fields)")
            }
            for f in 0..<fields {
                let code = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * f, as: UInt32.self)))
                guard code < remap[f].count, remap[f][code] != UInt32.max else {
                    throw IndexError.corrupt("\(store.path): group code \(code) of field '\(summaries[f].field)' has no name")
                }
                codes.append(remap[f][code])
            }
            return true
        }
        guard codes.count == n * fields else {
            throw IndexError.corrupt("\(store.path): \(GroupTable.codesDB) holds \(codes.count / max(fields, 1)) of \(n) samples")
        }
        try txn.clear(groupsDB)
        try codes.withUnsafeBufferPointer { all in
            try IndexFinisher.writeDense(count: n, firstIndex: 0, entryBytes: 4 * fields, db: groupsDB, txn: txn) { i, raw, offset in
                for f in 0..<fields {
                    raw.storeBytes(of: all[i * fields + f].littleEndian, toByteOffset: offset + 4 * f, as: UInt32.self)
                }
            }
        }
        try txn.drop(codesDB)
        return sorted
    }
}

extension IndexReader {
    /// The groups of every sample, one `SampleGroups` per `--group-field` in command-line order;
    /// `[]` for an index built without `--group-field`. Read from the dense `groups` table in one
    /// read transaction (each chunk checked against its checksum): O(samples) time and memory.
    /// - Throws: `IndexError.corrupt` naming the index when the table does not match the manifest.
    public func sampleGroups() throws -> [SampleGroups] {
        guard let summaries = manifest.groups, !summaries.isEmpty else { return [] }
        let n = sampleCount, fields = summaries.count
        let db = try store.database(GroupTable.groupsDB)
        var codes = [[UInt32]](repeating: [], count: fields)
        for f in 0..<fields { codes[f].reserveCapacity(n) }
        try store.env.read { txn in
            try verifier.checkAll(GroupTable.groupsDB, db: db, txn: txn)
            try txn.forEach(in: db) { _, raw in
                guard raw.count % (4 * fields) == 0 else {
                    throw IndexError.corrupt("\(store.path): a \(GroupTable.groupsDB) chunk of \(raw.count) bytes, not a multiple of \(4 * fields)")
                }
                for i in 0..<(raw.count / (4 * fields)) {
                    for f in 0..<fields {
                        let code = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * (i * fields + f), as: UInt32.self))
                        guard Int(code) < summaries[f].names.count else {
                            throw IndexError.corrupt("\(store.path): sample \(codes[f].count) has group code \(code) of field "
                                + "'\(summaries[f].field)', which has \(summaries[f].names.count) groups; rebuild the index")
                        }
                        codes[f].append(code)
                    }
                }
                return true
            }
        }
        guard codes.allSatisfy({ $0.count == n }) else {
            throw IndexError.corrupt("\(store.path): \(GroupTable.groupsDB) holds \(codes[0].count) of \(n) samples; rebuild the index")
        }
        return summaries.indices.map { SampleGroups(field: summaries[$0].field, names: summaries[$0].names, sampleGroup: codes[$0]) }
    }
}
