// UnicodeStandIns.swift — making the linked Oniguruma answer `\p{L}` and friends as a newer one
// would. Debian's Oniguruma (6.9.8) has Unicode 14.0 tables; the copy built into `tokenizers`
// 0.23.3 has 16.0, so a character assigned in 15.0–16.0 (U+1C89 CYRILLIC CAPITAL LETTER TJE) is a
// letter there and unassigned here. For a pattern whose only Unicode properties are general
// categories (`\p{L}`, `\p{N}`, `\w`, `\s`, ...: the Llama-3, GPT-4o and Qwen2 patterns), the
// search runs on a copy of the text where each such character is replaced by an older character
// of the same general category and the same UTF-8 length: the match positions are then those the
// newer tables give. Patterns with other properties (scripts, binary properties) are searched as
// they are.

/// Stand-ins for characters the linked Oniguruma does not know yet.
enum UnicodeStandIns {
    /// The newest Unicode version whose letters the linked Oniguruma classes as `\p{L}`, probed
    /// once with one letter of each version: 14.0 for Debian 12's libonig 6.9.8.
    static let linkedVersion: Unicode.Version = {
        let probes: [(Unicode.Version, Unicode.Scalar)] = [((16, 0), "\u{1C89}"), ((15, 1), "\u{2EBF0}"), ((15, 0), "\u{11F04}")]
        guard let letter = try? OnigurumaRegex(pattern: #"\p{L}"#, standInsThrough: nil) else { return (14, 0) }
        for (version, scalar) in probes {
            var found = false
            Array(String(scalar).utf8).withUnsafeBufferPointer { letter.forEachMatch(in: $0) { _ in found = true } }
            if found { return version }
        }
        return (14, 0)
    }()

    /// General-category names Oniguruma accepts in `\p{...}` (short and long forms).
    private static let categoryNames: Set<String> = {
        let short = ["L", "LC", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No",
                     "P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So",
                     "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Cs", "Co", "Cn", "Any"]
        let long = ["Letter", "Cased_Letter", "Uppercase_Letter", "Lowercase_Letter", "Titlecase_Letter",
                    "Modifier_Letter", "Other_Letter", "Mark", "Nonspacing_Mark", "Spacing_Mark", "Enclosing_Mark",
                    "Number", "Decimal_Number", "Letter_Number", "Other_Number", "Punctuation", "Symbol",
                    "Separator", "Other", "Control", "Format", "Unassigned", "Private_Use", "Surrogate"]
        return Set((short + long).map { $0.lowercased().replacingUnderscores() })
    }()

    /// Whether every `\p{...}`/`\P{...}` of `pattern` names a general category.
    static func usesOnlyGeneralCategories(_ pattern: String) -> Bool {
        let scalars = Array(pattern.unicodeScalars)
        var i = 0
        while i + 2 < scalars.count {
            if scalars[i] == "\\" {
                if (scalars[i + 1] == "p" || scalars[i + 1] == "P") && scalars[i + 2] == "{" {
                    var j = i + 3
                    var name = ""
                    while j < scalars.count, scalars[j] != "}" { name.unicodeScalars.append(scalars[j]); j += 1 }
                    if name.hasPrefix("^") { name.removeFirst() }
                    guard categoryNames.contains(name.lowercased().replacingUnderscores()) else { return false }
                    i = j
                } else {
                    i += 2
                    continue
                }
            }
            i += 1
        }
        return true
    }

    /// For each general category and UTF-8 length, one character assigned in Unicode 6.0 or
    /// before (found by scanning the code space once).
    private static let table: [Key: Unicode.Scalar] = {
        var table: [Key: Unicode.Scalar] = [:]
        for value in UInt32(0x80)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value), let age = scalar.properties.age, age.major <= 6 else { continue }
            let key = Key(category: scalar.properties.generalCategory, length: UTF8.width(scalar))
            if table[key] == nil { table[key] = scalar }
        }
        return table
    }()

    private struct Key: Hashable {
        var category: Unicode.GeneralCategory
        var length: Int
    }

    /// Bit `c` is set when code point `c` was assigned after `linkedVersion` and up to 16.0 (the
    /// newest version a search asks for) and has a stand-in: one bit per code point, 136 KiB,
    /// so the per-character test on the search path is a shift and a mask.
    private static let newerBits: [UInt64] = {
        var bits = [UInt64](repeating: 0, count: 0x110000 / 64)
        let linked = linkedVersion
        for value in UInt32(0x800)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value), let age = scalar.properties.age,
                  (age.major, age.minor) > (linked.major, linked.minor), (age.major, age.minor) <= (16, 0),
                  table[Key(category: scalar.properties.generalCategory, length: UTF8.width(scalar))] != nil else { continue }
            bits[Int(value >> 6)] |= 1 << UInt64(value & 63)
        }
        return bits
    }()

    /// A copy of `text` (valid UTF-8) with every character assigned after `linkedVersion` and up
    /// to `version` replaced by its stand-in (same category, same length, so byte offsets do not
    /// change); nil when there is none.
    static func substituted(_ text: UnsafeBufferPointer<UInt8>, through version: Unicode.Version) -> [UInt8]? {
        var output: [UInt8]?
        var i = 0
        while i < text.count {
            let lead = text[i]
            guard lead >= 0xE0 else { i += lead < 0x80 ? 1 : 2; continue }   // every such character is 3 or 4 bytes
            let width = lead >= 0xF0 ? 4 : 3
            guard i + width <= text.count else { break }
            var value = UInt32(lead) & (width == 4 ? 0x07 : 0x0F)
            for k in 1..<width { value = value << 6 | UInt32(text[i + k] & 0x3F) }
            if value < 0x110000, newerBits[Int(value >> 6)] & (1 << UInt64(value & 63)) != 0,
               let scalar = Unicode.Scalar(value), let age = scalar.properties.age,
               (age.major, age.minor) <= (version.major, version.minor),
               let standIn = table[Key(category: scalar.properties.generalCategory, length: width)] {
                if output == nil { output = Array(text) }
                output!.replaceSubrange(i..<(i + width), with: UTF8.encode(standIn)!)
            }
            i += width
        }
        return output
    }
}

private extension String {
    func replacingUnderscores() -> String { String(unicodeScalars.filter { $0 != "_" && $0 != " " && $0 != "-" }) }
}
