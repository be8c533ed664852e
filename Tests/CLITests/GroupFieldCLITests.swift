// GroupFieldCLITests.swift — issue 17 item 2 as a user sees it: `gradus index --group-field`
// prints the groups, `gradus info` (text and --json) shows each group's samples and tokens and the
// `(none)` count, `gradus dump` each sample's groups, and FASTA input is refused as a usage error.

import Foundation
import TestSupport
import XCTest

final class GroupFieldCLITests: XCTestCase {
    /// 27 groups: l00 has 3 one-token documents, l01…l26 one each. `info` lists the 25 largest
    /// (l00 first, then by name l01…l24) and counts the other 2 (l25, l26: 2 samples, 2 tokens);
    /// `--all-groups` lists all 27.
    func testInfoListsTheLargestGroupsAndCountsTheRest() throws {
        let dir = try TemporaryDirectory("cli-many-groups", removedAfter: self).path
        let names = (0..<27).map { $0 < 10 ? "l0\($0)" : "l\($0)" }
        let records = (["l00", "l00"] + names).map { #"{"tokens":[1],"lang":"\#($0)"}"# }
        try records.joined(separator: "\n").write(toFile: dir + "/t.jsonl", atomically: true, encoding: .utf8)
        let built = try runGradus(["index", dir + "/t.jsonl", "--vocab-size", "4", "--group-field", "lang", "--out", dir + "/i"])
        XCTAssertEqual(built.status, 0, built.stderr)
        let info = try runGradus(["info", dir + "/i"])
        XCTAssertEqual(info.status, 0, info.stderr)
        let rows = info.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        let listed = rows.compactMap { row in names.first { row.hasPrefix($0 + " ") } }
        XCTAssertEqual(listed, Array(names.prefix(25)), info.stdout)
        XCTAssertTrue(rows.contains { $0.hasPrefix("l00 3 ") }, info.stdout)
        XCTAssertTrue(rows.contains("… 2 more groups: 2 samples, 2 tokens (`gradus info --all-groups` lists them)"), info.stdout)
        // Every document is one token: seqlen has one value, shown as one line instead of 20 bins.
        XCTAssertTrue(rows.contains("all 29 samples have the value 1.0"), info.stdout)
        XCTAssertFalse(rows.contains { $0.hasPrefix("1.0 0") }, info.stdout)
        let all = try runGradus(["info", dir + "/i", "--all-groups"])
        let allRows = all.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        XCTAssertEqual(allRows.compactMap { row in names.first { row.hasPrefix($0 + " ") } }, names, all.stdout)
        XCTAssertFalse(all.stdout.contains("more groups"), all.stdout)
    }

    /// Unpacked, vocabulary 10: samples are the documents. lang: en (2 + 1 tokens), fr (3),
    /// missing (1), null (4) → (none) 2 samples of 5 tokens, en 2 samples of 3, fr 1 of 3.
    func testInfoAndDumpShowTheGroups() throws {
        let dir = try TemporaryDirectory("cli-groups", removedAfter: self).path
        try [#"{"tokens":[1,2],"lang":"en"}"#, #"{"tokens":[3,4,5],"lang":"fr"}"#, #"{"tokens":[6]}"#,
             #"{"tokens":[7,8,9,1],"lang":null}"#, #"{"tokens":[2],"lang":"en"}"#]
            .joined(separator: "\n").write(toFile: dir + "/t.jsonl", atomically: true, encoding: .utf8)
        let built = try runGradus(["index", dir + "/t.jsonl", "--vocab-size", "10", "--group-field", "lang", "--out", dir + "/i"])
        XCTAssertEqual(built.status, 0, built.stderr)
        XCTAssertTrue(built.stderr.contains("groups by lang: 3") && built.stderr.contains("2 documents without a string lang"), built.stderr)

        let info = try runGradus(["info", dir + "/i"])
        XCTAssertEqual(info.status, 0, info.stderr)
        let lines = info.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        XCTAssertTrue(lines.contains("groups by lang: 3 groups; 2 documents without a string lang (group (none))"), info.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("(none) 2 40.0% 5 ") }, info.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("en 2 40.0% 3 ") }, info.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("fr 1 20.0% 3 ") }, info.stdout)

        let json = try runGradus(["info", dir + "/i", "--json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let groups = try XCTUnwrap(object["groups"] as? [[String: Any]])
        XCTAssertEqual(groups.count, 1)
        XCTAssertEqual(groups[0]["field"] as? String, "lang")
        XCTAssertEqual(groups[0]["none_documents"] as? Int, 2)
        let rows = try XCTUnwrap(groups[0]["groups"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["name"] as? String }, ["(none)", "en", "fr"])
        XCTAssertEqual(rows.map { $0["samples"] as? Int }, [2, 2, 1])
        XCTAssertEqual(rows.map { $0["tokens"] as? Int }, [5, 3, 3])

        let dump = try runGradus(["dump", dir + "/i"])
        XCTAssertEqual(dump.stdout.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).flatMap { ($0["groups"] as? [String: String])?["lang"] }
        }, ["en", "fr", "(none)", "(none)", "en"])
    }

    func testFASTAWithGroupFieldIsAUsageError() throws {
        let dir = try TemporaryDirectory("cli-groups-fasta", removedAfter: self).path
        try ">p1\nMKV\n".write(toFile: dir + "/p.fasta", atomically: true, encoding: .utf8)
        let r = try runGradus(["index", dir + "/p.fasta", "--tokenizer", "residues", "--group-field", "lang", "--out", dir + "/i"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains(dir + "/p.fasta") && r.stderr.contains("only JSONL records have fields"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/i"))
        let text = try runGradus(["index", dir + "/p.fasta", "--group-field", "text", "--out", dir + "/j"])
        XCTAssertEqual(text.status, 64, text.stderr)
        XCTAssertTrue(text.stderr.contains("--group-field text"), text.stderr)
    }
}
