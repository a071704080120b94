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
/// bound: the best of quasi-random candidates (and the best trials' points) is refined by
/// projected gradient ascent over its numerical coordinates. Running trials enter the model
/// with the worst value seen (a constant liar), so parallel workers spread out.
///
/// The first `startupTrials` proposals are random, as are parameters outside the shared space.
/// - Complexity: per proposal O(restarts · iterations · (n³ + n² d)) to fit, and
///   O(candidates · (n d + n²)) for the acquisition.
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
        /// Quasi-random candidates for the acquisition's maximisation.
        public var candidates = 1024
        /// Random restarts of the hyperparameter fit, besides the default start.
        public var fitRestarts = 2

        public init() {}
    }

    public let seed: UInt64
    public let configuration: Configuration
    public let independent: any Sampler

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

        /// A point drawn uniformly (one choice per categorical parameter).
        func random(_ g: inout SeededGenerator) -> [Double] {
            var x = [Double](repeating: 0, count: width)
            for (j, p) in space.enumerated() {
                if case let .categorical(choices) = p.distribution {
                    x[offsets[j] + Int(g.nextUnit() * Double(choices.count)) % choices.count] = 1
                } else {
                    x[offsets[j]] = g.nextUnit()
                }
            }
            return x
        }

        /// The numerical coordinates (the ones gradient ascent moves).
        var continuous: [Int] { space.indices.filter { !space[$0].distribution.isCategorical }.map { offsets[$0] } }
    }

    public func sampleRelative(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: Double] {
        guard !space.isEmpty else { return [:] }
        let encoding = Encoding(space)
        let sign = history.directions.first == .maximize ? -1.0 : 1.0
        var xs: [[Double]] = [], ys: [Double] = [], running: [[Double]] = []
        for t in history.trials {
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
        var gp = GaussianProcess(inputs: xs + running, targets: ys + running.map { _ in worst })
        var g = SamplerRandom.generator(seed: seed, trial: trial.number, purpose: "gp")
        gp.fit(restarts: configuration.fitRestarts, generator: &g)
        func acquisition(_ x: [Double]) -> Double {
            let (mean, sd) = gp.predict(x)
            switch configuration.acquisition {
            case .logExpectedImprovement: return Self.logExpectedImprovement(best: best, mean: mean, sd: sd)
            case let .upperConfidenceBound(kappa): return -(mean - kappa * sd)
            }
        }
        // Candidates: random points, the best trials' points and perturbations of them (the
        // search near the incumbent that refinement then sharpens); the best few are refined.
        let free = encoding.continuous
        var candidates = (0..<configuration.candidates).map { _ in encoding.random(&g) }
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
        let scored = candidates.map { ($0, acquisition($0)) }.sorted { $0.1 > $1.1 }
        var bestPoint = scored[0].0, bestScore = scored[0].1
        for (start, _) in scored.prefix(5) where !free.isEmpty {
            let (point, value) = Self.refine(start, coordinates: free, acquisition)
            if value > bestScore { (bestPoint, bestScore) = (point, value) }
        }
        let values = encoding.decode(bestPoint)
        var result: [String: Double] = [:]
        for (j, p) in space.enumerated() { result[p.name] = values[j] }
        return result
    }

    /// A local maximum of `f` over `coordinates` in [0, 1] from `start`: L-BFGS within the bounds,
    /// with central-difference gradients.
    static func refine(_ start: [Double], coordinates: [Int], _ f: ([Double]) -> Double) -> ([Double], Double) {
        func point(_ z: [Double]) -> [Double] {
            var x = start
            for (k, c) in coordinates.enumerated() { x[c] = z[k] }
            return x
        }
        let h = 1e-6
        let (z, value) = LBFGS.maximise(coordinates.map { start[$0] }, bounds: coordinates.map { _ in (0, 1) }, iterations: 30) { z in
            let x = point(z), fx = f(x)
            let gradient = z.indices.map { k -> Double in
                var a = z, b = z
                a[k] = min(z[k] + h, 1)
                b[k] = max(z[k] - h, 0)
                return (f(point(a)) - f(point(b))) / max(a[k] - b[k], 1e-12)
            }
            return (fx, gradient)
        }
        return (point(z), value)
    }

    /// `log E[max(best − f, 0)]` for `f ~ N(mean, sd²)`: `log sd + log h(z)`, `z = (best − mean)/sd`,
    /// `h(z) = z Φ(z) + φ(z)`, computed without underflow or cancellation for very negative `z`.
    static func logExpectedImprovement(best: Double, mean: Double, sd: Double) -> Double {
        let z = (best - mean) / sd
        return Foundation.log(sd) + logH(z)
    }

    /// `log(z Φ(z) + φ(z))`.
    static func logH(_ z: Double) -> Double {
        let logPhi = -0.5 * z * z - Normal.logSqrt2Pi
        if z > -1 { return Foundation.log(z * Normal.cdf(z) + Foundation.exp(logPhi)) }
        // h(z) = φ(z) (1 − t R(t)) with t = −z and R(t) = Φ(−t)/φ(t), Mills' ratio.
        let t = -z
        let oneMinusTR: Double
        if t < 25 {
            let r = 0.5 * erfc(t / 2.0.squareRoot()) / Foundation.exp(-0.5 * t * t - Normal.logSqrt2Pi)
            oneMinusTR = 1 - t * r
        } else {
            // The asymptotic series 1 − tR(t) = 1/t² − 3/t⁴ + 15/t⁶ − 105/t⁸ + …
            let u = 1 / (t * t)
            oneMinusTR = u * (1 - 3 * u * (1 - 5 * u * (1 - 7 * u)))
        }
        return logPhi + Foundation.log(max(oneMinusTR, .leastNormalMagnitude))
    }
}
