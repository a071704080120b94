import Autograd

/// The hyperparameters λ of a bilevel problem: named tensors (scalars, or one value per
/// training example, or any shape).
///
/// Methods differentiate with respect to all of them at once; the gradient comes back as a
/// `Hyperparameters` value with the same names and shapes.
public struct Hyperparameters<Scalar: TensorScalar>: Sendable, CustomStringConvertible {
    /// The names, in order.
    public let names: [String]
    /// The values, in the order of ``names``.
    public var values: [Tensor<Scalar>]

    /// Hyperparameters with the given names and values.
    /// - Precondition: names are distinct and there is one value per name.
    @inlinable
    public init(names: [String], values: [Tensor<Scalar>]) {
        precondition(names.count == values.count, "Hyperparameters: \(names.count) names for \(values.count) values")
        precondition(Set(names).count == names.count, "Hyperparameters: duplicate names in \(names)")
        self.names = names
        self.values = values
    }

    /// Hyperparameters from name–value pairs, e.g. `["learningRate": Tensor(0.1)]`.
    public init(_ pairs: KeyValuePairs<String, Tensor<Scalar>>) {
        self.init(names: pairs.map(\.key), values: pairs.map(\.value))
    }

    /// The value named `name`.
    /// - Precondition: the name exists (the message lists the names that do).
    @inlinable
    public subscript(name: String) -> Tensor<Scalar> {
        get {
            guard let i = names.firstIndex(of: name) else {
                preconditionFailure("no hyperparameter named '\(name)'; the problem has \(names)")
            }
            return values[i]
        }
        set {
            guard let i = names.firstIndex(of: name) else {
                preconditionFailure("no hyperparameter named '\(name)'; the problem has \(names)")
            }
            precondition(newValue.shape == values[i].shape, "hyperparameter '\(name)': shape \(newValue.shape) replaces \(values[i].shape)")
            values[i] = newValue
        }
    }

    /// Whether a hyperparameter with this name exists.
    @inlinable
    public func contains(_ name: String) -> Bool { names.contains(name) }

    /// The same names with other values (same shapes).
    @inlinable
    public func with(values newValues: [Tensor<Scalar>]) -> Hyperparameters {
        precondition(newValues.count == values.count, "Hyperparameters: \(newValues.count) values for \(names.count) names")
        for (i, v) in newValues.enumerated() {
            precondition(v.shape == values[i].shape, "hyperparameter '\(names[i])': shape \(v.shape) replaces \(values[i].shape)")
        }
        return Hyperparameters(names: names, values: newValues)
    }

    /// The total number of scalar hyperparameters.
    public var scalarCount: Int { values.reduce(0) { $0 + $1.scalarCount } }

    /// The Euclidean norm of all values together.
    public var norm: Scalar {
        var total: Scalar = 0
        for v in values { total += dot(v, v).scalar }
        return total.squareRoot()
    }

    public var description: String {
        zip(names, values).map { name, v in
            if v.scalarCount == 1 { return "\(name)=\(v.scalar)" }
            let s = v.scalars
            let mean = s.reduce(0, +) / Scalar(Swift.max(1, s.count))
            return "\(name)=[\(v.shape) mean \(mean) min \(s.min() ?? 0) max \(s.max() ?? 0)]"
        }.joined(separator: ", ")
    }
}

/// Where an inner optimizer takes one of its own hyperparameters from: a constant, or a
/// (possibly transformed) hyperparameter that is differentiated like any other.
///
/// Transforms keep values in their natural domain while the hyperparameter itself is
/// unconstrained: `.exponential("logLearningRate")` is always positive, `.sigmoid("logitMomentum")`
/// always in (0, 1).
public struct OptimizerSetting<Scalar: TensorScalar>: Sendable {
    @usableFromInline let resolve: @Sendable (Hyperparameters<Scalar>) -> Tensor<Scalar>
    /// A short description for messages and logs.
    public let label: String

    /// A value given by `resolve` from the hyperparameters (differentiable).
    public init(label: String, _ resolve: @escaping @Sendable (Hyperparameters<Scalar>) -> Tensor<Scalar>) {
        self.label = label
        self.resolve = resolve
    }

    /// A fixed value, not a hyperparameter.
    public static func constant(_ value: Scalar) -> OptimizerSetting {
        let t = Tensor<Scalar>(value)
        return OptimizerSetting(label: "\(value)") { _ in t }
    }

    /// The hyperparameter `name` itself.
    public static func hyperparameter(_ name: String) -> OptimizerSetting {
        OptimizerSetting(label: name) { $0[name] }
    }

    /// `exp(λ[name])`: a positive value tuned on a log scale.
    public static func exponential(_ name: String) -> OptimizerSetting {
        OptimizerSetting(label: "exp(\(name))") { exp($0[name]) }
    }

    /// `σ(λ[name])`: a value in (0, 1) tuned on the logit scale.
    public static func sigmoid(_ name: String) -> OptimizerSetting {
        OptimizerSetting(label: "sigmoid(\(name))") { Autograd.sigmoid($0[name]) }
    }

    /// The value for the given hyperparameters.
    @inlinable
    public func value(_ hyperparameters: Hyperparameters<Scalar>) -> Tensor<Scalar> {
        resolve(hyperparameters)
    }
}

extension OptimizerSetting: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    public init(floatLiteral value: Double) {
        let t = Tensor<Scalar>(Scalar(value))
        self.init(label: "\(value)") { _ in t }
    }

    public init(integerLiteral value: Int) {
        let t = Tensor<Scalar>(Scalar(value))
        self.init(label: "\(value)") { _ in t }
    }
}
