// IndexVerifier.swift — `gradus verify INDEX` (issue 14 item 14): a complete check of an index.
// Format, state and manifest; every database the manifest implies, walked with a cursor from
// first to last key (LMDB's own structure); every checksum, chunk by chunk; and the content
// against the manifest: sample ids dense, token ids inside the vocabulary, lengths and totals
// equal to `counts`, the `counts` table equal to a histogram of the stored tokens, `values`/`ranks`
// equal to `metric`/`order`, order rows a permutation sorted by (value, id). Problems are
// collected, not thrown, so one run names them all.

import Corpus
import Foundation
import Storage

/// The outcome of `IndexVerifier.verify`.
public struct IndexVerification: Sendable {
    /// What was checked, one line each (counts, chunks).
    public var checked: [String] = []
    /// Each problem: database, key or chunk, sample range, what is wrong. Empty: the index is sound.
    public var problems: [String] = []
    /// Wall time of the verification, seconds.
    public var seconds = 0.0
}

/// Checks a whole index; see the file comment.
public enum IndexVerifier {
    /// At most this many problems are listed per database (the rest are counted).
    static let problemsPerTable = 20

    /// Verifies the index at `path` (opened as `options` says).
    public static func verify(_ path: String, options: IndexReadOptions = IndexReadOptions()) -> IndexVerification {
        let start = Date()
        var report = IndexVerification()
        check(path, options: options, into: &report)
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// The checks of `verify`, adding to `report`.
    private static func check(_ path: String, options: IndexReadOptions, into report: inout IndexVerification) {
        let store: IndexStore, manifest: IndexManifest, version: Int
        do {
            store = try IndexStore.openForReading(path, options: options)
            version = try store.formatVersion()
            manifest = try store.manifest()
        } catch {
            report.problems.append("\(error)")
            return
        }
        report.checked.append("format \(version), state complete, manifest: \(manifest.kind), \(manifest.counts.samples) samples, "
            + "\(manifest.counts.tokens) tokens, metrics \(manifest.kind == IndexKind.shard ? "none (shard)" : manifest.metrics.map(\.name).joined(separator: ", "))")
        let context = Context(path: path, store: store, manifest: manifest, checksummed: version >= IndexFormat.checksummedVersion)
        context.checkDatabaseList(&report)
        context.checkTokenStore(&report)
        for (name, layout, chunks) in IndexChecksums.tables(manifest) where layout != .tokens {  // tokens: checkSamples
            context.checkTable(name, layout: layout, chunks: chunks, &report)
        }
        context.checkContent(&report)
    }

    /// What the checks of one index share.
    private struct Context {
        let path: String
        let store: IndexStore
        let manifest: IndexManifest
        let checksummed: Bool
        var n: Int { manifest.counts.samples }
        /// Metric names with tables (none in a shard).
        var metrics: [String] { manifest.kind == IndexKind.shard ? [] : manifest.metrics.map(\.name) }

        /// The named databases (keys of LMDB's main database) against those the manifest implies.
        func checkDatabaseList(_ report: inout IndexVerification) {
            var expected = Set(IndexChecksums.tables(manifest).filter { $0.layout != .tokens }.map(\.name))
            if checksummed { expected.insert(IndexFormat.checksumsDB) }
            do {
                let main = try store.env.database(nil)
                var found = Set<String>()
                var recorded = 0
                try store.env.read { txn in
                    try txn.forEach(in: main) { key, _ in found.insert(String(decoding: key, as: UTF8.self)); return true }
                    recorded = try txn.count(in: main)
                }
                if recorded != found.count {
                    report.problems.append("\(path): LMDB's main database records \(recorded) entries, a cursor walk finds \(found.count)")
                }
                for name in expected.subtracting(found).sorted() { report.problems.append("\(path): database '\(name)' is missing") }
                let extra = found.subtracting(expected).filter { name in
                    // A shard may hold empty metric tables created before it knew it was one.
                    !(manifest.kind == IndexKind.shard && ["values/", "ranks/"].contains { name.hasPrefix($0) })
                }
                for name in extra.sorted() { report.problems.append("\(path): unexpected database '\(name)' (not written by gradus)") }
                report.checked.append("\(found.count) databases listed in LMDB's main database")
            } catch {
                report.problems.append("\(path): LMDB's main database cannot be read: \(error)")
            }
        }

        /// One table: a full cursor walk (LMDB structure, entry count), then each chunk's checksum.
        func checkTable(_ name: String, layout: IndexChecksums.Layout, chunks: Int, _ report: inout IndexVerification) {
            guard let db = try? store.env.database(name) else { return }  // reported as missing
            var entries = 0, recorded = 0
            do {
                try store.env.read { txn in
                    try txn.forEach(in: db) { _, _ in entries += 1; return true }
                    recorded = try txn.count(in: db)
                }
            } catch {
                report.problems.append("\(path): database '\(name)': a cursor walk fails after \(entries) entries: \(error)")
                return
            }
            if recorded != entries {
                report.problems.append("\(path): database '\(name)': LMDB records \(recorded) entries, a cursor walk finds \(entries)")
            }
            guard checksummed else {
                report.checked.append("\(name): \(entries) entries walked")
                return
            }
            var bad = 0
            do {
                // Opened before the transaction: a handle opened inside it is not valid in it.
                let sumsDB = try? store.env.database(IndexFormat.checksumsDB)
                try store.env.read { txn in
                    guard let sumsDB, let stored = try IndexChecksums.stored(name, db: sumsDB, txn: txn) else {
                        throw IndexError.corrupt("\(path): no checksums for database '\(name)'")
                    }
                    guard stored.count == chunks else {
                        throw IndexError.corrupt("\(path): database '\(name)' has \(stored.count) checksums for \(chunks) chunks")
                    }
                    let limit = IndexChecksums.maxValueBytes(layout, table: name, manifest: manifest)
                    for c in 0..<chunks {
                        do {
                            let sum = try IndexChecksums.compute(name, layout: layout, db: db, chunks: c..<(c + 1), entries: n,
                                                                 maxValueBytes: limit, txn: txn, path: path)
                            if sum != [stored[c]] { throw IndexError.corrupt("\(path): database '\(name)' \(IndexChecksums.describe(layout, chunk: c, entries: n)) does not match its checksum") }
                        } catch {
                            bad += 1
                            if bad <= problemsPerTable { report.problems.append("\(error)") }
                        }
                    }
                }
            } catch {
                report.problems.append("\(error)")
                return
            }
            if bad > problemsPerTable { report.problems.append("\(path): database '\(name)': \(bad - problemsPerTable) more bad chunks") }
            report.checked.append("\(name): \(entries) entries, \(chunks) checksummed chunks\(bad == 0 ? " ok" : ", \(bad) bad")")
        }

        /// The token files: each opens with the sizes and fingerprint recorded, and every chunk of
        /// 8 192 samples hashes to its checksum.
        func checkTokenStore(_ report: inout IndexVerification) {
            let name = IndexFormat.samplesDB
            do {
                let tokens = try TokenStore(indexPath: path, manifest: manifest)
                let chunks = tokens.chunkCount
                let sumsDB = try store.env.database(IndexFormat.checksumsDB)
                guard let stored = try store.env.read({ txn in try IndexChecksums.stored(name, db: sumsDB, txn: txn) }) else {
                    report.problems.append("\(path): no checksums for the token store ('\(name)')")
                    return
                }
                guard stored.count == chunks else {
                    report.problems.append("\(path): database '\(name)' has \(stored.count) checksums for \(chunks) chunks")
                    return
                }
                var bad = 0
                for c in 0..<chunks {
                    let sum = try IndexChecksums.computeTokens(tokens, chunks: c..<(c + 1))[0]
                    if sum != stored[c] {
                        bad += 1
                        if bad <= problemsPerTable {
                            let ids = tokens.samples(ofChunk: c)
                            report.problems.append("\(path): database '\(name)' chunk \(c) (entries \(ids.lowerBound)..<\(ids.upperBound)) does not match its checksum")
                        }
                    }
                }
                if bad > problemsPerTable { report.problems.append("\(path): database '\(name)': \(bad - problemsPerTable) more bad chunks") }
                report.checked.append("\(name): \(n) entries in \(tokens.info.files.count) token files (\(tokens.info.segments.count) segments), "
                    + "\(chunks) checksummed chunks\(bad == 0 ? " ok" : ", \(bad) bad")")
            } catch {
                report.problems.append("\(error)")
            }
        }

        /// The content against the manifest and the tables against each other.
        func checkContent(_ report: inout IndexVerification) {
            var problems = ProblemList(path: path)
            do { try checkSamples(&problems) } catch { problems.add("samples", "\(error)") }
            do { try checkDocs(&problems) } catch { problems.add("docs", "\(error)") }
            for m in metrics {
                do { try checkMetric(m, &problems) } catch { problems.add(IndexFormat.valuesDB(m), "\(error)") }
            }
            if let groups = manifest.groups, !groups.isEmpty {
                do { try checkGroups(groups, &problems) } catch { problems.add(GroupTable.groupsDB, "\(error)") }
            }
            report.problems += problems.lines
            report.checked.append("content: sample ids dense, tokens, counts, docs\(metrics.isEmpty ? "" : ", values/ranks of \(metrics.count) metrics")"
                + "\((manifest.groups ?? []).isEmpty ? "" : ", groups of \(manifest.groups!.count) fields") checked against the manifest")
        }

        /// Keys 0..<N in order, values decoded by `body`; problems for gaps and a wrong count.
        private func walkDense(_ name: String, _ problems: inout ProblemList,
                               _ body: (Int, UnsafeRawBufferPointer, inout ProblemList) throws -> Void) throws {
            let db = try store.env.database(name)
            var next = 0
            try store.env.read { txn in
                try txn.forEach(in: db) { key, value in
                    guard key.count == 8 else { problems.add(name, "a key of \(key.count) bytes after entry \(next - 1)"); return true }
                    let k = UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))
                    if k != UInt64(next) { problems.add(name, "key \(k) where entry \(next) was expected (ids must be dense 0..<\(n))") }
                    try body(next, value, &problems)
                    next += 1
                    return true
                }
            }
            if next != n { problems.add(name, "\(next) entries, the manifest says \(n) samples") }
        }

        private func checkSamples(_ problems: inout ProblemList) throws {
            let vocabulary = manifest.tokenizer.vocabularySize
            var histogram = [UInt64](repeating: 0, count: vocabulary)
            var tokens = 0, longest = 0
            let store_: TokenStore
            do { store_ = try TokenStore(indexPath: store.path, manifest: manifest) } catch {
                problems.add(IndexFormat.samplesDB, "the token store cannot be opened: \(error)")
                return
            }
            let n = manifest.counts.samples
            for id in 0..<n {
                if store_.length(of: id) > manifest.counts.maxSampleLength {
                    problems.add(IndexFormat.samplesDB, "sample \(id) has \(store_.length(of: id)) tokens, longer than the longest sample (\(manifest.counts.maxSampleLength))")
                    continue
                }
                do {
                    let wide = try store_.wideTokens(of: id)  // as stored, so a negative or huge id shows
                    tokens += wide.count
                    longest = max(longest, wide.count)
                    if let pack = manifest.pack, wide.count != pack + 1 {
                        problems.add(IndexFormat.samplesDB, "sample \(id) has \(wide.count) tokens, packed samples have \(pack + 1)")
                    }
                    for t in wide {
                        if t >= 0 && t < Int64(vocabulary) { histogram[Int(t)] += 1 } else {
                            problems.add(IndexFormat.samplesDB, "sample \(id) holds token id \(t), outside the vocabulary of \(vocabulary)")
                        }
                    }
                } catch {
                    problems.add(IndexFormat.samplesDB, "sample \(id): \(error)")
                }
            }
            if tokens != manifest.counts.tokens { problems.add(IndexFormat.samplesDB, "\(tokens) tokens, the manifest says \(manifest.counts.tokens)") }
            if longest != manifest.counts.maxSampleLength {
                problems.add(IndexFormat.samplesDB, "the longest sample has \(longest) tokens, the manifest says \(manifest.counts.maxSampleLength)")
            }
            let stored = try IndexFinisher.readCounts(store: store, vocabularySize: vocabulary)
            if let t = stored.indices.first(where: { stored[$0] != histogram[$0] }) {
                problems.add(IndexFormat.countsDB, "token id \(t) counts \(stored[t]), the stored samples hold it \(histogram[t]) times")
            }
        }

        /// `groups`: ⌈N/8192⌉ dense chunks of one UInt32 code per field per sample, each code a
        /// group of its field, and per group the samples and tokens the manifest says.
        private func checkGroups(_ groups: [GroupSummary], _ problems: inout ProblemList) throws {
            let fields = groups.count, name = GroupTable.groupsDB
            let tokens = try TokenStore(indexPath: store.path, manifest: manifest)
            var samples = groups.map { [Int](repeating: 0, count: $0.names.count) }, tokenSums = samples
            var id = 0
            let db = try store.env.database(name)
            try store.env.read { txn in
                try txn.forEach(in: db) { _, raw in
                    guard raw.count % (4 * fields) == 0 else {
                        problems.add(name, "a chunk of \(raw.count) bytes, not a multiple of \(4 * fields) (\(fields) codes a sample)")
                        return false
                    }
                    for _ in 0..<(raw.count / (4 * fields)) where id < n {
                        for f in 0..<fields {
                            let code = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * ((id % IndexFormat.denseChunk) * fields + f), as: UInt32.self)))
                            guard code < groups[f].names.count else {
                                problems.add(name, "sample \(id) has group code \(code) of field '\(groups[f].field)', which has \(groups[f].names.count) groups")
                                continue
                            }
                            samples[f][code] += 1
                            tokenSums[f][code] += tokens.length(of: id)
                        }
                        id += 1
                    }
                    return true
                }
            }
            if id != n { problems.add(name, "codes for \(id) samples, the manifest says \(n)") }
            for (f, g) in groups.enumerated() where samples[f] != g.samples || tokenSums[f] != g.tokens {
                problems.add(name, "the samples or tokens per group of field '\(g.field)' differ from the manifest's")
            }
        }

        private func checkDocs(_ problems: inout ProblemList) throws {
            let inputs = manifest.inputs.count
            try walkDense(IndexFormat.docsDB, &problems) { id, raw, problems in
                do {
                    let doc = try DocRecord.decode(raw)
                    if doc.input >= inputs || doc.input < 0 { problems.add(IndexFormat.docsDB, "sample \(id) names input \(doc.input) of \(inputs)") }
                } catch { problems.add(IndexFormat.docsDB, "sample \(id): \(error)") }
            }
        }

        /// `values/<m>` holds a value per sample and `ranks/<m>` a permutation of the samples
        /// sorted by (value, id), each row with the value `values/<m>` holds for its sample.
        private func checkMetric(_ m: String, _ problems: inout ProblemList) throws {
            let valuesDB = IndexFormat.valuesDB(m), ranksDB = IndexFormat.ranksDB(m)
            var values = [Double](repeating: .nan, count: n)
            try walkChunks(valuesDB, entryBytes: IndexFormat.valueEntryBytes, &problems) { id, raw in
                values[id] = try IndexFormat.decodeValue(raw)
            }
            var order = [RankedSample](repeating: RankedSample(id: .max, value: .nan), count: n)
            try walkChunks(ranksDB, entryBytes: IndexFormat.rankEntryBytes, &problems) { rank, raw in
                let e = try DenseTable.decodeRank(raw)
                order[rank] = RankedSample(id: UInt64(e.id), value: e.value)
            }
            var seen = [Bool](repeating: false, count: n)
            for (rank, row) in order.enumerated() {
                guard row.id < UInt64(n), !seen[Int(row.id)] else {
                    problems.add(ranksDB, "rank \(rank) holds sample \(row.id), outside 0..<\(n) or already ranked")
                    continue
                }
                seen[Int(row.id)] = true
                let v = values[Int(row.id)]
                if v.bitPattern != row.value.bitPattern {
                    problems.add(valuesDB, "sample \(row.id) has value \(v), but rank \(rank) of \(ranksDB) holds it with \(row.value)")
                }
                if rank > 0, !Self.precedes(order[rank - 1], row) {
                    problems.add(ranksDB, "ranks \(rank - 1) and \(rank) are not sorted by (value, sample id)")
                }
            }
        }

        /// Visits every entry of the dense table `name` (`values/<m>` or `ranks/<m>`): ⌈N/8192⌉
        /// chunks, keyed 0, 1, …, each of min(8192, N − c·8192) entries of `entryBytes`; a chunk
        /// with another key or size is a problem and its entries are not visited.
        private func walkChunks(_ name: String, entryBytes: Int, _ problems: inout ProblemList,
                                _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
            let db = try store.env.database(name)
            let chunks = (n + IndexFormat.denseChunk - 1) >> IndexFormat.denseChunkShift
            var c = 0
            try store.env.read { txn in
                try txn.forEach(in: db) { key, raw in
                    let first = c << IndexFormat.denseChunkShift
                    let count = min(IndexFormat.denseChunk, n - first)
                    defer { c += 1 }
                    guard key.count == 8, UInt64(bigEndian: key.loadUnaligned(as: UInt64.self)) == UInt64(c), count > 0,
                          raw.count == count * entryBytes else {
                        problems.add(name, "chunk \(c) (entries \(first)..<\(first + max(count, 0))): wrong key or \(raw.count) bytes")
                        return true
                    }
                    for i in 0..<count {
                        do {
                            try body(first + i, UnsafeRawBufferPointer(rebasing: raw[(i * entryBytes)..<((i + 1) * entryBytes)]))
                        } catch { problems.add(name, "entry \(first + i): \(error)") }
                    }
                    return true
                }
            }
            if c != chunks { problems.add(name, "\(c) chunks, expected \(chunks)") }
        }

        /// The order of `ranks/<m>`: by (value, id), NaN after every number.
        static func precedes(_ a: RankedSample, _ b: RankedSample) -> Bool {
            if a.value.isNaN || b.value.isNaN { return a.value.isNaN == b.value.isNaN ? a.id < b.id : !a.value.isNaN }
            return a.value < b.value || (a.value == b.value && a.id < b.id)
        }
    }

    /// Problems per database, capped at `problemsPerTable` each.
    private struct ProblemList {
        let path: String
        var lines: [String] = []
        var perTable: [String: Int] = [:]

        mutating func add(_ table: String, _ problem: String) {
            perTable[table, default: 0] += 1
            let k = perTable[table]!
            if k <= problemsPerTable { lines.append("\(path): database '\(table)': \(problem)") }
            else if k == problemsPerTable + 1 { lines.append("\(path): database '\(table)': further problems not listed") }
        }
    }
}
