import RealModule

/// How a per-example loss is reduced.
public enum LossReduction: Sendable {
    /// One loss per example.
    case none
    /// The sum over examples.
    case sum
    /// The sum over examples divided by the number of examples (also when weighted: per-example
    /// weights scale terms, they do not renormalise — `Σᵢ wᵢ ℓᵢ / n`).
    case mean
}

/// `softmax(x)` along `axis`: `e^{xᵢ} / Σⱼ e^{xⱼ}`, computed stably.
/// Derivative: pullback `y ⊙ (ḡ − Σ ḡ⊙y)`, tangent `y ⊙ (ẋ − Σ ẋ⊙y)` (sums along the axis).
@inlinable
public func softmax<S: TensorScalar>(_ x: Tensor<S>, alongAxis axis: Int = -1) -> Tensor<S> {
    let axis = x.shape.normalizedAxis(axis, operation: "softmax")
    return Primitive(
        "softmax",
        value: { x in exp(x[0] - x[0].logSumExp(alongAxis: axis, keepingDimensions: true)) },
        pullback: { g, _, y, _ in [y * (g - (g * y).sum(alongAxis: axis, keepingDimensions: true))] },
        tangent: { t, _, y in y * (t[0]! - (t[0]! * y).sum(alongAxis: axis, keepingDimensions: true)) }
    ).apply([x])
}

/// `log softmax(x)` along `axis`: `x − logΣexp(x)`, computed stably.
/// Derivative: pullback `ḡ − e^y Σ ḡ`, tangent `ẋ − Σ e^y ⊙ ẋ` (sums along the axis).
@inlinable
public func logSoftmax<S: TensorScalar>(_ x: Tensor<S>, alongAxis axis: Int = -1) -> Tensor<S> {
    let axis = x.shape.normalizedAxis(axis, operation: "logSoftmax")
    return Primitive(
        "logSoftmax",
        value: { x in x[0] - x[0].logSumExp(alongAxis: axis, keepingDimensions: true) },
        pullback: { g, _, y, _ in [g - exp(y) * g.sum(alongAxis: axis, keepingDimensions: true)] },
        tangent: { t, _, y in t[0]! - (exp(y) * t[0]!).sum(alongAxis: axis, keepingDimensions: true) }
    ).apply([x])
}

/// Softmax cross-entropy of `logits` (shape `[n, classes]`) against integer `labels`:
/// `ℓᵢ = logΣⱼ e^{zᵢⱼ} − zᵢ,yᵢ`, optionally weighted per example by `weights` (shape `[n]`,
/// differentiable too — per-example weights are hyperparameters in data hyper-cleaning), then
/// reduced.
///
/// Derivative of `ℓᵢ`: with respect to the logits `softmax(zᵢ) − onehot(yᵢ)`, computed by one
/// fused pass over the logits; forward mode `Σⱼ softmax(zᵢ)ⱼ żᵢⱼ − żᵢ,yᵢ`.
/// - Complexity: O(n · classes), one `exp` per logit.
@inlinable
public func crossEntropy<S: TensorScalar>(
    logits: Tensor<S>, labels: [Int], weights: Tensor<S>? = nil, reduction: LossReduction = .mean
) -> Tensor<S> {
    precondition(logits.rank == 2, "crossEntropy: logits must have shape [n, classes], got \(logits.shape)")
    let n = logits.shape[0], classes = logits.shape[1]
    precondition(labels.count == n, "crossEntropy: \(labels.count) labels for logits of shape \(logits.shape)")
    for l in labels {
        precondition(l >= 0 && l < classes, "crossEntropy: label \(l) is out of range 0..<\(classes)")
    }
    if let weights {
        precondition(weights.shape == [n], "crossEntropy: weights of shape \(weights.shape) for \(n) examples")
    }
    let oneHot = Tensor<S>(oneHot: labels, classes: classes)
    var losses = Primitive<S>(
        "crossEntropy",
        value: { z in CrossEntropyKernels.losses(z[0], labels: labels) },
        pullback: { g, z, _, _ in [softmaxCrossEntropyCotangent(logits: z[0], scale: g, labels: labels)] },
        tangent: { t, z, _ in ((softmax(z[0]) - oneHot) * t[0]!).sum(alongAxis: 1) },
        valueAndTangents: { z, t in
            CrossEntropyKernels.lossesWithTangents(z[0], labels: labels, tangents: t[0] ?? [])
        }
    ).apply([logits])
    if let weights { losses = losses * weights }
    switch reduction {
    case .none: return losses
    case .sum: return losses.sum()
    case .mean: return losses.sum() / S(Swift.max(n, 1))
    }
}

/// `(softmax(z) − onehot(y)) ⊙ g`: the cotangent of the logits of ``crossEntropy(logits:labels:weights:reduction:)``
/// for a cotangent `g` (shape `[n]`) of the per-example losses, as an operation of its own so
/// that derivatives of gradients (Hessian–vector products, hypergradients) run fused kernels.
///
/// With `p = softmax(zᵢ)` per row and `D = (p − y) gᵢ`:
/// - tangent: `Ḋ = gᵢ p ⊙ (ż − ⟨p, ż⟩) + (p − y) ġᵢ`;
/// - pullback: `z̄ = gᵢ p ⊙ (Ū − ⟨p, Ū⟩)`, `ḡᵢ = ⟨p − y, Ū⟩`.
/// - Complexity: O(n · classes), one `exp` per logit.
@inlinable
public func softmaxCrossEntropyCotangent<S: TensorScalar>(logits z: Tensor<S>, scale g: Tensor<S>, labels: [Int]) -> Tensor<S> {
    precondition(z.rank == 2 && g.shape == [z.shape[0]] && labels.count == z.shape[0],
                 "softmaxCrossEntropyCotangent: logits \(z.shape), scale \(g.shape), \(labels.count) labels")
    let n = z.shape[0], c = z.shape[1]
    return Primitive<S>(
        "softmaxCrossEntropyCotangent",
        value: { x in CrossEntropyKernels.logitCotangent(x[0], labels: labels, scale: x[1]) },
        pullback: { u, x, _, needs in
            if !DifferentiationContext.current.isRecording, u.topTangentLevel == 0,
                x[0].topTangentLevel == 0, x[1].topTangentLevel == 0
            {
                let (dz, dg) = CrossEntropyKernels.cotangentPullback(x[0].detached, x[1].detached, labels: labels, u: u.detached)
                return [needs[0] ? dz : nil, needs[1] ? dg : nil]
            }
            let p = softmax(x[0])
            let dz = needs[0] ? p * (u - (u * p).sum(alongAxis: 1, keepingDimensions: true)) * x[1].reshaped(to: [n, 1]) : nil
            let dg = needs[1] ? ((p - Tensor<S>(oneHot: labels, classes: c)) * u).sum(alongAxis: 1) : nil
            return [dz, dg]
        },
        tangent: { t, x, _ in
            let p = softmax(x[0])
            var result: Tensor<S>? = nil
            if let dz = t[0] {
                result = p * (dz - (p * dz).sum(alongAxis: 1, keepingDimensions: true)) * x[1].reshaped(to: [n, 1])
            }
            if let dg = t[1] {
                let term = (p - Tensor<S>(oneHot: labels, classes: c)) * dg.reshaped(to: [n, 1])
                result = result.map { $0 + term } ?? term
            }
            return result!
        },
        valueAndTangents: { x, t in
            let k = max(t[0]?.count ?? 0, t[1]?.count ?? 0)
            return CrossEntropyKernels.cotangentWithTangents(
                x[0], x[1], labels: labels, dz: t[0] ?? [], dg: t[1] ?? [], directions: k)
        }
    ).apply([z, g])
}

/// Mean squared error `mean((predicted − target)²)`. Derivative: `2(p − t)/n`.
@inlinable
public func meanSquaredError<S: TensorScalar>(predicted: Tensor<S>, target: Tensor<S>) -> Tensor<S> {
    precondition(
        predicted.shape == target.shape,
        "meanSquaredError: shapes \(predicted.shape) and \(target.shape) differ")
    let d = predicted - target
    return (d * d).mean()
}

/// Fused row kernels for softmax cross-entropy on plain tensors.
@usableFromInline
enum CrossEntropyKernels {
    /// Row maxima subtracted, exponentiated in one vectorised call; returns `(e^{z−m}, m)`.
    @inlinable
    static func shiftedExp<S: TensorScalar>(_ z: Tensor<S>) -> (Tensor<S>, [S]) {
        let n = z.shape[0], c = z.shape[1]
        var maxima = [S](repeating: 0, count: n)
        let shifted = Tensor<S>(shape: z.shape) { out in
            z.withUnsafeBufferPointer { src in
                guard n > 0, c > 0 else { return }
                let s = src.baseAddress!, o = out.baseAddress!
                for i in 0..<n {
                    var m = -S.infinity
                    for j in 0..<c where s[i * c + j] > m { m = s[i * c + j] }
                    if !m.isFinite { m = 0 }
                    maxima[i] = m
                    for j in 0..<c { o[i * c + j] = s[i * c + j] - m }
                }
                S.vectorExp(count: n * c, o, o)
            }
        }
        return (shifted, maxima)
    }

    /// `ℓᵢ = log Σⱼ e^{zᵢⱼ} − zᵢ,yᵢ` for every row.
    @inlinable
    static func losses<S: TensorScalar>(_ z: Tensor<S>, labels: [Int]) -> Tensor<S> {
        let n = z.shape[0], c = z.shape[1]
        let (e, m) = shiftedExp(z)
        return Tensor(shape: [n]) { out in
            e.withUnsafeBufferPointer { pe in
                z.withUnsafeBufferPointer { pz in
                    for i in 0..<n {
                        let s = ReductionKernels.relaxedSum(pe.baseAddress! + i * c, count: c)
                        out[i] = S.log(s) + m[i] - pz[i * c + labels[i]]
                    }
                }
            }
        }
    }

    /// The pullback of `D = (softmax(z) − y) ⊙ g` for a cotangent `U`, in one pass per row:
    /// `z̄ = gᵢ p ⊙ (U − ⟨p, U⟩)`, `ḡᵢ = ⟨p − y, U⟩`.
    @inlinable
    static func cotangentPullback<S: TensorScalar>(_ z: Tensor<S>, _ g: Tensor<S>, labels: [Int], u: Tensor<S>) -> (Tensor<S>, Tensor<S>) {
        let n = z.shape[0], c = z.shape[1]
        var (p, _) = shiftedExp(z)
        var dg = [S](repeating: 0, count: n)
        g.withUnsafeBufferPointer { gs in
            u.withUnsafeBufferPointer { us in
                p.withUnsafeMutableBufferPointer { ps in
                    for i in 0..<n {
                        let row = ps.baseAddress! + i * c, urow = us.baseAddress! + i * c
                        let inverse = 1 / ReductionKernels.relaxedSum(row, count: c)
                        for j in 0..<c { row[j] *= inverse }
                        let pu = ReductionKernels.relaxedDot(UnsafePointer(row), urow, count: c)
                        dg[i] = pu - urow[labels[i]]
                        for j in 0..<c { row[j] = gs[i] * row[j] * (urow[j] - pu) }
                    }
                }
            }
        }
        return (p, Tensor(shape: [n], scalars: dg))
    }

    /// `D = (softmax(z) − y) ⊙ g` and, for each direction, its tangent
    /// `gᵢ p ⊙ (ż − ⟨p, ż⟩) + (p − y) ġᵢ`, in one pass per row (empty tangent lists are zero).
    /// `D` is computed with exactly the arithmetic of ``logitCotangent(_:labels:scale:)``, so
    /// values do not depend on whether tangents are carried.
    @inlinable
    static func cotangentWithTangents<S: TensorScalar>(
        _ z: Tensor<S>, _ g: Tensor<S>, labels: [Int], dz: [Tensor<S>], dg: [Tensor<S>], directions: Int
    ) -> (value: Tensor<S>, tangents: [Tensor<S>]) {
        let n = z.shape[0], c = z.shape[1]
        var (e, _) = shiftedExp(z)
        let tangentBuffers = (0..<directions).map { _ in TensorBuffer<S>(repeating: 0, count: n * c) }
        let p = UnsafeMutablePointer<S>.allocate(capacity: max(c, 1))
        defer { p.deallocate() }
        let dzPointers = dz.map { $0.storage.base }, dgPointers = dg.map { $0.storage.base }
        g.withUnsafeBufferPointer { gs in
            e.withUnsafeMutableBufferPointer { es in
                for i in 0..<n {
                    let row = es.baseAddress! + i * c
                    let sum = ReductionKernels.relaxedSum(row, count: c)
                    let inverse = 1 / sum
                    for j in 0..<c { p[j] = row[j] * inverse }
                    for d in 0..<directions {
                        let out = tangentBuffers[d].base + i * c
                        if !dzPointers.isEmpty {
                            let dzr = dzPointers[d] + i * c
                            let pz = ReductionKernels.relaxedDot(UnsafePointer(p), UnsafePointer(dzr), count: c)
                            for j in 0..<c { out[j] = gs[i] * p[j] * (dzr[j] - pz) }
                        }
                        if !dgPointers.isEmpty {
                            let dgi = dgPointers[d][i]
                            for j in 0..<c { out[j] += p[j] * dgi }
                            out[labels[i]] -= dgi
                        }
                    }
                    let f = gs[i] / sum
                    for j in 0..<c { row[j] *= f }
                    row[labels[i]] -= gs[i]
                }
            }
        }
        return (e, tangentBuffers.map { Tensor(shape: z.shape, storage: $0) })
    }

    /// The per-example losses and, for each direction `ż`, their tangents
    /// `Σⱼ softmax(zᵢ)ⱼ żᵢⱼ − żᵢ,yᵢ`, in one pass per row. The losses use exactly the arithmetic
    /// of ``losses(_:labels:)``.
    @inlinable
    static func lossesWithTangents<S: TensorScalar>(_ z: Tensor<S>, labels: [Int], tangents dz: [Tensor<S>]) -> (value: Tensor<S>, tangents: [Tensor<S>]) {
        let n = z.shape[0], c = z.shape[1]
        let (e, m) = shiftedExp(z)
        let values = TensorBuffer<S>(uninitializedCount: n)
        let tangentBuffers = dz.map { _ in TensorBuffer<S>(uninitializedCount: n) }
        let dzPointers = dz.map { $0.storage.base }
        e.withUnsafeBufferPointer { pe in
            z.withUnsafeBufferPointer { pz in
                for i in 0..<n {
                    let row = pe.baseAddress! + i * c
                    let sum = ReductionKernels.relaxedSum(row, count: c)
                    values.base[i] = S.log(sum) + m[i] - pz[i * c + labels[i]]
                    for d in dzPointers.indices {
                        let dzr = dzPointers[d] + i * c
                        tangentBuffers[d].base[i] = ReductionKernels.relaxedDot(row, UnsafePointer(dzr), count: c) / sum - dzr[labels[i]]
                    }
                }
            }
        }
        return (Tensor(shape: [n], storage: values), tangentBuffers.map { Tensor(shape: [n], storage: $0) })
    }

    /// `scaleᵢ · (softmax(zᵢ) − onehot(yᵢ))` for every row.
    @inlinable
    static func logitCotangent<S: TensorScalar>(_ z: Tensor<S>, labels: [Int], scale: Tensor<S>) -> Tensor<S> {
        let n = z.shape[0], c = z.shape[1]
        var (e, _) = shiftedExp(z)
        scale.withUnsafeBufferPointer { g in
            e.withUnsafeMutableBufferPointer { p in
                for i in 0..<n {
                    let row = p.baseAddress! + i * c
                    let f = g[i] / ReductionKernels.relaxedSum(row, count: c)
                    for j in 0..<c { row[j] *= f }
                    row[labels[i]] -= g[i]
                }
            }
        }
        return e
    }
}
