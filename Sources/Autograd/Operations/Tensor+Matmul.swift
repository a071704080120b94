/// The matrix product `op(a) · op(b)`, where `op` transposes the last two axes when its flag is
/// set. Rank-2 operands give a matrix; operands of higher rank are batches of matrices with
/// equal leading dimensions, and a rank-2 `b` is applied to every matrix of a batched `a`.
///
/// Derivative (for `C = A·B`): pullback `Ā = C̄·Bᵀ`, `B̄ = Aᵀ·C̄` (the transposes are passed to
/// the kernels as flags, never materialised); tangent `Ċ = Ȧ·B + A·Ḃ`.
/// - Complexity: O(m·n·k) per matrix, through BLAS or, for skinny shapes, the SIMD kernels
///   (see ``MatrixMultiplicationBackend``).
@inlinable
public func matmul<S: TensorScalar>(
    _ a: Tensor<S>, _ b: Tensor<S>, transposeA: Bool = false, transposeB: Bool = false
) -> Tensor<S> {
    precondition(
        a.rank >= 2 && b.rank >= 2,
        "matmul: operands must have rank ≥ 2, got shapes \(a.shape) and \(b.shape)")
    if a.rank > 2 && b.rank == 2 && !transposeA {
        // A shared right factor: one product over all rows of the batch.
        let rows = a.reshaped(to: [-1, a.shape[a.rank - 1]])
        let product = matmul(rows, b, transposeB: transposeB)
        return product.reshaped(to: Shape(Array(a.shape.dimensions.dropLast()) + [product.shape[1]]))
    }
    let ra = a.rank, rb = b.rank
    let (m, k) = transposeA ? (a.shape[ra - 1], a.shape[ra - 2]) : (a.shape[ra - 2], a.shape[ra - 1])
    let (k2, n) = transposeB ? (b.shape[rb - 1], b.shape[rb - 2]) : (b.shape[rb - 2], b.shape[rb - 1])
    let batchA = Array(a.shape.dimensions.dropLast(2)), batchB = Array(b.shape.dimensions.dropLast(2))
    precondition(
        k == k2,
        "matmul: shapes \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : "") are incompatible (inner dimensions \(k) and \(k2))")
    precondition(
        batchA == batchB,
        "matmul: batch dimensions of shapes \(a.shape) and \(b.shape) differ")
    let outShape = Shape(batchA + [m, n])
    return Primitive(
        "matmul",
        value: { x in matmulValue(x[0], x[1], transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, outShape: outShape) },
        pullback: { g, x, _, needs in
            let a = x[0], b = x[1]
            var da: Tensor<S>? = nil, db: Tensor<S>? = nil
            if needs[0] {
                da = transposeA
                    ? matmul(b, g, transposeA: transposeB, transposeB: true)
                    : matmul(g, b, transposeB: !transposeB)
            }
            if needs[1] {
                db = transposeB
                    ? matmul(g, a, transposeA: true, transposeB: transposeA)
                    : matmul(a, g, transposeA: !transposeA)
            }
            return [da, db]
        },
        tangent: { t, x, y in
            sumOfTangents(
                t[0].map { matmul($0, x[1], transposeA: transposeA, transposeB: transposeB) },
                t[1].map { matmul(x[0], $0, transposeA: transposeA, transposeB: transposeB) },
                shape: y.shape)
        },
        valueAndTangents: { x, t in
            // With one operand constant, the product and its tangents share that operand: stack
            // the other operand with its tangents, in groups that one pass of the kernel covers,
            // so the constant (for data matrices the expensive part to read) is read once per
            // group instead of once per direction.
            guard batchA.isEmpty else { return nil }
            // Stacking saves memory traffic, not arithmetic: with the constant operand resident
            // in cache the kernels are compute-bound and separate products are as fast or faster
            // (measured: 30 columns at once 3.1 ms, three products of 10 columns 2.6 ms).
            let constant = t[0] == nil ? x[0] : x[1]
            guard constant.scalarCount * MemoryLayout<S>.stride > MatmulKernels.cacheResidentBytes else { return nil }
            let columns = MatmulKernels.skinnyPassColumns
            switch (t[0], t[1]) {
            case (nil, let tb?):
                let operands = [x[1]] + tb
                let group = max(1, columns / max(n, 1))
                var parts: [Tensor<S>] = []
                for start in stride(from: 0, to: operands.count, by: group) {
                    let members = Array(operands[start..<min(operands.count, start + group)])
                    let wide = members.count == 1 ? members[0] : concatenate(members, alongAxis: transposeB ? 0 : 1)
                    let all = matmulValue(
                        x[0], wide, transposeA: transposeA, transposeB: transposeB, m: m, n: members.count * n, k: k,
                        outShape: [m, members.count * n])
                    parts += members.count == 1 ? [all] : (0..<members.count).map { all.slice(alongAxis: 1, ($0 * n)..<(($0 + 1) * n)) }
                }
                return (parts[0], Array(parts[1...]))
            case (let ta?, nil):
                // Stacking rows costs no extra pass of the kernel: one product for all.
                let k2 = ta.count + 1
                let tall = concatenate([x[0]] + ta, alongAxis: transposeA ? 1 : 0)
                let all = matmulValue(
                    tall, x[1], transposeA: transposeA, transposeB: transposeB, m: k2 * m, n: n, k: k,
                    outShape: [k2 * m, n])
                let parts = (0..<k2).map { all.slice(alongAxis: 0, ($0 * m)..<(($0 + 1) * m)) }
                return (parts[0], Array(parts[1...]))
            default:
                return nil
            }
        }
    ).apply([a, b])
}

/// The product on plain operands, one GEMM per matrix of the batch.
@inlinable
func matmulValue<S: TensorScalar>(
    _ a: Tensor<S>, _ b: Tensor<S>, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    outShape: Shape
) -> Tensor<S> {
    let batches = outShape.dimensions.dropLast(2).reduce(1, *)
    let lda = a.shape[a.rank - 1], ldb = b.shape[b.rank - 1]
    return Tensor(shape: outShape) { out in
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                guard let c = out.baseAddress, m > 0, n > 0 else { return }
                guard let aBase = pa.baseAddress, let bBase = pb.baseAddress, k > 0 else {
                    c.update(repeating: 0, count: out.count)
                    return
                }
                for batch in 0..<batches {
                    MatmulKernels.gemm(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                        a: aBase + batch * m * k, lda: lda, b: bBase + batch * k * n, ldb: ldb,
                        c: c + batch * m * n, ldc: n)
                }
            }
        }
    }
}

extension Tensor {
    /// The matrix product `self · other` (see ``matmul(_:_:transposeA:transposeB:)``).
    @inlinable
    public func matmul(_ other: Tensor) -> Tensor { Autograd.matmul(self, other) }
}
