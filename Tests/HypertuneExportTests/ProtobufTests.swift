import Foundation
@testable import HypertuneExport
import Testing

private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
private func bytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...($0 + 1)]), radix: 16)! }
}

typealias TB = TensorBoardProto

/// Messages whose encodings the tests derive by hand and compare with Python's protobuf.
enum SampleMessages {
    static let experiment = TB.Experiment(
        description: "Hypertune study s", timeCreatedSecs: 1_700_000_000.25,
        hparamInfos: [
            TB.HParamInfo(name: "lr", description: "{\"type\":\"float\"}", type: .float64, domain: .interval(min: 1e-5, max: 0.1)),
            TB.HParamInfo(name: "opt", type: .string, domain: .discrete([.string("adam"), .string("sgd")])),
            TB.HParamInfo(name: "flag", type: .bool, domain: .discrete([.bool(false), .bool(true)])),
            TB.HParamInfo(name: "zero", type: .float64, domain: .interval(min: 0, max: 3)),
        ],
        metricInfos: [TB.MetricInfo(tag: "value", displayName: "value (minimize)", description: "d"), TB.MetricInfo(group: "g", tag: "t")],
        name: "s")
    static let start = TB.SessionStartInfo(hparams: ["lr": .number(0.001), "opt": .string("adam"), "flag": .bool(false), "n": .number(0)],
                                           groupName: "trial-0001", startTimeSecs: 1_700_000_001.5)
    static let end = TB.SessionEndInfo(status: .failure, endTimeSecs: 1_700_000_002)
    static let events: [(String, TB.Event)] = [
        ("file_version", TB.Event(wallTime: 1_700_000_000.5, step: 0, what: .fileVersion("brain.Event:2"))),
        ("scalar", TB.Event(wallTime: 1_700_000_003, step: 7, what: .summary(TB.Summary(values: [
            TB.Summary.Value(tag: "value", metadata: nil, content: .simpleValue(0.25)),
            TB.Summary.Value(tag: "zero", metadata: nil, content: .simpleValue(0)),
        ])))),
        ("negative_step", TB.Event(wallTime: 1, step: -3, what: .summary(TB.Summary(values: [
            TB.Summary.Value(tag: "x", metadata: nil, content: .simpleValue(-1.5))])))),
        ("experiment", TB.Event(wallTime: 2, step: 0, what: .summary(TB.Summary(values: [TB.HParamsPluginData.experiment(experiment).summaryValue])))),
        ("start", TB.Event(wallTime: 3, step: 0, what: .summary(TB.Summary(values: [TB.HParamsPluginData.sessionStartInfo(start).summaryValue])))),
        ("end", TB.Event(wallTime: 4, step: 0, what: .summary(TB.Summary(values: [TB.HParamsPluginData.sessionEndInfo(end).summaryValue])))),
    ]
}

@Suite("Protocol buffers written by hand")
struct ProtobufTests {
    @Test("varints: 0, 1, 127, 128, 300, 2⁶⁴ − 1; keys; negative int64 as ten bytes")
    func varints() {
        func varint(_ x: UInt64) -> [UInt8] { ProtobufWriter.message { $0.varint(x) } }
        #expect(varint(0) == [0x00])
        #expect(varint(1) == [0x01])
        #expect(varint(127) == [0x7F])
        #expect(varint(128) == [0x80, 0x01])
        #expect(varint(300) == [0xAC, 0x02])
        #expect(varint(.max) == [UInt8](repeating: 0xFF, count: 9) + [0x01])
        // Key = field << 3 | wire type: field 2 varint = 0x10, field 5 length-delimited = 0x2A,
        // field 16 (two-byte key) varint = 0x80 0x01.
        #expect(ProtobufWriter.message { $0.int64(2, 3) } == [0x10, 0x03])
        #expect(ProtobufWriter.message { $0.bytes(5, [0xAB]) } == [0x2A, 0x01, 0xAB])
        #expect(ProtobufWriter.message { $0.int64(16, 1) } == [0x80, 0x01, 0x01])
        #expect(ProtobufWriter.message { $0.int64(2, -1) } == [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    @Test("fixed64 doubles and fixed32 floats are little-endian IEEE 754")
    func fixedWidth() {
        // 1.5 = 0x3FF8000000000000; 0.5f = 0x3F000000; -2f = 0xC0000000.
        #expect(ProtobufWriter.message { $0.double(1, 1.5) } == bytes("09 00 00 00 00 00 00 F8 3F"))
        #expect(ProtobufWriter.message { $0.float(2, 0.5) } == bytes("15 00 00 00 3F"))
        #expect(ProtobufWriter.message { $0.float(2, -2) } == bytes("15 00 00 00 C0"))
        // proto3: a plain field at its default is left out, -0.0 is not a default.
        #expect(ProtobufWriter.message { $0.doubleIfNonzero(1, 0) } == [])
        #expect(ProtobufWriter.message { $0.doubleIfNonzero(1, -0.0) } == bytes("09 00 00 00 00 00 00 00 80"))
        #expect(ProtobufWriter.message { $0.stringIfNonempty(1, "") } == [])
    }

    @Test("an Event with wall_time, step and file_version, by hand")
    func fileVersionEvent() {
        let event = TB.Event(wallTime: 1.5, step: 3, what: .fileVersion("brain.Event:2"))
        // 09 <1.5> | 10 03 | 1A 0D "brain.Event:2" (13 bytes)
        #expect(event.serialized == bytes("09 000000000000F83F 10 03 1A 0D") + Array("brain.Event:2".utf8))
        // Step 0 and wall time 0 are proto3 defaults: left out.
        #expect(TB.Event(wallTime: 0, step: 0, what: .fileVersion("")).serialized == bytes("1A 00"))
    }

    @Test("a scalar summary: Event.summary = 5 → Summary.value = 1 → tag = 1, simple_value = 2")
    func scalarSummary() {
        let value = TB.Summary.Value(tag: "loss", metadata: nil, content: .simpleValue(0.5))
        // Value: 0A 04 "loss" 15 <0.5f> — 11 bytes; Summary: 0A 0B <value>; Event: 2A 0D <summary>.
        let valueBytes = bytes("0A 04 6C 6F 73 73 15 00 00 00 3F")
        #expect(value.serialized == valueBytes)
        #expect(TB.Summary(values: [value]).serialized == [0x0A, 0x0B] + valueBytes)
        #expect(TB.Event(wallTime: 0, step: 0, what: .summary(TB.Summary(values: [value]))).serialized == [0x2A, 0x0D, 0x0A, 0x0B] + valueBytes)
        // simple_value is a oneof member: 0 is still written.
        #expect(TB.Summary.Value(tag: "", metadata: nil, content: .simpleValue(0)).serialized == bytes("15 00 00 00 00"))
    }

    @Test("HParams messages by hand: the null tensor, Value, SessionEndInfo, the plugin summary")
    func hparamsByHand() {
        // TensorProto { dtype = DT_FLOAT (1); tensor_shape { dim { size 0 } } }
        #expect(TB.nullTensor == bytes("08 01 12 02 12 00"))
        // google.protobuf.Value: oneof members written even at their defaults.
        #expect(TB.ProtoValue.number(0).serialized == bytes("11 0000000000000000"))
        #expect(TB.ProtoValue.bool(false).serialized == bytes("20 00"))
        #expect(TB.ProtoValue.string("").serialized == bytes("1A 00"))
        #expect(TB.ProtoValue.string("adam").serialized == bytes("1A 04 61 64 61 6D"))
        // SessionEndInfo { status = 1 (SUCCESS), end_time_secs = 2.0 } and UNKNOWN (0, left out).
        let end = TB.SessionEndInfo(status: .success, endTimeSecs: 2)
        #expect(end.serialized == bytes("08 01 11 0000000000000040"))
        #expect(TB.SessionEndInfo(status: .unknown, endTimeSecs: 0).serialized == [])
        // HParamsPluginData { session_end_info = 4 }: 22 0B <end>.
        let data = TB.HParamsPluginData.sessionEndInfo(end)
        #expect(data.serialized == [0x22, 0x0B] + end.serialized)
        // Summary.Value { tag = 1; tensor = 8; metadata = 9 { plugin_data = 1 { plugin_name = 1 "hparams";
        // content = 2 }; data_class = 4 (TENSOR = 2) } }
        let metadata = bytes("0A 18 0A 07") + Array("hparams".utf8) + [0x12, 0x0D] + data.serialized + [0x20, 0x02]
        #expect(data.summaryValue.serialized
                == [0x0A, 0x1A] + Array("_hparams_/session_end_info".utf8) + bytes("42 06 08 01 12 02 12 00") + [0x4A, UInt8(metadata.count)] + metadata)
        // A map entry: SessionStartInfo { hparams = 1 { key = 1 "n"; value = 2 { number_value = 2 0.0 } } }
        #expect(TB.SessionStartInfo(hparams: ["n": .number(0)]).serialized == bytes("0A 0E 0A 01 6E 12 09 11 0000000000000000"))
    }

    @Test("the same messages as Python's protobuf writes them (TensorBoard's own generated classes)",
          .enabled(if: Python.runTensorBoardTests, "the tensorboard Python package is not installed (pip install tensorboard)"))
    func crossCheckWithPython() throws {
        guard Python.requireTensorBoard() else { return }
        let expected = try #require(try Python.json(Self.pythonScript) as? [String: String])
        let ours = Dictionary(uniqueKeysWithValues: SampleMessages.events.map { ($0.0, hex($0.1.serialized)) })
        #expect(Set(expected.keys) == Set(ours.keys))
        for (name, theirs) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(ours[name] == theirs, "\(name)")
        }
    }

    static let pythonScript = #"""
    import json
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2, metadata
    from google.protobuf import struct_pb2

    def hparams_value(tag, data):
        return summary_pb2.Summary.Value(tag=tag, metadata=summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="hparams", content=data.SerializeToString(deterministic=True)),
            data_class=summary_pb2.DATA_CLASS_TENSOR), tensor=metadata.NULL_TENSOR)

    def lv(*values):
        l = struct_pb2.ListValue()
        l.extend(values)
        return l

    exp = api_pb2.Experiment(description="Hypertune study s", time_created_secs=1700000000.25, name="s")
    exp.hparam_infos.add(name="lr", description='{"type":"float"}', type=api_pb2.DATA_TYPE_FLOAT64,
                         domain_interval=api_pb2.Interval(min_value=1e-5, max_value=0.1))
    exp.hparam_infos.add(name="opt", type=api_pb2.DATA_TYPE_STRING, domain_discrete=lv("adam", "sgd"))
    exp.hparam_infos.add(name="flag", type=api_pb2.DATA_TYPE_BOOL, domain_discrete=lv(False, True))
    exp.hparam_infos.add(name="zero", type=api_pb2.DATA_TYPE_FLOAT64, domain_interval=api_pb2.Interval(min_value=0, max_value=3))
    exp.metric_infos.add(name=api_pb2.MetricName(tag="value"), display_name="value (minimize)", description="d")
    exp.metric_infos.add(name=api_pb2.MetricName(group="g", tag="t"))

    start = plugin_data_pb2.SessionStartInfo(group_name="trial-0001", start_time_secs=1700000001.5)
    start.hparams["lr"].number_value = 0.001
    start.hparams["opt"].string_value = "adam"
    start.hparams["flag"].bool_value = False
    start.hparams["n"].number_value = 0
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_FAILURE, end_time_secs=1700000002)

    def event(wall, step, **what):
        return event_pb2.Event(wall_time=wall, step=step, **what)

    out = {
        "file_version": event(1700000000.5, 0, file_version="brain.Event:2"),
        "scalar": event(1700000003, 7, summary=summary_pb2.Summary(value=[
            summary_pb2.Summary.Value(tag="value", simple_value=0.25), summary_pb2.Summary.Value(tag="zero", simple_value=0)])),
        "negative_step": event(1, -3, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="x", simple_value=-1.5)])),
        "experiment": event(2, 0, summary=summary_pb2.Summary(value=[hparams_value(metadata.EXPERIMENT_TAG, plugin_data_pb2.HParamsPluginData(experiment=exp))])),
        "start": event(3, 0, summary=summary_pb2.Summary(value=[hparams_value(metadata.SESSION_START_INFO_TAG, plugin_data_pb2.HParamsPluginData(session_start_info=start))])),
        "end": event(4, 0, summary=summary_pb2.Summary(value=[hparams_value(metadata.SESSION_END_INFO_TAG, plugin_data_pb2.HParamsPluginData(session_end_info=end))])),
    }
    print(json.dumps({k: v.SerializeToString(deterministic=True).hex() for k, v in out.items()}))
    """#
}
