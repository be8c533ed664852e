// TextSupportTests.swift — the Oniguruma and ICU wrappers. Expected values are hand-derived from
// the Unicode tables (compatibility and canonical decompositions) and from the `onig` crate's
// `find_iter` rule, which `tokenizers` relies on.

import TextSupport
import XCTest

final class TextSupportTests: XCTestCase {
    private func matches(_ pattern: String, _ text: String) throws -> [Range<Int>] {
        let regex = try OnigurumaRegex(pattern: pattern)
        var found: [Range<Int>] = []
        Array(text.utf8).withUnsafeBufferPointer { regex.forEachMatch(in: $0) { found.append($0) } }
        return found
    }

    func testUnicodePropertyClassesAndRepetitionBounds() throws {
        XCTAssertEqual(try matches(#"\p{N}{1,3}"#, "a 12345"), [2..<5, 5..<7])
        // "héllo" is 6 bytes (é is 2): one letter run; "мир" is 6 bytes.
        XCTAssertEqual(try matches(#"\p{L}+"#, "héllo мир"), [0..<6, 7..<13])
    }

    func testAnEmptyMatchRightAfterTheLastMatchIsSkippedByOneCharacter() throws {
        // At 0 the empty match is taken; searching again at 0 finds the same empty match, which
        // ends where the last one did, so the search moves one character on and finds "aaa"; the
        // empty match at 4 ends where "aaa" ended and is skipped too.
        XCTAssertEqual(try matches("a*", "baaa"), [0..<0, 1..<4])
    }

    func testLookAroundSeesTheTextBeforeTheSearchStart() throws {
        // `\s+(?!\S)` (GPT-4/Llama-3) leaves the last space of a run for the next word.
        XCTAssertEqual(try matches(#"\s+(?!\S)|\s+"#, "a   b"), [1..<3, 3..<4])
        XCTAssertEqual(try matches("(?<=a)b", "abab"), [1..<2, 3..<4])
    }

    func testCaseInsensitiveGroupAsInTheLlama3Pattern() throws {
        XCTAssertEqual(try matches("(?i:'s|'t)", "IT'S it's"), [2..<4, 7..<9])
    }

    func testABadPatternIsAnErrorWithOnigurumasMessage() {
        XCTAssertThrowsError(try OnigurumaRegex(pattern: "(unclosed")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("(unclosed"), text)
            XCTAssertTrue(text.contains("end pattern with unmatched parenthesis"), text)
        }
    }

    func testNormalizationForms() {
        let text = Array("ﬁ①Ｈé".utf8)   // U+FB01, U+2460, U+FF28, U+00E9
        XCTAssertEqual(UnicodeNormalizer.nfkc.normalize(text), Array("fi1H\u{E9}".utf8))
        XCTAssertEqual(UnicodeNormalizer.nfkd.normalize(text), Array("fi1He\u{301}".utf8))
        XCTAssertEqual(UnicodeNormalizer.nfd.normalize(text), Array("ﬁ①Ｈe\u{301}".utf8))
        XCTAssertEqual(UnicodeNormalizer.nfc.normalize(Array("e\u{301}".utf8)), Array("\u{E9}".utf8))
        // Hangul syllables decompose to conjoining jamo under NFD (한 = U+1112 U+1161 U+11AB).
        XCTAssertEqual(UnicodeNormalizer.nfd.normalize(Array("한".utf8)), Array("\u{1112}\u{1161}\u{11AB}".utf8))
        XCTAssertEqual(UnicodeNormalizer.nfkc.normalize(Array("plain ASCII".utf8)), Array("plain ASCII".utf8))
    }

    func testALongDecompositionGrowsTheBuffer() {
        // U+FDFA decomposes under NFKD into 18 characters (ARABIC LIGATURE SALLALLAHOU ALAYHE WASALLAM).
        let out = UnicodeNormalizer.nfkd.normalize(Array(String(repeating: "\u{FDFA}", count: 3).utf8))
        XCTAssertEqual(String(decoding: out, as: UTF8.self).unicodeScalars.count, 54)
    }

    func testNewerCharactersAreStoodInOnlyForGeneralCategoryPatterns() throws {
        // Debian's libonig 6.9.8 has Unicode 14.0 tables; U+1C89 (16.0, Lu) is a letter in 16.0.
        XCTAssertEqual(try matches(#"\p{L}+"#, "a\u{1C89}b"), [0..<5])
        XCTAssertEqual(try matches(#"\p{Lu}"#, "\u{1C89}"), [0..<3])
        // A script property has no exact stand-in, so it is searched as it is: U+1C89 is Cyrillic
        // in 16.0 but unknown to the linked tables, and stays unmatched.
        XCTAssertEqual(try matches(#"\p{Cyrillic}"#, "\u{1C89}"), [])
    }
}

