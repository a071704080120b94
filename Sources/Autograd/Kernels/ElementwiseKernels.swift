/// Elementwise kernels on plain tensors: maps, and binary operations with NumPy broadcasting.
///
/// The binary kernel reduces every broadcast to loops over the last (coalesced) dimension with
/// element strides of 0 or 1 for each operand, so the common cases — equal shapes, a scalar
/// operand, a bias row added to every row — run as straight vectorisable loops.
@usableFromInline
enum ElementwiseKernels {
    /// `f` applied to every element.
    /// - Complexity: O(n).
    @inlinable
    static func map<S: TensorScalar>(_ x: Tensor<S>, _ f: (S) -> S) -> Tensor<S> {
        Tensor(shape: x.shape) { out in
            x.withUnsafeBufferPointer { src in
                let n = src.count
                guard n > 0 else { return }
                let s = src.baseAddress!, o = out.baseAddress!
                for i in 0..<n { o[i] = f(s[i]) }
            }
        }
    }

    /// `f` applied elementwise to `x` and `y`, which must have the same shape.
    @inlinable
    static func map2<S: TensorScalar>(_ x: Tensor<S>, _ y: Tensor<S>, _ f: (S, S) -> S) -> Tensor<S> {
        precondition(x.shape == y.shape, "internal: map2 on shapes \(x.shape) and \(y.shape)")
        return Tensor(shape: x.shape) { out in
            x.withUnsafeBufferPointer { a in
                y.withUnsafeBufferPointer { b in
                    let n = a.count
                    guard n > 0 else { return }
                    let pa = a.baseAddress!, pb = b.baseAddress!, o = out.baseAddress!
                    for i in 0..<n { o[i] = f(pa[i], pb[i]) }
                }
            }
        }
    }

    /// `exp` of every element, through the vectorised kernel.
    @inlinable
    static func exp<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
        Tensor(shape: x.shape) { out in
            x.withUnsafeBufferPointer { src in
                guard src.count > 0 else { return }
                S.vectorExp(count: src.count, src.baseAddress!, out.baseAddress!)
            }
        }
    }

    /// The broadcast shape of `a` and `b`, or a precondition failure naming the operation.
    @inlinable
    static func broadcastShape(_ a: Shape, _ b: Shape, operation: String) -> Shape {
        guard let s = Shape.broadcast(a, b) else {
            preconditionFailure("\(operation): shapes \(a) and \(b) cannot be broadcast together")
        }
        return s
    }

    /// `f(a, b)` elementwise with NumPy broadcasting.
    /// - Complexity: O(size of the result).
    @inlinable
    static func zip<S: TensorScalar>(
        _ a: Tensor<S>, _ b: Tensor<S>, operation: String, _ f: (S, S) -> S
    ) -> Tensor<S> {
        if a.shape == b.shape { return map2(a, b, f) }
        let shape = broadcastShape(a.shape, b.shape, operation: operation)
        if b.scalarCount == 1 {
            let s = b.storage.base[0]
            return reshapedMap(a, to: shape) { f($0, s) }
        }
        if a.scalarCount == 1 {
            let s = a.storage.base[0]
            return reshapedMap(b, to: shape) { f(s, $0) }
        }
        let layout = BroadcastLayout(output: shape, a: a.shape, b: b.shape)
        return Tensor(shape: shape) { out in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    layout.forEachRow { offA, offB, offOut in
                        let n = layout.innerCount
                        let ia = layout.innerStrideA, ib = layout.innerStrideB
                        let xa = pa.baseAddress! + offA, xb = pb.baseAddress! + offB
                        let o = out.baseAddress! + offOut
                        if ia == 1 && ib == 1 {
                            for i in 0..<n { o[i] = f(xa[i], xb[i]) }
                        } else if ia == 1 {
                            let s = xb[0]
                            for i in 0..<n { o[i] = f(xa[i], s) }
                        } else if ib == 1 {
                            let s = xa[0]
                            for i in 0..<n { o[i] = f(s, xb[i]) }
                        } else {
                            let r = f(xa[0], xb[0])
                            for i in 0..<n { o[i] = r }
                        }
                    }
                }
            }
        }
    }

    /// `f` of every element of `x`, whose elements are repeated to fill `shape` (x has one
    /// element, or already has `shape`'s element count).
    @inlinable
    static func reshapedMap<S: TensorScalar>(_ x: Tensor<S>, to shape: Shape, _ f: (S) -> S) -> Tensor<S> {
        if x.scalarCount == shape.elementCount {
            var y = map(x, f)
            y.reshapeInPlace(shape)
            return y
        }
        let r = f(x.storage.base[0])
        return Tensor(repeating: r, shape: shape)
    }

    /// `x` repeated along broadcast dimensions to fill `shape`.
    /// - Complexity: O(size of `shape`).
    @inlinable
    static func broadcast<S: TensorScalar>(_ x: Tensor<S>, to shape: Shape) -> Tensor<S> {
        if x.shape == shape { return x.detached }
        precondition(
            Shape.broadcast(x.shape, shape) == shape,
            "broadcast: shape \(x.shape) cannot be broadcast to \(shape)")
        if x.scalarCount == 1 { return Tensor(repeating: x.storage.base[0], shape: shape) }
        let layout = BroadcastLayout(output: shape, a: x.shape, b: x.shape)
        return Tensor(shape: shape) { out in
            x.withUnsafeBufferPointer { src in
                layout.forEachRow { offset, _, offOut in
                    let o = out.baseAddress! + offOut, s = src.baseAddress! + offset
                    if layout.innerStrideA == 1 {
                        o.update(from: s, count: layout.innerCount)
                    } else {
                        o.update(repeating: s[0], count: layout.innerCount)
                    }
                }
            }
        }
    }
}

/// Offsets for iterating over a broadcast binary operation row by row: the output's dimensions
/// are coalesced where both operands are contiguous, leaving one inner loop whose operand
/// strides are 0 or 1.
@usableFromInline
struct BroadcastLayout {
    @usableFromInline var outerShape: [Int] = []
    @usableFromInline var outerStridesA: [Int] = []
    @usableFromInline var outerStridesB: [Int] = []
    @usableFromInline var innerCount = 1
    @usableFromInline var innerStrideA = 1
    @usableFromInline var innerStrideB = 1

    @inlinable
    init(output: Shape, a: Shape, b: Shape) {
        let r = output.rank
        func aligned(_ s: Shape) -> [Int] { [Int](repeating: 1, count: r - s.rank) + s.dimensions }
        let da = aligned(a), db = aligned(b)
        // Element strides with 0 on broadcast dimensions.
        func strides(_ d: [Int]) -> [Int] {
            var s = [Int](repeating: 0, count: r)
            var acc = 1
            for i in stride(from: r - 1, through: 0, by: -1) {
                s[i] = d[i] == 1 && output[i] != 1 ? 0 : acc
                acc *= d[i]
            }
            return s
        }
        let sa = strides(da), sb = strides(db)
        // Coalesce from the innermost dimension while the stride pattern stays contiguous.
        var dims: [(n: Int, sa: Int, sb: Int)] = []
        for i in 0..<r where output[i] != 1 { dims.append((output[i], sa[i], sb[i])) }
        var merged: [(n: Int, sa: Int, sb: Int)] = []
        for d in dims.reversed() {
            if var last = merged.last,
                (d.sa == last.sa * last.n || (d.sa == 0 && last.sa == 0)),
                (d.sb == last.sb * last.n || (d.sb == 0 && last.sb == 0))
            {
                last.n *= d.n
                merged[merged.count - 1] = last
            } else {
                merged.append(d)
            }
        }
        merged.reverse()
        if let inner = merged.popLast() {
            innerCount = inner.n
            innerStrideA = inner.sa
            innerStrideB = inner.sb
        }
        outerShape = merged.map(\.n)
        outerStridesA = merged.map(\.sa)
        outerStridesB = merged.map(\.sb)
    }

    /// Calls `body(offsetA, offsetB, offsetOut)` for every inner row, in row-major order.
    @inlinable
    func forEachRow(_ body: (Int, Int, Int) -> Void) {
        // An empty output has no rows (and a zero outer dimension must not run the body once).
        if innerCount == 0 || outerShape.contains(0) { return }
        let depth = outerShape.count
        if depth == 0 {
            body(0, 0, 0)
            return
        }
        var index = [Int](repeating: 0, count: depth)
        var offA = 0, offB = 0, offOut = 0
        while true {
            body(offA, offB, offOut)
            offOut += innerCount
            var axis = depth - 1
            while axis >= 0 {
                index[axis] += 1
                offA += outerStridesA[axis]
                offB += outerStridesB[axis]
                if index[axis] < outerShape[axis] { break }
                offA -= outerStridesA[axis] * outerShape[axis]
                offB -= outerStridesB[axis] * outerShape[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}

extension Tensor {
    /// Changes the shape in place without touching the elements (same element count).
    @inlinable
    mutating func reshapeInPlace(_ newShape: Shape) {
        precondition(newShape.elementCount == scalarCount, "reshape: cannot reshape \(shape) to \(newShape)")
        self = Tensor(shape: newShape, storage: storage, derivatives: derivatives)
    }

    /// Adds `other` (same shape) elementwise in place, copying first if the storage is shared.
    @inlinable
    mutating func addInPlace(_ other: Tensor) {
        precondition(other.shape == shape, "internal: addInPlace on shapes \(shape) and \(other.shape)")
        other.withUnsafeBufferPointer { src in
            withUnsafeMutableBufferPointer { dst in
                guard let d = dst.baseAddress, let s = src.baseAddress else { return }
                for i in 0..<dst.count { d[i] += s[i] }
            }
        }
    }
}
