import Foundation
import Hypertune

/// One line of an objective program's standard output, read by the output protocol:
///
/// - `{"step": 3, "value": 0.41}` — an intermediate value at a step (fed to the pruner);
/// - `{"value": 0.37}` or `{"values": [0.37, 12]}` — the result (the last such line counts);
/// - a bare number (`0.37`) — the result too, when it is the last line of the output;
/// - anything else — the program's own log output, ignored.
///
/// A JSON object with `value`/`values`/`step` members of the wrong kind (a string, a fractional
/// step) is a malformed line: the trial fails with the line quoted, rather than the line being
/// silently taken for log output.
public enum ObjectiveLine: Sendable, Equatable {
    case intermediate(step: Int, value: Double)
    case result([Double])
    /// A bare number: the result only if nothing but blank lines follows it.
    case number(Double)
    case malformed(String)
    case other

    public init(parsing raw: String) {
        let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let first = line.first else {
            self = .other
            return
        }
        if first == "{" {
            guard let object = try? StoredJSON.decode([String: JSONValue].self, line) else {
                self = .other
                return
            }
            self = Self.interpret(object, line)
            return
        }
        if let x = Self.number(line) {
            self = .number(x)
            return
        }
        self = .other
    }

    /// A line that is one number (decimal or exponent notation, `nan`, `inf` as programs print
    /// them).
    static func number(_ text: String) -> Double? {
        guard text.count <= 64, text.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { return nil }
        return Double(text) ?? (["nan", "NaN", "+nan"].contains(text) ? .nan : nil)
    }

    /// A JSON line's meaning. (Stored JSON's reader takes the strings "NaN", "Infinity" and
    /// "-Infinity" for those numbers, as programs that cannot print them in JSON write them.)
    static func interpret(_ object: [String: JSONValue], _ line: String) -> ObjectiveLine {
        let step = object["step"], value = object["value"], values = object["values"]
        guard step != nil || value != nil || values != nil else { return .other }
        if let step {
            guard case let .number(s) = step, let integer = Int(exactly: s) else { return .malformed("the step in '\(line)' is not an integer") }
            guard case let .number(x)? = value else { return .malformed("the intermediate value in '\(line)' is not a number") }
            return .intermediate(step: integer, value: x)
        }
        if let values {
            guard case let .array(elements) = values else { return .malformed("'values' in '\(line)' is not a list of numbers") }
            var numbers: [Double] = []
            for element in elements {
                guard case let .number(x) = element else { return .malformed("'values' in '\(line)' is not a list of numbers") }
                numbers.append(x)
            }
            return .result(numbers)
        }
        guard case let .number(x)? = value else { return .malformed("the value in '\(line)' is not a number") }
        return .result([x])
    }
}

/// What an objective program's output says once it has ended: its result, or why there is none.
public struct ObjectiveTranscript: Sendable {
    /// The last `{"value": …}`/`{"values": …}` line's values.
    public private(set) var result: [Double]?
    /// A bare number standing last (so far).
    var trailingNumber: Double?
    /// The first malformed protocol line, which fails the trial.
    public private(set) var malformed: String?
    /// The last non-blank line, quoted when the output holds no result.
    public private(set) var lastLine: String?

    public init() {}

    /// Takes in one line; returns the intermediate value it reports, if any.
    public mutating func read(_ raw: String) -> (step: Int, value: Double)? {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        lastLine = String(trimmed.prefix(200))
        trailingNumber = nil
        switch ObjectiveLine(parsing: trimmed) {
        case let .intermediate(step, value): return (step, value)
        case let .result(values): result = values
        case let .number(x): trailingNumber = x
        case let .malformed(reason): if malformed == nil { malformed = reason }
        case .other: break
        }
        return nil
    }

    /// The objective values, or the reason the output gives none (``values(objectives:)``).
    public func values(objectives: Int) -> Result<[Double], ObjectiveFailure> {
        if let malformed { return .failure(ObjectiveFailure(malformed)) }
        guard let values = trailingNumber.map({ [$0] }) ?? result else {
            if let lastLine { return .failure(ObjectiveFailure("no objective value in the output: its last line is '\(lastLine)' (print {\"value\": x} or a bare number last)")) }
            return .failure(ObjectiveFailure("no objective value: the program printed nothing"))
        }
        guard values.count == objectives else {
            return .failure(ObjectiveFailure("the program gave \(values.count) value\(values.count == 1 ? "" : "s") for \(objectives) objective\(objectives == 1 ? "" : "s")"))
        }
        if let bad = values.first(where: { !$0.isFinite }) {
            return .failure(ObjectiveFailure("the objective value is \(bad)"))
        }
        return .success(values)
    }
}

/// Why an objective program's trial failed (the reason recorded with the trial).
public struct ObjectiveFailure: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
