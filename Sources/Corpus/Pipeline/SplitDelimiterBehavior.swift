// SplitDelimiterBehavior.swift — what a splitting pre-tokenizer does with the characters it splits
// on (`behavior` in a tokenizer.json: `Punctuation`, `Digits`, `Split`; `tokenizers`'
// `SplitDelimiterBehavior` and `NormalizedString::split`), and the split itself for a per-scalar
// predicate (issue 15 item 1).

import Support

/// The `behavior` of a splitting pre-tokenizer. For `"the-final--countdown"` split on `-`:
/// `removed` → the, final, countdown; `isolated` → the, -, final, -, -, countdown;
/// `mergedWithPrevious` → the-, final-, -, countdown; `mergedWithNext` → the, -final, -, -countdown;
/// `contiguous` → the, -, final, --, countdown.
enum SplitDelimiterBehavior: String, Sendable, CaseIterable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"
}

extension SplitDelimiterBehavior {
    /// The `behavior` of the step object `json` at `keyPath`, nil when absent.
    /// - Throws: `invalidDefinition` naming the key when it is not one of the five names.
    init?(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        guard let name = try file.string(json, "behavior", at: keyPath, default: nil) else { return nil }
        guard let behavior = SplitDelimiterBehavior(rawValue: name) else {
            let names = SplitDelimiterBehavior.allCases.map(\.rawValue).joined(separator: ", ")
            throw file.problem("`\(keyPath).behavior` is \(name.debugDescription); supported: \(names)")
        }
        self = behavior
    }
}

extension SplitDelimiterBehavior {
    /// The left-to-right form of `NormalizedString::split`'s folds (the `MergedWithNext` one,
    /// which HF runs right to left, puts a boundary between two elements exactly when the left one
    /// is not a match or the right one is, so it streams too). Elements (matches and the runs
    /// between them, in order) go in with `add`; each call returns the piece it completes, if
    /// any, and `finish` the last one. Empty pieces are never returned (HF drops them).
    struct Fold {
        let behavior: SplitDelimiterBehavior
        var pending: Range<Int>?
        var previousIsMatch = false

        init(behavior: SplitDelimiterBehavior) { self.behavior = behavior }

        mutating func add(_ range: Range<Int>, isMatch: Bool) -> Range<Int>? {
            let joins: Bool
            switch behavior {
            case .removed: return !isMatch && !range.isEmpty ? range : nil
            case .isolated: joins = false
            case .contiguous: joins = isMatch == previousIsMatch
            case .mergedWithPrevious: joins = isMatch && !previousIsMatch
            case .mergedWithNext: joins = previousIsMatch && !isMatch
            }
            previousIsMatch = isMatch
            if joins, let open = pending {
                pending = open.lowerBound..<range.upperBound
                return nil
            }
            let done = finish()
            pending = range
            return done
        }

        /// The open piece, unless empty; closes it.
        mutating func finish() -> Range<Int>? {
            defer { pending = nil }
            guard let open = pending, !open.isEmpty else { return nil }
            return open
        }
    }
}

extension TextPiece {
    /// Splits this piece where `matches` holds for a scalar — each such scalar is one match, the
    /// runs between them the non-matches (`tokenizers`' `find_matches` for a char predicate) — and
    /// appends the pieces `behavior` makes, without empty ones, to `output`. The first piece keeps
    /// `atStart` when it starts at byte 0.
    func split(_ behavior: SplitDelimiterBehavior, into output: inout [TextPiece], where matches: (UInt32) -> Bool) {
        var fold = SplitDelimiterBehavior.Fold(behavior: behavior)
        func emit(_ range: Range<Int>?) {
            guard let range else { return }
            output.append(TextPiece(bytes: Array(bytes[range]), atStart: atStart && range.lowerBound == 0))
        }
        bytes.withUnsafeBufferPointer { buffer in
            var i = 0, runStart = 0
            while i < buffer.count {
                let (c, length) = UTF8Scalar.decode(buffer, at: i)
                if matches(c) {
                    if runStart < i { emit(fold.add(runStart..<i, isMatch: false)) }
                    emit(fold.add(i..<(i + length), isMatch: true))
                    runStart = i + length
                }
                i += length
            }
            if runStart < buffer.count { emit(fold.add(runStart..<buffer.count, isMatch: false)) }
        }
        emit(fold.finish())
    }
}
