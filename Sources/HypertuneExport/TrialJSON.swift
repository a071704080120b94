import Foundation
import Hypertune

/// Trials as JSON: the contract of `hypertune trials STUDY --format json`, `hypertune best`,
/// the dashboard's API and the JSON export (ARCHITECTURE.md, "Contracts").
///
/// Each trial is an object with every one of these members (none is ever left out):
///
/// | member | value |
/// | --- | --- |
/// | `number` | the trial's number in its study (0, 1, 2, …) |
/// | `state` | `COMPLETE`, `PRUNED`, `FAILED`, `RUNNING` or `WAITING` |
/// | `params` | name → value: numbers, strings and booleans as themselves |
/// | `value` | single objective: the objective value, or `null` unless COMPLETE |
/// | `values` | several objectives (instead of `value`): one per objective, or `null` |
/// | `intermediate` | step → intermediate value, the steps as object keys (`{"0": 0.9, "1": 0.7}`) |
/// | `user_attrs`, `system_attrs` | the attributes, as stored |
/// | `fail_reason` | why a FAILED trial failed, else `null` |
/// | `datetime_start`, `datetime_complete` | ISO 8601 in UTC with milliseconds, or `null` |
/// | `duration` | seconds from start to end, or `null` |
/// | `distributions` | name → the distribution as a search space file writes it (`{"type": "float", "low": 1e-05, "high": 0.1, "log": true}`) |
///
/// Text follows ``JSONText``: sorted keys, integral numbers without a fraction, and non-finite
/// numbers (a diverged intermediate loss, say) as the strings `"NaN"`, `"Infinity"`,
/// `"-Infinity"`.
public enum TrialJSON {
    /// The JSON object of `trial` in a study with `directions`.
    ///
    /// - Complexity: O(*p* + *s* + *a*) for *p* parameters, *s* intermediate steps and *a*
    ///   attributes, plus encoding each distinct distribution once per call.
    public static func object(_ trial: FrozenTrial, directions: [StudyDirection]) -> JSONValue {
        var cache: [Distribution: JSONValue] = [:]
        return object(trial, directions: directions, distributions: &cache)
    }

    /// The JSON array of `trials`, in the order given.
    public static func array(_ trials: [FrozenTrial], directions: [StudyDirection]) -> JSONValue {
        var cache: [Distribution: JSONValue] = [:]
        return .array(trials.map { object($0, directions: directions, distributions: &cache) })
    }

    /// The JSON text of `trials` as an array (``JSONText``), with a final newline.
    public static func encode(_ trials: [FrozenTrial], directions: [StudyDirection], pretty: Bool = false) -> String {
        JSONText.string(array(trials, directions: directions), pretty: pretty) + "\n"
    }

    static func object(_ trial: FrozenTrial, directions: [StudyDirection], distributions cache: inout [Distribution: JSONValue]) -> JSONValue {
        var o: [String: JSONValue] = [
            "number": .number(Double(trial.number)),
            "state": .string(trial.state.rawValue),
            "params": .object(trial.parameters.mapValues(\.json)),
            "intermediate": .object(Dictionary(uniqueKeysWithValues: trial.intermediateValues.map { (String($0.key), .number($0.value)) })),
            "user_attrs": .object(trial.userAttributes),
            "system_attrs": .object(trial.systemAttributes),
            "fail_reason": trial.failReason.map(JSONValue.string) ?? .null,
            "datetime_start": trial.startedAt.map { .string(TrialTable.timestamp($0)) } ?? .null,
            "datetime_complete": trial.finishedAt.map { .string(TrialTable.timestamp($0)) } ?? .null,
            "duration": trial.duration.map(JSONValue.number) ?? .null,
        ]
        if directions.count <= 1 {
            o["value"] = trial.values.flatMap { $0.count == 1 ? JSONValue.number($0[0]) : nil } ?? .null
        } else {
            o["values"] = trial.values.map { .array($0.map(JSONValue.number)) } ?? .null
        }
        var distributions: [String: JSONValue] = [:]
        for (name, d) in trial.distributions {
            if let known = cache[d] {
                distributions[name] = known
            } else {
                let json = Self.json(of: d)
                cache[d] = json
                distributions[name] = json
            }
        }
        o["distributions"] = .object(distributions)
        return .object(o)
    }

    /// A distribution as `SearchSpace.Parameter` encodes it — the one definition of the search
    /// space format — read back as a JSON tree.
    static func json(of distribution: Distribution) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            return try JSONDecoder().decode(JSONValue.self, from: try encoder.encode(SearchSpace.Parameter.distribution(distribution)))
        } catch {
            // Every distribution encodes (non-finite numbers as strings) and its text reads back.
            preconditionFailure("TrialJSON: cannot encode the distribution \(distribution): \(error)")
        }
    }
}
