// BatchStreamEncoder.swift — the binary framing of `gradus batches --format binary` (issue 4
// item 6; the byte layout is specified in docs/stream-format.md, and read by
// tools/python/gradus_stream.py). Every frame is `u32 length · u8 type · payload` (length counts
// type + payload), little-endian throughout: one header frame (magic, version, geometry, the
// sequence curriculum applied to the rows, metric names), one batch frame per micro-batch, and an
// end frame with the number of batch frames so a reader can tell a complete stream from a
// truncated one. Version 2 added the applied post-processing and S to the header and a row count
// to batch frames (`seqlen_reshape` serves more rows than samples).

/// Frame types of the binary batch stream.
public enum BatchStreamFrame: UInt8, Sendable {
    case header = 1
    case batch = 2
    case end = 3
}

/// Encodes curriculum micro-batches as binary frames (docs/stream-format.md).
public struct BatchStreamEncoder: Sendable {
    /// "GRADUSBS": the first 8 payload bytes of the header frame.
    public static let magic: [UInt8] = Array("GRADUSBS".utf8)
    /// Bumped on any incompatible layout change.
    public static let version: UInt16 = 2
    /// Header flag: batch frames carry token arrays.
    public static let flagTokens: UInt16 = 1

    public let metricNames: [String]
    public let includesTokens: Bool
    /// Batch frames encoded so far (written into the end frame).
    public private(set) var batchFrames: UInt64 = 0
    private var lastStep: UInt64 = 0

    public init(metricNames: [String], includesTokens: Bool) {
        self.metricNames = metricNames
        self.includesTokens = includesTokens
    }

    /// The header frame: magic, version, flags, rank, world, micro-batch size, accumulation
    /// steps, the post-processing applied to the rows (u8: 0 none, 1 `seqlen_truncate`, 2
    /// `seqlen_reshape`), S (u32; 0 when rows are the stored samples, not cut to S + 1) and the
    /// metric names (u16 count, then u16 length + UTF-8 bytes each).
    public func header(rank: Int, geometry: BatchGeometry, applied: SequenceCurriculumKind?, sequenceLength: Int?) throws -> [UInt8] {
        guard metricNames.count <= Int(UInt16.max) else { throw CurriculumError.invalidArgument("too many metrics for the stream header") }
        var p = BatchStreamEncoder.magic
        p.appendLE(BatchStreamEncoder.version)
        p.appendLE(includesTokens ? BatchStreamEncoder.flagTokens : 0)
        for v in [rank, geometry.world, geometry.microBatchSize, geometry.gradientAccumulationSteps] { p.appendLE(try u32(v)) }
        p.append(applied == .truncate ? 1 : applied == .reshape ? 2 : 0)
        p.appendLE(try u32(sequenceLength ?? 0))
        p.appendLE(UInt16(metricNames.count))
        for name in metricNames {
            let bytes = Array(name.utf8)
            guard bytes.count <= Int(UInt16.max) else { throw CurriculumError.invalidArgument("metric name too long for the stream header") }
            p.appendLE(UInt16(bytes.count))
            p.append(contentsOf: bytes)
        }
        return try frame(.header, p)
    }

    /// One micro-batch frame: u64 step, u32 rank, u32 micro-batch, f64 × metrics difficulties,
    /// u32 n, u64 × n sample ids, and with tokens u32 rows, u32 × rows lengths, then all token ids
    /// as u32, row after row.
    /// - Parameter rows: `width`-wide rows in `tokens`, `lengths[i]` real tokens in row i;
    ///   required iff `includesTokens`.
    public mutating func batch(step: Int, rank: Int, microBatch: Int, difficulties: [Double], sampleIDs: ArraySlice<UInt64>,
                               rows: (width: Int, tokens: [Int32], lengths: [Int])?) throws -> [UInt8] {
        guard difficulties.count == metricNames.count else {
            throw CurriculumError.invalidArgument("\(difficulties.count) difficulties for \(metricNames.count) metrics")
        }
        guard (rows != nil) == includesTokens else {
            throw CurriculumError.invalidArgument("rows must be given exactly when the stream carries tokens")
        }
        let tokenTotal = rows?.lengths.reduce(0, +) ?? 0
        var p: [UInt8] = []
        p.reserveCapacity(28 + 8 * difficulties.count + 12 * sampleIDs.count + 4 * tokenTotal)
        p.appendLE(UInt64(try u32(step)))
        p.appendLE(try u32(rank))
        p.appendLE(try u32(microBatch))
        for d in difficulties { p.appendLE(d.bitPattern) }
        p.appendLE(try u32(sampleIDs.count))
        for id in sampleIDs { p.appendLE(id) }
        if let rows {
            p.appendLE(try u32(rows.lengths.count))
            for n in rows.lengths { p.appendLE(try u32(n)) }
            for (i, n) in rows.lengths.enumerated() {
                for t in 0..<n { p.appendLE(UInt32(bitPattern: rows.tokens[i * rows.width + t])) }
            }
        }
        batchFrames += 1
        lastStep = UInt64(step)
        return try frame(.batch, p)
    }

    /// The end frame: u64 number of batch frames, u64 the last step (0 when none).
    public func end() throws -> [UInt8] {
        var p: [UInt8] = []
        p.appendLE(batchFrames)
        p.appendLE(lastStep)
        return try frame(.end, p)
    }

    private func frame(_ type: BatchStreamFrame, _ payload: [UInt8]) throws -> [UInt8] {
        let length = try u32(payload.count + 1)
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 5)
        out.appendLE(length)
        out.append(type.rawValue)
        out.append(contentsOf: payload)
        return out
    }

    private func u32(_ v: Int) throws -> UInt32 {
        guard let x = UInt32(exactly: v) else { throw CurriculumError.invalidArgument("\(v) does not fit the stream's u32 field") }
        return x
    }
}

extension Array where Element == UInt8 {
    /// Appends the little-endian bytes of `v`.
    @inline(__always)
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
}
