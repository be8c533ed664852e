// TokenStoreTests.swift — issue 16 item 1: an index keeps its tokens in Megatron `.bin/.idx`
// files. Megatron inputs are referenced where they lie (or copied with `--copy`), a changed
// input is refused, and what a killed build wrote past its last commit is cut on resume.

import Corpus
@testable import CorpusIndex
import Foundation
import Storage
import TestSupport
import XCTest

final class TokenStoreTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("token-store", removedAfter: self) }

    /// Documents of 1…(`longest`) tokens, ids below 1 000, fixed by `seed`.
    private func documents(_ count: Int, longest: Int = 40, seed: UInt64 = 7) -> [[UInt32]] {
        var state = seed
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        return (0..<count).map { _ in (0..<(1 + Int(next() % UInt64(longest)))).map { _ in UInt32(next() % 1000) } }
    }

    /// Writes `docs` as a Megatron dataset (one item per document) at `name` under the test directory.
    private func megatron(_ docs: [[UInt32]], name: String = "input") throws -> String {
        let prefix = dir.file(name)
        let writer = try MegatronTokenDatasetWriter(prefix: prefix, vocabularySize: 1000)
        for d in docs { try writer.addDocument(d) }
        try writer.finalize()
        return prefix
    }

    private func build(_ inputs: [String], out: String, pack: Int? = nil, copy: Bool = false,
                       mode: IndexStore.WriteMode = .create, onCommit: (Int) throws -> Void = { _ in }) throws -> IndexManifest {
        var options = IndexBuildOptions(inputs: inputs, output: out)
        options.vocabularySize = 1000
        options.pack = pack
        options.endOfDocumentID = pack == nil ? nil : 999
        options.copyTokens = copy
        options.batchRecords = 16
        options.mode = mode
        return try IndexBuilder.build(options, openSource: { p, _ in try InputSources.open(path: p, options: ReaderOptions()) },
                                      onCommit: onCommit)
    }

    private func samples(_ path: String) throws -> [[UInt32]] {
        let reader = try IndexReader(path: path)
        var out: [[UInt32]] = []
        try reader.forEach(in: 0..<reader.sampleCount, tokens: true) { _, tokens, _, _ in out.append(tokens) }
        return out
    }

    private func fileSize(_ path: String) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    func testMegatronInputIsReferencedNotCopiedAndReadsBackTheSame() throws {
        let docs = documents(300)
        let input = try megatron(docs)
        let manifest = try build([input + ".idx"], out: dir.file("ref.idx"))
        XCTAssertEqual(manifest.inputs[0].tokenFile, 1)
        let store = try XCTUnwrap(manifest.tokenStore)
        XCTAssertEqual(store.files.count, 2)
        XCTAssertFalse(store.files[1].owned)
        XCTAssertEqual(store.files[1].prefix, input)
        XCTAssertEqual(store.segments, [TokenSegmentInfo(file: 1, firstItem: 0, samples: 300)])
        XCTAssertEqual(try fileSize(dir.file("ref.idx/tokens.bin")), 0, "no token is copied")
        XCTAssertEqual(try samples(dir.file("ref.idx")), docs)
        // --copy stores the same samples in the index, and describes the same content.
        let copied = try build([input + ".idx"], out: dir.file("copy.idx"), copy: true)
        XCTAssertNil(copied.inputs[0].tokenFile)
        XCTAssertEqual(copied.tokenStore?.segments, [TokenSegmentInfo(file: 0, firstItem: 0, samples: 300)])
        XCTAssertEqual(try fileSize(dir.file("copy.idx/tokens.bin")), docs.joined().count * 2)
        XCTAssertEqual(try samples(dir.file("copy.idx")), docs)
        XCTAssertEqual(try tableDump(dir.file("copy.idx")).filter { $0.key != "tokens" },
                       try tableDump(dir.file("ref.idx")).filter { $0.key != "tokens" })
        XCTAssertEqual(copied.contentFingerprint, manifest.contentFingerprint)
        // The copy is the Megatron dataset Megatron's writer makes of the same documents.
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.file("copy.idx/tokens.bin"))),
                       try Data(contentsOf: URL(fileURLWithPath: input + ".bin")))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.file("copy.idx/tokens.idx"))),
                       try Data(contentsOf: URL(fileURLWithPath: input + ".idx")))
    }

    func testPackedMegatronInputIsCopied() throws {
        let docs = documents(50)
        let manifest = try build([try megatron(docs) + ".idx"], out: dir.file("packed.idx"), pack: 16)
        XCTAssertNil(manifest.inputs[0].tokenFile)
        XCTAssertEqual(manifest.tokenStore?.files.count, 1)
        let stream: [UInt32] = docs.flatMap { $0 + [999] }
        let expected: [[UInt32]] = stride(from: 0, to: stream.count - 16, by: 16).map { Array(stream[$0..<($0 + 17)]) }
        XCTAssertEqual(try samples(dir.file("packed.idx")), expected)
    }

    func testAChangedReferencedInputIsRefusedNamingTheFile() throws {
        // ~1.2 MB of tokens: larger than the 2 × 64 KiB the fingerprint hashes.
        let docs = documents(30_000)
        let input = try megatron(docs)
        _ = try build([input + ".idx"], out: dir.file("ref.idx"))
        XCTAssertEqual(try samples(dir.file("ref.idx")).count, docs.count)
        let bin = try PosixFile(path: input + ".bin", mode: .update)
        let size = try XCTUnwrap(bin.size)
        func flip(at offset: Int) throws {
            var byte: [UInt8] = [0]
            _ = try byte.withUnsafeMutableBytes { try bin.read(at: offset, into: $0) }
            byte[0] ^= 0x01
            try byte.withUnsafeBytes { try bin.write(at: offset, $0) }
        }
        // The last document changed: the fingerprint sees it at open.
        try flip(at: size - 2)
        XCTAssertThrowsError(try IndexReader(path: dir.file("ref.idx"))) { error in
            XCTAssertTrue("\(error)".contains("reads its tokens from \(input).bin/.idx, which changed since the index was built"), "\(error)")
            XCTAssertTrue("\(error)".contains("its fingerprint is"), "\(error)")
        }
        try flip(at: size - 2)
        XCTAssertNoThrow(try IndexReader(path: dir.file("ref.idx")))
        // A document in the middle: the chunk's checksum catches it when the sample is read.
        try flip(at: size / 2)
        let reader = try IndexReader(path: dir.file("ref.idx"))
        XCTAssertThrowsError(try reader.forEach(in: 0..<reader.sampleCount, tokens: true) { _, _, _, _ in }) { error in
            XCTAssertTrue("\(error)".contains("database 'samples' chunk"), "\(error)")
            XCTAssertTrue("\(error)".contains("does not match its checksum"), "\(error)")
            XCTAssertTrue("\(error)".contains(input), "\(error)")
        }
        try flip(at: size / 2)
        // A longer file: refused by size.
        try [UInt8](repeating: 0, count: 2).withUnsafeBytes { try bin.write(at: size, $0) }
        XCTAssertThrowsError(try IndexReader(path: dir.file("ref.idx"))) { error in
            XCTAssertTrue("\(error)".contains(".bin/.idx are \(size + 2)/"), "\(error)")
        }
    }

    func testBytesWrittenPastTheLastCommitAreCutOnResume() throws {
        let docs = documents(200)
        let input = try megatron(docs)
        let full = try build([input + ".idx"], out: dir.file("full.idx"), copy: true)
        struct Killed: Error {}
        let out = dir.file("cut.idx")
        XCTAssertThrowsError(try build([input + ".idx"], out: out, copy: true) { if $0 == 3 { throw Killed() } })
        // What a process killed between writing a batch's tokens and committing it leaves behind.
        let committed = try fileSize(out + "/tokens.bin")
        for name in ["tokens.bin", "tokens.sizes"] {
            let file = try PosixFile(path: out + "/" + name, mode: .update)
            // More than the rest of the build writes, so positioned writes alone would not cover it.
            try [UInt8](repeating: 0xAB, count: 1 << 20).withUnsafeBytes { try file.write(at: file.size ?? 0, $0) }
        }
        XCTAssertThrowsError(try IndexReader(path: out))
        let resumed = try build([input + ".idx"], out: out, copy: true, mode: .resume)
        XCTAssertEqual(resumed.counts, full.counts)
        XCTAssertEqual(try tableDump(out), try tableDump(dir.file("full.idx")))
        XCTAssertGreaterThan(committed, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/tokens.sizes"), "the sizes file goes once tokens.idx is written")
    }

    func testATokenFileShorterThanTheLastCommitIsNotResumed() throws {
        let input = try megatron(documents(200))
        let out = dir.file("short.idx")
        struct Killed: Error {}
        XCTAssertThrowsError(try build([input + ".idx"], out: out, copy: true) { if $0 == 3 { throw Killed() } })
        let committed = try fileSize(out + "/tokens.bin")
        XCTAssertEqual(truncate(out + "/tokens.bin", off_t(committed - 2)), 0)
        XCTAssertThrowsError(try build([input + ".idx"], out: out, copy: true, mode: .resume)) { error in
            XCTAssertTrue("\(error)".contains("tokens.bin holds \(committed - 2) bytes, but the last committed batch recorded \(committed)"),
                          "\(error)")
        }
    }

    func testMegatronExportLinksTheOwnTokenFilesAndCopiesAReferencedInput() throws {
        let docs = documents(120)
        let input = try megatron(docs)
        _ = try build([input + ".idx"], out: dir.file("own.idx"), copy: true)
        _ = try build([input + ".idx"], out: dir.file("ref.idx"))
        func inode(_ path: String) throws -> Int {
            try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
        }
        let own = try IndexExport.megatron(indexPath: dir.file("own.idx"), outputDirectory: dir.file("own-out"))
        XCTAssertTrue(own.linked)
        XCTAssertEqual(try inode(own.prefix + ".bin"), try inode(dir.file("own.idx/tokens.bin")), "a hard link, not a copy")
        let ref = try IndexExport.megatron(indexPath: dir.file("ref.idx"), outputDirectory: dir.file("ref-out"))
        XCTAssertFalse(ref.linked)
        for prefix in [own.prefix, ref.prefix] {
            let reader = try IndexedDatasetReader(prefix: prefix, codeTable: .megatron)
            XCTAssertEqual(try reader.allItems().map { $0.map(UInt32.init) }, docs)
        }
    }

    func testAChunkThatStartsInsideA8192BlockIsCheckedBeforeItsFirstSampleIsUsed() throws {
        // Two inputs: token chunks [0, 2000) and [2000, 8000), cut per segment (one per input);
        // ~80 KB and ~240 KB of tokens, so sample 2100 lies outside the fingerprint's head and tail.
        let first = try megatron(documents(2000, seed: 1), name: "a"), second = try megatron(documents(6000, seed: 2), name: "b")
        _ = try build([first + ".idx", second + ".idx"], out: dir.file("two.idx"), copy: true)
        let reader = try IndexReader(path: dir.file("two.idx"))
        XCTAssertEqual(reader.tokens.chunkCount, 2)
        XCTAssertEqual(reader.tokens.samples(ofChunk: 1), 2000..<8000)
        // Damage sample 2100's first token in tokens.bin.
        let offset = try reader.tokens.withRawTokens(2100) { raw, _ in raw.baseAddress! } - reader.tokens.withRawTokens(0) { raw, _ in raw.baseAddress! }
        let bin = try PosixFile(path: dir.file("two.idx/tokens.bin"), mode: .update)
        try [UInt8]([0x55]).withUnsafeBytes { try bin.write(at: offset, $0) }
        let fresh = try IndexReader(path: dir.file("two.idx"))
        XCTAssertThrowsError(try fresh.forEach(in: 0..<2200, tokens: true) { _, _, _, _ in }) { error in
            XCTAssertTrue("\(error)".contains("chunk 1 (entries 2000..<8000) does not match its checksum"), "\(error)")
        }
    }
}
