import RealModule

/// A differentiable model with trainable parameters.
///
/// Parameters are exposed as one flat array so that a model plugs into the functional
/// differentiation API: `gradient(at: model.parameters) { ps in model.with(ps).loss(…) }`.
public protocol Layer<Scalar>: Sendable {
    associatedtype Scalar: TensorScalar
    /// The trainable parameters, in a fixed order.
    var parameters: [Tensor<Scalar>] { get set }
    /// The layer applied to a batch of inputs.
    func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar>
}

extension Layer {
    /// A copy of the layer with other parameter values (same count and shapes).
    @inlinable
    public func with(parameters: [Tensor<Scalar>]) -> Self {
        var copy = self
        copy.parameters = parameters
        return copy
    }

    /// The total number of scalar parameters.
    @inlinable
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.scalarCount } }
}

/// Weight initialisation schemes for a `fanIn × fanOut` weight matrix.
public enum Initializer: Sendable {
    /// Glorot & Bengio (2010): uniform on `±√(6/(fanIn+fanOut))`. Suits tanh and sigmoid.
    case xavierUniform
    /// Glorot & Bengio (2010): normal with variance `2/(fanIn+fanOut)`.
    case xavierNormal
    /// He et al. (2015): uniform on `±√(6/fanIn)`. Suits ReLU.
    case heUniform
    /// He et al. (2015): normal with variance `2/fanIn`. Suits ReLU.
    case heNormal
    /// All zeros (convex models such as softmax regression).
    case zeros

    /// A weight tensor of shape `[fanIn, fanOut]` drawn from the scheme.
    @inlinable
    public func weight<S: TensorScalar>(fanIn: Int, fanOut: Int, generator: inout SeededGenerator) -> Tensor<S> {
        let shape: Shape = [fanIn, fanOut]
        let fi = S(Swift.max(fanIn, 1)), fo = S(Swift.max(fanOut, 1))
        switch self {
        case .xavierUniform:
            let a = S.sqrt(6 / (fi + fo))
            return Tensor(randomUniform: shape, lower: -a, upper: a, generator: &generator)
        case .xavierNormal:
            return Tensor(randomNormal: shape, standardDeviation: S.sqrt(2 / (fi + fo)), generator: &generator)
        case .heUniform:
            let a = S.sqrt(6 / fi)
            return Tensor(randomUniform: shape, lower: -a, upper: a, generator: &generator)
        case .heNormal:
            return Tensor(randomNormal: shape, standardDeviation: S.sqrt(2 / fi), generator: &generator)
        case .zeros:
            return Tensor(zeros: shape)
        }
    }
}

/// An affine layer `y = x·W + b` with `W` of shape `[inputSize, outputSize]`.
public struct Linear<Scalar: TensorScalar>: Layer {
    public var weight: Tensor<Scalar>
    public var bias: Tensor<Scalar>

    @inlinable
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>) {
        precondition(weight.rank == 2, "Linear: weight must be a matrix, got shape \(weight.shape)")
        precondition(bias.shape == [weight.shape[1]], "Linear: bias of shape \(bias.shape) for weight \(weight.shape)")
        self.weight = weight
        self.bias = bias
    }

    /// A layer with initialised weights and zero bias.
    @inlinable
    public init(inputSize: Int, outputSize: Int, initializer: Initializer = .xavierUniform, generator: inout SeededGenerator) {
        self.init(
            weight: initializer.weight(fanIn: inputSize, fanOut: outputSize, generator: &generator),
            bias: Tensor(zeros: [outputSize]))
    }

    @inlinable
    public var parameters: [Tensor<Scalar>] {
        get { [weight, bias] }
        set {
            precondition(newValue.count == 2, "Linear: expected 2 parameters, got \(newValue.count)")
            weight = newValue[0]
            bias = newValue[1]
        }
    }

    @inlinable
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        matmul(input, weight) + bias
    }
}

/// Elementwise nonlinearities for ``MLP``.
public enum Activation: String, Sendable, CaseIterable, Codable {
    case relu, tanh, sigmoid, softplus, identity

    @inlinable
    public func callAsFunction<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
        switch self {
        case .relu: return Autograd.relu(x)
        case .tanh: return Autograd.tanh(x)
        case .sigmoid: return Autograd.sigmoid(x)
        case .softplus: return Autograd.softplus(x)
        case .identity: return x
        }
    }
}

/// A multilayer perceptron: linear layers with an activation between them (none after the last).
public struct MLP<Scalar: TensorScalar>: Layer {
    public var layers: [Linear<Scalar>]
    public var activation: Activation

    /// Layers of the given sizes, e.g. `[784, 100, 10]`; weights initialised by He's scheme for
    /// ReLU and Glorot's otherwise.
    @inlinable
    public init(sizes: [Int], activation: Activation = .relu, generator: inout SeededGenerator) {
        precondition(sizes.count >= 2, "MLP: needs at least an input and an output size, got \(sizes)")
        let initializer: Initializer = activation == .relu ? .heNormal : .xavierUniform
        var layers: [Linear<Scalar>] = []
        for (i, o) in zip(sizes, sizes.dropFirst()) {
            layers.append(Linear(inputSize: i, outputSize: o, initializer: initializer, generator: &generator))
        }
        self.layers = layers
        self.activation = activation
    }

    @inlinable
    public var parameters: [Tensor<Scalar>] {
        get { layers.flatMap(\.parameters) }
        set {
            precondition(newValue.count == 2 * layers.count, "MLP: expected \(2 * layers.count) parameters, got \(newValue.count)")
            for i in layers.indices { layers[i].parameters = Array(newValue[(2 * i)..<(2 * i + 2)]) }
        }
    }

    @inlinable
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        var x = input
        for (i, layer) in layers.enumerated() {
            x = layer(x)
            if i < layers.count - 1 { x = activation(x) }
        }
        return x
    }
}

/// Stochastic gradient descent with optional heavy-ball or Nesterov momentum and L2 weight decay
/// (PyTorch's convention: `v ← μv + g + λw`, `w ← w − η v`, or `w ← w − η (g + μv)` for Nesterov).
///
/// This is the plain training optimizer; the differentiable optimizers whose hyperparameters
/// receive hypergradients live in the `Hypergradients` module.
public struct SGD<Scalar: TensorScalar>: Sendable {
    public var learningRate: Scalar
    public var momentum: Scalar
    public var nesterov: Bool
    public var weightDecay: Scalar
    /// The momentum buffers, one per parameter (empty until the first step with momentum): part
    /// of a training checkpoint.
    public var velocities: [Tensor<Scalar>] = []

    @inlinable
    public init(learningRate: Scalar, momentum: Scalar = 0, nesterov: Bool = false, weightDecay: Scalar = 0) {
        precondition(learningRate >= 0, "SGD: negative learning rate \(learningRate)")
        precondition(momentum >= 0, "SGD: negative momentum \(momentum)")
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// One step on `parameters` given their `gradients`, in place.
    /// - Complexity: O(number of parameters).
    @inlinable
    public mutating func update(_ parameters: inout [Tensor<Scalar>], along gradients: [Tensor<Scalar>]) {
        precondition(parameters.count == gradients.count, "SGD: \(gradients.count) gradients for \(parameters.count) parameters")
        if velocities.isEmpty && momentum != 0 { velocities = parameters.map { Tensor(zeros: $0.shape) } }
        let (eta, mu, wd) = (learningRate, momentum, weightDecay)
        for i in parameters.indices {
            precondition(parameters[i].shape == gradients[i].shape, "SGD: gradient shape \(gradients[i].shape) for parameter \(parameters[i].shape)")
            gradients[i].withUnsafeBufferPointer { g in
                if mu == 0 {
                    parameters[i].withUnsafeMutableBufferPointer { w in
                        for j in 0..<w.count { w[j] -= eta * (g[j] + wd * w[j]) }
                    }
                } else {
                    parameters[i].withUnsafeMutableBufferPointer { w in
                        velocities[i].withUnsafeMutableBufferPointer { v in
                            for j in 0..<w.count {
                                let d = g[j] + wd * w[j]
                                v[j] = mu * v[j] + d
                                w[j] -= eta * (nesterov ? d + mu * v[j] : v[j])
                            }
                        }
                    }
                }
            }
        }
    }
}
