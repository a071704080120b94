import Foundation
import Hypertune

/// The order of the trial table: by number, objective value, duration, state, start or end
/// time, or a parameter; ascending or descending. Trials without the key (no value yet, no
/// duration, no such parameter) come last in either order; ties go by trial number.
struct TrialSort: Sendable, Equatable {
    enum Field: Sendable, Equatable {
        case number, value(Int), duration, state, start, complete
        case parameter(String)
    }

    var field: Field
    var descending: Bool

    /// The accepted `sort` values, for error messages.
    static let help = "number, value, value:K (objective K of several), duration, state, datetime_start, datetime_complete or param:NAME"

    /// Parses `sort` and `order`; `order` defaults to best first for values (ascending when
    /// minimizing) and ascending otherwise.
    static func parse(sort: String?, order: String?, directions: [StudyDirection]) throws(DashboardError) -> TrialSort {
        let field: Field
        switch sort ?? "number" {
        case "number": field = .number
        case "value": field = .value(0)
        case "duration": field = .duration
        case "state": field = .state
        case "datetime_start", "start": field = .start
        case "datetime_complete", "complete": field = .complete
        case let s where s.hasPrefix("value:"):
            guard let k = Int(s.dropFirst(6)), k >= 0, k < directions.count else {
                throw .badRequest("sort=\(s): the study has \(directions.count) objective\(directions.count == 1 ? "" : "s") (value:0…value:\(directions.count - 1))")
            }
            field = .value(k)
        case let s where s.hasPrefix("param:") && s.count > 6:
            field = .parameter(String(s.dropFirst(6)))
        case let s:
            throw .badRequest("unknown sort '\(s)': expected \(help)")
        }
        let descending: Bool
        switch order {
        case nil:
            if case let .value(k) = field { descending = directions[k] == .maximize } else { descending = false }
        case "asc": descending = false
        case "desc": descending = true
        case let o?: throw .badRequest("unknown order '\(o)': expected asc or desc")
        }
        return TrialSort(field: field, descending: descending)
    }

    /// The canonical `sort` text.
    var name: String {
        switch field {
        case .number: "number"
        case let .value(k): k == 0 ? "value" : "value:\(k)"
        case .duration: "duration"
        case .state: "state"
        case .start: "datetime_start"
        case .complete: "datetime_complete"
        case let .parameter(p): "param:" + p
        }
    }

    var key: String { name + (descending ? " desc" : " asc") }

    /// A key of one trial: numbers before strings; nil sorts last.
    private enum Key: Comparable {
        case number(Double)
        case text(String)
    }

    private func key(_ t: FrozenTrial) -> Key? {
        switch field {
        case .number: return .number(Double(t.number))
        case let .value(k):
            guard t.state == .complete, let values = t.values, k < values.count, !values[k].isNaN else { return nil }
            return .number(values[k])
        case .duration: return t.duration.map(Key.number)
        case .state: return .text(t.state.rawValue)
        case .start: return t.startedAt.map { .number($0.timeIntervalSinceReferenceDate) }
        case .complete: return t.finishedAt.map { .number($0.timeIntervalSinceReferenceDate) }
        case let .parameter(p):
            switch t.parameters[p] {
            case nil: return nil
            case let .double(x)?: return x.isNaN ? nil : .number(x)
            case let .int(i)?: return .number(Double(i))
            case let .bool(b)?: return .text(b ? "true" : "false")
            case let .string(s)?: return .text(s)
            }
        }
    }

    /// The indices of the trials in `states` (all when nil), in this order.
    /// - Complexity: O(n log n).
    func order(_ trials: [FrozenTrial], states: Set<TrialState>?) -> [Int32] {
        var keyed: [(key: Key?, number: Int, index: Int32)] = []
        keyed.reserveCapacity(trials.count)
        for (i, t) in trials.enumerated() where states?.contains(t.state) ?? true {
            keyed.append((field == .number ? .number(Double(t.number)) : key(t), t.number, Int32(i)))
        }
        let descending = self.descending
        keyed.sort { a, b in
            switch (a.key, b.key) {
            case let (x?, y?):
                if x != y { return descending ? x > y : x < y }
                return descending && field == .number ? a.number > b.number : a.number < b.number
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.number < b.number
            }
        }
        return keyed.map(\.index)
    }
}
