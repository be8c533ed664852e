// MegatronTokenDatasetTests.swift — token datasets in Megatron's layout and code table (spec §3.1,
// §5.1), and reading pre-tokenized datasets back as documents of UInt32 ids.

import XCTest
@testable import CorpusIndex

final class MegatronTokenDatasetTests: TemporaryDirectoryTestCase {
    func testDTypeFollowsMegatronBestFittingDType() {
        XCTAssertEqual(MegatronTokenDatasetWriter.dtype(vocabularySize: 50_257), .uint16)
        XCTAssertEqual(MegatronTokenDatasetWriter.dtype(vocabularySize: 65_499), .uint16)
        XCTAssertEqual(MegatronTokenDatasetWriter.dtype(vocabularySize: 65_500), .int32)
        XCTAssertEqual(MegatronTokenDatasetWriter.dtype(vocabularySize: 250_000), .int32)
    }

    /// uint16 is written as Megatron's code 8; doc_idx has one entry per end_document, no helper tail.
    func testLayoutAndCodeByte() throws {
        let prefix = path("gpt")
        let writer = try MegatronTokenDatasetWriter(prefix: prefix, vocabularySize: 50_257)
        try writer.addDocument([10, 20, 30])
        try writer.addSample([1])
        try writer.addSample([50_256, 0])
        writer.endDocument()
        try writer.finalize()

        let idx = try bytes(prefix + ".idx")
        XCTAssertEqual(idx[17], 8)
        XCTAssertEqual(try bytes(prefix + ".bin"), hex("0a 00 14 00 1e 00 01 00 50 c4 00 00"))
        let reader = try IndexedDatasetReader(prefix: prefix, codeTable: .megatron)
        XCTAssertEqual(reader.dtype, .uint16)
        XCTAssertEqual(reader.documentIndex, [0, 1, 3])
        var documents: [[UInt32]] = []
        try reader.forEachDocument { d, tokens in
            XCTAssertEqual(d, documents.count)
            documents.append(Array(tokens))
        }
        XCTAssertEqual(documents, [[10, 20, 30], [1, 50_256, 0]])
    }

    func testInt32ForLargeVocabulary() throws {
        let prefix = path("big")
        let writer = try MegatronTokenDatasetWriter(prefix: prefix, vocabularySize: 100_000)
        try writer.addDocument([99_999, 70_000])
        try writer.finalize()
        XCTAssertEqual(try bytes(prefix + ".idx")[17], 4)
        let reader = try IndexedDatasetReader(prefix: prefix, codeTable: .megatron)
        var tokens: [UInt32] = []
        try reader.documentTokens(0, into: &tokens)
        XCTAssertEqual(tokens, [99_999, 70_000])
    }

    func testTokenOutsideVocabularyThrows() throws {
        let prefix = path("oov")
        let writer = try MegatronTokenDatasetWriter(prefix: prefix, vocabularySize: 100)
        XCTAssertThrowsError(try writer.addSample([5, 100])) { error in
            XCTAssertEqual(error as? IndexedDatasetError,
                           .tokenOutsideVocabulary(path: prefix + ".bin", item: 0, element: 1, id: 100, vocabularySize: 100))
        }
        XCTAssertEqual(writer.sampleCount, 0)
    }

    /// Negative ids (possible in an int32/int64 dataset) are rejected when read as tokens.
    func testNegativeTokenRejectedOnRead() throws {
        let prefix = path("neg")
        let builder = try IndexedDatasetBuilder(prefix: prefix, dtype: .int32, codeTable: .megatron)
        try builder.addItem([3, -1] as [Int64])
        builder.endDocument()
        try builder.finalize()
        let reader = try IndexedDatasetReader(prefix: prefix, codeTable: .megatron)
        var tokens: [UInt32] = []
        XCTAssertThrowsError(try reader.documentTokens(0, into: &tokens)) { error in
            XCTAssertEqual(error as? IndexedDatasetError,
                           .tokenOutOfRange(path: prefix + ".bin", item: 0, element: 1, value: "-1"))
        }
    }

    func testIdAboveUInt32MaxRejectedOnRead() throws {
        let prefix = path("wide")
        let builder = try IndexedDatasetBuilder(prefix: prefix, dtype: .int64)
        try builder.addItem([Int64(UInt32.max), Int64(UInt32.max) + 1])
        try builder.closeAsHelper()
        let reader = try IndexedDatasetReader(prefix: prefix)
        var tokens: [UInt32] = []
        XCTAssertThrowsError(try reader.documentTokens(0, into: &tokens))
    }

    func testMegatronTableCannotWriteUInt32() {
        XCTAssertThrowsError(try IndexedDatasetBuilder(prefix: path("x"), dtype: .uint32, codeTable: .megatron))
    }
}
