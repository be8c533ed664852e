// Tokenize.swift — `gradus tokenize`: text on stdin to ids on stdout (one document per line), or
// ids back to text with `--decode`.

import ArgumentParser
import Corpus
import Storage

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize standard input (plain, zstd or gzip), one document per line; print space-separated ids (or text with --decode).",
        discussion: """
        Examples:
          echo "Hello, world" | gradus tokenize --tokenizer corpora/tokenizer.json
          echo "15496 11 995" | gradus tokenize --tokenizer corpora/tokenizer.json \\
            --decode
          printf 'MKTAYIAK\\n' | gradus tokenize --tokenizer residues
        """
    )

    @Option(help: "`bytes`, `residues` or the path of a Hugging Face tokenizer.json.")
    var tokenizer = "bytes"

    @Flag(help: "Read space-separated ids, print the text.")
    var decode = false

    @Option(help: "Longest input line accepted, in bytes (default 268435456 = 256 MiB).")
    var maxRecordBytes = LineReader.defaultMaxLineBytes

    func validate() throws {
        if maxRecordBytes < 1 { throw ValidationError("--max-record-bytes must be at least 1") }
    }

    func run() throws {
        let tok = try TokenizerLoader.load(tokenizer)
        let encoder = tok.makeEncoder()
        let out = StandardOutput()
        var ids: [TokenID] = []
        // Standard input may be zstd or gzip (detected by magic, issue 15 item 2).
        let lines = LineReader(source: try openInput(path: "-").source, maxLineBytes: maxRecordBytes)
        while let next = try nextLine(lines) {
            let line = next.bytes, number = next.number
            if decode {
                try out.write(tok.decode(parseIDs(line, line: number)))
            } else {
                guard let text = String(validating: line, as: UTF8.self) else {
                    throw InputError("stdin:\(number): the line is not valid UTF-8")
                }
                ids.removeAll(keepingCapacity: true)
                var copy = text
                try copy.withUTF8 { try encoder.encode($0, into: &ids) }
                try out.write(ids.lazy.map(String.init).joined(separator: " "))
            }
            try out.write("\n")
        }
        try out.flush()
    }

    /// The next line of stdin; a line over the limit is an `InputError` saying how to raise it.
    private func nextLine(_ lines: LineReader) throws -> LineReader.Line? {
        do { return try lines.next() } catch let oversized as OversizedLine {
            throw InputError("stdin:\(oversized.number): the line is longer than the limit of \(oversized.limit) bytes; raise it with --max-record-bytes N")
        }
    }

    private func parseIDs(_ line: UnsafeBufferPointer<UInt8>, line number: Int) throws -> [TokenID] {
        var ids: [TokenID] = []
        var value: UInt64 = 0
        var inNumber = false
        for (column, byte) in line.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
                inNumber = true
                if value > UInt64(TokenID.max) {
                    throw InputError("stdin:\(number):\(column + 1): token id too large")
                }
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: ","):
                if inNumber { ids.append(TokenID(value)) }
                value = 0; inNumber = false
            default:
                throw InputError("stdin:\(number):\(column + 1): expected token ids separated by spaces, found \(String(decoding: [byte], as: UTF8.self).debugDescription)")
            }
        }
        if inNumber { ids.append(TokenID(value)) }
        return ids
    }
}
