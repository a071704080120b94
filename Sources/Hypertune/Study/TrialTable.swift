import Foundation

/// Trials as a table: one row per trial, with its number, state, objective value(s), every
/// parameter any trial has (in name order; empty where a conditional parameter is inactive),
/// every user attribute (`user.<key>`), optionally its start and end times (``timestamp(_:)``),
/// its duration in seconds and, for failed trials, the reason.
///
/// ``text`` aligns the columns for a terminal; ``csv`` writes RFC 4180 CSV (fields with commas,
/// quotes or line breaks quoted, quotes doubled).
public struct TrialTable: Sendable, Equatable {
    public let columns: [String]
    public let rows: [[String]]

    public init(columns: [String], rows: [[String]]) {
        precondition(rows.allSatisfy { $0.count == columns.count }, "TrialTable: every row needs one field per column")
        self.columns = columns
        self.rows = rows
    }

    /// The table of `trials`, with one value column per objective (`value`, or `value_0`, … for
    /// several objectives), and with `times` the columns `datetime_start` and `datetime_complete`
    /// (``timestamp(_:)``, empty when unknown) before `duration_s`.
    public init(trials: [FrozenTrial], objectives: Int = 1, times: Bool = false) {
        let parameterNames = Set(trials.flatMap(\.parameters.keys)).sorted()
        let attributeKeys = Set(trials.flatMap(\.userAttributes.keys)).sorted()
        let valueColumns = objectives == 1 ? ["value"] : (0..<objectives).map { "value_\($0)" }
        let rows = trials.sorted { $0.number < $1.number }.map { t -> [String] in
            let values = (0..<objectives).map { i in t.values.flatMap { i < $0.count ? Self.format($0[i]) : nil } ?? "" }
            let parameters = parameterNames.map { t.parameters[$0]?.description ?? "" }
            let attributes = attributeKeys.map { t.userAttributes[$0].map(Self.format) ?? "" }
            let duration = t.duration.map { String(format: "%.3f", $0) } ?? ""
            let dates = times ? [t.startedAt.map(Self.timestamp) ?? "", t.finishedAt.map(Self.timestamp) ?? ""] : []
            return [String(t.number), t.state.rawValue] + values + parameters + attributes + dates + [duration, t.failReason ?? ""]
        }
        self.init(columns: ["number", "state"] + valueColumns + parameterNames + attributeKeys.map { "user." + $0 }
                      + (times ? ["datetime_start", "datetime_complete"] : []) + ["duration_s", "fail_reason"],
                  rows: rows)
    }

    /// A time as ISO 8601 in UTC with milliseconds (`2024-05-01T12:34:56.789Z`), as tables and
    /// exports write it.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }

    /// The shortest text that reads back as the same Double.
    static func format(_ value: Double) -> String { "\(value)" }

    /// Numbers as ``format(_:)``, strings as they are, null as empty, the rest as JSON.
    static func format(_ value: JSONValue) -> String {
        switch value {
        case .null: return ""
        case let .bool(b): return String(b)
        case let .number(d): return format(d)
        case let .string(s): return s
        case .array, .object:
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }

    /// The columns aligned with spaces, a header line first.
    public var text: String {
        let widths = columns.indices.map { c in rows.reduce(columns[c].count) { max($0, $1[c].count) } }
        func line(_ fields: [String]) -> String {
            zip(fields, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([line(columns)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    /// RFC 4180 CSV with a header row and CRLF line ends.
    public var csv: String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return ([columns] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }
}

extension Study {
    /// The study's trials (optionally only those in `states`) as a table.
    public func table(states: Set<TrialState>? = nil, times: Bool = false) async throws -> TrialTable {
        TrialTable(trials: try await trials(states: states), objectives: directions.count, times: times)
    }
}
