extension Tensor {
    /// The same elements with another shape of equal element count; one dimension may be −1
    /// (inferred). Shares storage. Derivative: reshape back.
    /// - Complexity: O(1).
    @inlinable
    public func reshaped(to newShape: Shape) -> Tensor {
        var dims = newShape.dimensions
        if let inferred = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(
                known > 0 && scalarCount % known == 0,
                "reshape: cannot reshape \(shape) to \(newShape)")
            dims[inferred] = scalarCount / known
        }
        let target = Shape(dims)
        precondition(
            target.elementCount == scalarCount,
            "reshape: cannot reshape \(shape) (\(scalarCount) elements) to \(target)")
        if target == shape { return self }
        let inputShape = shape
        return Primitive(
            "reshape",
            value: { Tensor(shape: target, storage: $0[0].storage) },
            pullback: { g, _, _, _ in [g.reshaped(to: inputShape)] },
            tangent: { t, _, _ in t[0]!.reshaped(to: target) }
        ).apply([self])
    }

    /// The tensor with its axes reordered: axis `i` of the result is axis `permutation[i]` of
    /// this tensor. Derivative: the inverse permutation.
    /// - Complexity: O(n) (the result is materialised contiguously).
    @inlinable
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(
            permutation.sorted() == Array(0..<rank),
            "permute: \(permutation) is not a permutation of the axes of shape \(shape)")
        if permutation == Array(0..<rank) { return self }
        var inversePermutation = [Int](repeating: 0, count: rank)
        for (i, p) in permutation.enumerated() { inversePermutation[p] = i }
        let inverse = inversePermutation
        let inputShape = shape
        let outShape = Shape(permutation.map { inputShape[$0] })
        return Primitive(
            "permute",
            value: { x in
                let src = x[0]
                let inStrides = inputShape.strides
                let strides = permutation.map { inStrides[$0] }
                return Tensor(shape: outShape) { out in
                    src.withUnsafeBufferPointer { s in
                        guard let base = s.baseAddress, out.count > 0 else { return }
                        var index = [Int](repeating: 0, count: outShape.rank)
                        var offset = 0
                        for o in 0..<out.count {
                            out[o] = base[offset]
                            var axis = outShape.rank - 1
                            while axis >= 0 {
                                index[axis] += 1
                                offset += strides[axis]
                                if index[axis] < outShape[axis] { break }
                                offset -= strides[axis] * outShape[axis]
                                index[axis] = 0
                                axis -= 1
                            }
                        }
                    }
                }
            },
            pullback: { g, _, _, _ in [g.permuted(inverse)] },
            tangent: { t, _, _ in t[0]!.permuted(permutation) }
        ).apply([self])
    }

    /// The tensor with its last two axes swapped (the matrix transpose for rank 2).
    @inlinable
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transpose: needs rank ≥ 2, got shape \(shape)")
        var p = Array(0..<rank)
        p.swapAt(rank - 1, rank - 2)
        return permuted(p)
    }

    /// The matrix transpose (last two axes swapped).
    @inlinable
    public var T: Tensor { transposed() }

    /// The elements at positions `range` along `axis`. Derivative: the pullback places ḡ into
    /// zeros of the input's shape; the tangent is sliced likewise.
    /// - Complexity: O(size of the result).
    @inlinable
    public func slice(alongAxis axis: Int = 0, _ range: Range<Int>) -> Tensor {
        let axis = shape.normalizedAxis(axis, operation: "slice")
        precondition(
            range.lowerBound >= 0 && range.upperBound <= shape[axis],
            "slice: range \(range) is out of bounds for axis \(axis) of shape \(shape)")
        let inputShape = shape
        var sliced = shape
        sliced[axis] = range.count
        let outShape = sliced
        let outer = shape.dimensions[..<axis].reduce(1, *)
        let inner = shape.dimensions[(axis + 1)...].reduce(1, *)
        return Primitive(
            "slice",
            value: { x in
                Tensor(shape: outShape) { out in
                    x[0].withUnsafeBufferPointer { s in
                        guard out.count > 0 else { return }
                        for o in 0..<outer {
                            (out.baseAddress! + o * range.count * inner).update(
                                from: s.baseAddress! + (o * inputShape[axis] + range.lowerBound) * inner,
                                count: range.count * inner)
                        }
                    }
                }
            },
            pullback: { g, _, _, _ in [g.padded(alongAxis: axis, to: inputShape[axis], at: range.lowerBound)] },
            tangent: { t, _, _ in t[0]!.slice(alongAxis: axis, range) }
        ).apply([self])
    }

    /// The tensor placed at `offset` along `axis` in zeros of length `length`: the adjoint of
    /// ``slice(alongAxis:_:)``.
    @inlinable
    public func padded(alongAxis axis: Int, to length: Int, at offset: Int) -> Tensor {
        let axis = shape.normalizedAxis(axis, operation: "pad")
        precondition(
            offset >= 0 && offset + shape[axis] <= length,
            "pad: \(shape[axis]) elements at offset \(offset) do not fit in length \(length)")
        let inputShape = shape
        var padded = shape
        padded[axis] = length
        let outShape = padded
        let outer = shape.dimensions[..<axis].reduce(1, *)
        let inner = shape.dimensions[(axis + 1)...].reduce(1, *)
        let n = inputShape[axis]
        return Primitive(
            "pad",
            value: { x in
                var out = Tensor(zeros: outShape)
                x[0].withUnsafeBufferPointer { s in
                    out.withUnsafeMutableBufferPointer { o in
                        guard s.count > 0 else { return }
                        for i in 0..<outer {
                            (o.baseAddress! + (i * length + offset) * inner).update(
                                from: s.baseAddress! + i * n * inner, count: n * inner)
                        }
                    }
                }
                return out
            },
            pullback: { g, _, _, _ in [g.slice(alongAxis: axis, offset..<(offset + n))] },
            tangent: { t, _, _ in t[0]!.padded(alongAxis: axis, to: length, at: offset) }
        ).apply([self])
    }

    /// The rows (entries along `axis`) at `indices`, in that order, repetitions allowed
    /// (index select). Derivative: the pullback scatter-adds ḡ back to the selected positions.
    /// - Complexity: O(size of the result).
    @inlinable
    public func gathering(_ indices: [Int], alongAxis axis: Int = 0) -> Tensor {
        let axis = shape.normalizedAxis(axis, operation: "gather")
        for i in indices {
            precondition(i >= 0 && i < shape[axis], "gather: index \(i) is out of range for axis \(axis) of shape \(shape)")
        }
        let inputShape = shape
        var gathered = shape
        gathered[axis] = indices.count
        let outShape = gathered
        let outer = shape.dimensions[..<axis].reduce(1, *)
        let inner = shape.dimensions[(axis + 1)...].reduce(1, *)
        return Primitive(
            "gather",
            value: { x in
                Tensor(shape: outShape) { out in
                    x[0].withUnsafeBufferPointer { s in
                        guard out.count > 0 else { return }
                        for o in 0..<outer {
                            for (j, i) in indices.enumerated() {
                                (out.baseAddress! + (o * indices.count + j) * inner).update(
                                    from: s.baseAddress! + (o * inputShape[axis] + i) * inner, count: inner)
                            }
                        }
                    }
                }
            },
            pullback: { g, _, _, _ in [g.scatteringAdd(indices, alongAxis: axis, length: inputShape[axis])] },
            tangent: { t, _, _ in t[0]!.gathering(indices, alongAxis: axis) }
        ).apply([self])
    }

    /// Zeros of length `length` along `axis` into which entry `j` of this tensor is added at
    /// position `indices[j]`: the adjoint of ``gathering(_:alongAxis:)``.
    @inlinable
    public func scatteringAdd(_ indices: [Int], alongAxis axis: Int, length: Int) -> Tensor {
        let axis = shape.normalizedAxis(axis, operation: "scatterAdd")
        precondition(indices.count == shape[axis], "scatterAdd: \(indices.count) indices for axis \(axis) of shape \(shape)")
        for i in indices {
            precondition(i >= 0 && i < length, "scatterAdd: index \(i) is out of range for length \(length)")
        }
        var scattered = shape
        scattered[axis] = length
        let outShape = scattered
        let outer = shape.dimensions[..<axis].reduce(1, *)
        let inner = shape.dimensions[(axis + 1)...].reduce(1, *)
        return Primitive(
            "scatterAdd",
            value: { x in
                var out = Tensor(zeros: outShape)
                x[0].withUnsafeBufferPointer { s in
                    out.withUnsafeMutableBufferPointer { o in
                        guard s.count > 0 else { return }
                        for b in 0..<outer {
                            for (j, i) in indices.enumerated() {
                                let dst = o.baseAddress! + (b * length + i) * inner
                                let src = s.baseAddress! + (b * indices.count + j) * inner
                                for q in 0..<inner { dst[q] += src[q] }
                            }
                        }
                    }
                }
                return out
            },
            pullback: { g, _, _, _ in [g.gathering(indices, alongAxis: axis)] },
            tangent: { t, _, _ in t[0]!.scatteringAdd(indices, alongAxis: axis, length: length) }
        ).apply([self])
    }

    /// A one-hot encoding: shape `[labels.count, classes]`, 1 at `(i, labels[i])`. A constant.
    @inlinable
    public init(oneHot labels: [Int], classes: Int) {
        var t = Tensor(zeros: [labels.count, classes])
        t.withUnsafeMutableBufferPointer { p in
            for (i, l) in labels.enumerated() {
                precondition(l >= 0 && l < classes, "oneHot: label \(l) is out of range 0..<\(classes)")
                p[i * classes + l] = 1
            }
        }
        self = t
    }
}

/// The tensors joined along `axis`; all other dimensions must agree. Derivative: each input's
/// cotangent is its slice of ḡ; the tangent is the concatenation of the tangents.
/// - Complexity: O(size of the result).
@inlinable
public func concatenate<S: TensorScalar>(_ tensors: [Tensor<S>], alongAxis axis: Int = 0) -> Tensor<S> {
    precondition(!tensors.isEmpty, "concatenate: no tensors")
    let first = tensors[0].shape
    let axis = first.normalizedAxis(axis, operation: "concatenate")
    for t in tensors {
        var a = t.shape, b = first
        precondition(a.rank == b.rank, "concatenate: shapes \(first) and \(t.shape) differ in rank")
        a[axis] = 0
        b[axis] = 0
        precondition(a == b, "concatenate: shapes \(first) and \(t.shape) differ outside axis \(axis)")
    }
    let lengths = tensors.map { $0.shape[axis] }
    var runningOffsets = [0]
    for l in lengths { runningOffsets.append(runningOffsets.last! + l) }
    let offsets = runningOffsets
    var joined = first
    joined[axis] = offsets.last!
    let outShape = joined
    let outer = first.dimensions[..<axis].reduce(1, *)
    let inner = first.dimensions[(axis + 1)...].reduce(1, *)
    let total = outShape[axis]
    return Primitive(
        "concatenate",
        value: { xs in
            Tensor(shape: outShape) { out in
                guard out.count > 0 else { return }
                for (k, x) in xs.enumerated() {
                    x.withUnsafeBufferPointer { s in
                        guard s.count > 0 else { return }
                        for o in 0..<outer {
                            (out.baseAddress! + (o * total + offsets[k]) * inner).update(
                                from: s.baseAddress! + o * lengths[k] * inner, count: lengths[k] * inner)
                        }
                    }
                }
            }
        },
        pullback: { g, _, _, needs in
            lengths.indices.map { k in needs[k] ? g.slice(alongAxis: axis, offsets[k]..<offsets[k + 1]) : nil }
        },
        tangent: { t, xs, _ in
            concatenate(zip(t, xs).map { $0 ?? Tensor(zeros: $1.shape) }, alongAxis: axis)
        }
    ).apply(tensors)
}
