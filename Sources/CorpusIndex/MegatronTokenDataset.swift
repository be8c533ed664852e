// MegatronTokenDataset.swift — writes tokenized samples as a Megatron document dataset
// (`<prefix>.bin/.idx`, spec §3.1, §5.1) that Megatron-DeepSpeed's GPT/BERT datasets can train on.
//
// Megatron's conventions are followed, not DeepSpeed's:
// - dtype from `best_fitting_dtype(vocab_size)`: uint16 when the vocabulary is smaller than 65 500,
//   else int32 (Megatron never writes uint32 token files);
// - the **Megatron dtype-code table**: uint16 is code 8 there, while DeepSpeed ≥ 0.13.3 reads code 8
//   as uint64 and writes uint16 as code 6, which Megatron reads as float64 (spec §3.1, quirk 20).
//   Read these files back with `IndexedDatasetReader(prefix:codeTable: .megatron)`;
// - `preprocess_data.py`'s layout: one item per sample (sentence), `end_document` after each
//   document, and a plain `finalize` (no helper, so no duplicated doc_idx tail). Megatron's GPT
//   dataset treats each item as a document; the BERT dataset groups items by doc_idx.

/// Streams token samples into a Megatron token dataset.
public final class MegatronTokenDatasetWriter {
    /// Megatron's `best_fitting_dtype`: uint16 if `vocabularySize < 65 500`, else int32.
    public static func dtype(vocabularySize: Int) -> IndexedDatasetDType {
        vocabularySize < 65_500 ? .uint16 : .int32
    }

    /// Every token id must be below this.
    public let vocabularySize: Int
    private let builder: IndexedDatasetBuilder

    /// Opens `<prefix>.bin.partial` for writing.
    /// - Precondition: `1 ≤ vocabularySize ≤ 2^31` (int32 ids).
    /// - Throws: `io` if the file cannot be created.
    public init(prefix: String, vocabularySize: Int) throws {
        precondition(vocabularySize >= 1 && vocabularySize <= Int(Int32.max) + 1, "vocabulary size out of range")
        self.vocabularySize = vocabularySize
        builder = try IndexedDatasetBuilder(prefix: prefix, dtype: Self.dtype(vocabularySize: vocabularySize),
                                            codeTable: .megatron)
    }

    /// The element type written.
    public var dtype: IndexedDatasetDType { builder.dtype }
    /// Items (samples) written so far.
    public var sampleCount: Int { builder.count }

    /// Appends one sample as one item.
    /// - Throws: `tokenOutsideVocabulary` (nothing written) for an id ≥ `vocabularySize`.
    /// - Complexity: O(tokens.count).
    public func addSample(_ tokens: UnsafeBufferPointer<UInt32>) throws {
        for (j, id) in tokens.enumerated() where Int(id) >= vocabularySize {
            throw IndexedDatasetError.tokenOutsideVocabulary(path: builder.prefix + ".bin", item: builder.count,
                                                             element: j, id: id, vocabularySize: vocabularySize)
        }
        try builder.addItem(tokens)
    }

    /// Appends one sample; see `addSample(_: UnsafeBufferPointer<UInt32>)`.
    public func addSample(_ tokens: [UInt32]) throws {
        try tokens.withUnsafeBufferPointer { try addSample($0) }
    }

    /// Ends the current document (Megatron's `end_document`).
    public func endDocument() { builder.endDocument() }

    /// A one-sample document: `addSample` then `endDocument`.
    public func addDocument(_ tokens: [UInt32]) throws {
        try addSample(tokens)
        endDocument()
    }

    /// Writes `.idx` and renames both files into place (Megatron's `finalize`, no extra doc_idx entry).
    public func finalize() throws { try builder.finalize() }
}
