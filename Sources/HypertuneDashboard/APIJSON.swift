import Foundation
import Hypertune
import HypertuneCharts

/// The JSON shapes of the API (README, "Web dashboard"). Text follows ``JSONText``: sorted keys,
/// integers without a fraction, non-finite numbers as the strings `"NaN"`, `"Infinity"`,
/// `"-Infinity"`; trials follow ``TrialJSON``.
enum APIJSON {
    static func timestamp(_ date: Date?) -> JSONValue { date.map { .string(TrialTable.timestamp($0)) } ?? .null }

    /// A study at a glance: what the study list shows.
    static func summary(_ s: StudySnapshot) -> JSONValue {
        let summary = s.summary
        var counts: [String: JSONValue] = [:]
        for state in TrialState.allCases { counts[state.rawValue] = .number(Double(summary.counts[state] ?? 0)) }
        let best: JSONValue = summary.best.map { .object(["number": .number(Double($0.number)), "value": .number($0.value)]) } ?? .null
        return .object([
            "name": .string(summary.name),
            "directions": .array(summary.directions.map { .string($0.rawValue) }),
            "sampler": summary.sampler.map(JSONValue.string) ?? .null,
            "pruner": summary.pruner.map(JSONValue.string) ?? .null,
            "counts": .object(counts),
            "total": .number(Double(summary.total)),
            "best": best,
            "pareto_front_size": summary.paretoFrontSize.map { .number(Double($0)) } ?? .null,
            "last_activity": timestamp(summary.lastActivity),
            "created_at": timestamp(summary.createdAt),
            "user_attrs": .object(s.record.userAttributes),
            "hypergradient": .bool(s.isHypergradient),
            "version": .string(s.version),
            "url": .string(HTML.studyPath(summary.name)),
        ])
    }

    /// A study in full: its summary, parameters and the charts its page shows.
    static func study(_ s: StudySnapshot, charts: [StudyChart]) -> JSONValue {
        .object([
            "study": summary(s),
            "version": .string(s.version),
            "hypergradient": .bool(s.isHypergradient),
            "parameters": .array(s.parameters.map { p in
                .object(["name": .string(p.name), "type": .string(p.type), "log": .bool(p.log), "numeric": .bool(p.isNumeric),
                         "trials": .number(Double(p.count))])
            }),
            "charts": .array(charts.map { .string($0.rawValue) }),
        ])
    }
}
