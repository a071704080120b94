import Autograd
import Foundation

/// Gaussian-process regression with a Matérn-5/2 kernel, one length scale per input dimension
/// (automatic relevance determination), a signal variance and Gaussian noise:
///
///     k(a, b) = s (1 + √5 r + 5r²/3) exp(−√5 r),   r² = Σᵢ ((aᵢ − bᵢ) / ℓᵢ)²,   K = k(X, X) + σₙ² I.
///
/// Targets are standardised. The hyperparameters (log ℓ, log s, log σₙ²) maximise the log
/// marginal likelihood plus log-normal priors (which keep them sensible with few points), by
/// L-BFGS from a few starting points within bounds; the likelihood's gradient is analytic,
/// `½ tr((ααᵀ − K⁻¹) ∂K/∂θ)` with `α = K⁻¹y`. Factorisations are LAPACK Cholesky, with jitter
/// added when one fails.
/// - Complexity: fitting O(iterations · (n³ + n² d)); a prediction O(n d + n²).
struct GaussianProcess {
    let inputs: [[Double]], n: Int, d: Int
    /// Standardised targets and the standardisation.
    let targets: [Double], targetMean: Double, targetScale: Double
    /// log ℓ (d of them), log s, log σₙ².
    private(set) var parameters: [Double]
    /// The Cholesky factor of K and α = K⁻¹ y.
    private(set) var factor: [Double] = [], alpha: [Double] = []

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

    init(inputs: [[Double]], targets y: [Double]) {
        precondition(!inputs.isEmpty && inputs.count == y.count, "GaussianProcess: one target per input")
        self.inputs = inputs
        n = inputs.count
        d = inputs[0].count
        let mean = y.reduce(0, +) / Double(n)
        let sd = (y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(n - 1, 1))).squareRoot()
        let scale = sd > 0 && sd.isFinite ? sd : 1
        targetMean = mean
        targetScale = scale
        targets = y.map { ($0 - mean) / scale }
        parameters = [Double](repeating: Foundation.log(0.5), count: d) + [0, Foundation.log(1e-6)]
    }

    // MARK: Kernel

    @inline(__always)
    private static func matern(_ r: Double, signal: Double) -> Double {
        let t = 5.0.squareRoot() * r
        return signal * (1 + t + t * t / 3) * Foundation.exp(-t)
    }

    /// k(a, b) under `parameters`.
    func kernel(_ a: [Double], _ b: [Double], _ p: [Double]) -> Double {
        var r2 = 0.0
        for i in 0..<d {
            let u = (a[i] - b[i]) / Foundation.exp(p[i])
            r2 += u * u
        }
        return Self.matern(r2.squareRoot(), signal: Foundation.exp(p[d]))
    }

    /// K (with noise) under `p`, row-major.
    private func covariance(_ p: [Double], jitter: Double = 0) -> [Double] {
        var k = [Double](repeating: 0, count: n * n)
        let noise = Foundation.exp(p[d + 1]) + jitter
        for i in 0..<n {
            for j in i..<n {
                let v = kernel(inputs[i], inputs[j], p) + (i == j ? noise : 0)
                k[i * n + j] = v
                k[j * n + i] = v
            }
        }
        return k
    }

    /// The Cholesky factor of K under `p`, with growing jitter until it factors.
    private func factorised(_ p: [Double]) -> [Double] {
        var jitter = 0.0
        while true {
            if let l = Cholesky.factor(covariance(p, jitter: jitter), n: n) { return l }
            jitter = jitter == 0 ? 1e-8 : jitter * 10
            precondition(jitter < 10, "GaussianProcess: the covariance cannot be factorised")
        }
    }

    // MARK: Likelihood

    /// The log marginal likelihood plus the log priors, and its gradient, at `p`.
    func objective(_ p: [Double]) -> (value: Double, gradient: [Double]) {
        let l = factorised(p)
        let a = Cholesky.solve(l, n: n, targets)
        var value = -0.5 * zip(targets, a).reduce(0) { $0 + $1.0 * $1.1 } - Double(n) * 0.5 * Foundation.log(2 * Double.pi)
        for i in 0..<n { value -= Foundation.log(l[i * n + i]) }
        // W = ααᵀ − K⁻¹.
        var w = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var e = [Double](repeating: 0, count: n)
            e[j] = 1
            let column = Cholesky.solve(l, n: n, e)
            for i in 0..<n { w[i * n + j] = a[i] * a[j] - column[i] }
        }
        var gradient = [Double](repeating: 0, count: d + 2)
        let signal = Foundation.exp(p[d]), noise = Foundation.exp(p[d + 1])
        let scales2 = (0..<d).map { Foundation.exp(2 * p[$0]) }
        for i in 0..<n {
            gradient[d + 1] += 0.5 * w[i * n + i] * noise
            for j in 0..<n {
                var r2 = 0.0
                for c in 0..<d {
                    let u = inputs[i][c] - inputs[j][c]
                    r2 += u * u / scales2[c]
                }
                let t = (5 * r2).squareRoot(), e = Foundation.exp(-t)
                let k = signal * (1 + t + t * t / 3) * e
                gradient[d] += 0.5 * w[i * n + j] * k
                // ∂k/∂log ℓ_c = s (5/3)(1 + √5 r) e^(−√5 r) (a_c − b_c)² / ℓ_c².
                let common = signal * (5.0 / 3) * (1 + t) * e
                for c in 0..<d {
                    let u = inputs[i][c] - inputs[j][c]
                    gradient[c] += 0.5 * w[i * n + j] * common * u * u / scales2[c]
                }
            }
        }
        for (i, prior) in Self.prior(d).enumerated() {
            let z = (p[i] - prior.mean) / prior.sd
            value -= 0.5 * z * z
            gradient[i] -= z / prior.sd
        }
        return (value, gradient)
    }

    /// Fits the hyperparameters: L-BFGS on the negative objective from the default start and
    /// from `restarts` random starts within the bounds; the best optimum wins.
    mutating func fit(restarts: Int, generator g: inout SeededGenerator) {
        let bounds = Self.bounds(d)
        var starts = [parameters]
        for _ in 0..<restarts { starts.append(bounds.map { $0.0 + (g.nextUnit() as Double) * ($0.1 - $0.0) }) }
        var best = parameters, bestValue = -Double.infinity
        for start in starts {
            let (p, value) = LBFGS.maximise(start, bounds: bounds, iterations: 50) { objective($0) }
            if value > bestValue { (best, bestValue) = (p, value) }
        }
        parameters = best
        factor = factorised(best)
        alpha = Cholesky.solve(factor, n: n, targets)
    }

    /// The posterior mean and standard deviation at `x`, in the targets' units.
    func predict(_ x: [Double]) -> (mean: Double, sd: Double) {
        precondition(!factor.isEmpty, "GaussianProcess: fit before predicting")
        let k = inputs.map { kernel(x, $0, parameters) }
        let mean = zip(k, alpha).reduce(0) { $0 + $1.0 * $1.1 }
        let v = Cholesky.solveLower(factor, n: n, k)
        let variance = max(Foundation.exp(parameters[d]) - v.reduce(0) { $0 + $1 * $1 }, 1e-12)
        return (targetMean + targetScale * mean, targetScale * variance.squareRoot())
    }
}

/// Limited-memory BFGS (Nocedal 1980) with a backtracking line search, for small smooth problems
/// within box bounds (the iterates are clipped to them).
enum LBFGS {
    /// A local maximum of `f` from `start`, and its value.
    static func maximise(_ start: [Double], bounds: [(Double, Double)], iterations: Int, memory: Int = 6,
                         _ f: ([Double]) -> (value: Double, gradient: [Double])) -> (point: [Double], value: Double) {
        func clip(_ x: [Double]) -> [Double] { zip(x, bounds).map { min(max($0, $1.0), $1.1) } }
        var x = clip(start)
        var (value, gradient) = f(x)
        var history: [(s: [Double], y: [Double], rho: Double)] = []
        for _ in 0..<iterations {
            // The ascent direction: the two-loop recursion on −f.
            var q = gradient.map { -$0 }
            var alphas: [Double] = []
            for h in history.reversed() {
                let a = h.rho * zip(h.s, q).reduce(0) { $0 + $1.0 * $1.1 }
                alphas.append(a)
                q = zip(q, h.y).map { $0 - a * $1 }
            }
            if let last = history.last {
                let gamma = zip(last.s, last.y).reduce(0) { $0 + $1.0 * $1.1 } / zip(last.y, last.y).reduce(0) { $0 + $1.0 * $1.1 }
                q = q.map { $0 * gamma }
            }
            for (h, a) in zip(history, alphas.reversed()) {
                let b = h.rho * zip(h.y, q).reduce(0) { $0 + $1.0 * $1.1 }
                q = zip(q, h.s).map { $0 + (a - b) * $1 }
            }
            var direction = q.map { -$0 }
            if zip(direction, gradient).reduce(0, { $0 + $1.0 * $1.1 }) <= 0 {
                direction = gradient  // not an ascent direction: steepest ascent
                history.removeAll()
            }
            var step = history.isEmpty ? 1 / max(1, direction.reduce(0) { $0 + $1 * $1 }.squareRoot()) : 1
            var accepted = false
            for _ in 0..<30 {
                let candidate = clip(zip(x, direction).map { $0 + step * $1 })
                let next = f(candidate)
                let gain = zip(zip(candidate, x).map { $0 - $1 }, gradient).reduce(0) { $0 + $1.0 * $1.1 }
                if next.value.isFinite && next.value >= value + 1e-4 * gain {
                    let s = zip(candidate, x).map { $0 - $1 }, y = zip(gradient, next.gradient).map { $0 - $1 }
                    let sy = zip(s, y).reduce(0) { $0 + $1.0 * $1.1 }
                    if sy > 1e-12 {
                        history.append((s, y, 1 / sy))
                        if history.count > memory { history.removeFirst() }
                    }
                    (x, value, gradient) = (candidate, next.value, next.gradient)
                    accepted = true
                    break
                }
                step *= 0.5
            }
            if !accepted { break }
        }
        return (x, value)
    }
}
