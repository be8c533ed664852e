@testable import CorpusIndex
import XCTest

/// `IndexManifest.contentFingerprint` depends on what an index holds, not on when, where or with
/// which command line it was built.
final class ManifestFingerprintTests: XCTestCase {
    private func manifest(inputs: [InputInfo], created: String = "2026-01-01T00:00:00Z",
                          commandLine: [String] = ["gradus", "index"]) -> IndexManifest {
        IndexManifest(kind: IndexKind.index,
                      tokenizer: TokenizerInfo(name: "bytes", vocabularySize: 256, fingerprint: "bytes", endOfDocumentID: nil),
                      inputs: inputs, metrics: [MetricInfo(name: "seqlen", definition: "seqlen")], pack: 64,
                      shard: nil, shardCount: nil, commandLine: commandLine, created: created, options: [:])
    }

    func testRebuildAtAnotherTimeAndPlaceHasTheSameFingerprint() {
        let a = manifest(inputs: [InputInfo(path: "/a/x.jsonl", size: 10, format: "jsonl", modified: "2026-01-01T00:00:00Z", contentHash: "xxh3:0000000000000001")])
        let b = manifest(inputs: [InputInfo(path: "/b/x.jsonl", size: 10, format: "jsonl", modified: "2026-02-02T00:00:00Z", contentHash: "xxh3:0000000000000001")],
                         created: "2026-03-03T00:00:00Z", commandLine: ["gradus", "index", "--threads", "2"])
        XCTAssertEqual(a.contentFingerprint, b.contentFingerprint)
        XCTAssertEqual(a.contentFingerprint.count, 16)
    }

    func testInputOrderContentAndCountsChangeTheFingerprint() {
        let x = InputInfo(path: "x", size: 10, format: "jsonl", contentHash: "xxh3:0000000000000001")
        let y = InputInfo(path: "y", size: 10, format: "jsonl", contentHash: "xxh3:0000000000000002")
        let base = manifest(inputs: [x, y])
        XCTAssertNotEqual(base.contentFingerprint, manifest(inputs: [y, x]).contentFingerprint)
        var edited = y
        edited.contentHash = "xxh3:0000000000000003"
        XCTAssertNotEqual(base.contentFingerprint, manifest(inputs: [x, edited]).contentFingerprint)
        var counted = base
        counted.counts.samples = 1
        XCTAssertNotEqual(base.contentFingerprint, counted.contentFingerprint)
    }
}
