// SampleGroups.swift — the groups of an index's samples along one record field (issue 17 item 2):
// `gradus index --group-field lang` records each document's value of the field, and every sample
// gets a group (a packed sample: the group holding the majority of its tokens). Evaluation reports
// loss per group, the held-out split is stratified by group, `gradus info` shows the histogram.

/// The groups of every sample along one string field of the records.
public struct SampleGroups: Equatable, Sendable {
    /// The record field the groups come from (e.g. "lang", "source").
    public let field: String
    /// The group names, ascending; a sample's group is an index into this array.
    public let names: [String]
    /// Per sample id, the index of its group in `names`.
    public let sampleGroup: [UInt32]

    /// - Precondition: every element of `sampleGroup` is < `names.count`.
    public init(field: String, names: [String], sampleGroup: [UInt32]) {
        precondition(sampleGroup.allSatisfy { Int($0) < names.count }, "a sample's group is outside the names")
        (self.field, self.names, self.sampleGroup) = (field, names, sampleGroup)
    }

    /// Samples per group, in the order of `names`.
    public var histogram: [Int] {
        var counts = [Int](repeating: 0, count: names.count)
        for g in sampleGroup { counts[Int(g)] += 1 }
        return counts
    }
}
