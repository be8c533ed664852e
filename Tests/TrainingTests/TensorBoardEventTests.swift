// TensorBoardEventTests.swift — the hand-encoded Event protobufs and their TFRecord framing
// (issue 17 item 3), against bytes from tensorboard 2.21's own `event_pb2.Event(...).SerializeToString()`
// and `RecordWriter` (the reference implementation).

import Training
import XCTest

final class TensorBoardEventTests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    func testFileVersionEventMatchesTensorBoardProtobuf() {
        // event_pb2.Event(wall_time=1700000000.5, file_version="brain.Event:2")
        XCTAssertEqual(hex(TensorBoardEvent.fileVersion(wallTime: 1_700_000_000.5)),
                       "0900002040fc54d9411a0d627261696e2e4576656e743a32")
    }

    func testScalarEventMatchesTensorBoardProtobuf() {
        // Event(wall_time=1700000001.25, step=300, summary=Summary(value=[Value(tag="Train/Samples/lr", simple_value=0.003)]))
        XCTAssertEqual(hex(TensorBoardEvent.scalar(tag: "Train/Samples/lr", value: 0.003, step: 300, wallTime: 1_700_000_001.25)),
                       "0900005040fc54d94110ac022a190a170a10547261696e2f53616d706c65732f6c7215a69b443b")
    }

    func testRecordFramingMatchesTensorBoardRecordWriter() {
        // RecordWriter(f).write(<the file_version event above>)
        let record = TensorBoardEvent.record(TensorBoardEvent.fileVersion(wallTime: 1_700_000_000.5))
        XCTAssertEqual(hex(record), "1800000000000000a37f4b22" + "0900002040fc54d9411a0d627261696e2e4576656e743a32" + "2b353110")
    }
}
