/// The TensorBoard messages an export writes, with their field numbers as TensorBoard's own
/// protos define them (checked against `tensorboard/compat/proto/event.proto` and
/// `summary.proto`, `tensorboard/plugins/hparams/api.proto` and `plugin_data.proto`, and
/// `google/protobuf/struct.proto`; the field numbers are on each case below).
enum TensorBoardProto {
    /// `tensorboard.Event`: wall_time = 1 (double), step = 2 (int64), and of the oneof `what`
    /// file_version = 3 (string) or summary = 5 (Summary).
    struct Event: Equatable {
        enum What: Equatable {
            case fileVersion(String)
            case summary(Summary)
        }

        var wallTime: Double
        var step: Int64
        var what: What

        var serialized: [UInt8] {
            ProtobufWriter.message { w in
                w.doubleIfNonzero(1, wallTime)
                w.int64IfNonzero(2, step)
                switch what {
                case let .fileVersion(version): w.string(3, version)
                case let .summary(summary): w.bytes(5, summary.serialized)
                }
            }
        }
    }

    /// `tensorboard.Summary`: repeated Value value = 1.
    struct Summary: Equatable {
        var values: [Value]

        var serialized: [UInt8] {
            ProtobufWriter.message { w in
                for value in values { w.bytes(1, value.serialized) }
            }
        }

        /// `tensorboard.Summary.Value`: tag = 1, metadata = 9 (SummaryMetadata), and of the oneof
        /// `value` simple_value = 2 (float) or tensor = 8 (TensorProto).
        struct Value: Equatable {
            enum Content: Equatable {
                case simpleValue(Float)
                /// A serialized `tensorboard.TensorProto`.
                case tensor([UInt8])
            }

            var tag: String
            var metadata: SummaryMetadata?
            var content: Content

            var serialized: [UInt8] {
                ProtobufWriter.message { w in
                    w.stringIfNonempty(1, tag)
                    if case let .simpleValue(x) = content { w.float(2, x) }
                    if case let .tensor(t) = content { w.bytes(8, t) }
                    if let metadata { w.bytes(9, metadata.serialized) }
                }
            }
        }
    }

    /// `tensorboard.DataClass`.
    enum DataClass: Int64 {
        case unknown = 0, scalar = 1, tensor = 2, blobSequence = 3
    }

    /// `tensorboard.SummaryMetadata`: plugin_data = 1 (PluginData { plugin_name = 1,
    /// content = 2 (bytes) }), display_name = 2, summary_description = 3, data_class = 4 (enum).
    struct SummaryMetadata: Equatable {
        var pluginName: String
        var content: [UInt8]
        var displayName = ""
        var summaryDescription = ""
        var dataClass = DataClass.unknown

        var serialized: [UInt8] {
            ProtobufWriter.message { w in
                w.message(1) { p in
                    p.stringIfNonempty(1, pluginName)
                    p.bytesIfNonempty(2, content)
                }
                w.stringIfNonempty(2, displayName)
                w.stringIfNonempty(3, summaryDescription)
                w.int64IfNonzero(4, dataClass.rawValue)
            }
        }
    }

    /// The `tensorboard.TensorProto` the HParams plugin stores with its summaries, which carry
    /// everything in their metadata: dtype = 1 (DT_FLOAT = 1), tensor_shape = 2
    /// (TensorShapeProto { repeated Dim dim = 2 }, one dimension of size 0) — TensorBoard's own
    /// `metadata.NULL_TENSOR`.
    static let nullTensor: [UInt8] = ProtobufWriter.message { w in
        w.int64(1, 1)
        w.message(2) { shape in shape.message(2) { _ in } }
    }

    // MARK: google.protobuf.Value

    /// `google.protobuf.Value`, for the scalars hyperparameters take: of the oneof `kind`,
    /// number_value = 2 (double), string_value = 3, bool_value = 4.
    enum ProtoValue: Hashable {
        case number(Double)
        case string(String)
        case bool(Bool)

        var serialized: [UInt8] {
            ProtobufWriter.message { w in
                switch self {
                case let .number(x): w.double(2, x)
                case let .string(s): w.string(3, s)
                case let .bool(b): w.bool(4, b)
                }
            }
        }
    }

    // MARK: HParams plugin (package tensorboard.hparams)

    /// `tensorboard.hparams.DataType`.
    enum HParamType: Int64 {
        case unset = 0, string = 1, bool = 2, float64 = 3
    }

    /// `tensorboard.hparams.Status`.
    enum Status: Int64 {
        case unknown = 0, success = 1, failure = 2, running = 3
    }

    /// `tensorboard.hparams.HParamInfo`: name = 1, display_name = 2, description = 3,
    /// type = 4 (DataType), and of the oneof `domain` domain_discrete = 5
    /// (google.protobuf.ListValue { repeated Value values = 1 }) or domain_interval = 6
    /// (Interval { min_value = 1, max_value = 2 }, doubles).
    struct HParamInfo: Equatable {
        enum Domain: Equatable {
            case discrete([ProtoValue])
            case interval(min: Double, max: Double)
        }

        var name: String
        var displayName = ""
        var description = ""
        var type: HParamType
        var domain: Domain?

        var serialized: [UInt8] {
            ProtobufWriter.message { w in
                w.stringIfNonempty(1, name)
                w.stringIfNonempty(2, displayName)
                w.stringIfNonempty(3, description)
                w.int64IfNonzero(4, type.rawValue)
                switch domain {
                case let .discrete(values)?:
                    w.message(5) { list in
                        for v in values { list.bytes(1, v.serialized) }
                    }
                case let .interval(min, max)?:
                    w.message(6) { interval in
                        interval.doubleIfNonzero(1, min)
                        interval.doubleIfNonzero(2, max)
                    }
                case nil:
                    break
                }
            }
        }
    }

    /// `tensorboard.hparams.MetricInfo`: name = 1 (MetricName { group = 1, tag = 2 }),
    /// display_name = 3, description = 4, dataset_type = 5 (enum).
    struct MetricInfo: Equatable {
        var group = ""
        var tag: String
        var displayName = ""
        var description = ""

        var serialized: [UInt8] {
            ProtobufWriter.message { w in
                w.message(1) { name in
                    name.stringIfNonempty(1, group)
                    name.stringIfNonempty(2, tag)
                }
                w.stringIfNonempty(3, displayName)
                w.stringIfNonempty(4, description)
            }
        }
    }

    /// `tensorboard.hparams.Experiment`: description = 1, user = 2, time_created_secs = 3
    /// (double), hparam_infos = 4, metric_infos = 5, name = 6.
    struct Experiment: Equatable {
        var description = ""
        var user = ""
        var timeCreatedSecs: Double = 0
        var hparamInfos: [HParamInfo]
        var metricInfos: [MetricInfo]
        var name = ""

        var serialized: [UInt8] {
            ProtobufWriter.message { w in
                w.stringIfNonempty(1, description)
                w.stringIfNonempty(2, user)
                w.doubleIfNonzero(3, timeCreatedSecs)
                for info in hparamInfos { w.bytes(4, info.serialized) }
                for info in metricInfos { w.bytes(5, info.serialized) }
                w.stringIfNonempty(6, name)
            }
        }
    }

    /// `tensorboard.hparams.SessionStartInfo`: hparams = 1 (map<string, google.protobuf.Value>:
    /// entries { key = 1, value = 2 }, written in key order), model_uri = 2, monitor_url = 3,
    /// group_name = 4, start_time_secs = 5 (double).
    struct SessionStartInfo: Equatable {
        var hparams: [String: ProtoValue]
        var modelURI = ""
        var monitorURL = ""
        var groupName = ""
        var startTimeSecs: Double = 0

        var serialized: [UInt8] {
            ProtobufWriter.message { w in
                for name in hparams.keys.sorted() {
                    w.message(1) { entry in
                        entry.string(1, name)
                        entry.bytes(2, hparams[name]!.serialized)
                    }
                }
                w.stringIfNonempty(2, modelURI)
                w.stringIfNonempty(3, monitorURL)
                w.stringIfNonempty(4, groupName)
                w.doubleIfNonzero(5, startTimeSecs)
            }
        }
    }

    /// `tensorboard.hparams.SessionEndInfo`: status = 1 (Status), end_time_secs = 2 (double).
    struct SessionEndInfo: Equatable {
        var status: Status
        var endTimeSecs: Double

        var serialized: [UInt8] {
            ProtobufWriter.message { w in
                w.int64IfNonzero(1, status.rawValue)
                w.doubleIfNonzero(2, endTimeSecs)
            }
        }
    }

    /// `tensorboard.hparams.HParamsPluginData`: version = 1 (int32, 0 — the only version — so
    /// left out), and of the oneof `data` experiment = 2, session_start_info = 3,
    /// session_end_info = 4.
    enum HParamsPluginData: Equatable {
        case experiment(Experiment)
        case sessionStartInfo(SessionStartInfo)
        case sessionEndInfo(SessionEndInfo)

        var serialized: [UInt8] {
            ProtobufWriter.message { w in
                switch self {
                case let .experiment(e): w.bytes(2, e.serialized)
                case let .sessionStartInfo(s): w.bytes(3, s.serialized)
                case let .sessionEndInfo(s): w.bytes(4, s.serialized)
                }
            }
        }

        /// The summary tag TensorBoard looks for (`tensorboard/plugins/hparams/metadata.py`).
        var tag: String {
            switch self {
            case .experiment: "_hparams_/experiment"
            case .sessionStartInfo: "_hparams_/session_start_info"
            case .sessionEndInfo: "_hparams_/session_end_info"
            }
        }

        /// The summary value that carries it, as TensorBoard's `summary_v2` writes it: plugin
        /// `hparams`, the data as the metadata's content, the null tensor, data class TENSOR.
        var summaryValue: Summary.Value {
            Summary.Value(tag: tag,
                          metadata: SummaryMetadata(pluginName: "hparams", content: serialized, dataClass: .tensor),
                          content: .tensor(TensorBoardProto.nullTensor))
        }
    }
}
