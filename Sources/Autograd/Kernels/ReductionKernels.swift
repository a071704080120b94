import RealModule

/// Reductions over axes of plain tensors.
///
/// A set of axes is reduced one contiguous block of axes at a time; a block reduction sees the
/// tensor as `[outer, n, inner]` and reduces the middle dimension. Sums use relaxed
/// (reassociable) additions so the compiler can vectorise them into several partial sums, which
/// is also more accurate than one long serial chain.
@usableFromInline
enum ReductionKernels {
    /// Normalised, sorted, duplicate-free axes; all axes when `axes` is nil.
    @inlinable
    static func normalizedAxes(_ axes: [Int]?, shape: Shape, operation: String) -> [Int] {
        guard let axes else { return Array(0..<shape.rank) }
        var seen = Set<Int>()
        for a in axes {
            let n = a < 0 ? a + shape.rank : a
            precondition(n >= 0 && n < shape.rank, "\(operation): axis \(a) is out of range for shape \(shape)")
            precondition(seen.insert(n).inserted, "\(operation): axis \(a) is repeated in \(axes)")
        }
        return seen.sorted()
    }

    /// The shape after reducing `axes`: removed, or kept as 1 when `keepingDimensions`.
    @inlinable
    static func reducedShape(_ shape: Shape, axes: [Int], keepingDimensions: Bool) -> Shape {
        var dims: [Int] = []
        for (i, d) in shape.enumerated() {
            if axes.contains(i) {
                if keepingDimensions { dims.append(1) }
            } else {
                dims.append(d)
            }
        }
        return Shape(dims)
    }

    /// Reduces the contiguous axis blocks of `axes` (sorted) with `combine`, starting each
    /// output at `initial`, then reshapes to the reduced shape.
    @inlinable
    static func reduce<S: TensorScalar>(
        _ x: Tensor<S>, axes: [Int], keepingDimensions: Bool,
        block: (Tensor<S>, Int, Int, Int) -> Tensor<S>
    ) -> Tensor<S> {
        let finalShape = reducedShape(x.shape, axes: axes, keepingDimensions: keepingDimensions)
        var current = x.detached
        var dims = x.shape.dimensions
        // Blocks of consecutive axes, processed from the last so earlier axis numbers stay valid.
        var blocks: [(Int, Int)] = []
        for a in axes {
            if let last = blocks.last, last.1 == a - 1 {
                blocks[blocks.count - 1].1 = a
            } else {
                blocks.append((a, a))
            }
        }
        for (first, last) in blocks.reversed() {
            let outer = dims[..<first].reduce(1, *)
            let n = dims[first...last].reduce(1, *)
            let inner = dims[(last + 1)...].reduce(1, *)
            current = block(current, outer, n, inner)
            dims.replaceSubrange(first...last, with: [1])
        }
        current.reshapeInPlace(finalShape)
        return current
    }

    /// Sum over `axes`.
    /// - Complexity: O(n).
    @inlinable
    static func sum<S: TensorScalar>(_ x: Tensor<S>, axes: [Int], keepingDimensions: Bool) -> Tensor<S> {
        reduce(x, axes: axes, keepingDimensions: keepingDimensions) { t, outer, n, inner in
            Tensor(shape: [outer * inner]) { out in
                t.withUnsafeBufferPointer { src in
                    let o = out.baseAddress!
                    guard n > 0, let s = src.baseAddress else {
                        o.update(repeating: 0, count: outer * inner)
                        return
                    }
                    if inner == 1 {
                        for i in 0..<outer { o[i] = relaxedSum(s + i * n, count: n) }
                    } else {
                        for i in 0..<outer {
                            let dst = o + i * inner
                            let base = s + i * n * inner
                            dst.update(from: base, count: inner)
                            for r in 1..<n {
                                let row = base + r * inner
                                for j in 0..<inner { dst[j] += row[j] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Maximum over `axes` (NaN if any reduced element is NaN; −∞ over an empty range).
    /// - Complexity: O(n).
    @inlinable
    static func max<S: TensorScalar>(_ x: Tensor<S>, axes: [Int], keepingDimensions: Bool) -> Tensor<S> {
        reduce(x, axes: axes, keepingDimensions: keepingDimensions) { t, outer, n, inner in
            Tensor(shape: [outer * inner]) { out in
                t.withUnsafeBufferPointer { src in
                    let o = out.baseAddress!
                    o.update(repeating: -.infinity, count: outer * inner)
                    guard n > 0, let s = src.baseAddress else { return }
                    if inner == 1 {
                        // Contiguous rows: a branch-free running maximum, NaN checked once per row.
                        for i in 0..<outer {
                            let row = s + i * n
                            var best = row[0]
                            var sawNaN = false
                            for r in 0..<n {
                                let v = row[r]
                                best = v > best ? v : best
                                sawNaN = sawNaN || v.isNaN
                            }
                            o[i] = sawNaN ? .nan : best
                        }
                        return
                    }
                    for i in 0..<outer {
                        let dst = o + i * inner
                        for r in 0..<n {
                            let row = s + (i * n + r) * inner
                            for j in 0..<inner {
                                let v = row[j]
                                if v > dst[j] || v.isNaN { dst[j] = dst[j].isNaN ? dst[j] : v }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The sum of `count` contiguous elements with relaxed (vectorisable) additions.
    @inlinable
    static func relaxedSum<S: TensorScalar>(_ p: UnsafePointer<S>, count: Int) -> S {
        var acc: S = 0
        for i in 0..<count { acc = Relaxed.sum(acc, p[i]) }
        return acc
    }

    /// The dot product of `count` contiguous elements with relaxed (vectorisable) arithmetic.
    @inlinable
    static func relaxedDot<S: TensorScalar>(_ a: UnsafePointer<S>, _ b: UnsafePointer<S>, count: Int) -> S {
        var acc: S = 0
        for i in 0..<count { acc = Relaxed.multiplyAdd(a[i], b[i], acc) }
        return acc
    }
}
