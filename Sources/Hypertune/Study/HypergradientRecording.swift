/// How a gradient-based hyperparameter run is recorded in a study (ARCHITECTURE.md, principle 3):
/// one COMPLETE trial per hyper-iteration, so that storage, tables, charts, exports and the
/// dashboard serve it as they serve a black-box search.
///
/// A recorded trial has
/// - the parameter ``iterationParameter`` (`hyper_iteration`, an integer fixed as a one-choice
///   categorical), and ``runParameter`` (`run`, a string) when a study holds several runs (one
///   per budget, say);
/// - the outer (validation) loss as its value;
/// - the user attribute ``hypergradientNormKey`` (`hypergradient_norm`), and ``lambdaKey``
///   (`lambda`): an object from each hyperparameter's name to its value — a number for a scalar,
///   `{"mean": …, "min": …, "max": …}` for a tensor (per-example weights, say);
/// - any further user attributes the run adds (F1, flagged counts, …).
public enum HypergradientRecording {
    public static let iterationParameter = "hyper_iteration"
    public static let runParameter = "run"
    public static let hypergradientNormKey = "hypergradient_norm"
    public static let lambdaKey = "lambda"

    /// A hyperparameter's value at a hyper-iteration: a scalar, or the summary of a tensor.
    public enum Lambda: Sendable, Equatable {
        case scalar(Double)
        case summary(mean: Double, min: Double, max: Double)

        /// The summary of `values`.
        public init(summarising values: [Double]) {
            precondition(!values.isEmpty, "HypergradientRecording.Lambda: no values")
            self = .summary(mean: values.reduce(0, +) / Double(values.count), min: values.min()!, max: values.max()!)
        }

        var json: JSONValue {
            switch self {
            case let .scalar(x): .number(x)
            case let .summary(mean, min, max): .object(["mean": .number(mean), "min": .number(min), "max": .number(max)])
            }
        }

        init?(json: JSONValue) {
            switch json {
            case let .number(x): self = .scalar(x)
            case let .object(o):
                guard case let .number(mean)? = o["mean"], case let .number(min)? = o["min"], case let .number(max)? = o["max"] else { return nil }
                self = .summary(mean: mean, min: min, max: max)
            default: return nil
            }
        }

        /// The value drawn for the hyperparameter: the scalar, or the tensor's mean.
        public var value: Double {
            switch self {
            case let .scalar(x): x
            case let .summary(mean, _, _): mean
            }
        }
    }

    /// One recorded hyper-iteration, as read back from a trial.
    public struct Iteration: Sendable, Equatable {
        public var run: String?
        public var iteration: Int
        public var outerLoss: Double
        public var hypergradientNorm: Double?
        public var lambda: [String: Lambda]
    }

    /// Records a hyper-iteration as a complete trial of `study`.
    @discardableResult
    public static func record(iteration: Int, run: String? = nil, outerLoss: Double, hypergradientNorm: Double,
                              lambda: [String: Lambda], attributes: [String: JSONValue] = [:], in study: Study) async throws -> FrozenTrial {
        let trial = try await study.ask()
        if let run { _ = try await trial.suggest(runParameter, .categorical([.string(run)])) }
        _ = try await trial.suggest(iterationParameter, .categorical([.int(iteration)]))
        try await trial.setUserAttribute(hypergradientNormKey, .number(hypergradientNorm))
        try await trial.setUserAttribute(lambdaKey, .object(lambda.mapValues(\.json)))
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) { try await trial.setUserAttribute(key, value) }
        return try await study.tell(trial, outerLoss)
    }

    /// The hyper-iteration a trial records, or nil for a trial that is not one.
    public static func iteration(of trial: FrozenTrial) -> Iteration? {
        guard trial.state == .complete, let loss = trial.value, let iteration = trial.parameters[iterationParameter]?.intValue,
              case let .object(lambdas)? = trial.userAttributes[lambdaKey] else { return nil }
        let norm: Double? = if case let .number(n)? = trial.userAttributes[hypergradientNormKey] { n } else { nil }
        return Iteration(run: trial.parameters[runParameter]?.stringValue, iteration: iteration, outerLoss: loss,
                         hypergradientNorm: norm, lambda: lambdas.compactMapValues(Lambda.init(json:)))
    }
}
