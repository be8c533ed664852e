// UnicodeNormalizer.swift — the four Unicode normalization forms (NFC, NFD, NFKC, NFKD) through
// ICU's `unorm2`, on UTF-8 bytes. Foundation's String methods give the same results but ran at
// 0.4 MB/s here; ICU runs at hundreds of MB/s, and ASCII (invariant under all four forms) is
// returned without a call.

internal import CICUShim

/// One Unicode normalization form, backed by ICU (Unicode version of the installed ICU: 15.0 for
/// Debian 12's ICU 72).
///
/// ```swift
/// UnicodeNormalizer.nfkc.normalize(Array("ﬁ①".utf8))   // Array("fi1".utf8)
/// ```
public struct UnicodeNormalizer: Sendable {
    /// The forms.
    public enum Form: String, Sendable, CaseIterable { case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD" }

    public static let nfc = UnicodeNormalizer(.nfc)
    public static let nfd = UnicodeNormalizer(.nfd)
    public static let nfkc = UnicodeNormalizer(.nfkc)
    public static let nfkd = UnicodeNormalizer(.nfkd)

    /// This normalizer's form.
    public let form: Form
    /// ICU's singleton instance (owned by ICU, never freed); nil only if ICU's data is missing.
    nonisolated(unsafe) private let instance: UnsafeRawPointer?

    private init(_ form: Form) {
        self.form = form
        instance = gradus_icu_normalizer(Int32(Form.allCases.firstIndex(of: form)!))
        precondition(instance != nil, "ICU normalization data missing (libicu)")
    }

    /// `text` (valid UTF-8) in this form, as UTF-8.
    /// - Complexity: O(n); no ICU call when `text` is ASCII.
    public func normalize(_ text: [UInt8]) -> [UInt8] {
        text.withUnsafeBufferPointer { normalize($0) }
    }

    /// `text` (valid UTF-8) in this form, as UTF-8.
    public func normalize(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        if text.allSatisfy({ $0 < 0x80 }) { return Array(text) }
        return normalizeUTF16(Array(String(decoding: text, as: UTF8.self).utf16))
    }

    /// `text` in this form as a normalizer whose tables stop at Unicode `version` gives it:
    /// characters assigned later (or unassigned) are left as they are. Exact, because such a
    /// character is, for the older tables, a starter without decomposition or composition — a
    /// barrier no normalization crosses — and Unicode's stability policy never changes the
    /// normalization of a character once assigned. (`tokenizers` normalizes with Unicode 9.0
    /// tables.)
    public func normalize(_ text: [UInt8], assignedThrough version: Unicode.Version) -> [UInt8] {
        if text.allSatisfy({ $0 < 0x80 }) { return text }
        let string = String(decoding: text, as: UTF8.self)
        func isNewer(_ scalar: Unicode.Scalar) -> Bool {
            guard let age = scalar.properties.age else { return true }
            return age.major > version.major || (age.major == version.major && age.minor > version.minor)
        }
        guard string.unicodeScalars.contains(where: isNewer) else { return normalize(text) }
        var output: [UInt8] = []
        var segment = String.UnicodeScalarView()
        func flush() {
            guard !segment.isEmpty else { return }
            output += normalizeUTF16(Array(String(segment).utf16))
            segment.removeAll()
        }
        for scalar in string.unicodeScalars {
            if isNewer(scalar) {
                flush()
                output += UTF8.encode(scalar)!
            } else {
                segment.append(scalar)
            }
        }
        flush()
        return output
    }

    private func normalizeUTF16(_ source: [UInt16]) -> [UInt8] {
        // Decompositions grow a UTF-16 string by at most a factor of 18 (U+FDFA under NFKD); start
        // at 3× and let ICU say how much it needs when that is not enough.
        var capacity = max(16, source.count * 3)
        while true {
            var status: Int32 = 0
            var output = [UInt16](repeating: 0, count: capacity)
            let length = source.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    gradus_icu_normalize(instance, input.baseAddress, Int32(input.count), out.baseAddress, Int32(capacity), &status)
                }
            }
            if status == 1 { capacity = Int(length) + 1; continue }
            precondition(status == 0, "ICU normalization failed")
            return Array(String(decoding: output[0..<Int(length)], as: UTF16.self).utf8)
        }
    }
}
