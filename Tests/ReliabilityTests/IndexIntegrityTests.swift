// IndexIntegrityTests.swift — issue 14 items 5, 12 (LMDB files) and 14: a truncated, empty or
// symlinked data.mdb is refused with a message instead of SIGBUS or an LMDB errno; damaged
// tokens, values or metadata are errors for the reads that use them and for `gradus verify`,
// never silently different output; an index of an older format (1, 2: tokens in LMDB) is refused
// with its version and the command that rebuilds it.

import Foundation
import Storage
import TestSupport
import XCTest

final class IndexIntegrityTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("integrity", removedAfter: self) }

    /// The packed UDHR index (5 382 samples, ~2.6 MB) and a curriculum config for `batches`.
    private func makeIndex() throws -> (index: String, batchesConfig: String) {
        let index = dir.file("base.idx")
        try indexUDHRPacked(at: index)
        let config = dir.file("cl.json")
        try """
        {"train_batch_size": 4, "data_efficiency": {"enabled": true, "data_sampling": {"enabled": true, "curriculum_learning": {
          "enabled": true, "curriculum_metrics": {"seqlen": {"difficulty_type": "percentile", "clustering_type": "schedule_based",
          "min_difficulty": 50, "max_difficulty": 100, "schedule_type": "fixed_linear",
          "schedule_config": {"total_curriculum_step": 8, "difficulty_step": 1}}}}}}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        return (index, config)
    }

    private func copyIndex(_ index: String, to name: String) throws -> String {
        let copy = dir.file(name)
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for name in ["data.mdb", "tokens.bin", "tokens.idx"] where FileManager.default.fileExists(atPath: index + "/" + name) {
            try FileManager.default.copyItem(atPath: index + "/" + name, toPath: copy + "/" + name)
        }
        return copy
    }

    /// The reader commands of the issue's repro: info, dump, batches, train.
    private func readers(_ index: String, _ config: String) -> [[String]] {
        [["info", index], ["dump", index, "--tokens"], ["batches", index, "--config", config, "--steps", "2"],
         ["train", repositoryRoot + "/configs/tiny.json", "--index", index, "--out", dir.file("run-\(UUID().uuidString)"),
          "--steps", "1", "--threads", "1"]]
    }

    func testTruncatedDataFileIsRefusedByEveryReaderWithBothSizes() throws {
        let (index, config) = try makeIndex()
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: index + "/data.mdb")[.size] as? Int)
        for (name, keep) in [("64k", size - 65_536), ("10pct", size * 9 / 10), ("50pct", size / 2), ("90pct", size / 10)] {
            let copy = try copyIndex(index, to: "cut-\(name).idx")
            XCTAssertEqual(truncate(copy + "/data.mdb", off_t(keep)), 0)
            for command in readers(copy, config) + [["verify", copy]] {
                let r = try runGradus(command)
                XCTAssertFalse(r.signaled, "\(command[0]) on a data.mdb cut to \(keep) bytes died from signal \(r.status)")
                XCTAssertEqual(r.status, 1, "\(command[0]) \(name): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("\(copy)/data.mdb is truncated (restore or rebuild it)"), r.stderr)
                XCTAssertTrue(r.stderr.contains("the file has \(keep) bytes"), r.stderr)
                XCTAssertTrue(r.stderr.contains("needs \(size) bytes") || r.stderr.contains("needs "), r.stderr)
            }
        }
    }

    func testEmptyDataFileIsRefusedClearly() throws {
        let copy = dir.file("empty.idx")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: copy + "/data.mdb", contents: Data())
        for command in [["info", copy], ["dump", copy], ["verify", copy]] {
            let r = try runGradus(command)
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("\(copy)/data.mdb is empty (0 bytes)"), r.stderr)
            XCTAssertFalse(r.stderr.contains("Bad file descriptor"), r.stderr)
        }
    }

    func testSymlinkedDataOrLockFileIsRefusedAndItsTargetUntouched() throws {
        let (index, _) = try makeIndex()
        // data.mdb a link to the real file elsewhere.
        let linked = dir.file("linked.idx")
        try FileManager.default.createDirectory(atPath: linked, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: linked + "/data.mdb", withDestinationPath: index + "/data.mdb")
        var r = try runGradus(["info", linked])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(linked)/data.mdb is a symbolic link"), r.stderr)
        // lock.mdb a link to a victim file: LMDB would initialise its lock table in it.
        let victim = dir.file("victim.txt")
        try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)
        let locked = try copyIndex(index, to: "lock.idx")
        try FileManager.default.createSymbolicLink(atPath: locked + "/lock.mdb", withDestinationPath: victim)
        // A writer too: a new index whose directory holds only the planted lock.mdb link.
        let fresh = dir.file("fresh.idx")
        try FileManager.default.createDirectory(atPath: fresh, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fresh + "/lock.mdb", withDestinationPath: victim)
        for (command, dir) in [(["info", locked], locked), (["dump", locked, "--range", "0..1"], locked), (["verify", locked], locked),
                               (["index", repositoryRoot + "/corpora/udhr.sample.jsonl.zst", "--tokenizer", "bytes", "--out", fresh], fresh)] {
            r = try runGradus(command)
            XCTAssertEqual(r.status, 1, "\(command): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("\(dir)/lock.mdb is a symbolic link"), r.stderr)
            XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious\n")
        }
    }

    /// Flips the byte at `offset` of `file` (data.mdb by default) in `index`'s copy `name`.
    private func flipped(_ index: String, _ name: String, at offset: Int, file: String = "data.mdb") throws -> String {
        let copy = try copyIndex(index, to: name)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: copy + "/" + file))
        bytes[offset] ^= 0x5A
        try bytes.write(to: URL(fileURLWithPath: copy + "/" + file))
        return copy
    }

    /// The offset of the only occurrence of `needle` in the file, failing when there is none or
    /// more than one.
    private func uniqueOffset(of needle: [UInt8], in path: String) throws -> Int {
        let hay = try Data(contentsOf: URL(fileURLWithPath: path))
        let first = try XCTUnwrap(hay.range(of: Data(needle)), "the pattern must occur in data.mdb")
        XCTAssertNil(hay.range(of: Data(needle), in: first.lowerBound + 1..<hay.count), "the pattern must occur once in data.mdb")
        return first.lowerBound
    }

    func testDamagedTokensAreAnErrorForDumpTrainAndVerifyNotSilentData() throws {
        let (index, config) = try makeIndex()
        // Sample 4000's 65 tokens as stored (bytes tokenizer: little-endian UInt16).
        let dump = try runGradus(["dump", index, "--tokens", "--range", "4000..4001"])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        let line = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        let tokens = try XCTUnwrap(line["tokens"] as? [Int])
        XCTAssertEqual(tokens.count, 65)
        let stored = tokens.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let offset = try uniqueOffset(of: stored, in: index + "/tokens.bin")
        let bad = try flipped(index, "damaged.idx", at: offset + 2 * 30, file: "tokens.bin")
        for command in [["dump", bad, "--tokens"], ["dump", bad, "--tokens", "--range", "4000..4001"]] + [readers(bad, config)[3]] {
            let r = try runGradus(command)
            XCTAssertEqual(r.status, 1, "\(command[0]) read damaged tokens silently: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("\(bad): database 'samples' chunk 0 (entries 0..<5382) does not match its checksum"), r.stderr)
        }
        let v = try runGradus(["verify", bad])
        XCTAssertEqual(v.status, 1)
        XCTAssertTrue(v.stderr.contains("database 'samples' chunk 0 (entries 0..<5382) does not match its checksum"), v.stderr)
        XCTAssertTrue(v.stderr.contains("database 'samples': sample 4000 holds token id")
                      || v.stderr.contains("database 'counts': token id"), "the content check sees it too: \(v.stderr)")
        // Metadata and dense tables are what `info` and `batches` read.
        XCTAssertEqual(try runGradus(["info", bad]).status, 0, "info reads no token")
        XCTAssertEqual(try runGradus(["batches", bad, "--config", config, "--steps", "2"]).status, 0, "batches reads no token")
    }

    func testDamagedNodeFlagsAreAnErrorNotASegfault() throws {
        let (index, _) = try makeIndex()
        // Sample 4000's leaf node in `docs`: data size (the docs record, 21 bytes + its strings;
        // lo, hi), flags 0, key size 8, the key (UInt64 BE 4000), then the record, whose flags byte
        // and input index 0 follow. The metric tables' nodes for the same key hold 8 bytes,
        // `order/`'s 16. F_DUPDATA in its flags sends liblmdb 0.9 into its sub-database cursor,
        // which a database without MDB_DUPSORT does not have.
        let hay = try Data(contentsOf: URL(fileURLWithPath: index + "/data.mdb"))
        let key: [UInt8] = [0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0x0F, 0xA0]
        var offsets: [Int] = []
        var from = 2
        while let r = hay.range(of: Data(key), in: from..<hay.count) {
            let size = Int(hay[r.lowerBound - 2]) | Int(hay[r.lowerBound - 1]) << 8
            if size >= 21 && size != 8 && size != 16 { offsets.append(r.lowerBound - 2) }
            from = r.lowerBound + 1
        }
        XCTAssertEqual(offsets.count, 1, "sample 4000's docs node must be found once")
        let offset = try XCTUnwrap(offsets.first)
        let copy = try copyIndex(index, to: "flags.idx")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: copy + "/data.mdb"))
        bytes[offset + 4] = 0x04
        try bytes.write(to: URL(fileURLWithPath: copy + "/data.mdb"))
        for command in [["dump", copy, "--tokens"], ["verify", copy]] {
            let r = try runGradus(command)
            XCTAssertFalse(r.signaled, "\(command[0]) died from signal \(r.status)")
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("\(copy): LMDB environment is corrupted (MDB_CORRUPTED"), r.stderr)
        }
    }

    func testDamagedDenseValuesStopTheSamplerAndVerify() throws {
        let (index, config) = try makeIndex()
        // values/seqlen is 5 382 little-endian Float64 65.0 (every packed sample has 65 tokens):
        // the only run of that length in the file, in one overflow value.
        let value = [UInt8](withUnsafeBytes(of: Double(65).bitPattern.littleEndian) { Array($0) })
        let run = Array([[UInt8]](repeating: value, count: 5382).joined())
        let offset = try uniqueOffset(of: run, in: index + "/data.mdb")
        let bad = try flipped(index, "values.idx", at: offset + 8 * 1234 + 7)
        let r = try runGradus(["batches", bad, "--config", config, "--steps", "2"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(bad): database 'values/seqlen' chunk 0 (entries 0..<5382) does not match its checksum"), r.stderr)
        let v = try runGradus(["verify", bad])
        XCTAssertEqual(v.status, 1)
        XCTAssertTrue(v.stderr.contains("database 'values/seqlen'"), v.stderr)
        XCTAssertTrue(v.stderr.contains("database 'values/seqlen': sample 1234 has value ")
                      && v.stderr.contains("but rank 1234 of ranks/seqlen holds it with 65.0"), v.stderr)
    }

    func testShardsAndTheirMergeCarryChecksumsThatVerify() throws {
        let input = repositoryRoot + "/corpora/udhr.sample.jsonl.zst"
        for shard in ["0/2", "1/2"] {
            let r = try runGradus(["index", input, "--tokenizer", "bytes", "--shard", shard, "--out", dir.file("s\(shard.first!).idx")])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let merged = try runGradus(["merge", dir.file("s0.idx"), dir.file("s1.idx"), "--out", dir.file("m.idx")])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        for idx in ["s0.idx", "s1.idx", "m.idx"] {
            let v = try runGradus(["verify", dir.file(idx)])
            XCTAssertEqual(v.status, 0, v.stderr)
            XCTAssertTrue(v.stdout.contains("checked samples: "), v.stdout)
        }
        XCTAssertTrue(try runGradus(["verify", dir.file("m.idx")]).stdout.contains("checked ranks/vocabularyrarity: 1 entries, 1 checksummed chunks ok"))
    }

    func testVerifyReportsASoundIndexAndRefusesAnOlderFormat() throws {
        let (index, _) = try makeIndex()
        let ok = try runGradus(["verify", index])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.contains("checked samples: 5382 entries in 1 token files (1 segments), 1 checksummed chunks ok"), ok.stdout)
        XCTAssertTrue(ok.stdout.contains("ok: \(index) verified in"), ok.stdout)
        // Formats 1 and 2 kept the tokens in an LMDB `samples` database, format 3 the metric/ and
        // order/ B-trees besides the dense tables: refused by every reader, naming the version,
        // what it kept and the command that built the index.
        for version in [1, 2, 3] {
            let old = try copyIndex(index, to: "v\(version).idx")
            let env = try LMDBEnvironment(path: old, mapSize: 1 << 30, maxDatabases: 64)
            let meta = try env.database("meta")
            try env.write { txn in
                try txn.put(key: Array("format".utf8), value: Array(#"{"magic":"gradus-index","version":\#(version)}"#.utf8), in: meta)
            }
            for command in [["dump", old, "--tokens", "--range", "0..2"], ["verify", old], ["info", old]] {
                let r = try runGradus(command)
                XCTAssertEqual(r.status, 1, r.stderr)
                let kept = version < 3 ? "which kept its tokens in LMDB" : "which kept its metric values and orders in per-sample metric/ and order/ B-trees"
                XCTAssertTrue(r.stderr.contains("\(old) is an index of format version \(version), \(kept)"), r.stderr)
                XCTAssertTrue(r.stderr.contains("Rebuild it: ") && r.stderr.contains("udhr.sample.jsonl.zst") && r.stderr.contains("--force"), r.stderr)
            }
        }
    }
}
