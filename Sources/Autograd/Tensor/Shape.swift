/// The dimensions of a ``Tensor``, outermost first (row-major order).
///
/// A shape of rank 0 (`[]`) describes a scalar. Broadcasting follows NumPy: shapes are aligned
/// at their last dimension, and two dimensions are compatible when they are equal or one is 1.
public struct Shape: Hashable, Sendable, Codable, RandomAccessCollection, MutableCollection,
    ExpressibleByArrayLiteral, CustomStringConvertible
{
    public var dimensions: [Int]

    /// A shape with the given dimensions. Dimensions must be non-negative for a tensor's shape;
    /// ``Tensor/reshaped(to:)`` also accepts one −1, to be inferred.
    @inlinable public init(_ dimensions: [Int]) {
        self.dimensions = dimensions
    }

    /// Whether every dimension is non-negative.
    @inlinable public var isValid: Bool { dimensions.allSatisfy { $0 >= 0 } }

    @inlinable public init(arrayLiteral elements: Int...) { self.init(elements) }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { dimensions.count }
    @inlinable public subscript(position: Int) -> Int {
        get { dimensions[position] }
        set { dimensions[position] = newValue }
    }

    /// The number of dimensions.
    @inlinable public var rank: Int { dimensions.count }

    /// The number of elements: the product of the dimensions (1 for a scalar).
    /// - Complexity: O(rank).
    @inlinable public var elementCount: Int {
        var n = 1
        for d in dimensions { n &*= d }
        return n
    }

    /// Row-major strides in elements.
    @inlinable public var strides: [Int] {
        var s = [Int](repeating: 1, count: rank)
        var acc = 1
        var i = rank - 1
        while i >= 0 {
            s[i] = acc
            acc &*= dimensions[i]
            i -= 1
        }
        return s
    }

    public var description: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }

    /// Resolves a possibly negative axis (−1 is the last) and checks it is in range.
    @inlinable
    public func normalizedAxis(_ axis: Int, operation: StaticString) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "\(operation): axis \(axis) is out of range for shape \(self)")
        return a
    }

    /// The shape both operands broadcast to, or `nil` when they are incompatible.
    /// - Complexity: O(max rank).
    @inlinable
    public static func broadcast(_ a: Shape, _ b: Shape) -> Shape? {
        if a == b { return a }
        let r = Swift.max(a.rank, b.rank)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.rank ? 1 : a[i - (r - a.rank)]
            let db = i < r - b.rank ? 1 : b[i - (r - b.rank)]
            if da == db || db == 1 {
                out[i] = da
            } else if da == 1 {
                out[i] = db
            } else {
                return nil
            }
        }
        return Shape(out)
    }
}
