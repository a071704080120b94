import Foundation
import Hypertune

/// What every chart reads: the history, the study's name and the options.
struct ChartContext {
    let history: StudyHistory
    let studyName: String
    let options: StudyChartOptions

    /// The objective the options select.
    func objective() throws(ChartError) -> Objective {
        let count = history.directions.count
        guard options.objectiveIndex >= 0, options.objectiveIndex < max(count, 1), count > 0 else {
            let range = count == 0 ? "the study has no objectives" : count == 1 ? "the study has 1 objective (index 0)" : "the study has \(count) objectives (0…\(count - 1))"
            throw ChartError(.objectiveIndexOutOfRange, "objective index \(options.objectiveIndex) is out of range: \(range)")
        }
        let i = options.objectiveIndex
        let name = options.objectiveName ?? (count > 1 ? "objective \(i)" : "objective value")
        return Objective(index: i, direction: history.directions[i], name: name, count: count)
    }

    /// Complete trials with a finite value for `objective`, in number order, with that value.
    /// The selected objective and the complete trials with a value for it, in number order.
    /// - Throws: ``ChartError`` (`.noCompleteTrials`, saying what the study holds) when there are
    ///   none, or the objective index is out of range.
    func objectiveAndCompleteTrials() throws(ChartError) -> (Objective, [ScoredTrial]) {
        let objective = try objective()
        let complete = completeTrials(objective)
        guard !complete.isEmpty else { throw ChartError.noCompleteTrials(history, objective: objective) }
        return (objective, complete)
    }

    func completeTrials(_ objective: Objective) -> [ScoredTrial] {
        var out: [ScoredTrial] = []
        out.reserveCapacity(history.trials.count)
        for t in history.trials where t.state == .complete {
            if let v = objective.value(of: t) { out.append(ScoredTrial(trial: t, value: v)) }
        }
        return out.sortedByNumber()
    }

    /// The parameter names the options ask for, checked against `known`; all of `known` when
    /// the options name none.
    func selectedParameters(known: [String]) throws(ChartError) -> [String] {
        guard let asked = options.parameters else { return known }
        let knownSet = Set(known)
        for name in asked where !knownSet.contains(name) { throw ChartError.unknownParameter(name, known: known) }
        var seen = Set<String>()
        return asked.filter { seen.insert($0).inserted }
    }

    /// "study — what", the chart's title.
    func title(_ what: String) -> String { "\(studyName) — \(what)" }
}

/// The objective a chart draws: which one, which way is better, and its name.
struct Objective {
    let index: Int
    let direction: StudyDirection
    let name: String
    /// How many objectives the study has.
    let count: Int

    var bestIsHigh: Bool { direction == .maximize }

    /// The trial's finite value for this objective, or nil.
    func value(of trial: FrozenTrial) -> Double? {
        guard let values = trial.values, index < values.count, values[index].isFinite else { return nil }
        return values[index]
    }

    /// Whether `a` is strictly better than `b`.
    func isBetter(_ a: Double, than b: Double) -> Bool { bestIsHigh ? a > b : a < b }

    /// "objective value (minimize)" or "objective 1 of 2 (maximize)".
    var caption: String {
        count > 1 ? "\(name), objective \(index + 1) of \(count) (\(direction.rawValue))" : "\(name) (\(direction.rawValue))"
    }
}

/// A trial with the value it is drawn at.
struct ScoredTrial {
    let trial: FrozenTrial
    let value: Double
    var number: Int { trial.number }
}

extension [ScoredTrial] {
    /// Sorted by trial number (already sorted input costs O(n)).
    func sortedByNumber() -> [ScoredTrial] {
        var sorted = true
        for i in indices.dropFirst() where self[i - 1].number > self[i].number {
            sorted = false
            break
        }
        return sorted ? self : self.sorted { $0.number < $1.number }
    }

    /// Indices of the trials, best first (ties by number).
    func bestFirst(_ objective: Objective) -> [Int] {
        indices.sorted { a, b in
            let (x, y) = (self[a].value, self[b].value)
            return objective.isBetter(x, than: y) || (x == y && self[a].number < self[b].number)
        }
    }
}

/// Deterministic subsampling for big studies.
enum Subsample {
    /// At most `limit` of `count` items, as ascending indices: the `keep` indices first (in
    /// their order, up to the limit), then evenly spaced items among the rest — the same items
    /// for the same input, and spread over the whole study (trial numbers) rather than bunched.
    /// - Complexity: O(count + keep).
    static func indices(count: Int, limit: Int, keep: [Int]) -> [Int] {
        guard count > limit else { return Array(0..<count) }
        var chosen = [Bool](repeating: false, count: count)
        var taken = 0
        for i in keep where taken < limit && !chosen[i] {
            chosen[i] = true
            taken += 1
        }
        let rest = (0..<count).filter { !chosen[$0] }
        let wanted = limit - taken
        if wanted > 0 && !rest.isEmpty {
            for j in 0..<wanted {
                let k = min(rest.count - 1, Int((Double(j) + 0.5) * Double(rest.count) / Double(wanted)))
                chosen[rest[k]] = true
            }
        }
        return (0..<count).filter { chosen[$0] }
    }

    /// The trials to draw out of `trials`: all when within `limit`; otherwise the best tenth
    /// of the limit, the `alsoKeep` indices, and evenly spaced others.
    static func trials(_ trials: [ScoredTrial], limit: Int, objective: Objective, alsoKeep: [Int] = []) -> [ScoredTrial] {
        guard trials.count > limit else { return trials }
        let best = Array(trials.bestFirst(objective).prefix(max(1, limit / 10)))
        return indices(count: trials.count, limit: limit, keep: best + alsoKeep).map { trials[$0] }
    }
}

/// How one parameter is laid along an axis: its values as numbers (linear or log) or as
/// categories, from the distributions the trials record.
struct ParameterAxis {
    let name: String
    let kind: AxisKind
    /// For categorical parameters: each choice's index, by value and by numeric value (1 and
    /// 1.0 name the same choice).
    private let choiceIndex: [ParameterValue: Int]
    private let numericChoiceIndex: [Double: Int]

    var isCategorical: Bool { if case .categorical = kind { true } else { false } }
    var isLog: Bool { if case .log = kind { true } else { false } }

    /// The axis of `name` over `trials`: categorical if any trial drew it from a categorical
    /// distribution or holds a string or boolean for it (choices in the order the
    /// distributions list them, then any other value seen); otherwise numeric over the union
    /// of the distributions' bounds and the values, log when every distribution says log.
    /// - Complexity: O(trials).
    init(name: String, trials: [FrozenTrial]) {
        self.name = name
        var categorical = false, allLog = true, anyDistribution = false
        var low = Double.infinity, high = -Double.infinity
        var choices: [ParameterValue] = []
        var index: [ParameterValue: Int] = [:], numeric: [Double: Int] = [:]
        var seenDistributions = Set<Distribution>()
        var last: Distribution?  // most trials repeat the previous trial's distribution: skip hashing it
        func addChoice(_ c: ParameterValue) {
            if index[c] != nil { return }
            if let d = c.doubleValue, numeric[d] != nil { return }
            index[c] = choices.count
            if let d = c.doubleValue { numeric[d] = choices.count }
            choices.append(c)
        }
        for t in trials {
            guard let value = t.parameters[name] else { continue }
            if let d = t.distributions[name], d != last {
                last = d
                if seenDistributions.insert(d).inserted {
                    anyDistribution = true
                    switch d {
                    case let .float(l, h, log, _):
                        low = min(low, l); high = max(high, h); allLog = allLog && log
                    case let .int(l, h, log, _):
                        low = min(low, Double(l)); high = max(high, Double(h)); allLog = allLog && log
                    case let .categorical(cs):
                        categorical = true
                        for c in cs { addChoice(c) }
                    }
                }
            }
            if let v = value.doubleValue {
                if v.isFinite {
                    low = min(low, v)
                    high = max(high, v)
                }
            } else {
                categorical = true
            }
        }
        if categorical {
            // Values no distribution listed (a parameter whose type changed between trials).
            for t in trials { if let v = t.parameters[name] { addChoice(v) } }
            kind = .categorical(choices.map(Self.label))
        } else if low > high {
            kind = .linear(0...1)
        } else if anyDistribution && allLog && low > 0 {
            kind = .log(low == high ? (low / 2)...(high * 2) : low...high)
        } else {
            kind = .linear(AxisKind.paddedLinear(low...high, padding: 0))
        }
        choiceIndex = index
        numericChoiceIndex = numeric
    }

    /// The coordinate of `value` on the axis: the number itself, or the category's index; nil
    /// when it cannot be placed.
    func coordinate(_ value: ParameterValue) -> Double? {
        if isCategorical {
            if let i = choiceIndex[value] { return Double(i) }
            if let d = value.doubleValue, let i = numericChoiceIndex[d] { return Double(i) }
            return nil
        }
        guard let v = value.doubleValue, v.isFinite else { return nil }
        if isLog && v <= 0 { return nil }
        return v
    }

    /// A choice as shown on an axis (`true`, `3`, `0.5`, `adam`).
    static func label(_ value: ParameterValue) -> String {
        switch value {
        case let .double(d): TickLabel.approximate(d)
        default: value.description
        }
    }

    /// The parameter names the trials have, sorted.
    static func names(in trials: some Sequence<FrozenTrial>) -> [String] {
        var names = Set<String>()
        for t in trials { names.formUnion(t.parameters.keys) }
        return names.sorted()
    }
}

/// Tooltips: the text of each trial's `<title>`.
enum Tooltip {
    /// "Trial 12 · COMPLETE", the value, and up to 12 parameters, one per line.
    static func text(_ trial: FrozenTrial, valueLabel: String, value: Double?, extra: [String] = []) -> String {
        var lines = ["Trial \(trial.number) · \(trial.state.rawValue)"]
        if let value { lines.append("\(valueLabel): \(number(value))") }
        lines += extra
        let names = trial.parameters.keys.sorted()
        for name in names.prefix(12) {
            let v = trial.parameters[name]!
            lines.append("\(name) = \(v.doubleValue.map(number) ?? v.description)")
        }
        if names.count > 12 { lines.append("… and \(names.count - 12) more parameters") }
        return lines.joined(separator: "\n")
    }

    /// A value with 6 significant digits, in the charts' labelling scheme.
    static func number(_ v: Double) -> String { TickLabel.format(v, significantDigits: 6) }
}

/// The page layout shared by the charts: a title and subtitle on top, then the plot.
enum Layout {
    static let top = 70.0
    static let titleSize = 16.0

    /// The title (bold) and a muted subtitle, left-aligned.
    static func drawHeader(_ svg: inout SVGDocument, title: String, subtitle: String) {
        svg.open("g", ["class": "header"])
        svg.element("text", ["x": "18", "y": "28", "font-size": SVGDocument.number(titleSize), "font-weight": "bold", "fill": Style.ink],
                    text: TextMetrics.truncated(title, toWidth: svg.width - 36, fontSize: titleSize))
        svg.element("text", ["x": "18", "y": "48", "font-size": "12", "fill": Style.muted],
                    text: TextMetrics.truncated(subtitle, toWidth: svg.width - 36, fontSize: 12))
        svg.close("g")
    }

    /// "412 complete, 37 pruned, 3 failed trials".
    static func stateCounts(_ history: StudyHistory) -> String {
        var counts: [TrialState: Int] = [:]
        for t in history.trials { counts[t.state, default: 0] += 1 }
        let parts = [TrialState.complete, .pruned, .failed, .running, .waiting].compactMap { s in
            counts[s].map { "\($0) \(s.rawValue.lowercased())" }
        }
        return parts.isEmpty ? "no trials" : parts.joined(separator: ", ") + (history.trials.count == 1 ? " trial" : " trials")
    }

    /// " · showing N of M trials" when subsampled, else "".
    static func showing(_ drawn: Int, of total: Int) -> String {
        drawn < total ? " · showing \(drawn) of \(total) trials" : ""
    }
}
