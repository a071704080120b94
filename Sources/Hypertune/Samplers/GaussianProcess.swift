import Autograd
import Foundation

/// Gaussian-process regression with a Matérn-5/2 kernel, one length scale per input dimension
/// (automatic relevance determination), a signal variance and Gaussian noise:
///
///     k(a, b) = s (1 + √5 r + 5r²/3) exp(−√5 r),   r² = Σᵢ ((aᵢ − bᵢ) / ℓᵢ)²,   K = k(X, X) + σₙ² I.
///
/// Targets are standardised. The hyperparameters θ = (log ℓ, log s, log σₙ²) maximise the log
/// marginal likelihood plus log-normal priors (which keep them sensible with few points), by
/// L-BFGS within bounds, from a warm start (the previous fit) or from the default and a few random
/// starts. The likelihood's gradient is analytic, `½ tr((ααᵀ − K⁻¹) ∂K/∂θ)` with `α = K⁻¹y`, and
/// `K⁻¹` comes from the Cholesky factor (LAPACK `dpotrf`, `dpotri`), with jitter added when the
/// factorisation fails. Predictions are batched: one kernel matrix against the candidates, one
/// triangular solve with many right-hand sides.
///
/// The workspace is reused between evaluations, so an instance is not safe to share between
/// threads.
/// - Complexity: one likelihood evaluation O(n³ + n² d) with no allocation; a batch of m
///   predictions O(m n (n + d)); one prediction with its gradient O(n² + n d).
final class GaussianProcess {
    let n: Int, d: Int
    /// The inputs, row-major n × d.
    let inputs: [Double]
    /// Standardised targets and the standardisation.
    let targets: [Double], targetMean: Double, targetScale: Double
    /// log ℓ (d of them), log s, log σₙ².
    private(set) var parameters: [Double]
    /// After ``fit(restarts:warmStart:generator:)``: the Cholesky factor of K (row-major lower
    /// triangle), α = K⁻¹ y, and the length scales and signal variance as numbers.
    private(set) var factor: [Double] = [], alpha: [Double] = []
    private var scales: [Double] = [], signal = 1.0, fittedScaled: [Double] = []
    /// Workspace: K, then its factor; K⁻¹; √5 r and exp(−√5 r) for every pair below
    /// the diagonal; the inputs divided by the length scales, column-major (d × n, so that loops
    /// over the inputs vectorise).
    private var matrix: [Double], inverse: [Double], roots: [Double], decays: [Double], scaled: [Double]

    /// Bounds of the log hyperparameters: length scales in [0.01, 100] (scikit-optimize's), signal
    /// variance in [0.05, 20], noise variance in [1e-8, 0.5] of the standardised targets.
    static func bounds(_ d: Int) -> [(Double, Double)] {
        [(Double, Double)](repeating: (Foundation.log(0.01), Foundation.log(100)), count: d)
            + [(Foundation.log(0.05), Foundation.log(20)), (Foundation.log(1e-8), Foundation.log(0.5))]
    }

    /// Prior means and standard deviations of the log hyperparameters.
    static func prior(_ d: Int) -> [(mean: Double, sd: Double)] {
        [(Double, Double)](repeating: (Foundation.log(0.5), 1.5), count: d) + [(0, 1.5), (Foundation.log(1e-6), 3)]
    }

    /// The default start of the fit.
    static func defaultParameters(_ d: Int) -> [Double] {
        [Double](repeating: Foundation.log(0.5), count: d) + [0, Foundation.log(1e-6)]
    }

    init(inputs rows: [[Double]], targets y: [Double]) {
        precondition(!rows.isEmpty && rows.count == y.count, "GaussianProcess: one target per input")
        n = rows.count
        d = rows[0].count
        precondition(rows.allSatisfy { $0.count == rows[0].count }, "GaussianProcess: inputs of one dimension")
        inputs = rows.flatMap { $0 }
        let mean = y.reduce(0, +) / Double(n)
        let sd = (y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(n - 1, 1))).squareRoot()
        let scale = sd > 0 && sd.isFinite ? sd : 1
        targetMean = mean
        targetScale = scale
        targets = y.map { ($0 - mean) / scale }
        parameters = Self.defaultParameters(d)
        matrix = [Double](repeating: 0, count: n * n)
        inverse = [Double](repeating: 0, count: n * n)
        roots = [Double](repeating: 0, count: n * n)
        decays = [Double](repeating: 0, count: n * n)
        scaled = [Double](repeating: 0, count: n * d)
    }

    // MARK: Likelihood

    /// Factorises K under `p` into `matrix` (lower triangle), adding growing jitter to the
    /// diagonal until it factors; fills `scaled`, `roots` and `decays` on the way.
    private func factorise(_ p: [Double]) {
        factorised = nil
        let signal = Foundation.exp(p[d]), noise = Foundation.exp(p[d + 1])
        let n = n, d = d
        for c in 0..<d {
            let inverse = 1 / Foundation.exp(p[c])
            for i in 0..<n { scaled[c * n + i] = inputs[i * d + c] * inverse }
        }
        scaled.withUnsafeBufferPointer { x in
            roots.withUnsafeMutableBufferPointer { t in
                decays.withUnsafeMutableBufferPointer { e in
                    for i in 1..<max(n, 1) {
                        let row = t.baseAddress! + i * n, exps = e.baseAddress! + i * n
                        Self.squaredDistances(x.baseAddress!, n: n, d: d, to: { x[$0 * n + i] }, count: i, into: row)
                        for j in 0..<i {
                            row[j] = (5 * row[j]).squareRoot()
                            exps[j] = -row[j]
                        }
                        Double.vectorExp(count: i, exps, exps)
                    }
                }
            }
        }
        var jitter = 0.0
        while true {
            let factored = matrix.withUnsafeMutableBufferPointer { m -> Bool in
                for i in 0..<n {
                    for j in 0..<i {
                        let t = roots[i * n + j]
                        m[i * n + j] = signal * (1 + t + t * t / 3) * decays[i * n + j]
                    }
                    m[i * n + i] = signal + noise + jitter
                }
                return Cholesky.factorInPlace(m.baseAddress!, n: n)
            }
            if factored { return }
            jitter = jitter == 0 ? 1e-8 : jitter * 10
            precondition(jitter < 10, "GaussianProcess: the covariance cannot be factorised")
        }
    }

    /// The log marginal likelihood plus the log priors, and its gradient, at `p`.

    /// The point `matrix` holds the factor of (and `scaled` the inputs for), and α there.
    private var factorised: (point: [Double], alpha: [Double])?

    /// The log marginal likelihood plus the log priors at `p`. Leaves K's factor at `p` in the
    /// workspace for ``logLikelihoodGradient(_:)``.
    /// - Complexity: O(n³/3 + n² d).
    func logLikelihood(_ p: [Double]) -> Double {
        factorise(p)
        let n = n
        var a = targets
        matrix.withUnsafeBufferPointer { l in a.withUnsafeMutableBufferPointer { Cholesky.solveInPlace(l.baseAddress!, n: n, $0.baseAddress!) } }
        var value = -0.5 * zip(targets, a).reduce(0) { $0 + $1.0 * $1.1 } - Double(n) * 0.5 * Foundation.log(2 * Double.pi)
        for i in 0..<n { value -= Foundation.log(matrix[i * n + i]) }
        for (i, prior) in Self.prior(d).enumerated() {
            let z = (p[i] - prior.mean) / prior.sd
            value -= 0.5 * z * z
        }
        factorised = (p, a)
        return value
    }

    /// The gradient of ``logLikelihood(_:)`` at `p`; cheapest right after it was evaluated at `p`.
    /// - Complexity: O(2n³/3 + n² d).
    func logLikelihoodGradient(_ p: [Double]) -> [Double] {
        if factorised?.point != p { _ = logLikelihood(p) }
        let a = factorised!.alpha
        let n = n, d = d
        let signal = Foundation.exp(p[d]), noise = Foundation.exp(p[d + 1])
        // The inverse goes to its own buffer, so that the factor stays for the fit's end.
        inverse.withUnsafeMutableBufferPointer { k in
            matrix.withUnsafeBufferPointer { k.baseAddress!.update(from: $0.baseAddress!, count: n * n) }
            Cholesky.invertInPlace(k.baseAddress!, n: n)
        }
        // ½ Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θ with W = ααᵀ − K⁻¹: the diagonal once, each pair below it twice.
        var gradient = [Double](repeating: 0, count: d + 2)
        var weights = [Double](repeating: 0, count: n)
        inverse.withUnsafeBufferPointer { inverse in
            scaled.withUnsafeBufferPointer { x in
                gradient.withUnsafeMutableBufferPointer { g in
                    for i in 0..<n {
                        let wii = a[i] * a[i] - inverse[i * n + i]
                        g[d] += 0.5 * wii * signal
                        g[d + 1] += 0.5 * wii * noise
                        // Row i below the diagonal, vectorised over j: the signal's term, then
                        // ∂k/∂log ℓ_c = s (5/3)(1 + √5 r) e^(−√5 r) ((a_c − b_c) / ℓ_c)² per c.
                        var signalTerm = 0.0
                        for j in 0..<i {
                            let w = a[i] * a[j] - inverse[i * n + j]
                            let t = roots[i * n + j], e = decays[i * n + j]
                            signalTerm += w * (1 + t + t * t / 3) * e
                            weights[j] = w * (1 + t) * e
                        }
                        g[d] += signal * signalTerm
                        weights.withUnsafeBufferPointer { w in
                            for c in 0..<d {
                                g[c] += signal * (5.0 / 3) * Self.weightedSquares(w.baseAddress!, x.baseAddress! + c * n, around: x[c * n + i], count: i)
                            }
                        }
                    }
                }
            }
        }
        for (i, prior) in Self.prior(d).enumerated() { gradient[i] -= (p[i] - prior.mean) / (prior.sd * prior.sd) }
        return gradient
    }

    /// ``logLikelihood(_:)`` and its gradient at `p`.
    func objective(_ p: [Double]) -> (value: Double, gradient: [Double]) {
        let value = logLikelihood(p)
        return (value, logLikelihoodGradient(p))
    }

    /// Fits the hyperparameters by L-BFGS on the objective (to a projected gradient below
    /// `tolerance`): from `warmStart` alone when given (a previous fit, which one more point
    /// moves little), otherwise from the default start and `restarts` random starts within the
    /// bounds. The best optimum wins.
    func fit(restarts: Int, warmStart: [Double]? = nil, tolerance: Double = 1e-2, gainTolerance: Double = 1e-3, generator g: inout SeededGenerator) {
        let bounds = Self.bounds(d)
        var starts: [[Double]]
        if let warmStart, warmStart.count == d + 2, warmStart.allSatisfy(\.isFinite) {
            starts = [warmStart]
        } else {
            starts = [Self.defaultParameters(d)]
            for _ in 0..<restarts { starts.append(bounds.map { $0.0 + (g.nextUnit() as Double) * ($0.1 - $0.0) }) }
        }
        var best = starts[0], bestValue = -Double.infinity
        for start in starts {
            let (p, value) = LBFGS.maximise(start, bounds: bounds, iterations: 50, tolerance: tolerance, gainTolerance: gainTolerance,
                                            value: logLikelihood, gradient: logLikelihoodGradient)
            if value > bestValue { (best, bestValue) = (p, value) }
        }
        parameters = best
        // The optimum is usually the last point evaluated, whose factor is still in `matrix`.
        if factorised?.point != best { _ = logLikelihood(best) }
        (factor, alpha, fittedScaled) = (matrix, factorised!.alpha, scaled)
        scales = (0..<d).map { Foundation.exp(best[$0]) }
        signal = Foundation.exp(best[d])
    }

    // MARK: Prediction

    /// The posterior means and standard deviations at the `m` points of the row-major `m × d`
    /// matrix `points`, in the targets' units.
    /// - Complexity: O(m n (n + d)).
    func predict(points: [Double], count m: Int) -> (means: [Double], sds: [Double]) {
        precondition(!factor.isEmpty, "GaussianProcess: fit before predicting")
        precondition(points.count == m * d, "GaussianProcess.predict: \(points.count) entries for \(m) points")
        let n = n, d = d
        var means = [Double](repeating: 0, count: m)
        var sds = [Double](repeating: 0, count: m)
        // Blocks of candidates: the kernel rows of a block stay in cache through the solve.
        let block = 64
        var cross = [Double](repeating: 0, count: block * n), decays = [Double](repeating: 0, count: n)
        let inverseScales = scales.map { 1 / $0 }
        alpha.withUnsafeBufferPointer { alphaBuffer in
        let alphaPointer = alphaBuffer.baseAddress!
        fittedScaled.withUnsafeBufferPointer { x in
            cross.withUnsafeMutableBufferPointer { k in
                for first in stride(from: 0, to: m, by: block) {
                    let rows = min(block, m - first)
                    for r in 0..<rows {
                        let row = k.baseAddress! + r * n, point = first + r
                        Self.squaredDistances(x.baseAddress!, n: n, d: d, to: { points[point * d + $0] * inverseScales[$0] }, count: n, into: row)
                        for i in 0..<n { row[i] = -(5 * row[i]).squareRoot() }
                        Double.vectorExp(count: n, row, &decays)
                        for i in 0..<n {
                            let t = row[i]
                            row[i] = signal * (1 - t + t * t / 3) * decays[i]
                        }
                        means[point] = targetMean + targetScale * Self.dot(row, alphaPointer, n)
                    }
                    factor.withUnsafeBufferPointer { Cholesky.solveLowerRows($0.baseAddress!, n: n, k.baseAddress!, count: rows) }
                    for r in 0..<rows {
                        let row = k.baseAddress! + r * n
                        sds[first + r] = targetScale * max(signal - Self.dot(row, row, n), Self.varianceFloor).squareRoot()
                    }
                }
            }
        }
        }
        return (means, sds)
    }

    /// `Σⱼ wⱼ (xⱼ − centre)²` over `count` entries, vectorised as ``dot(_:_:_:)``.
    @inline(__always)
    static func weightedSquares(_ w: UnsafePointer<Double>, _ x: UnsafePointer<Double>, around centre: Double, count: Int) -> Double {
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
        let rw = UnsafeRawPointer(w), rx = UnsafeRawPointer(x), c = SIMD4<Double>(repeating: centre)
        var j = 0
        while j + 8 <= count {
            let u0 = rx.loadUnaligned(fromByteOffset: 8 * j, as: SIMD4<Double>.self) - c
            let u1 = rx.loadUnaligned(fromByteOffset: 8 * (j + 4), as: SIMD4<Double>.self) - c
            s0 += rw.loadUnaligned(fromByteOffset: 8 * j, as: SIMD4<Double>.self) * u0 * u0
            s1 += rw.loadUnaligned(fromByteOffset: 8 * (j + 4), as: SIMD4<Double>.self) * u1 * u1
            j += 8
        }
        var sum = (s0 + s1).sum()
        while j < count {
            let u = x[j] - centre
            sum += w[j] * u * u
            j += 1
        }
        return sum
    }

    /// `Σᵢ aᵢ bᵢ` over `n` entries, in four-lane vectors with four accumulators (a plain loop
    /// cannot be vectorised: reassociating the sum changes its rounding).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), s2 = SIMD4<Double>(), s3 = SIMD4<Double>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var i = 0
        while i + 16 <= n {
            s0 += ra.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self) * rb.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self)
            s1 += ra.loadUnaligned(fromByteOffset: 8 * (i + 4), as: SIMD4<Double>.self) * rb.loadUnaligned(fromByteOffset: 8 * (i + 4), as: SIMD4<Double>.self)
            s2 += ra.loadUnaligned(fromByteOffset: 8 * (i + 8), as: SIMD4<Double>.self) * rb.loadUnaligned(fromByteOffset: 8 * (i + 8), as: SIMD4<Double>.self)
            s3 += ra.loadUnaligned(fromByteOffset: 8 * (i + 12), as: SIMD4<Double>.self) * rb.loadUnaligned(fromByteOffset: 8 * (i + 12), as: SIMD4<Double>.self)
            i += 16
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < n {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// The squared distances between the point with coordinates `q(c)` and the first `count`
    /// columns of the column-major `d × n` matrix `x`, into `out` (vectorised over the columns).
    @inline(__always)
    private static func squaredDistances(_ x: UnsafePointer<Double>, n: Int, d: Int, to q: (Int) -> Double, count: Int, into out: UnsafeMutablePointer<Double>) {
        out.update(repeating: 0, count: count)
        for c in 0..<d {
            let qc = q(c), column = x + c * n
            for j in 0..<count {
                let u = qc - column[j]
                out[j] += u * u
            }
        }
    }

    /// The posterior mean and standard deviation at `x`, in the targets' units.
    func predict(_ x: [Double]) -> (mean: Double, sd: Double) {
        let (means, sds) = predict(points: x, count: 1)
        return (means[0], sds[0])
    }

    /// The posterior at one point (targets' units), with what its gradient needs: the kernel's
    /// radial slopes and `L⁻¹k`.
    struct PointPosterior {
        let x: [Double]
        let mean: Double, sd: Double
        fileprivate let slopes: [Double], halfSolved: [Double], floored: Bool
    }

    /// The posterior at `x`.
    /// - Complexity: O(n d + n²).
    func posterior(at x: [Double]) -> PointPosterior {
        precondition(!factor.isEmpty, "GaussianProcess: fit before predicting")
        let n = n, d = d
        var k = [Double](repeating: 0, count: n), slopes = [Double](repeating: 0, count: n), decays = [Double](repeating: 0, count: n)
        fittedScaled.withUnsafeBufferPointer { s in
            k.withUnsafeMutableBufferPointer { row in
                Self.squaredDistances(s.baseAddress!, n: n, d: d, to: { x[$0] / scales[$0] }, count: n, into: row.baseAddress!)
                for i in 0..<n { row[i] = -(5 * row[i]).squareRoot() }
            }
        }
        Double.vectorExp(count: n, k, &decays)
        var mean = 0.0
        for i in 0..<n {
            let t = -k[i], e = decays[i]
            k[i] = signal * (1 + t + t * t / 3) * e
            slopes[i] = -signal * (5.0 / 3) * (1 + t) * e
            mean += k[i] * alpha[i]
        }
        factor.withUnsafeBufferPointer { l in
            k.withUnsafeMutableBufferPointer { Cholesky.forwardInPlace(l.baseAddress!, n: n, $0.baseAddress!) }
        }
        let variance = signal - k.reduce(0) { $0 + $1 * $1 }
        return PointPosterior(x: x, mean: targetMean + targetScale * mean, sd: targetScale * max(variance, Self.varianceFloor).squareRoot(),
                              slopes: slopes, halfSolved: k, floored: variance <= Self.varianceFloor)
    }

    /// The gradients of a posterior's mean and standard deviation with respect to its point:
    /// with `kᵢ = k(x, Xᵢ)`, `∇μ = Σᵢ αᵢ ∇kᵢ` and `∇σ² = −2 Σᵢ (K⁻¹k)ᵢ ∇kᵢ`, where
    /// `∇kᵢ = −s (5/3)(1 + √5 r) e^(−√5 r) (x − Xᵢ) / ℓ²`. Where the variance sits at its floor
    /// the standard deviation's gradient is 0.
    /// - Complexity: O(n² + n d).
    func gradient(_ p: PointPosterior) -> (mean: [Double], sd: [Double]) {
        let n = n, d = d
        var v = p.halfSolved
        factor.withUnsafeBufferPointer { l in
            v.withUnsafeMutableBufferPointer { Cholesky.backwardInPlace(l.baseAddress!, n: n, $0.baseAddress!) }
        }
        var meanGradient = [Double](repeating: 0, count: d), varianceGradient = [Double](repeating: 0, count: d)
        for c in 0..<d {
            let inverse = 1 / (scales[c] * scales[c]), xc = p.x[c]
            var dm = 0.0, dv = 0.0
            for i in 0..<n {
                // ∂kᵢ/∂x_c = slopeᵢ (x_c − X_ic) / ℓ_c².
                let dk = p.slopes[i] * (xc - inputs[i * d + c]) * inverse
                dm += alpha[i] * dk
                dv -= 2 * v[i] * dk
            }
            meanGradient[c] = targetScale * dm
            varianceGradient[c] = dv
        }
        let sd = p.sd / targetScale
        return (meanGradient, p.floored ? [Double](repeating: 0, count: d) : varianceGradient.map { $0 / (2 * sd) * targetScale })
    }

    /// The smallest posterior variance (of the standardised targets) a prediction reports.
    static let varianceFloor = 1e-12
}
