import Autograd
import Foundation

/// CMA-ES: the covariance matrix adaptation evolution strategy (Hansen, "The CMA Evolution
/// Strategy: A Tutorial", 2016), over the numerical parameters every complete trial shares.
///
/// Each generation samples `λ` points `x = m + σ · A ⊙ (B D z)`, `z ~ N(0, I)`, in the unit cube
/// (log scales respected; integers and steps as cells of it); the `μ` best of them move the mean
/// by weighted recombination, and the step size and covariance follow the tutorial's update:
/// cumulative step-size adaptation (`p_σ`, `c_σ`, `d_σ`) and rank-one plus rank-μ covariance
/// updates (`p_c`, `c_1`, `c_μ`), with the tutorial's default constants and weights (negative
/// ones for the worse half: active CMA).
///
/// - **IPOP restarts** (Auger & Hansen 2005): when a run stagnates (step size or spread of values
///   below tolerance, or an ill-conditioned covariance), a new run starts from a random mean with
///   twice the population.
/// - **Margin for integers** (after Hamano et al. 2022): for integer and stepped parameters, the
///   marginal probability of leaving the current cell is kept at least `1/(n λ)` by widening that
///   coordinate (the diagonal `A`), so the search does not freeze on one value.
/// - **Separable CMA** (Ros & Hansen 2008), optional: a diagonal covariance, `O(n)` per sample,
///   with the learning rates scaled by `(n + 2)/3`; for many parameters.
/// - Categorical parameters, and parameters not in every complete trial, are sampled by
///   `independent` (random by default, as Optuna's CmaEsSampler does).
///
/// The sampler keeps no state: each trial records its run and generation (system attributes
/// `cma:space`, `cma:restart`, `cma:generation`) when it starts, and the state is rebuilt from the
/// complete trials by replaying the generations (the first `λ` complete trials of each, by
/// number). Trials that fail or are pruned are replaced by further samples of their generation.
/// - Complexity: per proposal, the replay: O(generations · (λ n² + n³)) (O(generations · λ n)
///   separable).
public struct CMAESSampler: Sampler {
    public struct Configuration: Sendable {
        /// The initial step size in the unit cube: 1/6, so that ±3σ spans it.
        public var initialSigma = 1.0 / 6
        /// The first run's population (nil: `4 + ⌊3 ln n⌋`).
        public var populationSize: Int?
        /// Restart with a doubled population when a run stagnates (IPOP-CMA-ES).
        public var restarts = true
        /// A diagonal covariance (sep-CMA-ES).
        public var separable = false
        /// Keep integer and stepped parameters from freezing on one value.
        public var margin = true

        public init() {}
    }

    public let seed: UInt64
    public let configuration: Configuration
    /// Samples what CMA-ES does not model (categorical parameters, and parameters absent from some
    /// complete trial).
    public let independent: any Sampler

    public init(seed: UInt64 = 0, configuration: Configuration = Configuration(), independent: (any Sampler)? = nil) {
        precondition(configuration.initialSigma > 0, "CMAESSampler: the initial step size must be positive")
        precondition(configuration.populationSize.map { $0 >= 2 } ?? true, "CMAESSampler: a population needs at least 2 members")
        self.seed = seed
        self.configuration = configuration
        self.independent = independent ?? RandomSampler(seed: seed)
    }

    static let spaceKey = "cma:space", restartKey = "cma:restart", generationKey = "cma:generation"

    // MARK: Sampler

    /// The numerical parameters (with more than one value) that every complete trial has, drawn
    /// from the same distribution, by name.
    public func relativeSearchSpace(history: StudyHistory, trial: FrozenTrial) -> [(name: String, distribution: Distribution)] {
        StudyHistory.sharedSpace(history.trials.filter { $0.state == .complete }).filter { !$0.distribution.isCategorical }
    }

    public func sampleRelative(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: Double] {
        guard !space.isEmpty else { return [:] }
        let coordinates = UnitCube(space)
        let (state, _, _) = replay(history, coordinates)
        var g = SamplerRandom.generator(seed: seed, trial: trial.number, purpose: "cma-es")
        let u = state.sample(&g)
        var result: [String: Double] = [:]
        for (j, p) in space.enumerated() { result[p.name] = coordinates.internalValue(u[j], j) }
        return result
    }

    public func startAttributes(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: JSONValue] {
        guard !space.isEmpty else { return [:] }
        let coordinates = UnitCube(space)
        let (_, restart, generation) = replay(history, coordinates)
        return [Self.spaceKey: .string(coordinates.signature), Self.restartKey: .number(Double(restart)), Self.generationKey: .number(Double(generation))]
    }

    public func sampleIndependent(history: StudyHistory, trial: FrozenTrial, name: String, distribution: Distribution) -> Double {
        independent.sampleIndependent(history: history, trial: trial, name: name, distribution: distribution)
    }

    // MARK: Replay

    /// The population of run `restart`.
    func populationSize(dimensions n: Int, restart: Int) -> Int {
        (configuration.populationSize ?? (4 + Int(3 * Foundation.log(Double(n))))) << restart
    }

    /// The state for the next proposal, and the run and generation it belongs to: the complete
    /// generations of the history replayed in order.
    func replay(_ history: StudyHistory, _ coordinates: UnitCube) -> (state: CMAState, restart: Int, generation: Int) {
        // Complete trials of this space, by (run, generation), in number order.
        var generations: [[Int]: [(x: [Double], value: Double)]] = [:]
        let sign = history.directions.first == .maximize ? -1.0 : 1.0
        for t in history.trials where t.state == .complete {
            guard case .string(coordinates.signature)? = t.systemAttributes[Self.spaceKey],
                  case let .number(r)? = t.systemAttributes[Self.restartKey], case let .number(g)? = t.systemAttributes[Self.generationKey],
                  let value = t.values?.first, value.isFinite, let x = coordinates.unitPoint(t) else { continue }
            generations[[Int(r), Int(g)], default: []].append((x, sign * value))
        }
        let n = coordinates.count
        var restart = 0, generation = 0
        var state = initialState(n: n, restart: 0)
        while let members = generations[[restart, generation]], members.count >= state.lambda {
            let best = members.prefix(state.lambda).sorted { $0.value < $1.value }
            state.update(best.map(\.x), values: best.map(\.value))
            if configuration.margin { state.applyMargin(coordinates) }
            if configuration.restarts && state.shouldStop() {
                restart += 1
                generation = 0
                state = initialState(n: n, restart: restart)
            } else {
                generation += 1
            }
        }
        return (state, restart, generation)
    }

    /// Run `restart`'s initial state: the centre of the cube first, then a random mean (seeded by
    /// the run), the configured step size, the identity covariance.
    func initialState(n: Int, restart: Int) -> CMAState {
        var mean = [Double](repeating: 0.5, count: n)
        if restart > 0 {
            var g = SamplerRandom.generator(seed: seed, trial: restart, purpose: "cma-es restart")
            mean = (0..<n).map { _ in g.nextUnit() }
        }
        return CMAState(mean: mean, sigma: configuration.initialSigma, lambda: populationSize(dimensions: n, restart: restart), separable: configuration.separable)
    }

}

/// One run of CMA-ES in the unit cube (see ``CMAESSampler``): the distribution `N(m, σ² A C A)`
/// and its evolution paths, with the tutorial's default constants for `n` dimensions and
/// population `λ`.
struct CMAState {
    let n: Int, lambda: Int, mu: Int
    let weights: [Double], muEff: Double
    let cSigma: Double, dSigma: Double, cc: Double, c1: Double, cMu: Double, chiN: Double
    let separable: Bool
    var mean: [Double]
    var sigma: Double
    /// Row-major `n × n` covariance (only its diagonal when separable).
    var covariance: [Double]
    var pSigma: [Double], pc: [Double]
    /// `C = B diag(D²) Bᵀ`: eigenvectors (columns) and the square roots of the eigenvalues.
    var eigenvectors: [Double], eigenvalueRoots: [Double]
    /// The margin's coordinate scales `A` (1 until a margin widens one).
    var scales: [Double]
    var generation = 0
    /// Best value of each generation so far, and the values of the last one (for stagnation).
    var bestValues: [Double] = []
    var lastValues: [Double] = []

    init(mean: [Double], sigma: Double, lambda: Int, separable: Bool) {
        let n = mean.count
        self.n = n
        self.lambda = lambda
        self.separable = separable
        mu = lambda / 2
        // The tutorial's weights (eq. 49–53): log-decreasing over all λ, the μ best positive and
        // summing to 1, the others negative ("active" CMA) and scaled so that the covariance
        // stays positive definite. Separable CMA keeps the positive ones only.
        let raw = (1...lambda).map { Foundation.log(Double(lambda + 1) / 2) - Foundation.log(Double($0)) }
        let positive = raw.prefix(mu), negative = raw.dropFirst(mu)
        let positiveSum = positive.reduce(0, +)
        muEff = positiveSum * positiveSum / positive.reduce(0) { $0 + $1 * $1 }
        let dn = Double(n)
        cSigma = (muEff + 2) / (dn + muEff + 5)
        dSigma = 1 + 2 * max(0, ((muEff - 1) / (dn + 1)).squareRoot() - 1) + cSigma
        cc = (4 + muEff / dn) / (dn + 4 + 2 * muEff / dn)
        var c1 = 2 / ((dn + 1.3) * (dn + 1.3) + muEff)
        var cMu = min(1 - c1, 2 * (muEff - 2 + 1 / muEff) / ((dn + 2) * (dn + 2) + muEff))
        if separable {
            // sep-CMA: a diagonal covariance learns faster.
            c1 = min(1, c1 * (dn + 2) / 3)
            cMu = min(1 - c1, cMu * (dn + 2) / 3)
        }
        (self.c1, self.cMu) = (c1, cMu)
        var weights = positive.map { $0 / positiveSum }
        if !separable && !negative.isEmpty {
            let negativeSum = negative.reduce(0) { $0 + abs($1) }
            let muEffNegative = negativeSum * negativeSum / negative.reduce(0) { $0 + $1 * $1 }
            let alphaMu = 1 + c1 / cMu, alphaMuEff = 1 + 2 * muEffNegative / (muEff + 2), alphaPosDef = (1 - c1 - cMu) / (dn * cMu)
            let scale = min(alphaMu, alphaMuEff, alphaPosDef) / negativeSum
            weights += negative.map { $0 * scale }
        }
        self.weights = weights
        chiN = dn.squareRoot() * (1 - 1 / (4 * dn) + 1 / (21 * dn * dn))
        self.mean = mean
        self.sigma = sigma
        covariance = [Double](repeating: 0, count: n * n)
        for i in 0..<n { covariance[i * n + i] = 1 }
        pSigma = [Double](repeating: 0, count: n)
        pc = [Double](repeating: 0, count: n)
        eigenvectors = covariance
        eigenvalueRoots = [Double](repeating: 1, count: n)
        scales = [Double](repeating: 1, count: n)
    }

    /// `B D z`: a draw of `N(0, C)` from a standard normal `z`.
    func correlated(_ z: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var s = 0.0
            for k in 0..<n { s += eigenvectors[i * n + k] * eigenvalueRoots[k] * z[k] }
            y[i] = s
        }
        return y
    }

    /// A point of the current distribution inside the unit cube: resampled up to 100 times, then
    /// clipped.
    func sample(_ g: inout SeededGenerator) -> [Double] {
        var x: [Double] = []
        for _ in 0..<100 {
            let y = correlated((0..<n).map { _ in g.nextNormal() })
            x = (0..<n).map { mean[$0] + sigma * scales[$0] * y[$0] }
            if x.allSatisfy({ $0 >= 0 && $0 <= 1 }) { return x }
        }
        return x.map { min(max($0, 0), 1) }
    }

    /// `C^(−1/2) y = B D⁻¹ Bᵀ y`.
    func whitened(_ y: [Double]) -> [Double] {
        var inner = [Double](repeating: 0, count: n)
        for k in 0..<n {
            var s = 0.0
            for i in 0..<n { s += eigenvectors[i * n + k] * y[i] }
            inner[k] = s / eigenvalueRoots[k]
        }
        return (0..<n).map { i in (0..<n).reduce(0.0) { $0 + eigenvectors[i * n + $1] * inner[$1] } }
    }

    /// One generation's update from its `λ` points (best first; more are ignored) and values.
    mutating func update(_ points: [[Double]], values: [Double]) {
        precondition(points.count >= lambda, "CMAState: a generation needs \(lambda) points")
        let ys = points.prefix(lambda).map { x in (0..<n).map { (x[$0] - mean[$0]) / (sigma * scales[$0]) } }
        var yw = [Double](repeating: 0, count: n)
        for (w, y) in zip(weights.prefix(mu), ys) { for i in 0..<n { yw[i] += w * y[i] } }
        for i in 0..<n { mean[i] += sigma * scales[i] * yw[i] }
        let a = (cSigma * (2 - cSigma) * muEff).squareRoot(), white = whitened(yw)
        for i in 0..<n { pSigma[i] = (1 - cSigma) * pSigma[i] + a * white[i] }
        let norm = pSigma.reduce(0) { $0 + $1 * $1 }.squareRoot()
        generation += 1
        let hSigma = norm / (1 - Foundation.pow(1 - cSigma, Double(2 * (generation + 1)))).squareRoot() < (1.4 + 2 / Double(n + 1)) * chiN
        let b = (cc * (2 - cc) * muEff).squareRoot()
        for i in 0..<n { pc[i] = (1 - cc) * pc[i] + (hSigma ? b * yw[i] : 0) }
        let delta = hSigma ? 0 : cc * (2 - cc)
        let keep = 1 + c1 * delta - c1 - cMu * weights.reduce(0, +)
        // Negative weights act on directions rescaled to length √n (the tutorial's w°).
        let effective = zip(weights, ys).map { w, y -> Double in
            guard w < 0 else { return w }
            let norm2 = whitened(y).reduce(0) { $0 + $1 * $1 }
            return norm2 > 0 ? w * Double(n) / norm2 : 0
        }
        for i in 0..<n {
            for j in (separable ? i : 0)..<(separable ? i + 1 : n) {
                var rankMu = 0.0
                for (w, y) in zip(effective, ys) { rankMu += w * y[i] * y[j] }
                covariance[i * n + j] = keep * covariance[i * n + j] + c1 * pc[i] * pc[j] + cMu * rankMu
            }
        }
        sigma *= Foundation.exp(min(1, (cSigma / dSigma) * (norm / chiN - 1)))
        decompose()
        bestValues.append(values.min() ?? .nan)
        lastValues = values
    }

    /// B and D from C.
    mutating func decompose() {
        if separable {
            for i in 0..<n { eigenvalueRoots[i] = max(covariance[i * n + i], 1e-300).squareRoot() }
            return
        }
        let (values, vectors) = SymmetricEigen.decompose(covariance, n: n)
        eigenvectors = vectors
        eigenvalueRoots = values.map { max($0, 1e-300).squareRoot() }
    }

    /// Whether the run has stagnated: the step size, the spread of the values (this generation's
    /// and the best of the last `10 + ⌈30n/λ⌉`), or the covariance's conditioning past tolerance.
    func shouldStop() -> Bool {
        let spread = (0..<n).map { sigma * scales[$0] * max(covariance[$0 * n + $0], 0).squareRoot() }.max() ?? 0
        if spread < 1e-12 { return true }
        let window = 10 + Int((30 * Double(n) / Double(lambda)).rounded(.up))
        if bestValues.count >= window {
            let recent = bestValues.suffix(window) + lastValues
            if let lo = recent.min(), let hi = recent.max(), hi - lo < 1e-12 { return true }
        }
        if let lo = eigenvalueRoots.min(), let hi = eigenvalueRoots.max(), hi * hi > 1e14 * lo * lo { return true }
        return false
    }

    /// The margin: for each grid coordinate, widen its scale until the probability of leaving the
    /// current cell is at least `1/(n λ)`.
    mutating func applyMargin(_ coordinates: UnitCube) {
        let alpha = 1 / Double(n * lambda)
        for j in 0..<n {
            guard let (low, high) = coordinates.cell(mean[j], j) else { continue }
            let m = mean[j]
            func leaving(_ s: Double) -> Double { Normal.cdf((low - m) / s) + Normal.cdf((m - high) / s) }
            let s = sigma * scales[j] * max(covariance[j * n + j], 1e-300).squareRoot()
            guard leaving(s) < alpha else { continue }
            // The smallest spread that leaves with probability α, by bisection (leaving grows with s).
            var lo = s, hi = max(s, 1e-6)
            while leaving(hi) < alpha { hi *= 2 }
            for _ in 0..<60 {
                let mid = 0.5 * (lo + hi)
                if leaving(mid) < alpha { lo = mid } else { hi = mid }
            }
            scales[j] *= hi / s
        }
    }
}
