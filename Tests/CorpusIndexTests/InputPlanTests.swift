// InputPlanTests.swift — cutting inputs into pieces (issue 16 item 2): cut points at record
// starts worked out by hand for JSONL, FASTA (CRLF, lone CR, a `>` inside a header) and text (a
// record longer than a piece, no final newline, paragraphs); the records of the pieces, read one
// by one, are those of the whole file for several piece sizes and seeds; multi-frame zstd cut
// between frames with records straddling the frames; single-frame zstd kept whole with a
// warning; the shard assignment; and the bytes each shard's readers read.

import Corpus
@testable import CorpusIndex
import Foundation
import Storage
import Support
import XCTest

final class InputPlanTests: TemporaryDirectoryTestCase {
    private func file(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try write(Array(text.utf8), to: p)
        return p
    }

    /// The cut offsets of a one-file plan (the starts of its pieces after the first).
    private func cuts(_ path: String, max: Int, options: ReaderOptions = ReaderOptions()) throws -> [Int] {
        let plan = try InputPlan.make(paths: [path], maxPieceBytes: max, options: options)
        return plan.pieces.dropFirst().map(\.start)
    }

    /// Every document of the whole file.
    private func wholeDocuments(_ path: String, options: ReaderOptions = ReaderOptions()) throws -> [Document] {
        let reader = try CorpusReader(path: path, options: options)
        var docs: [Document] = []
        while let d = try reader.next() { docs.append(d) }
        return docs
    }

    /// Every document of every piece, read piece by piece; checks that each piece's ordinals count
    /// from 0 and, for byte ranges, that offsets plus the piece's start are file offsets.
    private func pieceDocuments(_ path: String, _ plan: InputPlan, options: ReaderOptions = ReaderOptions()) throws -> [Document] {
        var docs: [Document] = []
        for piece in plan.pieces {
            guard let bytes = piece.bytes, let format = piece.format else {
                docs += try wholeDocuments(path, options: options); continue
            }
            let reader = try CorpusReader(path: path, piece: bytes, format: format, options: options)
            var ordinal = 0
            while var d = try reader.next() {
                XCTAssertEqual(d.record, ordinal, "record ordinals count from the piece start")
                ordinal += 1
                if piece.kind == .bytes { d.byteOffset += piece.start }
                docs.append(d)
            }
        }
        return docs
    }

    private func contents(_ docs: [Document]) -> [String] {
        docs.map { "\($0.id ?? "-")|\($0.source ?? "-")|\($0.lang ?? "-")|\($0.text)" }
    }

    // MARK: cut points by hand

    /// Six 13-byte JSONL lines: pieces of at most 26 bytes cut at 26 and 52 (candidates 26 and 52
    /// are record starts themselves); at most 20 bytes: candidates 19, 39, 58 move to the next
    /// line starts 26, 39, 65.
    func testJSONLCutsAreTheFirstRecordStartsAtOrAfterEachCandidate() throws {
        let p = try file("six.jsonl", String(repeating: "{\"text\":\"a\"}\n", count: 6))
        XCTAssertEqual(try cuts(p, max: 26), [26, 52])
        XCTAssertEqual(try cuts(p, max: 20), [26, 39, 65])
        XCTAssertEqual(try cuts(p, max: 78), [], "a file no larger than a piece stays whole")
        XCTAssertEqual(try InputPlan.make(paths: [p], maxPieceBytes: 78).pieces.map(\.kind), [.whole])
    }

    /// FASTA with CRLF, a lone CR and a `>` inside a header (bytes 0-9 `>a>b\r\nMK\r\n`, 10-16
    /// `>c\rMKV\r`, 17-22 `>d\nMA\n`): cuts only at the `>` that begin lines, 10 and 17.
    func testFASTACutsOnlyAtHeadersThatBeginLines() throws {
        let p = try file("x.fasta", ">a>b\r\nMK\r\n>c\rMKV\r>d\nMA\n")
        XCTAssertEqual(try cuts(p, max: 8), [10, 17])   // candidates 7 and 15
        XCTAssertEqual(try cuts(p, max: 2), [10, 17])   // candidate 1 scans past the `>` at 2
        XCTAssertEqual(contents(try pieceDocuments(p, InputPlan.make(paths: [p], maxPieceBytes: 2))),
                       ["a>b|a>b|-|MK", "c|c|-|MKV", "d|d|-|MA"])
    }

    /// Text lines (`short\r\n` 0-6, 30 x's and CRLF 7-38, blank lines 39 and 40-42, `end` 43-45
    /// without a final newline): every candidate lies in the long line or the blank lines, so the
    /// only cut is at `end`; the records are whole on both sides.
    func testTextRecordLongerThanAPieceMovesTheCutToTheNextRecord() throws {
        let long = String(repeating: "x", count: 30)
        let p = try file("t.txt", "short\r\n" + long + "\r\n\n  \nend")
        XCTAssertEqual(try cuts(p, max: 10), [43])
        XCTAssertEqual(contents(try pieceDocuments(p, InputPlan.make(paths: [p], maxPieceBytes: 10))),
                       ["-|-|-|short", "-|-|-|" + long, "-|-|-|end"])
    }

    /// Paragraph mode (`p1 a\np1 b\n` 0-9, blank 10, `p2\n` 11-13, blank `  \n` 14-16, `p3 a\np3 b`
    /// 17-25): candidate 5 cuts at the paragraph `p2` (11); candidate 15 starts inside the blank
    /// line 14-16, which is then not seen whole, so `p3` (17) is not a cut.
    func testParagraphCutsNeedAWholeBlankLineBefore() throws {
        let p = try file("p.txt", "p1 a\np1 b\n\np2\n  \np3 a\np3 b")
        let options = ReaderOptions(paragraphs: true)
        XCTAssertEqual(try cuts(p, max: 6, options: options), [11])
        XCTAssertEqual(contents(try pieceDocuments(p, InputPlan.make(paths: [p], maxPieceBytes: 6, options: options), options: options)),
                       ["-|-|-|p1 a\np1 b", "-|-|-|p2", "-|-|-|p3 a\np3 b"])
    }

    /// A first piece of only blank lines is joined to the next, so every piece holds a record.
    func testFirstPieceOfBlankLinesJoinsTheNext() throws {
        let p = try file("b.txt", String(repeating: " \n", count: 20) + "one\ntwo\n")
        let plan = try InputPlan.make(paths: [p], maxPieceBytes: 10)
        XCTAssertEqual(plan.pieces.first?.start, 0)
        XCTAssertGreaterThan(plan.pieces.first?.end ?? 0, 40, "the piece reaches the first record, at byte 40")
        XCTAssertEqual(contents(try pieceDocuments(p, plan)), ["-|-|-|one", "-|-|-|two"])
    }

    /// A byte order mark is dropped at the start of the file only: a piece that starts with a
    /// line beginning with one keeps it, as the whole file's reader does.
    func testByteOrderMarkIsKeptAtTheStartOfALaterPiece() throws {
        let p = try file("bom.txt", "\u{FEFF}first\n\u{FEFF}second\n")
        let plan = try InputPlan.make(paths: [p], maxPieceBytes: 9)
        XCTAssertEqual(plan.pieces.map(\.start), [0, 9])
        XCTAssertEqual(contents(try pieceDocuments(p, plan)), ["-|-|-|first", "-|-|-|\u{FEFF}second"])
    }

    /// A bad record in a later piece is reported with the piece named, since its line and record
    /// numbers count from the piece: the bad line at byte 52 is line 1, record 0 of the piece from
    /// byte 52.
    func testErrorsInAPieceNameThePiece() throws {
        let p = try file("bad.jsonl", String(repeating: "{\"text\":\"a\"}\n", count: 4) + "{\"text\":\"a\"]\n" + "{\"text\":\"a\"}\n")
        let plan = try InputPlan.make(paths: [p], maxPieceBytes: 26)
        XCTAssertEqual(plan.pieces.map(\.start), [0, 26, 52])
        let source = try InputSources.open(piece: plan.pieces[1], path: p, options: ReaderOptions())
        var record = SourceRecord(), tokens: [TokenID] = []
        while try source.next(into: &record, appendingTokensTo: &tokens) {}
        XCTAssertThrowsError(try InputSources.open(piece: plan.pieces[2], path: p, options: ReaderOptions())) { error in
            XCTAssertTrue("\(error)".hasPrefix(p + " (piece from byte 52):1: record 0: "), "\(error)")
        }
    }

    // MARK: union of pieces = whole file

    /// Seeded corpora of the three formats, with blank lines, CRLF (and lone CR for FASTA), long
    /// records and files with or without a final newline: for every piece size, reading piece by
    /// piece gives the whole file's records, in order, with the whole file's byte offsets.
    func testPiecesTogetherReadTheWholeFileForSeveralSizesAndSeeds() throws {
        for seed in UInt64(1)...4 {
            var rng = SplitMix64(seed: seed)
            for (name, text, options) in [("c.jsonl", jsonl(&rng), ReaderOptions()), ("c.fasta", fasta(&rng), ReaderOptions()),
                                          ("c.txt", plainText(&rng), ReaderOptions()),
                                          ("p.txt", plainText(&rng), ReaderOptions(paragraphs: true))] {
                let p = try file("\(seed)-" + name, text)
                let whole = try wholeDocuments(p, options: options)
                XCTAssertGreaterThan(whole.count, 1)
                for max in [1, 7, 64, 257, text.utf8.count / 3, text.utf8.count + 1] {
                    let plan = try InputPlan.make(paths: [p], maxPieceBytes: max, options: options)
                    XCTAssertEqual(plan.pieces.first?.start, 0)
                    XCTAssertEqual(plan.pieces.last?.end, text.utf8.count)
                    XCTAssertEqual(zip(plan.pieces, plan.pieces.dropFirst()).filter { $0.end != $1.start }.count, 0, "pieces are contiguous")
                    let pieces = try pieceDocuments(p, plan, options: options)
                    XCTAssertEqual(contents(pieces), contents(whole), "seed \(seed) \(name) max \(max)")
                    if plan.pieces.count > 1 { XCTAssertEqual(pieces.map(\.byteOffset), whole.map(\.byteOffset), "seed \(seed) \(name) max \(max)") }
                }
            }
        }
    }

    private func words(_ rng: inout SplitMix64, _ count: Int) -> String {
        (0..<count).map { _ in ["alpha", "beta", "γάμμα", "delta", "中文", "x"][Int(rng.nextInt(below: 6))] }.joined(separator: " ")
    }

    private func jsonl(_ rng: inout SplitMix64) -> String {
        var out = "", eol = rng.nextInt(below: 2) == 0 ? "\n" : "\r\n"
        for i in 0..<(8 + Int(rng.nextInt(below: 8))) {
            if rng.nextInt(below: 4) == 0 { out += [" ", "", "\t"][Int(rng.nextInt(below: 3))] + eol }
            out += "{\"id\": \"r\(i)\", \"text\": \"\(words(&rng, 1 + Int(rng.nextInt(below: rng.nextInt(below: 5) == 0 ? 60 : 8))))\", \"lang\": \"en\"}" + eol
        }
        return rng.nextInt(below: 2) == 0 ? out : String(out.dropLast(eol.count == 2 ? 1 : 1))
    }

    private func fasta(_ rng: inout SplitMix64) -> String {
        let eol = ["\n", "\r\n", "\r"][Int(rng.nextInt(below: 3))]
        var out = ""
        for i in 0..<(6 + Int(rng.nextInt(below: 6))) {
            out += ">sp|P\(i)| protein \(i)>x" + eol
            for _ in 0..<(1 + Int(rng.nextInt(below: rng.nextInt(below: 5) == 0 ? 12 : 3))) {
                out += String((0..<(1 + Int(rng.nextInt(below: 30)))).map { _ in Array("ACDEFGHIKLMNPQRSTVWY")[Int(rng.nextInt(below: 20))] }) + eol
                if rng.nextInt(below: 6) == 0 { out += eol }
            }
        }
        return rng.nextInt(below: 2) == 0 ? out : String(out.dropLast())
    }

    private func plainText(_ rng: inout SplitMix64) -> String {
        let eol = rng.nextInt(below: 2) == 0 ? "\n" : "\r\n"
        var out = ""
        for _ in 0..<(10 + Int(rng.nextInt(below: 10))) {
            switch rng.nextInt(below: 5) {
            case 0: out += eol
            case 1: out += "  " + eol
            default: out += words(&rng, 1 + Int(rng.nextInt(below: rng.nextInt(below: 5) == 0 ? 80 : 10))) + eol
            }
        }
        return rng.nextInt(below: 2) == 0 ? out : String(out.dropLast())
    }

    // MARK: zstd

    /// `text` compressed into frames that end every `frameBytes` decompressed bytes, wherever that
    /// falls (mid-line, as `pzstd` cuts), in `path` (`close` adds an empty last frame).
    private func framed(_ text: String, frameBytes: Int, to path: String) throws {
        let sink = try ZstdCompressingSink(path: path)
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: frameBytes) {
            try sink.write(Array(bytes[start..<min(bytes.count, start + frameBytes)]))
            try sink.endFrame()
        }
        try sink.close()
    }

    /// A multi-frame zstd JSONL whose frames end mid-record: cut into runs of whole frames; the
    /// pieces together read the whole file's records, for several piece sizes and seeds.
    func testMultiFrameZstdIsCutBetweenFramesAndRecordsStraddlingThemAreReadOnce() throws {
        for seed in UInt64(1)...3 {
            var rng = SplitMix64(seed: seed)
            let text = (0..<6).map { _ in jsonl(&rng) + "\n" }.joined()
            let p = path("\(seed).jsonl.zst")
            try framed(text, frameBytes: 97 + Int(seed) * 31, to: p)
            let size = try bytes(p).count
            let whole = try wholeDocuments(p)
            for max in [1, size / 7, size / 2] {
                let plan = try InputPlan.make(paths: [p], maxPieceBytes: max)
                XCTAssertGreaterThan(plan.pieces.count, 1)
                XCTAssertEqual(Set(plan.pieces.map(\.kind)), [.frames])
                XCTAssertEqual(plan.pieces.first?.skip, 0)
                XCTAssertEqual(plan.pieces.last?.tail, 0)
                XCTAssertEqual(zip(plan.pieces, plan.pieces.dropFirst()).filter { $0.tail != $1.skip || $0.end != $1.start }.count, 0)
                XCTAssertEqual(contents(try pieceDocuments(p, plan)), contents(whole), "seed \(seed) max \(max)")
            }
        }
    }

    /// A frame larger than several pieces ends one piece; the candidates inside it give no more
    /// cuts. Frames: a small one, one of ~3 000 incompressible bytes, then ten small ones of two
    /// lines each (and the empty one `close` adds); pieces of at most a third of the file: every
    /// candidate lies in the big frame, so the only cut is at the frame after it (frame 2), one
    /// line into it (13 bytes, its first line belongs to the previous piece).
    func testAFrameSpanningCandidatesGivesOneCut() throws {
        var rng = SplitMix64(seed: 3)
        let noise = String((0..<4000).map { _ in Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")[Int(rng.nextInt(below: 62))] })
        let small = "{\"text\":\"s\"}\n{\"text\":\"t\"}\n"
        let p = path("big-frame.jsonl.zst")
        let sink = try ZstdCompressingSink(path: p)
        for text in [small, "{\"text\":\"\(noise)\"}\n"] + Array(repeating: small, count: 10) {
            try sink.write(Array(text.utf8)); try sink.endFrame()
        }
        try sink.close()
        let size = try bytes(p).count
        let frames = try ZstdFrameTable.read(path: p)
        XCTAssertGreaterThan(frames[1].size, size * 2 / 3, "the noise frame is most of the file")
        let plan = try InputPlan.make(paths: [p], maxPieceBytes: size / 3 + 1)
        XCTAssertEqual(plan.pieces.map(\.firstFrame), [0, 2])
        XCTAssertEqual(plan.pieces.map(\.skip), [0, 13])
        XCTAssertEqual(contents(try pieceDocuments(p, plan)), contents(try wholeDocuments(p)))
    }

    /// `pzstd` output (a skippable frame before each frame) is cut too, when the tool is present.
    func testPzstdOutputIsCutIntoPieces() throws {
        guard let pzstd = ["/usr/bin/pzstd", "/usr/local/bin/pzstd"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("pzstd is not installed")
        }
        var rng = SplitMix64(seed: 9)
        let text = (0..<3000).map { _ in jsonl(&rng) + "\n" }.joined()
        let plain = try file("big.jsonl", text)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pzstd)
        process.arguments = ["-q", "-f", "-p", "2", "-1", plain, "-o", plain + ".zst"]
        try process.run(); process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let frames = try ZstdFrameTable.read(path: plain + ".zst")
        try XCTSkipIf(frames.filter { !$0.isSkippable }.count < 2, "this pzstd wrote one frame")
        XCTAssertTrue(frames[0].isSkippable)
        // The frame sizes pzstd records are those the block headers give, and save reading them.
        let file = try PosixFile(path: plain + ".zst", mode: .read)
        var hinted = 0, walked = 0
        XCTAssertEqual(try ZstdFrameTable.read(file, size: file.size!, bytesRead: &hinted),
                       try ZstdFrameTable.read(file, size: file.size!, bytesRead: &walked, usesSizeHints: false))
        XCTAssertLessThan(hinted, walked)
        let plan = try InputPlan.make(paths: [plain + ".zst"], maxPieceBytes: 1)
        XCTAssertEqual(plan.pieces.count, frames.filter { !$0.isSkippable }.count)
        XCTAssertEqual(contents(try pieceDocuments(plain + ".zst", plan)), contents(try wholeDocuments(plain)))
    }

    /// A single-frame zstd file larger than a piece stays whole, with a warning naming it and
    /// saying how to recompress it in frames; gzip likewise.
    func testSingleFrameZstdAndGzipStayWholeWithAWarning() throws {
        let text = String(repeating: "{\"text\": \"alpha beta\"}\n", count: 200)
        let z = path("one.jsonl.zst")
        try write(try Zstd.compress(Array(text.utf8)), to: z)
        let g = path("one.jsonl.gz")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(try file("one.jsonl", text))' > '\(g)'"]
        try gzip.run(); gzip.waitUntilExit()
        let plan = try InputPlan.make(paths: [z, g], maxPieceBytes: 16)
        XCTAssertEqual(plan.pieces.map(\.kind), [.whole, .whole])
        XCTAssertEqual(plan.pieces.map(\.size), [try bytes(z).count, try bytes(g).count])
        XCTAssertEqual(plan.warnings.count, 2)
        XCTAssertTrue(plan.warnings[0].hasPrefix(z + ": a single-frame zstd file cannot be cut"), plan.warnings[0])
        XCTAssertTrue(plan.warnings[0].contains("pzstd"), plan.warnings[0])
        XCTAssertTrue(plan.warnings[1].hasPrefix(g + ": a gzip file cannot be cut"), plan.warnings[1])
    }

    /// A FIFO is planned whole without being opened (opening it would wait for a writer; closing
    /// it again could end the writer with SIGPIPE), as are standard input and a missing size.
    func testFIFOIsPlannedWholeWithoutOpeningIt() throws {
        let fifo = path("fifo.jsonl")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var plan: InputPlan?
        DispatchQueue.global().async {
            plan = try? InputPlan.make(paths: ["-", fifo], maxPieceBytes: 1)
            done.signal()
        }
        if done.wait(timeout: .now() + 5) == .timedOut {
            XCTFail("planning opened the FIFO and waits for a writer")
            let writer = open(fifo, O_WRONLY)  // let the planner go on
            close(writer)
            done.wait()
        }
        XCTAssertEqual(plan?.pieces, [InputPiece.whole(0, size: 0), InputPiece.whole(1, size: 0)])
    }

    // MARK: assignment

    /// Sizes 5, 3, 8, 2, 7 on two shards, by hand: 8→0, 7→1, 5→1 (7 < 8), 3→0 (8 < 12),
    /// 2→0 (11 < 12): shard 0 reads pieces 1, 2, 3 and shard 1 pieces 0, 4, in corpus order.
    func testAssignmentIsLongestFirstToTheLeastLoadedShard() {
        let pieces = [5, 3, 8, 2, 7].enumerated().map { InputPiece.whole($0.offset, size: $0.element) }
        XCTAssertEqual(InputPlan.assign(pieces: pieces, shards: 2), [[1, 2, 3], [0, 4]])
        XCTAssertEqual(InputPlan.assign(pieces: pieces, shards: 1), [[0, 1, 2, 3, 4]])
        XCTAssertEqual(InputPlan.assign(pieces: pieces, shards: 7), [[2], [4], [0], [1], [3], [], []])
    }

    /// Random sizes: every piece once, each shard's pieces in order, the same answer twice, and
    /// the largest load at most the smallest plus the largest piece.
    func testAssignmentIsDeterministicAndBalanced() {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<50 {
            let pieces = (0..<(1 + Int(rng.nextInt(below: 40)))).map { InputPiece.whole($0, size: Int(rng.nextInt(below: 1000))) }
            let shards = 1 + Int(rng.nextInt(below: 9))
            let assigned = InputPlan.assign(pieces: pieces, shards: shards)
            XCTAssertEqual(assigned, InputPlan.assign(pieces: pieces, shards: shards))
            XCTAssertEqual(assigned.flatMap { $0 }.sorted(), Array(pieces.indices))
            XCTAssertTrue(assigned.allSatisfy { $0 == $0.sorted() })
            let loads = assigned.map { $0.reduce(0) { $0 + pieces[$1].size } }
            XCTAssertLessThanOrEqual(loads.max()!, loads.min()! + pieces.map(\.size).max()!)
        }
    }

    // MARK: bytes read

    /// Three shards over a plain JSONL file and a multi-frame zstd one: each shard's readers read
    /// exactly its pieces' on-disk bytes, the shards together each file once, and the plan read a
    /// few KiB per cut.
    func testEachShardReadsOnlyItsPiecesBytes() throws {
        var rng = SplitMix64(seed: 11)
        let text = (0..<40).map { _ in jsonl(&rng) + "\n" }.joined()
        let plain = try file("a.jsonl", text)
        let zstd = path("b.jsonl.zst")
        try framed(text, frameBytes: 1000, to: zstd)
        let sizes = [text.utf8.count, try bytes(zstd).count]
        let plan = try InputPlan.make(paths: [plain, zstd], maxPieceBytes: 2048)
        XCTAssertGreaterThan(plan.pieces.count, 6)
        let cutsCount = plan.pieces.count - 2
        XCTAssertLessThan(plan.bytesProbed, 64 << 10 + cutsCount * (20 << 10), "format sniffing, frame headers and probing only")
        XCTAssertEqual(try JSONDecoder().decode(InputPlan.self, from: JSONEncoder().encode(plan)), plan, "a manifest can record it")
        let shards = InputPlan.assign(pieces: plan.pieces, shards: 3)
        var perFile = [0, 0]
        var records = 0
        for shard in shards {
            var read = 0
            for index in shard {
                let piece = plan.pieces[index]
                let source = try InputSources.open(piece: piece, path: [plain, zstd][piece.input], options: ReaderOptions())
                var record = SourceRecord(), tokens: [TokenID] = []
                while try source.next(into: &record, appendingTokensTo: &tokens) { records += 1 }
                let tracker = try XCTUnwrap(source.tracker)
                XCTAssertEqual(tracker.bytesRead, piece.size)
                XCTAssertEqual(tracker.range, piece.start..<piece.end)
                read += tracker.bytesRead
                perFile[piece.input] += tracker.bytesRead
            }
            XCTAssertEqual(read, shard.reduce(0) { $0 + plan.pieces[$1].size })
        }
        XCTAssertEqual(perFile, sizes)
        XCTAssertEqual(records, 2 * (try wholeDocuments(plain).count))
    }
}
