import Foundation

/// The range a hyperparameter is drawn from.
///
/// Samplers work on an *internal* representation: a float's value, an integer's value as a
/// `Double`, a categorical's choice index. ``toInternal(_:)`` and ``toExternal(_:)`` convert, and
/// ``validate(name:)`` reports invalid ranges with a message naming the parameter.
public enum Distribution: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A real number in `[low, high]`, uniform or log-uniform, optionally on the grid
    /// `low, low + step, …` (not with `log`).
    case float(low: Double, high: Double, log: Bool = false, step: Double? = nil)
    /// An integer in `[low, high]` on the grid `low, low + step, …`, uniform or log-uniform
    /// (log requires `step == 1`).
    case int(low: Int, high: Int, log: Bool = false, step: Int = 1)
    /// One of the choices.
    case categorical([ParameterValue])

    /// Checks the range: ordered bounds, positive bounds on a log scale, a step that divides the
    /// range, at least one choice.
    public func validate(name: String) throws(SearchSpaceError) {
        switch self {
        case let .float(low, high, log, step):
            guard low.isFinite, high.isFinite else { throw .invalid(name, "bounds must be finite, got [\(low), \(high)]") }
            guard low <= high else { throw .invalid(name, "low \(low) is greater than high \(high)") }
            if log {
                guard low > 0 else { throw .invalid(name, "a log-scale range needs low > 0, got low = \(low)") }
                guard step == nil else { throw .invalid(name, "a log-scale float cannot have a step") }
            }
            if let step {
                guard step > 0 else { throw .invalid(name, "step must be positive, got \(step)") }
                let k = (high - low) / step
                guard abs(k - k.rounded()) <= 1e-9 * max(1, k) else {
                    throw .invalid(name, "step \(step) does not divide the range [\(low), \(high)]")
                }
            }
        case let .int(low, high, log, step):
            guard low <= high else { throw .invalid(name, "low \(low) is greater than high \(high)") }
            guard step >= 1 else { throw .invalid(name, "step must be at least 1, got \(step)") }
            guard (high - low) % step == 0 else { throw .invalid(name, "step \(step) does not divide the range [\(low), \(high)]") }
            if log {
                guard low >= 1 else { throw .invalid(name, "a log-scale range needs low ≥ 1, got low = \(low)") }
                guard step == 1 else { throw .invalid(name, "a log-scale integer cannot have a step other than 1") }
            }
        case let .categorical(choices):
            guard !choices.isEmpty else { throw .invalid(name, "a categorical needs at least one choice") }
            guard Set(choices).count == choices.count else { throw .invalid(name, "repeated choices in \(choices)") }
        }
    }

    /// Whether only one value is possible.
    public var isSingle: Bool {
        switch self {
        case let .float(low, high, _, _): return low == high
        case let .int(low, high, _, _): return low == high
        case let .categorical(c): return c.count == 1
        }
    }

    public var isCategorical: Bool {
        if case .categorical = self { return true }
        return false
    }

    /// The internal representation of `value`, or nil if it is not in the distribution.
    public func toInternal(_ value: ParameterValue) -> Double? {
        switch self {
        case let .float(low, high, _, _):
            guard let v = value.doubleValue, v >= low - 1e-12 * max(1, abs(low)), v <= high + 1e-12 * max(1, abs(high)) else { return nil }
            return v
        case let .int(low, high, _, step):
            guard let v = value.intValue, v >= low, v <= high, (v - low) % step == 0 else { return nil }
            return Double(v)
        case let .categorical(choices):
            if let i = choices.firstIndex(of: value) { return Double(i) }
            // 1 and 1.0 name the same choice.
            if let d = value.doubleValue, let i = choices.firstIndex(where: { $0.doubleValue == d }) { return Double(i) }
            return nil
        }
    }

    /// The value for an internal representation (rounded onto the grid and clamped).
    public func toExternal(_ x: Double) -> ParameterValue {
        switch self {
        case let .float(low, high, _, step):
            var v = min(max(x, low), high)
            if let step { v = min(high, low + ((v - low) / step).rounded() * step) }
            return .double(v)
        case let .int(low, high, _, step):
            let k = ((min(max(x, Double(low)), Double(high)) - Double(low)) / Double(step)).rounded()
            return .int(min(high, low + Int(k) * step))
        case let .categorical(choices):
            return choices[min(choices.count - 1, max(0, Int(x.rounded())))]
        }
    }

    /// The number of values on the grid, for integers, stepped floats and categoricals; nil for
    /// continuous floats.
    public var gridCount: Int? {
        switch self {
        case let .float(low, high, _, step?): return Int(((high - low) / step).rounded()) + 1
        case .float: return nil
        case let .int(low, high, _, step): return (high - low) / step + 1
        case let .categorical(c): return c.count
        }
    }

    public var description: String {
        switch self {
        case let .float(low, high, log, step):
            return "float[\(low), \(high)]" + (log ? " log" : "") + (step.map { " step \($0)" } ?? "")
        case let .int(low, high, log, step):
            return "int[\(low), \(high)]" + (log ? " log" : "") + (step != 1 ? " step \(step)" : "")
        case let .categorical(c):
            return "categorical\(c.map(\.description))"
        }
    }
}

/// An invalid search space or suggestion, with a message naming the parameter.
public struct SearchSpaceError: Error, CustomStringConvertible, Equatable {
    public let parameter: String
    public let message: String
    public var description: String { "parameter '\(parameter)': \(message)" }

    public static func invalid(_ parameter: String, _ message: String) -> SearchSpaceError {
        SearchSpaceError(parameter: parameter, message: message)
    }
}
