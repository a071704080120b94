/// An n-dimensional array of `Float` or `Double` with value semantics, and the differentiable
/// value of the Autograd engine.
///
/// Storage is contiguous and row-major; copies share it until one of them is mutated
/// (copy-on-write). A tensor optionally carries derivative information: a node of the reverse-mode
/// graph (when it was computed from inputs being differentiated) and forward-mode tangents (when
/// it depends on inputs of a ``jvp(at:along:of:)``). Plain tensors carry none, and operations on
/// them do no bookkeeping at all.
///
/// ```swift
/// let x = Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4])
/// let (loss, grad) = valueWithGradient(at: x) { x in (x * x).sum() }
/// // loss = 30, grad = 2x
/// ```
///
/// ## Topics
/// ### Creating tensors
/// - ``init(shape:scalars:)``
/// - ``init(_:)``
/// - ``init(zeros:)``
/// - ``init(ones:)``
/// - ``init(repeating:shape:)``
/// ### Reading values
/// - ``scalars``
/// - ``scalar``
/// - ``subscript(scalarAt:)``
public struct Tensor<Scalar: TensorScalar>: Sendable {
    /// The dimensions of the tensor.
    public let shape: Shape
    @usableFromInline var storage: TensorBuffer<Scalar>
    @usableFromInline var derivatives: DerivativeInfo<Scalar>?

    @inlinable
    init(shape: Shape, storage: TensorBuffer<Scalar>, derivatives: DerivativeInfo<Scalar>? = nil) {
        self.shape = shape
        self.storage = storage
        self.derivatives = derivatives
    }

    /// A tensor of the given shape whose storage is uninitialised; `body` must write every element.
    @inlinable
    init(shape: Shape, initializingWith body: (UnsafeMutableBufferPointer<Scalar>) -> Void) {
        precondition(shape.isValid, "Tensor: negative dimension in shape \(shape)")
        let storage = TensorBuffer<Scalar>(uninitializedCount: shape.elementCount)
        body(storage.mutableBuffer)
        self.init(shape: shape, storage: storage)
    }

    /// A tensor with the given shape and row-major elements.
    /// - Precondition: `scalars.count` equals the product of the dimensions.
    @inlinable
    public init(shape: Shape, scalars: [Scalar]) {
        precondition(
            scalars.count == shape.elementCount,
            "Tensor(shape:scalars:): shape \(shape) needs \(shape.elementCount) scalars, got \(scalars.count)")
        self.init(shape: shape) { out in
            _ = out.initialize(from: scalars)
        }
    }

    /// A rank-1 tensor holding `scalars`.
    @inlinable
    public init(_ scalars: [Scalar]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A rank-0 tensor (a scalar).
    @inlinable
    public init(_ scalar: Scalar) {
        self.init(shape: [], storage: TensorBuffer(repeating: scalar, count: 1))
    }

    /// A tensor with every element equal to `value`.
    @inlinable
    public init(repeating value: Scalar, shape: Shape) {
        precondition(shape.isValid, "Tensor: negative dimension in shape \(shape)")
        self.init(shape: shape, storage: TensorBuffer(repeating: value, count: shape.elementCount))
    }

    /// A tensor of zeros.
    @inlinable
    public init(zeros shape: Shape) { self.init(repeating: 0, shape: shape) }

    /// A tensor of ones.
    @inlinable
    public init(ones shape: Shape) { self.init(repeating: 1, shape: shape) }

    /// A tensor converted element by element from another scalar type (no derivative information).
    @inlinable
    public init<Other: TensorScalar>(converting other: Tensor<Other>) {
        self.init(shape: other.shape) { out in
            other.withUnsafeBufferPointer { src in
                for i in 0..<src.count { out[i] = Scalar(src[i]) }
            }
        }
    }

    /// The number of dimensions.
    @inlinable public var rank: Int { shape.rank }

    /// The number of elements.
    @inlinable public var scalarCount: Int { storage.count }

    /// The elements in row-major order.
    @inlinable
    public var scalars: [Scalar] { Array(storage.buffer) }

    /// The single element of a tensor with one element (of any rank).
    @inlinable
    public var scalar: Scalar {
        precondition(scalarCount == 1, "Tensor.scalar: tensor of shape \(shape) has \(scalarCount) elements, not 1")
        return storage.base[0]
    }

    /// The element at the given position (one index per dimension).
    public subscript(scalarAt indices: Int...) -> Scalar {
        get { storage.base[flatIndex(indices)] }
        set {
            let i = flatIndex(indices)
            withUnsafeMutableBufferPointer { $0[i] = newValue }
        }
    }

    @usableFromInline
    func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == rank, "Tensor subscript: \(indices.count) indices for shape \(shape)")
        var flat = 0
        for (axis, i) in indices.enumerated() {
            precondition(i >= 0 && i < shape[axis], "Tensor subscript: index \(indices) out of range for shape \(shape)")
            flat = flat * shape[axis] + i
        }
        return flat
    }

    /// Calls `body` with the elements in row-major order.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(storage.buffer)
    }

    /// Calls `body` with mutable access to the elements, copying the storage first if it is
    /// shared. Mutation drops any derivative information: the result is a plain tensor.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) {
            storage = TensorBuffer(copying: storage)
        }
        derivatives = nil
        var buffer = storage.mutableBuffer
        return try body(&buffer)
    }

    /// Whether the tensor carries derivative information (a graph node or tangents).
    @inlinable public var isTracked: Bool { derivatives != nil }

    /// The same values with no derivative information: a constant to every differentiation.
    /// - Complexity: O(1); the storage is shared.
    @inlinable public var detached: Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// Whether both tensors have the same shape and elements (derivative information is ignored).
    @inlinable
    public func hasSameValues(as other: Tensor) -> Bool {
        shape == other.shape && storage.buffer.elementsEqual(other.storage.buffer)
    }
}

extension Tensor: CustomStringConvertible {
    @inlinable
    public var description: String {
        func render(_ axis: Int, _ offset: Int) -> String {
            if axis == rank { return "\(storage.base[offset])" }
            let stride = shape.strides[axis]
            let parts = (0..<shape[axis]).map { render(axis + 1, offset + $0 * stride) }
            return "[" + parts.joined(separator: axis == rank - 1 ? ", " : ",\n") + "]"
        }
        if scalarCount > 1000 {
            return "Tensor<\(Scalar.typeName)>(shape: \(shape), \(scalarCount) elements)"
        }
        return render(0, 0)
    }
}
