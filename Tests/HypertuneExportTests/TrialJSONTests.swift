import Foundation
import Hypertune
@testable import HypertuneExport
import Testing

/// Parses `text` with Foundation's JSONSerialization (an independent reader).
private func parse(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

private func parseObject(_ value: JSONValue) throws -> [String: Any] {
    try #require(try parse(JSONText.string(value)) as? [String: Any])
}

@Suite("Trial JSON: the contract of trials --format json")
struct TrialJSONTests {
    @Test("every contract member of a complete single-objective trial")
    func completeTrial() throws {
        let o = try parseObject(TrialJSON.object(Fixtures.complete(), directions: [.minimize]))
        #expect(Set(o.keys) == ["number", "state", "params", "value", "intermediate", "user_attrs", "system_attrs", "fail_reason",
                                "datetime_start", "datetime_complete", "duration", "distributions"])
        #expect(o["number"] as? Int == 3)
        #expect(o["state"] as? String == "COMPLETE")
        #expect(o["value"] as? Double == 0.25)
        let params = try #require(o["params"] as? [String: Any])
        #expect(params["lr"] as? Double == 0.001)
        #expect(params["layers"] as? Int == 4)
        #expect(params["optimizer"] as? String == "adam")
        #expect(params["nesterov"] as? Bool == true)
        #expect(o["intermediate"] as? [String: Double] == ["0": 0.9, "2": 0.5, "10": 0.3])
        let user = try #require(o["user_attrs"] as? [String: Any])
        #expect(user["note"] as? String == "ok")
        #expect((user["lambda"] as? [String: Double])?["lr"] == 0.001)
        #expect((o["system_attrs"] as? [String: Any])?["fixed_params"] is [String: Any])
        #expect(o["fail_reason"] is NSNull)
        #expect(o["datetime_start"] as? String == "2023-11-14T22:13:20.125Z")
        #expect(o["datetime_complete"] as? String == "2023-11-14T22:13:22.625Z")
        #expect(o["duration"] as? Double == 2.5)
    }

    @Test("numbers: integers without a fraction (booleans stay booleans), steps in numeric order")
    func numberText() {
        let text = JSONText.string(TrialJSON.object(Fixtures.complete(), directions: [.minimize]))
        #expect(text.contains(#""number":3,"#))
        #expect(text.contains(#""layers":4,"#))
        #expect(text.contains(#""nesterov":true"#))
        #expect(text.contains(#""intermediate":{"0":0.9,"2":0.5,"10":0.3}"#))
        #expect(JSONText.number(3) == "3")
        #expect(JSONText.number(-0.0) == "-0")
        #expect(JSONText.number(1e-5) == "1e-05")
        // From 2⁵³ on, integral doubles are no longer all integers: Swift's shortest form.
        #expect(JSONText.number(9_007_199_254_740_992) == "9007199254740992.0")
        #expect(JSONText.number(9_007_199_254_740_991) == "9007199254740991")
        #expect(JSONText.number(1e300) == "1e+300")
        #expect(JSONText.number(0.1) == "0.1")
    }

    @Test("distributions as the search space format writes them, and read back as that format")
    func distributions() throws {
        let trial = FrozenTrial(id: 1, studyID: 1, number: 0, state: .complete,
                                parameters: ["lr": 0.001, "layers": 4, "batch": 32, "optimizer": "adam", "nesterov": true, "dropout": 0.2],
                                distributions: ["lr": Fixtures.lr, "layers": Fixtures.layers, "batch": Fixtures.batch, "optimizer": Fixtures.optimizer,
                                                "nesterov": Fixtures.nesterov, "dropout": Fixtures.dropout],
                                values: [1])
        let o = try parseObject(TrialJSON.object(trial, directions: [.minimize]))
        let d = try #require(o["distributions"] as? [String: [String: Any]])
        #expect(d["lr"]?["type"] as? String == "float")
        #expect(d["lr"]?["low"] as? Double == 1e-5)
        #expect(d["lr"]?["high"] as? Double == 0.1)
        #expect(d["lr"]?["log"] as? Bool == true)
        #expect(d["layers"]?.keys.sorted() == ["high", "low", "type"])
        #expect(d["batch"]?["step"] as? Int == 16)
        #expect(d["optimizer"]?["choices"] as? [String] == ["adam", "sgd", "rmsprop"])
        #expect(d["nesterov"]?["choices"] as? [Bool] == [true, false])
        #expect(d["dropout"]?["step"] as? Double == 0.1)
        // Each reads back, through SearchSpace's own decoder, as the distribution it was.
        guard case let .object(top) = TrialJSON.object(trial, directions: [.minimize]), case let .object(distributions)? = top["distributions"] else {
            Issue.record("no distributions object")
            return
        }
        for (name, json) in distributions {
            let parameter = try JSONDecoder().decode(SearchSpace.Parameter.self, from: Data(JSONText.string(json).utf8))
            #expect(parameter == .distribution(trial.distributions[name]!), "\(name)")
        }
    }

    @Test("several objectives: `values`, never `value`; null unless complete")
    func multiObjective() throws {
        var complete = Fixtures.complete()
        complete.values = [0.25, 12]
        var failed = Fixtures.complete(number: 4)
        failed.state = .failed
        failed.values = nil
        let array = try #require(try parse(TrialJSON.encode([complete, failed], directions: [.minimize, .maximize])) as? [[String: Any]])
        #expect(array.count == 2)
        #expect(array[0]["values"] as? [Double] == [0.25, 12])
        #expect(array[0]["value"] == nil)
        #expect(array[1]["values"] is NSNull)
        #expect(array[1]["value"] == nil)
    }

    @Test("pruned, failed, running and waiting trials: null where nothing is known")
    func everyState() throws {
        let trials = Fixtures.mixedStudy()
        let array = try #require(try parse(TrialJSON.encode(trials, directions: [.minimize], pretty: true)) as? [[String: Any]])
        let byNumber = Dictionary(uniqueKeysWithValues: array.map { ($0["number"] as! Int, $0) })
        #expect(array.map { $0["state"] as? String } == ["COMPLETE", "PRUNED", "COMPLETE", "FAILED", "RUNNING", "WAITING", "COMPLETE"])
        let pruned = try #require(byNumber[1])
        #expect(pruned["value"] is NSNull)
        #expect(pruned["intermediate"] as? [String: Double] == ["1": 0.95, "2": 0.9])
        #expect(pruned["fail_reason"] is NSNull)
        let failed = try #require(byNumber[3])
        #expect(failed["fail_reason"] as? String == "the objective returned nan")
        #expect(failed["value"] is NSNull)
        let running = try #require(byNumber[4])
        #expect(running["datetime_start"] is String)
        #expect(running["datetime_complete"] is NSNull)
        #expect(running["duration"] is NSNull)
        let waiting = try #require(byNumber[5])
        #expect(waiting["datetime_start"] is NSNull)
        #expect((waiting["params"] as? [String: Any])?["layers"] as? Int == 5)
        // Every trial has every member.
        for trial in array { #expect(trial.count == 12, "\(trial["number"] ?? "?")") }
    }

    @Test("non-finite numbers are the strings NaN, Infinity, -Infinity; the text stays valid JSON")
    func nonFinite() throws {
        var trial = Fixtures.complete()
        trial.intermediateValues = [0: .nan, 1: .infinity, 2: -.infinity, 3: 1]
        trial.userAttributes = ["diverged": .number(.nan), "list": .array([.number(.infinity), .null])]
        trial.parameters["lr"] = .double(.nan)
        let text = TrialJSON.encode([trial], directions: [.minimize])
        let array = try #require(try parse(text) as? [[String: Any]])
        let intermediate = try #require(array[0]["intermediate"] as? [String: Any])
        #expect(intermediate["0"] as? String == "NaN")
        #expect(intermediate["1"] as? String == "Infinity")
        #expect(intermediate["2"] as? String == "-Infinity")
        #expect(intermediate["3"] as? Int == 1)
        let user = try #require(array[0]["user_attrs"] as? [String: Any])
        #expect(user["diverged"] as? String == "NaN")
        #expect((user["list"] as? [Any])?.first as? String == "Infinity")
        #expect((array[0]["params"] as? [String: Any])?["lr"] as? String == "NaN")
        #expect(!text.contains("nan") && !text.contains("inf"))
    }

    @Test("hostile strings in names, values, attributes and reasons read back unchanged")
    func hostileStrings() throws {
        let hostile = [
            "quote \" backslash \\ slash /", "line\nbreak\r\ttab", "nul \u{0} bell \u{7} esc \u{1B} del \u{7F}",
            "separators \u{2028} \u{2029}", "emoji 🧪 and ümlaut, 中文", "</script><script>alert(1)</script>", "",
            "\"},{\"number\":999,\"x\":\"", "\\u0000 literally",
        ]
        var trial = Fixtures.complete()
        trial.parameters = Dictionary(uniqueKeysWithValues: hostile.enumerated().map { ($0.element, ParameterValue.string("v" + $0.element)) })
        trial.distributions = [:]
        trial.userAttributes = Dictionary(uniqueKeysWithValues: hostile.enumerated().map { ("k\($0.offset)", JSONValue.string($0.element)) })
        trial.failReason = hostile.joined(separator: "|")
        for pretty in [false, true] {
            let text = TrialJSON.encode([trial], directions: [.minimize], pretty: pretty)
            #expect(!text.contains("\u{2028}") && !text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
            let array = try #require(try parse(text) as? [[String: Any]])
            #expect(array.count == 1)
            let params = try #require(array[0]["params"] as? [String: String])
            #expect(params == Dictionary(uniqueKeysWithValues: hostile.map { ($0, "v" + $0) }))
            let user = try #require(array[0]["user_attrs"] as? [String: String])
            for (i, s) in hostile.enumerated() { #expect(user["k\(i)"] == s) }
            #expect(array[0]["fail_reason"] as? String == hostile.joined(separator: "|"))
        }
    }

    @Test("compact and pretty texts hold the same value; keys sorted; the same trials give the same text")
    func prettyAndStable() throws {
        let trials = Fixtures.mixedStudy()
        let compact = TrialJSON.encode(trials, directions: [.minimize])
        let pretty = TrialJSON.encode(trials, directions: [.minimize], pretty: true)
        #expect(compact.hasSuffix("]\n") && !compact.dropLast().contains("\n"))
        #expect(pretty.contains("\n  {\n    \"datetime_complete\": "))
        #expect(try (parse(compact) as? NSArray) == (parse(pretty) as? NSArray))
        #expect(TrialJSON.encode(trials.reversed().reversed(), directions: [.minimize]) == compact)
        #expect(JSONText.string(.array([])) == "[]")
        #expect(JSONText.string(.object([:]), pretty: true) == "{}")
        #expect(JSONText.string(.object(["b": .null, "a": .bool(false), "B": .number(1)])) == #"{"B":1,"a":false,"b":null}"#)
    }
}
