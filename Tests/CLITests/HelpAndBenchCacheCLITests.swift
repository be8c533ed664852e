// HelpAndBenchCacheCLITests.swift — two promises to the user (issue 12, smaller truths): every
// `configs/*.json` an `--help` text names ships with the repository, and `gradus bench sampler
// --cache DIR` never deletes a directory it did not create.

import Foundation
import XCTest

final class HelpAndBenchCacheCLITests: XCTestCase {
    /// The subcommand paths under `path` (e.g. ["bench", "sampler"]), read from the SUBCOMMANDS
    /// section of each `--help` (a name indented by two spaces; wrapped abstracts are indented
    /// further), depth first.
    private func subcommands(under path: [String]) throws -> [[String]] {
        let help = try gradus(path + ["--help"])
        XCTAssertEqual(help.status, 0, "\(path): \(help.stderr)")
        guard path.count < 3, help.status == 0,
              let section = help.stdout.components(separatedBy: "SUBCOMMANDS:").dropFirst().first else { return [] }
        let entry = try NSRegularExpression(pattern: "^  ([a-z][a-z0-9-]*) ", options: .anchorsMatchLines)
        let names = entry.matches(in: section, range: NSRange(section.startIndex..., in: section))
            .map { String(section[Range($0.range(at: 1), in: section)!]) }
        return try names.flatMap { [path + [$0]] + (try subcommands(under: path + [$0])) }
    }

    func testHelpExamplesNameConfigsThatExist() throws {
        let commands = try subcommands(under: [])
        for expected in [["schedule"], ["batches"], ["train"], ["experiment"], ["bench", "sampler"], ["bench", "ltd"]] {
            XCTAssertTrue(commands.contains(expected), "\(expected) missing from \(commands)")
        }
        let pattern = try NSRegularExpression(pattern: "configs/[A-Za-z0-9_./-]+\\.json")
        var named = 0
        for command in [[]] + commands {
            let text = try gradus(command + ["--help"]).stdout
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let path = String(text[Range(match.range, in: text)!])
                named += 1
                XCTAssertTrue(FileManager.default.fileExists(atPath: repoRoot.appendingPathComponent(path).path),
                              "`gradus \(command.joined(separator: " ")) --help` names \(path), which does not exist")
            }
        }
        XCTAssertGreaterThan(named, 5, "the help texts name the shipped configs in their examples")
    }

    func testBenchSamplerCacheNeverDeletesWhatItDidNotCreate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bench = ["bench", "sampler", "--samples", "200", "--steps", "2", "--batch", "8", "--modes", "percentile"]

        // A user's directory: refused with a message, its file untouched.
        let user = dir.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: user, withIntermediateDirectories: true)
        let file = user.appendingPathComponent("notes.txt")
        try "keep me".write(to: file, atomically: true, encoding: .utf8)
        let refused = try gradus(bench + ["--cache", user.path])
        XCTAssertNotEqual(refused.status, 0, refused.stdout)
        XCTAssertTrue(refused.stderr.contains("\(user.path) exists but is not a benchmark index"), refused.stderr)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "keep me")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: user.path), ["notes.txt"])

        // A missing directory: created and built, then reused by the next run of the same size.
        let cache = dir.appendingPathComponent("cache.idx").path
        let built = try gradus(bench + ["--cache", cache])
        XCTAssertEqual(built.status, 0, built.stderr)
        XCTAssertTrue(built.stderr.contains("built \(cache) (200 samples"), built.stderr)
        let reused = try gradus(bench + ["--cache", cache])
        XCTAssertEqual(reused.status, 0, reused.stderr)
        XCTAssertTrue(reused.stderr.contains("reused \(cache) (200 samples"), reused.stderr)

        // The benchmark index of another size is refused too, not replaced: it still opens.
        let other = try gradus(["bench", "sampler", "--samples", "300", "--steps", "2", "--batch", "8", "--cache", cache])
        XCTAssertNotEqual(other.status, 0, other.stdout)
        XCTAssertTrue(other.stderr.contains("not a benchmark index of 300 samples"), other.stderr)
        let info = try gradus(["info", cache, "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("\"samples\":200"), info.stdout)
    }
}
