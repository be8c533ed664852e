// Base64Tests.swift — the base64 decoder on RFC 4648 §10's test vectors, and the inputs the Rust
// `base64` crate's STANDARD engine (used by tokenizers for `precompiled_charsmap`) refuses.

import Support
import XCTest

final class Base64Tests: XCTestCase {
    func testRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8), encoded)
        }
        XCTAssertEqual(Base64.decode("+/+/"), [0xFB, 0xFF, 0xBF])
    }

    func testNonCanonicalInputIsRefused() {
        for bad in ["Zg", "Zg=", "Zm9", "Zh==", "Zm9=", "Z===", "Zg==Zg==", "Zm 9v", "Zm9v\n", "Zm-_", "=Zm9", "Zm=v"] {
            XCTAssertNil(Base64.decode(bad), bad)
        }
    }
}
