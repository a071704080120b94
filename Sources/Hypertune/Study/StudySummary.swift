import Foundation

/// A study at a glance: its trials by state, its best value(s) and when anything last happened —
/// what a list of studies shows (`hypertune studies`, the dashboard).
public struct StudySummary: Sendable, Equatable {
    public let name: String
    public let directions: [StudyDirection]
    /// Trials by state (states without trials absent).
    public let counts: [TrialState: Int]
    /// The best complete trial of a single-objective study.
    public let best: (number: Int, value: Double)?
    /// The number of trials on the Pareto front of a study of several objectives.
    public let paretoFrontSize: Int?
    /// The latest start or end of a trial; nil for a study without trials.
    public let lastActivity: Date?
    public let createdAt: Date
    /// The sampler and pruner of the latest worker (``Study/samplerKey``), if recorded.
    public let sampler: String?, pruner: String?
    /// All its trials.
    public var total: Int { counts.values.reduce(0, +) }

    public init(record: StudyRecord, trials: [FrozenTrial]) {
        name = record.name
        directions = record.directions
        createdAt = record.createdAt
        sampler = if case let .string(s)? = record.systemAttributes[Study.samplerKey] { s } else { nil }
        pruner = if case let .string(p)? = record.systemAttributes[Study.prunerKey] { p } else { nil }
        counts = Dictionary(grouping: trials, by: \.state).mapValues(\.count)
        let complete = trials.filter { $0.state == .complete && $0.values?.count == record.directions.count }
        if record.directions.count == 1 {
            let sign = record.directions[0] == .maximize ? -1.0 : 1.0
            best = complete.min { sign * $0.values![0] < sign * $1.values![0] }.map { ($0.number, $0.values![0]) }
            paretoFrontSize = nil
        } else {
            best = nil
            paretoFrontSize = ParetoFront.indices(of: complete.map(\.values!), directions: record.directions).count
        }
        lastActivity = trials.lazy.flatMap { [$0.startedAt, $0.finishedAt].compactMap { $0 } }.max()
    }

    public static func == (a: StudySummary, b: StudySummary) -> Bool {
        a.name == b.name && a.directions == b.directions && a.counts == b.counts && a.best?.number == b.best?.number
            && a.best?.value == b.best?.value && a.paretoFrontSize == b.paretoFrontSize && a.lastActivity == b.lastActivity
            && a.sampler == b.sampler && a.pruner == b.pruner
    }
}

/// Non-dominated sets of objective vectors.
public enum ParetoFront {
    /// The indices of the vectors no other vector dominates (at least as good in every objective,
    /// better in one), in their order.
    /// - Complexity: O(n² m) for n vectors of m objectives.
    public static func indices(of values: [[Double]], directions: [StudyDirection]) -> [Int] {
        let signs = directions.map { $0 == .maximize ? -1.0 : 1.0 }
        func dominates(_ a: [Double], _ b: [Double]) -> Bool {
            var strictly = false
            for (i, s) in signs.enumerated() {
                if s * a[i] > s * b[i] { return false }
                if s * a[i] < s * b[i] { strictly = true }
            }
            return strictly
        }
        return values.indices.filter { i in !values.indices.contains { j in j != i && dominates(values[j], values[i]) } }
    }
}
