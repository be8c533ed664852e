// IndexedDatasetError.swift — every way reading or writing an MMapIndexedDataset `.bin/.idx` pair
// (spec §3.1) or exporting DeepSpeed index files (spec §4.4) can fail, each naming the file and
// the problem.

import Storage
import Support

public enum IndexedDatasetError: Error, CustomStringConvertible, Equatable {
    /// The first 9 bytes are not `MMIDIDX\0\0`.
    case notAnIndexFile(path: String, found: [UInt8])
    /// The version field is not 1.
    case unsupportedVersion(path: String, version: UInt64)
    /// The dtype byte has no meaning in the table used.
    case unknownDTypeCode(path: String, code: UInt8, table: DTypeCodeTable)
    /// The dtype byte names a floating-point type, which indexed datasets of metrics never use.
    case floatingPointDType(path: String, code: UInt8, table: DTypeCodeTable)
    /// The writer was asked for a dtype the chosen table cannot encode (e.g. uint32 for Megatron).
    case dtypeNotInTable(path: String, dtype: IndexedDatasetDType, table: DTypeCodeTable)
    /// The `.idx` is shorter or longer than its header implies.
    case indexSizeMismatch(path: String, actual: Int, expected: String)
    /// The `.bin` size differs from Σ sizes · itemsize; `hint` may suggest a code-table mix-up.
    case dataSizeMismatch(path: String, actual: Int, expected: Int, hint: String)
    /// A stored item size is negative.
    case negativeItemSize(path: String, item: Int, size: Int32)
    /// A stored pointer is not the exclusive prefix sum of sizes · itemsize.
    case inconsistentPointer(path: String, item: Int, found: Int64, expected: Int64)
    /// doc_idx is not a non-decreasing list of item numbers in [0, len].
    case invalidDocumentIndex(path: String, position: Int, value: Int64, itemCount: Int)
    /// A value does not fit the destination type (Gradus throws where DeepSpeed's C cast wraps).
    case valueOutOfRange(path: String, item: Int, value: String, dtype: String)
    /// A token id read from a token dataset is negative or above UInt32.max.
    case tokenOutOfRange(path: String, item: Int, element: Int, value: String)
    /// A token id given to a token-dataset writer is not below the vocabulary size.
    case tokenOutsideVocabulary(path: String, item: Int, element: Int, id: UInt32, vocabularySize: Int)
    /// An item has more than Int32.max elements (DeepSpeed would silently overflow its i32 size).
    case itemTooLong(path: String, item: Int, count: Int)
    /// `merge` of a file with another dtype.
    case dtypeMismatch(path: String, expected: IndexedDatasetDType, found: IndexedDatasetDType)
    /// The builder was used after `finalize`/`closeAsHelper`.
    case alreadyFinalized(path: String)
    /// A system call failed.
    case io(path: String, operation: String, reason: String)
    /// A single-value metric export was given no samples (DeepSpeed cannot fit a dtype either).
    case noSamples(metric: String)
    /// More samples than sample ids of the sort buffer can hold.
    case tooManySamples(metric: String, count: Int)
    /// A Float64 metric value that Python's `int()` would reject (NaN, ±inf) or that leaves Int64.
    case metricValueNotExportable(metric: String, sample: Int, value: Double)

    public var description: String {
        switch self {
        case let .notAnIndexFile(path, found):
            return "\(path): not an MMIDIDX file (first bytes \(hexText(found, separator: " ")), expected 4d 4d 49 44 49 44 58 00 00)"
        case let .unsupportedVersion(path, version):
            return "\(path): version \(version) not supported (only version 1 exists)"
        case let .unknownDTypeCode(path, code, table):
            return "\(path): dtype code \(code) unknown in the \(table) table (\(table.otherTablesHint))"
        case let .floatingPointDType(path, code, table):
            return "\(path): dtype code \(code) is a floating-point type in the \(table) table; only integer "
                + "dtypes are supported (\(table.otherTablesHint))"
        case let .dtypeNotInTable(path, dtype, table):
            return "\(path): the \(table) dtype table has no code for \(dtype)"
        case let .indexSizeMismatch(path, actual, expected):
            return "\(path): .idx is \(actual) bytes, header expects \(expected)"
        case let .dataSizeMismatch(path, actual, expected, hint):
            return "\(path): .bin is \(actual) bytes, index expects \(expected)" + (hint.isEmpty ? "" : " (\(hint))")
        case let .negativeItemSize(path, item, size):
            return "\(path): item \(item) has negative size \(size)"
        case let .inconsistentPointer(path, item, found, expected):
            return "\(path): pointer of item \(item) is \(found), expected \(expected) from the sizes"
        case let .invalidDocumentIndex(path, position, value, itemCount):
            return "\(path): doc_idx[\(position)] = \(value) is not a non-decreasing item number in 0...\(itemCount)"
        case let .valueOutOfRange(path, item, value, dtype):
            return "\(path): item \(item): value \(value) does not fit \(dtype)"
        case let .tokenOutOfRange(path, item, element, value):
            return "\(path): item \(item) element \(element): token id \(value) is not in 0...\(UInt32.max)"
        case let .tokenOutsideVocabulary(path, item, element, id, vocabularySize):
            return "\(path): item \(item) element \(element): token id \(id) is outside the vocabulary (size \(vocabularySize))"
        case let .itemTooLong(path, item, count):
            return "\(path): item \(item) has \(count) elements; the format stores sizes as int32"
        case let .dtypeMismatch(path, expected, found):
            return "\(path): cannot merge a \(found) dataset into a \(expected) builder"
        case let .alreadyFinalized(path):
            return "\(path): the builder was already finalized"
        case let .io(path, operation, reason):
            return "\(path): \(operation) failed: \(reason)"
        case let .noSamples(metric):
            return "metric \(metric): no samples to export"
        case let .tooManySamples(metric, count):
            return "metric \(metric): \(count) samples exceed the supported 2^32"
        case let .metricValueNotExportable(metric, sample, value):
            return "metric \(metric): sample \(sample) has value \(value), which cannot be truncated to int64"
        }
    }

    /// Wraps `Storage.FileError` so callers see one error type.
    static func wrapping(_ error: FileError) -> IndexedDatasetError {
        switch error {
        case let .cannotOpen(path, reason): return .io(path: path, operation: "open", reason: reason)
        case let .readFailed(path, reason): return .io(path: path, operation: "read", reason: reason)
        case let .writeFailed(path, reason): return .io(path: path, operation: "write", reason: reason)
        case let .failed(path, operation, reason): return .io(path: path, operation: operation, reason: reason)
        }
    }
}
