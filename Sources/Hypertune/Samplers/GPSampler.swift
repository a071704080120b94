import Autograd
import Foundation

/// Gaussian-process Bayesian optimisation.
///
/// The parameters every complete trial shares are modelled jointly by a ``GaussianProcess``
/// (Matérn-5/2, one length scale per dimension, hyperparameters by maximum a posteriori
/// marginal likelihood). Numerical parameters live in the unit cube (log scales respected;
/// integers and steps snapped when proposed); a categorical parameter becomes one 0/1 coordinate
/// per choice, so choices are not ordered. The next point maximises the logarithm of expected
/// improvement (computed without underflow far from the incumbent), or an upper confidence
/// bound: candidates from a scrambled Sobol sequence, the best trials' points and Gaussian
/// perturbations of them are scored in one batch, and the best few are refined by L-BFGS over
/// their numerical coordinates with the acquisition's analytic gradient. Running trials enter
/// the model with the worst value seen (a constant liar), so parallel workers spread out.
///
/// Each fit is recorded with its trial (system attributes `gp:space`, `gp:kernel`) and the next
/// proposal starts its fit there: one more point moves the optimum little, so a few likelihood
/// evaluations suffice. As the record lives in the history, a resumed study or another worker
/// proposes exactly what this process would have.
///
/// The first `startupTrials` proposals are random, as are parameters outside the shared space.
/// - Complexity: per proposal O(evaluations · (n³ + n² d)) to fit (a handful of evaluations
///   when warm-started), O(candidates · n (n + d)) to score the candidates and
///   O(refined · iterations · (n² + n d)) to refine them.
public struct GPSampler: Sampler {
    public enum Acquisition: Sendable {
        /// log E[max(best − f, 0)] (minimisation).
        case logExpectedImprovement
        /// −(μ − κσ): the lower confidence bound on a minimised objective, negated.
        case upperConfidenceBound(kappa: Double)
    }

    public struct Configuration: Sendable {
        public var startupTrials = 10
        public var acquisition = Acquisition.logExpectedImprovement
        /// Quasi-random candidates for the acquisition's maximisation (each of the five best trials
        /// adds an eighth as many perturbations of itself).
        public var candidates = 512
        /// Random restarts of the hyperparameter fit, besides the default start, when no earlier
        /// fit of the same space is recorded in the history to start from.
        public var fitRestarts = 2
        /// How many of the best candidates are refined by gradient ascent.
        public var refinedCandidates = 2

        public init() {}
    }

    public let seed: UInt64
    public let configuration: Configuration
    public let independent: any Sampler
    /// Fits made by ``sampleRelative(history:trial:space:)``, until ``startAttributes(history:trial:space:)`` records them.
    let fits = PendingFits()

    public init(seed: UInt64 = 0, configuration: Configuration = Configuration(), independent: (any Sampler)? = nil) {
        precondition(configuration.candidates >= 1, "GPSampler: at least one candidate is needed")
        self.seed = seed
        self.configuration = configuration
        self.independent = independent ?? RandomSampler(seed: seed)
    }

    public func relativeSearchSpace(history: StudyHistory, trial: FrozenTrial) -> [(name: String, distribution: Distribution)] {
        let complete = history.trials.filter { $0.state == .complete && ($0.values?.first?.isFinite ?? false) }
        guard complete.count >= configuration.startupTrials else { return [] }
        return StudyHistory.sharedSpace(complete)
    }

    public func sampleIndependent(history: StudyHistory, trial: FrozenTrial, name: String, distribution: Distribution) -> Double {
        independent.sampleIndependent(history: history, trial: trial, name: name, distribution: distribution)
    }

    /// The model's coordinates of a space: a unit-cube coordinate per numerical parameter, a 0/1
    /// coordinate per choice of a categorical one.
    struct Encoding {
        let space: [(name: String, distribution: Distribution)]
        let numerical: UnitCube
        /// For each parameter, its first coordinate.
        let offsets: [Int]
        let width: Int

        init(_ space: [(name: String, distribution: Distribution)]) {
            self.space = space
            numerical = UnitCube(space.map { p in p.distribution.isCategorical ? (p.name, Distribution.float(low: 0, high: 1)) : p })
            var offsets: [Int] = [], width = 0
            for p in space {
                offsets.append(width)
                if case let .categorical(choices) = p.distribution { width += choices.count } else { width += 1 }
            }
            (self.offsets, self.width) = (offsets, width)
        }

        func encode(_ trial: FrozenTrial) -> [Double]? {
            var x = [Double](repeating: 0, count: width)
            for (j, p) in space.enumerated() {
                guard trial.distributions[p.name] == p.distribution, let v = trial.parameters[p.name], let i = p.distribution.toInternal(v) else { return nil }
                if p.distribution.isCategorical { x[offsets[j] + Int(i)] = 1 } else { x[offsets[j]] = numerical.unit(i, j) }
            }
            return x
        }

        /// Internal values of a point (categorical: the largest coordinate of the choice's block).
        func decode(_ x: [Double]) -> [Double] {
            space.enumerated().map { j, p in
                if case let .categorical(choices) = p.distribution {
                    return Double((0..<choices.count).max { x[offsets[j] + $0] < x[offsets[j] + $1] }!)
                }
                return numerical.internalValue(x[offsets[j]], j)
            }
        }

        /// The point of unit-cube coordinates `u`, one per parameter: a numerical parameter takes
        /// its coordinate, a categorical one the choice whose share of [0, 1) holds it.
        func point(unit u: [Double]) -> [Double] {
            var x = [Double](repeating: 0, count: width)
            for (j, p) in space.enumerated() {
                if case let .categorical(choices) = p.distribution {
                    x[offsets[j] + min(Int(u[j] * Double(choices.count)), choices.count - 1)] = 1
                } else {
                    x[offsets[j]] = u[j]
                }
            }
            return x
        }

        /// Names the coordinates: fits are reused only by proposals in the same coordinates.
        var signature: String { UnitCube.signature(space) }

        /// The numerical coordinates (the ones gradient ascent moves).
        var continuous: [Int] { space.indices.filter { !space[$0].distribution.isCategorical }.map { offsets[$0] } }
    }

    /// The system attributes that carry a fit to the next proposal: the coordinates' signature
    /// and the fitted log hyperparameters.
    static let spaceKey = "gp:space", kernelKey = "gp:kernel"

    public func sampleRelative(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: Double] {
        guard !space.isEmpty else { return [:] }
        let encoding = Encoding(space)
        let sign = history.directions.first == .maximize ? -1.0 : 1.0
        var xs: [[Double]] = [], ys: [Double] = [], running: [[Double]] = []
        var warmStart: [Double]?, warmNumber = -1
        for t in history.trials {
            if t.number > warmNumber, case .string(encoding.signature)? = t.systemAttributes[Self.spaceKey],
               case let .array(kernel)? = t.systemAttributes[Self.kernelKey] {
                let values = kernel.compactMap { if case let .number(v) = $0 { v } else { nil } }
                if values.count == encoding.width + 2 { (warmStart, warmNumber) = (values, t.number) }
            }
            guard let x = encoding.encode(t) else { continue }
            if t.state == .complete, let v = t.values?.first, v.isFinite {
                xs.append(x)
                ys.append(sign * v)
            } else if t.state == .running {
                running.append(x)
            }
        }
        guard !xs.isEmpty, let best = ys.min(), let worst = ys.max() else { return [:] }
        // Constant liar: running trials count as the worst value seen.
        let gp = GaussianProcess(inputs: xs + running, targets: ys + running.map { _ in worst })
        var g = SamplerRandom.generator(seed: seed, trial: trial.number, purpose: "gp")
        gp.fit(restarts: configuration.fitRestarts, warmStart: warmStart, generator: &g)
        fits.record(gp.parameters, for: trial)
        let acquisition = configuration.acquisition
        // Candidates: quasi-random points, the best trials' points and perturbations of them (the
        // search near the incumbent that refinement then sharpens); the best few are refined.
        let free = encoding.continuous
        let sobol = SobolSequence(dimensions: space.count, scrambleSeed: g.next())
        var candidates = (0..<configuration.candidates).map { encoding.point(unit: sobol.point($0)) }
        let incumbents = zip(xs, ys).sorted { $0.1 < $1.1 }.prefix(5).map(\.0)
        candidates += incumbents
        for (k, x) in incumbents.enumerated() {
            for i in 0..<(configuration.candidates / 8) {
                var y = x
                let spread = [0.002, 0.01, 0.05, 0.15][(k + i) % 4]
                for c in free { y[c] = min(max(x[c] + spread * g.nextNormal(), 0), 1) }
                candidates.append(y)
            }
        }
        let (means, sds) = gp.predict(points: candidates.flatMap { $0 }, count: candidates.count)
        let scores = candidates.indices.map { Self.score(acquisition, best: best, mean: means[$0], sd: sds[$0]).value }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var (bestPoint, bestScore) = (candidates[order[0]], scores[order[0]])
        for start in order.prefix(configuration.refinedCandidates) where !free.isEmpty {
            var last: GaussianProcess.PointPosterior?
            let (point, value) = Self.refine(candidates[start], coordinates: free, value: { x in
                let p = gp.posterior(at: x)
                last = p
                return Self.score(acquisition, best: best, mean: p.mean, sd: p.sd).value
            }, gradient: { x in
                let p = last!.x == x ? last! : gp.posterior(at: x)
                let a = Self.score(acquisition, best: best, mean: p.mean, sd: p.sd), g = gp.gradient(p)
                return (0..<x.count).map { a.byMean * g.mean[$0] + a.bySD * g.sd[$0] }
            })
            if value > bestScore { (bestPoint, bestScore) = (point, value) }
        }
        let values = encoding.decode(bestPoint)
        var result: [String: Double] = [:]
        for (j, p) in space.enumerated() { result[p.name] = values[j] }
        return result
    }

    public func startAttributes(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: JSONValue] {
        guard !space.isEmpty, let kernel = fits.take(trial) else { return [:] }
        return [Self.spaceKey: .string(Encoding(space).signature), Self.kernelKey: .array(kernel.map { .number($0) })]
    }

    /// The acquisition's value at a posterior `N(mean, sd²)` and its partial derivatives with
    /// respect to the mean and the standard deviation.
    static func score(_ acquisition: Acquisition, best: Double, mean: Double, sd: Double) -> (value: Double, byMean: Double, bySD: Double) {
        switch acquisition {
        case .logExpectedImprovement:
            // log EI = log σ + log h(z), z = (best − μ)/σ, and (log h)′ = Φ(z)/h(z).
            let z = (best - mean) / sd
            let (logH, slope) = logHWithSlope(z)
            return (Foundation.log(sd) + logH, -slope / sd, 1 / sd - slope * z / sd)
        case let .upperConfidenceBound(kappa):
            return (-(mean - kappa * sd), -1, kappa)
        }
    }

    /// A local maximum over `coordinates` in [0, 1] from `start` of a function given by its
    /// value and gradient (asked for only right after the value at the same point): L-BFGS
    /// within the bounds.
    static func refine(_ start: [Double], coordinates: [Int], value f: ([Double]) -> Double, gradient df: ([Double]) -> [Double]) -> ([Double], Double) {
        func point(_ z: [Double]) -> [Double] {
            var x = start
            for (k, c) in coordinates.enumerated() { x[c] = z[k] }
            return x
        }
        let (z, value) = LBFGS.maximise(coordinates.map { start[$0] }, bounds: coordinates.map { _ in (0, 1) }, iterations: 30, tolerance: 1e-5,
                                        value: { f(point($0)) }, gradient: { z in
                                            let gradient = df(point(z))
                                            return coordinates.map { gradient[$0] }
                                        })
        return (point(z), value)
    }

    /// `log h(z)` with `h(z) = z Φ(z) + φ(z)`, and its derivative `Φ(z) / h(z)` (as `h′ = Φ`).
    static func logHWithSlope(_ z: Double) -> (value: Double, slope: Double) {
        let logPhi = -0.5 * z * z - Normal.logSqrt2Pi
        if z > -1 {
            let cdf = Normal.cdf(z), h = z * cdf + Foundation.exp(logPhi)
            return (Foundation.log(h), cdf / h)
        }
        // Φ(z) = φ(t) R(t) and h(z) = φ(t) (1 − t R(t)) with t = −z and R Mills' ratio.
        let t = -z
        let ratio: Double, oneMinusTR: Double
        if t < 25 {
            ratio = 0.5 * erfc(t / 2.0.squareRoot()) / Foundation.exp(-0.5 * t * t - Normal.logSqrt2Pi)
            oneMinusTR = 1 - t * ratio
        } else {
            // The asymptotic series R(t) = (1/t)(1 − 1/t² + 3/t⁴ − 15/t⁶ + …), so that
            // 1 − tR(t) = 1/t² − 3/t⁴ + 15/t⁶ − 105/t⁸ + …
            let u = 1 / (t * t)
            ratio = (1 - u * (1 - 3 * u * (1 - 5 * u))) / t
            oneMinusTR = u * (1 - 3 * u * (1 - 5 * u * (1 - 7 * u)))
        }
        let kept = max(oneMinusTR, .leastNormalMagnitude)
        return (logPhi + Foundation.log(kept), ratio / kept)
    }
}

/// Fitted kernel hyperparameters waiting, per trial, to be recorded as its start attributes.
final class PendingFits: @unchecked Sendable {
    private let lock = NSLock()
    private var fits: [[Int]: [Double]] = [:]

    func record(_ parameters: [Double], for trial: FrozenTrial) {
        lock.withLock { fits[[trial.id, trial.number]] = parameters }
    }

    func take(_ trial: FrozenTrial) -> [Double]? {
        lock.withLock { fits.removeValue(forKey: [trial.id, trial.number]) }
    }
}
