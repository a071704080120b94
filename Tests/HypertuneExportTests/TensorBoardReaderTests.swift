import Foundation
import Hypertune
@testable import HypertuneExport
import Testing

/// The export read back by TensorBoard itself: its record reader (CRCs checked), its event
/// accumulator (Scalars tab data), the HParams plugin's parsers, and a running TensorBoard's
/// HTTP API, which is what the HParams and Scalars tabs read.
@Suite("TensorBoard reads the export", .serialized)
struct TensorBoardReaderTests {
    static let enabled = Python.runTensorBoardTests
    static let skipReason: Comment = "the tensorboard Python package is not installed (pip install tensorboard); set HYPERTUNE_REQUIRE_TENSORBOARD=1 to fail instead"

    /// The study: complete, pruned, failed and running trials; a log-scale float, an int, a
    /// categorical; intermediate values; numeric user attributes.
    static func study() -> [FrozenTrial] {
        var trials = Fixtures.mixedStudy()
        trials[0].userAttributes = ["hypergradient_norm": .number(1.5), "lambda": .object(["lr": .number(0.25)]), "note": .string("x")]
        return trials
    }

    @Test("records, scalars and HParams data as TensorBoard's own Python reads them", .enabled(if: enabled, skipReason))
    func readBack() throws {
        guard Python.requireTensorBoard() else { return }
        let dir = try scratchDirectory("tb-read")
        defer { try? FileManager.default.removeItem(at: dir) }
        let trials = Self.study()
        let files = try TensorBoardExport.write(studyName: "tb \"study\"", directions: [.minimize], trials: trials, to: dir,
                                                now: Date(timeIntervalSince1970: 1_800_000_000), hostname: "host")
        #expect(files.first?.lastPathComponent == "events.out.tfevents.1800000000.host")
        let result = try #require(try Python.json(Self.readerScript, [dir.path]) as? [String: Any])

        // Every file: CRCs accepted by TensorBoard's record reader, file_version first.
        let fileInfo = try #require(result["files"] as? [String: [String: Any]])
        #expect(fileInfo.count == files.count)
        for (path, info) in fileInfo {
            #expect(info["first_file_version"] as? String == "brain.Event:2", "\(path)")
            #expect(info["error"] == nil, "\(path): \(info["error"] ?? "")")
        }

        // Scalars, as the event accumulator reads them: steps and values as written (float32).
        let runs = try #require(result["runs"] as? [String: [String: Any]])
        #expect(Set(runs.keys) == [".", "trial-0000", "trial-0001", "trial-0002", "trial-0003", "trial-0004", "trial-0006"])
        // Compared as the float32 TensorBoard stores (JSON text of a float32 widened to a double
        // need not parse back to the very same double).
        func scalars(_ run: String, _ tag: String) -> [[Float]]? {
            (runs[run]?["scalars"] as? [String: [[Double]]])?[tag].map { $0.map { $0.map(Float.init) } }
        }
        #expect(scalars(".", "value") == [[0, 0.5], [2, 0.375], [6, 0.4375]])
        #expect(scalars(".", "best_value") == [[0, 0.5], [2, 0.375], [6, 0.375]])
        #expect(scalars("trial-0000", "intermediate_value") == [[1, 0.8], [2, 0.6], [3, 0.5]])
        #expect(scalars("trial-0000", "value") == [[0, 0.5]])
        #expect(scalars("trial-0000", "user_attrs/hypergradient_norm") == [[0, 1.5]])
        #expect(scalars("trial-0000", "user_attrs/lambda/lr") == [[0, 0.25]])
        #expect(scalars("trial-0001", "intermediate_value") == [[1, 0.95], [2, 0.9]])
        #expect(scalars("trial-0001", "value") == nil)
        #expect(scalars("trial-0003", "value") == nil)
        #expect(scalars("trial-0004", "intermediate_value") == [[1, 0.75]])

        // The HParams experiment.
        let experiment = try #require(result["experiment"] as? [String: Any])
        #expect(experiment["name"] as? String == "tb \"study\"")
        let hparams = try #require(experiment["hparams"] as? [String: [String: Any]])
        #expect(Set(hparams.keys) == ["lr", "layers", "optimizer"])
        #expect(hparams["lr"]?["type"] as? String == "DATA_TYPE_FLOAT64")
        #expect(hparams["lr"]?["interval"] as? [Double] == [1e-5, 0.1])
        #expect((hparams["lr"]?["description"] as? String)?.contains(#""log":true"#) == true)
        #expect(hparams["layers"]?["type"] as? String == "DATA_TYPE_FLOAT64")
        #expect(hparams["layers"]?["interval"] as? [Double] == [1, 8])
        #expect(hparams["optimizer"]?["type"] as? String == "DATA_TYPE_STRING")
        #expect(hparams["optimizer"]?["discrete"] as? [String] == ["adam", "sgd", "rmsprop"])
        let metrics = try #require(experiment["metrics"] as? [[String]])
        #expect(metrics.map { $0[1] } == ["value", "intermediate_value", "user_attrs/hypergradient_norm", "user_attrs/lambda/lr"])
        #expect(metrics.allSatisfy { $0[0] == "" })

        // Each session: hparams, group, times, status.
        let sessions = try #require(result["sessions"] as? [String: [String: Any]])
        #expect(Set(sessions.keys) == Set(runs.keys).subtracting(["."]))
        let first = try #require(sessions["trial-0000"])
        #expect(first["hparams"] as? [String: [String: AnyHashable]] == ["lr": ["number_value": 0.01], "layers": ["number_value": 2.0], "optimizer": ["string_value": "adam"]])
        #expect(first["group_name"] as? String == "trial-0000")
        #expect(first["start_time_secs"] as? Double == Fixtures.t0.timeIntervalSince1970)
        #expect(first["end_time_secs"] as? Double == Fixtures.t0.timeIntervalSince1970 + 4)
        let statuses = sessions.mapValues { $0["status"] as? String }
        #expect(statuses == ["trial-0000": "STATUS_SUCCESS", "trial-0001": "STATUS_UNKNOWN", "trial-0002": "STATUS_SUCCESS",
                             "trial-0003": "STATUS_FAILURE", "trial-0004": "STATUS_RUNNING", "trial-0006": "STATUS_SUCCESS"])
        #expect(sessions["trial-0004"]?["end_time_secs"] as? Double == 0)
    }

    /// `--load_fast=false`: the Python loader; `true`: the Rust data server (`tensorboard-data-server`),
    /// which `tensorboard --logdir` uses by default where it is installed.
    @Test("a running TensorBoard serves the HParams experiment, the session groups and the scalars", .enabled(if: enabled, skipReason),
          arguments: ["false", "true"])
    func httpAPI(loadFast: String) throws {
        guard Python.requireTensorBoard() else { return }
        let dir = try scratchDirectory("tb-http")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TensorBoardExport.write(studyName: "http", directions: [.minimize], trials: Self.study(), to: dir)
        let result = try #require(try Python.json(Self.httpScript, [dir.path, loadFast], timeout: 180) as? [String: Any])

        let experiment = try #require(result["experiment"] as? [String: Any])
        let infos = try #require(experiment["hparamInfos"] as? [[String: Any]])
        #expect(Set(infos.compactMap { $0["name"] as? String }) == ["lr", "layers", "optimizer"])
        let optimizer = try #require(infos.first { $0["name"] as? String == "optimizer" })
        #expect(optimizer["type"] as? String == "DATA_TYPE_STRING")
        #expect(optimizer["domainDiscrete"] as? [String] == ["adam", "sgd", "rmsprop"])
        let lr = try #require(infos.first { $0["name"] as? String == "lr" })
        #expect((lr["domainInterval"] as? [String: Double]) == ["minValue": 1e-5, "maxValue": 0.1])
        let metricTags = (experiment["metricInfos"] as? [[String: Any]])?.compactMap { ($0["name"] as? [String: Any])?["tag"] as? String }
        #expect(metricTags?.contains("value") == true && metricTags?.contains("intermediate_value") == true)

        let groups = try #require((result["session_groups"] as? [String: Any])?["sessionGroups"] as? [[String: Any]])
        #expect(groups.count == 6)
        var byName: [String: [String: Any]] = [:]
        for g in groups { if let name = g["name"] as? String { byName[name] = g } }
        #expect(Set(byName.keys) == ["trial-0000", "trial-0001", "trial-0002", "trial-0003", "trial-0004", "trial-0006"])
        let best = try #require(byName["trial-0002"])
        let hparams = try #require(best["hparams"] as? [String: Any])
        #expect(hparams.count == 3)
        #expect((hparams["lr"] as? Double).map { abs($0 - 0.0003) < 1e-15 } == true)
        #expect(hparams["layers"] as? Double == 3)
        #expect(hparams["optimizer"] as? String == "rmsprop")
        let session = try #require((best["sessions"] as? [[String: Any]])?.first)
        #expect(session["name"] as? String == "trial-0002")
        #expect(session["status"] as? String == "STATUS_SUCCESS")
        let metricValues = (session["metricValues"] as? [[String: Any]]) ?? []
        let value = metricValues.first { ($0["name"] as? [String: Any])?["tag"] as? String == "value" }
        #expect(value?["value"] as? Double == 0.375)
        let failed = try #require((byName["trial-0003"]?["sessions"] as? [[String: Any]])?.first)
        #expect(failed["status"] as? String == "STATUS_FAILURE")

        // The Scalars tab's data: [wall time, step, value] rows.
        let rows = try #require(result["scalars"] as? [[Double]])
        #expect(rows.map { $0[1] } == [1, 2, 3])
        #expect(rows.map { Float($0[2]) } == [0.7, 0.45, 0.375])
    }

    static let readerScript = #"""
    import glob, json, os, sys
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.backend.event_processing import event_multiplexer as em
    from tensorboard.compat.proto import event_pb2
    from tensorboard.compat.tensorflow_stub import pywrap_tensorflow
    from tensorboard.plugins.hparams import api_pb2, metadata

    logdir = sys.argv[1]
    out = {"files": {}, "runs": {}, "sessions": {}}

    for path in sorted(glob.glob(os.path.join(logdir, "**", "events.out.tfevents.*"), recursive=True)):
        info = {}
        try:
            reader = pywrap_tensorflow.PyRecordReader_New(path, 0, None, None)
            events = []
            while True:
                try:
                    reader.GetNext()
                except Exception as e:
                    if type(e).__name__ == "OutOfRangeError":
                        break
                    raise
                events.append(event_pb2.Event.FromString(reader.record()))
            info["count"] = len(events)
            info["first_file_version"] = events[0].file_version if events else None
        except Exception as e:
            info["error"] = repr(e)
        out["files"][os.path.relpath(path, logdir)] = info

    def value(v):
        kind = v.WhichOneof("kind")
        return {kind: getattr(v, kind)}

    mux = em.EventMultiplexer(size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    mux.AddRunsFromDirectory(logdir)
    mux.Reload()
    for run in sorted(mux.Runs()):
        acc = mux.GetAccumulator(run)
        tags = acc.Tags()
        scalars = {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]}
        try:
            content = acc.PluginTagToContent(metadata.PLUGIN_NAME)
        except KeyError:
            content = {}
        out["runs"][run] = {"scalars": scalars, "hparams_tags": sorted(content)}
        if metadata.EXPERIMENT_TAG in content:
            e = metadata.parse_experiment_plugin_data(content[metadata.EXPERIMENT_TAG])
            out["experiment"] = {
                "name": e.name, "description": e.description, "time_created_secs": e.time_created_secs,
                "hparams": {h.name: {
                    "type": api_pb2.DataType.Name(h.type), "description": h.description,
                    "interval": [h.domain_interval.min_value, h.domain_interval.max_value] if h.HasField("domain_interval") else None,
                    "discrete": [list(value(v).values())[0] for v in h.domain_discrete.values] if h.HasField("domain_discrete") else None,
                } for h in e.hparam_infos},
                "metrics": [[m.name.group, m.name.tag, m.display_name] for m in e.metric_infos],
            }
        if metadata.SESSION_START_INFO_TAG in content:
            s = metadata.parse_session_start_info_plugin_data(content[metadata.SESSION_START_INFO_TAG])
            session = {"hparams": {k: value(v) for k, v in s.hparams.items()}, "group_name": s.group_name,
                       "start_time_secs": s.start_time_secs}
            if metadata.SESSION_END_INFO_TAG in content:
                end = metadata.parse_session_end_info_plugin_data(content[metadata.SESSION_END_INFO_TAG])
                session["status"] = api_pb2.Status.Name(end.status)
                session["end_time_secs"] = end.end_time_secs
            out["sessions"][run] = session
    print(json.dumps(out))
    """#

    static let httpScript = #"""
    import json, sys, time, urllib.parse, urllib.request
    import logging
    logging.disable(logging.WARNING)
    from tensorboard import program

    logdir = sys.argv[1]
    tb = program.TensorBoard()
    tb.configure(argv=[None, "--logdir", logdir, "--host", "127.0.0.1", "--port", "0", "--load_fast", sys.argv[2]])
    url = tb.launch()

    def get(path, request=None):
        query = "?" + urllib.parse.urlencode({"request": json.dumps(request)}) if request is not None else ""
        with urllib.request.urlopen(url.rstrip("/") + path + query, timeout=30) as r:
            return json.loads(r.read())

    deadline = time.time() + 90
    while True:
        experiment = get("/data/plugin/hparams/experiment", {"experimentName": ""})
        groups = None
        if experiment.get("hparamInfos"):
            request = {
                "experimentName": "",
                "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
                "colParams": [{"hparam": h["name"]} for h in experiment["hparamInfos"]]
                             + [{"metric": m["name"]} for m in experiment.get("metricInfos", [])],
                "startIndex": 0, "sliceSize": 100,
            }
            groups = get("/data/plugin/hparams/session_groups", request)
            if len(groups.get("sessionGroups", [])) >= 6:
                break
        if time.time() > deadline:
            raise SystemExit("TensorBoard did not load the export in time: %r %r" % (experiment, groups))
        time.sleep(0.2)
    scalars = get("/data/plugin/scalars/scalars?" + urllib.parse.urlencode({"run": "trial-0002", "tag": "intermediate_value"}))
    print(json.dumps({"experiment": experiment, "session_groups": groups, "scalars": scalars}))
    """#
}
