// ExternalRankSort.swift — the order of samples by (value, id) in memory bounded by a run
// length, not by the number of samples (issue 3: "peak RSS must not grow with the number of
// samples"). Consecutive chunks of ids are radix-sorted in memory (SampleSort) into runs; a lone
// run stays in memory, more runs are spilled to an unlinked scratch file and merged k-way, at
// most `fanIn` at a time (extra merge passes when there are more runs than that).
//
// The result is the order `sampleIDsSortedByValue` gives for the whole array: runs cover
// ascending id ranges, each run is sorted by (key, id), and the merge breaks key ties by id.

import Storage

/// A sample id and its value: one row of an order table, and one record of a run.
struct RankedSample: Equatable {
    var id: UInt64
    var value: Double
}

final class ExternalRankSort {
    let runLength: Int
    let fanIn: Int
    /// Records read from each run per refill during a merge.
    let bufferRecords: Int
    private let scratchPath: String
    private var memoryRun: [RankedSample]?
    private var file: ScratchFile?
    private var runs: [Range<Int>] = []  // record ranges in `file`, in id order
    private(set) var count = 0

    /// - Parameters:
    ///   - runLength: the most samples one `addRun` may pass, and the length of the merged
    ///     blocks `merge` hands out.
    ///   - scratchPath: where a scratch file is created if a second run arrives (unlinked at once,
    ///     so nothing is left behind by a crash).
    init(runLength: Int, fanIn: Int = 64, bufferRecords: Int = 4096, scratchPath: String) {
        precondition(runLength >= 1 && fanIn >= 2 && bufferRecords >= 1)
        self.runLength = runLength
        self.fanIn = fanIn
        self.bufferRecords = bufferRecords
        self.scratchPath = scratchPath
    }

    /// Sorts the samples firstID ..< firstID + values.count (ids above every earlier run's) into a run.
    func addRun(_ values: UnsafeBufferPointer<Double>, firstID: Int) throws {
        precondition(values.count <= runLength && firstID == count, "runs must be consecutive and at most runLength long")
        guard !values.isEmpty else { return }
        let order = sampleIDsSortedByValue(values)
        let run = [RankedSample](unsafeUninitializedCapacity: order.count) { out, initialized in
            for (rank, local) in order.enumerated() {
                out[rank] = RankedSample(id: UInt64(firstID) + UInt64(local), value: values[Int(local)])
            }
            initialized = order.count
        }
        count += values.count
        if memoryRun == nil && file == nil {
            memoryRun = run
            return
        }
        let scratch = try file ?? ScratchFile(path: scratchPath)
        if file == nil, let first = memoryRun {
            runs.append(try scratch.append(first))
            memoryRun = nil
        }
        file = scratch
        runs.append(try scratch.append(run))
    }

    /// Hands every sample out in (value, id) order, in consecutive blocks of `runLength` samples
    /// (the last one shorter). The blocks are only valid during `body`.
    func merge(_ body: (UnsafeBufferPointer<RankedSample>) throws -> Void) throws {
        if let run = memoryRun {
            try run.withUnsafeBufferPointer { all in
                var start = 0
                while start < all.count {
                    let end = min(all.count, start + runLength)
                    try body(UnsafeBufferPointer(rebasing: all[start..<end]))
                    start = end
                }
            }
            return
        }
        guard var source = file else { return }
        var runs = self.runs
        while runs.count > fanIn {  // one more pass: groups of fanIn runs into longer runs
            let target = try ScratchFile(path: scratchPath)
            var merged: [Range<Int>] = []
            for group in stride(from: 0, to: runs.count, by: fanIn) {
                let start = target.records
                try mergeRuns(Array(runs[group..<min(runs.count, group + fanIn)]), from: source) { try target.append($0) }
                merged.append(start..<target.records)
            }
            source = target
            runs = merged
        }
        try mergeRuns(runs, from: source, body)
    }

    /// Merges `runs` of `source` in (key, id) order, handing out blocks of `runLength`.
    private func mergeRuns(_ runs: [Range<Int>], from source: ScratchFile,
                           _ emit: (UnsafeBufferPointer<RankedSample>) throws -> Void) throws {
        var readers = runs.map { RunReader(range: $0, capacity: bufferRecords) }
        var heap: [HeapEntry] = []
        heap.reserveCapacity(readers.count)
        for r in readers.indices {
            if let first = try readers[r].next(source) { heap.append(HeapEntry(first, run: r)) }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(&heap, i) }
        var block = [RankedSample]()
        block.reserveCapacity(runLength)
        while let top = heap.first {
            block.append(top.sample)
            if block.count == runLength {
                try block.withUnsafeBufferPointer { try emit($0) }
                block.removeAll(keepingCapacity: true)
            }
            if let next = try readers[top.run].next(source) {
                heap[0] = HeapEntry(next, run: top.run)
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(&heap, 0) }
        }
        if !block.isEmpty { try block.withUnsafeBufferPointer { try emit($0) } }
    }

    private struct HeapEntry {
        var key: UInt64
        var sample: RankedSample
        var run: Int
        init(_ sample: RankedSample, run: Int) {
            key = orderKey(sample.value)
            self.sample = sample
            self.run = run
        }
        @inline(__always) static func < (a: HeapEntry, b: HeapEntry) -> Bool {
            a.key != b.key ? a.key < b.key : a.sample.id < b.sample.id
        }
    }

    private func siftDown(_ heap: inout [HeapEntry], _ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1
            guard left < heap.count else { return }
            var child = left
            if left + 1 < heap.count && heap[left + 1] < heap[left] { child = left + 1 }
            guard heap[child] < heap[i] else { return }
            heap.swapAt(i, child)
            i = child
        }
    }

    /// Buffered reading of one run.
    private struct RunReader {
        var next: Int
        let end: Int
        var buffer: [RankedSample] = []
        var position = 0
        let capacity: Int
        init(range: Range<Int>, capacity: Int) {
            next = range.lowerBound
            end = range.upperBound
            self.capacity = capacity
        }
        mutating func next(_ file: ScratchFile) throws -> RankedSample? {
            if position == buffer.count {
                guard next < end else { return nil }
                let n = min(capacity, end - next)
                try file.read(at: next, count: n, into: &buffer)
                next += n
                position = 0
            }
            position += 1
            return buffer[position - 1]
        }
    }
}

/// An anonymous file of `RankedSample` records: created and unlinked at once, removed by the
/// kernel when the last descriptor closes.
final class ScratchFile {
    let path: String
    private let file: PosixFile
    private(set) var records = 0
    private static let stride = MemoryLayout<RankedSample>.stride

    init(path: String) throws {
        self.path = path
        file = try Self.failing(path, "cannot create a sort scratch file") {
            try PosixFile(path: path, mode: .replace, permissions: 0o600)
        }
        PosixFile.remove(path)
    }

    /// Appends `samples`; returns their record range.
    @discardableResult
    func append(_ samples: UnsafeBufferPointer<RankedSample>) throws -> Range<Int> {
        let start = records
        try Self.failing(path, "cannot write the sort scratch file") {
            try file.write(at: start * Self.stride, UnsafeRawBufferPointer(samples))
        }
        records += samples.count
        return start..<records
    }

    func append(_ samples: [RankedSample]) throws -> Range<Int> {
        try samples.withUnsafeBufferPointer { try append($0) }
    }

    /// Replaces `buffer` with records [index, index + count).
    func read(at index: Int, count: Int, into buffer: inout [RankedSample]) throws {
        precondition(index >= 0 && index + count <= records)
        buffer = try [RankedSample](unsafeUninitializedCapacity: count) { out, initialized in
            let raw = UnsafeMutableRawBufferPointer(out)
            let n = try Self.failing(path, "cannot read the sort scratch file back") {
                try file.read(at: index * Self.stride, into: raw)
            }
            guard n == raw.count else {
                throw IndexError.notWritable(path: path, reason: "cannot read the sort scratch file back: it is shorter than written")
            }
            initialized = count
        }
    }

    private static func failing<T>(_ path: String, _ what: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as FileError {
            throw IndexError.notWritable(path: path, reason: "\(what): \(error.reason)")
        }
    }
}
