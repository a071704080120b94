import Foundation
import Hypertune
@testable import HypertuneExport
import Testing

@Suite("TensorBoard export: layout and HParams choices")
struct TensorBoardLayoutTests {
    typealias TB = TensorBoardProto

    @Test("one root run and one run per started trial; the file version first in each; status by state")
    func runs() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let runs = TensorBoardExport.runs(studyName: "s", directions: [.minimize], trials: Fixtures.mixedStudy().reversed(), now: now)
        #expect(runs.map(\.name) == ["", "trial-0000", "trial-0001", "trial-0002", "trial-0003", "trial-0004", "trial-0006"])
        for run in runs {
            #expect(run.events.first == TB.Event(wallTime: 1_800_000_000, step: 0, what: .fileVersion("brain.Event:2")), "\(run.name)")
        }
        // The root: the experiment, then value and best_value by trial number.
        let root = runs[0].events
        guard case let .summary(experimentSummary) = root[1].what else { Issue.record("no experiment"); return }
        #expect(experimentSummary.values.map(\.tag) == ["_hparams_/experiment"])
        let history = root.dropFirst(2).map { event -> (Int64, [String]) in
            guard case let .summary(s) = event.what else { return (event.step, []) }
            return (event.step, s.values.map { v in if case let .simpleValue(x) = v.content { "\(v.tag)=\(x)" } else { v.tag } })
        }
        #expect(history.map(\.0) == [0, 2, 6])
        #expect(history.map(\.1) == [["value=0.5", "best_value=0.5"], ["value=0.375", "best_value=0.375"], ["value=0.4375", "best_value=0.375"]])

        // Each trial's session ends with its status.
        let statuses = runs.dropFirst().map { run -> TB.Status? in
            guard case let .summary(s)? = run.events.last?.what, s.values.first?.tag == "_hparams_/session_end_info" else { return nil }
            return Self.endStatus(s.values[0])
        }
        #expect(statuses == [.success, .unknown, .success, .failure, .running, .success])

        // An empty study: the root run with its file version and the experiment only.
        let empty = TensorBoardExport.runs(studyName: "s", directions: [.minimize], trials: [], now: now)
        #expect(empty.count == 1 && empty[0].events.count == 2)
    }

    /// The status in a session-end summary value, read back from its bytes' layout: the plugin
    /// content is HParamsPluginData { session_end_info = 4 { status = 1 } }.
    static func endStatus(_ value: TB.Summary.Value) -> TB.Status? {
        guard let content = value.metadata?.content, content.count >= 2, content[0] == 0x22 else { return nil }
        let inner = Array(content[2...])
        if inner.first == 0x08, inner.count >= 2 { return TB.Status(rawValue: Int64(inner[1])) }
        return .unknown
    }

    @Test("the best so far follows each objective's direction")
    func bestFollowsDirection() {
        let trials = [0.5, 0.9, 0.7].enumerated().map { i, v in
            FrozenTrial(id: i, studyID: 1, number: i, state: .complete, values: [v, -v])
        }
        let root = TensorBoardExport.runs(studyName: "s", directions: [.maximize, .minimize], trials: trials, now: Date()).first!.events
        let best = root.dropFirst(2).map { event -> [String: Float] in
            guard case let .summary(s) = event.what else { return [:] }
            return Dictionary(uniqueKeysWithValues: s.values.compactMap { v in
                if case let .simpleValue(x) = v.content, v.tag.hasPrefix("best_") { (v.tag, x) } else { nil }
            })
        }
        #expect(best == [["best_value_0": 0.5, "best_value_1": -0.5], ["best_value_0": 0.9, "best_value_1": -0.9], ["best_value_0": 0.9, "best_value_1": -0.9]])
    }

    @Test("hyperparameter types and domains from the distributions")
    func specs() {
        let spec = HParamSpec.spec
        #expect(spec([Fixtures.lr], [0.001]).kind == .number)
        #expect(spec([Fixtures.lr], [0.001]).domain == .interval(min: 1e-5, max: 0.1))
        #expect(spec([Fixtures.layers, .int(low: 0, high: 3)], [1]).domain == .interval(min: 0, max: 8))
        #expect(spec([Fixtures.optimizer], ["adam"]) == HParamSpec(kind: .string, domain: .discrete([.string("adam"), .string("sgd"), .string("rmsprop")]),
                                                                  description: #"{"choices":["adam","sgd","rmsprop"],"type":"categorical"}"#))
        #expect(spec([Fixtures.nesterov], [true]).domain == .discrete([.bool(true), .bool(false)]))
        #expect(spec([Fixtures.nesterov], [true]).kind == .bool)
        #expect(spec([.categorical([32, 64, 0.5])], [32]).domain == .discrete([.number(32), .number(64), .number(0.5)]))
        // A recorded hyper-iteration: one single-choice categorical per trial → an interval past 32 values.
        let iterations = (0..<40).map { Distribution.categorical([.int($0)]) }
        #expect(spec(iterations, [0]).domain == .interval(min: 0, max: 39))
        // Mixed kinds: text.
        let mixed = spec([.categorical([1, "auto", true])], [1])
        #expect(mixed.kind == .text)
        #expect(mixed.domain == .discrete([.string("1"), .string("auto"), .string("true")]))
        #expect(mixed.protoValue(1) == .string("1"))
        #expect(spec([Fixtures.lr], [0.001]).protoValue(.int(3)) == .number(3))
        // Without a distribution: the values decide.
        #expect(spec([], ["a", "b", "a"]).domain == .discrete([.string("a"), .string("b")]))
    }

    @Test("numeric user attributes, nested objects flattened")
    func userAttributes() {
        let flat = TensorBoardExport.numericAttributes(["norm": .number(2), "lambda": .object(["lr": .number(0.1), "w": .object(["mean": .number(0.5)])]),
                                                        "note": .string("x"), "list": .array([.number(1)]), "flag": .bool(true)])
        #expect(flat == ["norm": 2, "lambda/lr": 0.1, "lambda/w/mean": 0.5])
    }
}
