import Autograd
import Foundation
@testable import Hypertune
import Testing

@Suite("Symmetric eigendecomposition (Jacobi)")
struct SymmetricEigenTests {
    @Test("A = V Λ Vᵀ with orthonormal V, eigenvalues ascending", arguments: [1, 2, 5, 12])
    func reconstruction(n: Int) {
        var g = SeededGenerator(seed: UInt64(n))
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n { a[i * n + j] = 2 * g.nextUnit() - 1; a[j * n + i] = a[i * n + j] } }
        let (values, v) = SymmetricEigen.decompose(a, n: n)
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })
        for i in 0..<n {
            for j in 0..<n {
                let rebuilt = (0..<n).reduce(0.0) { $0 + v[i * n + $1] * values[$1] * v[j * n + $1] }
                let dot = (0..<n).reduce(0.0) { $0 + v[$1 * n + i] * v[$1 * n + j] }
                #expect(abs(rebuilt - a[i * n + j]) < 1e-12, "A[\(i),\(j)]")
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-12, "VᵀV[\(i),\(j)]")
            }
        }
    }

    @Test("a 2×2 matrix's eigenvalues by hand: [[2, 1], [1, 2]] has 1 and 3")
    func byHand() {
        let (values, _) = SymmetricEigen.decompose([2, 1, 1, 2], n: 2)
        #expect(abs(values[0] - 1) < 1e-14 && abs(values[1] - 3) < 1e-14)
    }
}

@Suite("CMA-ES")
struct CMAESTests {
    /// Runs a bare CMA-ES state (no bounds) on `f` for `generations`, returning the best value
    /// and the step sizes along the way.
    private func run(_ f: ([Double]) -> Double, n: Int, generations: Int, mean: [Double], sigma: Double,
                     separable: Bool = false) -> (best: Double, sigmas: [Double]) {
        var state = CMAState(mean: mean, sigma: sigma, lambda: 4 + Int(3 * Foundation.log(Double(n))), separable: separable)
        var g = SeededGenerator(seed: 3)
        var best = Double.infinity, sigmas: [Double] = []
        for _ in 0..<generations {
            let points = (0..<state.lambda).map { _ -> [Double] in
                let y = state.correlated((0..<n).map { _ in g.nextNormal() })
                return (0..<n).map { state.mean[$0] + state.sigma * state.scales[$0] * y[$0] }
            }
            let ranked = points.map { ($0, f($0)) }.sorted { $0.1 < $1.1 }
            best = min(best, ranked[0].1)
            state.update(ranked.map(\.0), values: ranked.map(\.1))
            sigmas.append(state.sigma)
        }
        return (best, sigmas)
    }

    @Test("converges linearly on the sphere and on an ill-conditioned ellipsoid (the covariance learns the scaling)")
    func convergence() {
        let n = 6
        let sphere = run({ x in x.reduce(0) { $0 + ($1 - 0.3) * ($1 - 0.3) } }, n: n, generations: 250, mean: [Double](repeating: 0.8, count: n), sigma: 0.3)
        #expect(sphere.best < 1e-12)
        // Condition number 10⁶: without covariance learning the step size would stall.
        let ellipsoid = run({ x in (0..<n).reduce(0.0) { $0 + Foundation.pow(1e6, Double($1) / Double(n - 1)) * x[$1] * x[$1] } },
                            n: n, generations: 600, mean: [Double](repeating: 1, count: n), sigma: 0.5)
        #expect(ellipsoid.best < 1e-10)
        let separable = run({ x in (0..<n).reduce(0.0) { $0 + Foundation.pow(1e6, Double($1) / Double(n - 1)) * x[$1] * x[$1] } },
                            n: n, generations: 600, mean: [Double](repeating: 1, count: n), sigma: 0.5, separable: true)
        #expect(separable.best < 1e-10)
    }

    @Test("cumulative step-size adaptation: σ grows on a linear function and shrinks near a sphere's optimum")
    func stepSize() {
        let linear = run({ $0.reduce(0, +) }, n: 5, generations: 40, mean: [Double](repeating: 0, count: 5), sigma: 1)
        #expect(linear.sigmas.last! > 100, "σ after 40 generations on a slope: \(linear.sigmas.last!)")
        let sphere = run({ $0.reduce(0) { $0 + $1 * $1 } }, n: 5, generations: 100, mean: [Double](repeating: 1, count: 5), sigma: 1)
        #expect(sphere.sigmas.last! < 1e-4)
    }

    @Test("the tutorial's weights: the positive ones sum to 1, μ_eff as by hand, the negative ones keep C positive definite")
    func weights() {
        for n in [2, 10, 40] {
            let state = CMAState(mean: [Double](repeating: 0.5, count: n), sigma: 0.2, lambda: 4 + Int(3 * Foundation.log(Double(n))), separable: false)
            let positive = state.weights.prefix(state.mu), negative = state.weights.dropFirst(state.mu)
            #expect(abs(positive.reduce(0, +) - 1) < 1e-12)
            #expect(positive.allSatisfy { $0 > 0 } && negative.allSatisfy { $0 <= 0 })
            #expect(state.muEff > Double(state.lambda) / 5 && state.muEff < Double(state.lambda) / 2)
            // n = 10: λ = 10, μ = 5, w′ = ln 5.5 − ln i, μ_eff = (Σw′)²/Σw′² = 3.167 (by hand, as pycma's 3.17).
            if n == 10 { #expect(state.lambda == 10 && abs(state.muEff - 3.167) < 1e-3, "μ_eff \(state.muEff)") }
            // Σ|w⁻| ≤ (1 − c₁ − c_μ)/(n c_μ): the covariance's coefficient stays positive.
            #expect(-negative.reduce(0, +) <= (1 - state.c1 - state.cMu) / (Double(n) * state.cMu) + 1e-12)
        }
    }

    @Test("sampler: minimises the sphere in a study, maximises its negation, generations of λ complete trials in order")
    func study() async throws {
        for direction in StudyDirection.allCases {
            let study = try await Study.create(name: "cma", direction: direction, sampler: CMAESSampler(seed: 1))
            let sign = direction == .minimize ? 1.0 : -1.0
            try await study.optimize(trials: 300) { trial in
                var s = 0.0
                for i in 0..<4 { let x = try await trial.suggestFloat("x\(i)", -2, 3); s += (x - 1) * (x - 1) }
                return sign * s
            }
            let best = try await study.bestTrial()!
            #expect(sign * best.values![0] < 1e-4, "\(direction): \(best.values![0])")
            // λ = 4 + ⌊3 ln 4⌋ = 8: in a sequential study, trial t ≥ 1 is in generation (t − 1) / 8.
            let trials = try await study.trials()
            for t in trials.dropFirst() {
                guard case let .number(g)? = t.systemAttributes[CMAESSampler.generationKey] else {
                    Issue.record("trial \(t.number) has no generation")
                    continue
                }
                #expect(Int(g) == (t.number - 1) / 8)
            }
            #expect(trials[0].systemAttributes[CMAESSampler.generationKey] == nil)
        }
    }

    @Test("IPOP: a run that stagnates (a flat objective) restarts with twice the population")
    func restarts() async throws {
        var configuration = CMAESSampler.Configuration()
        configuration.populationSize = 4
        let study = try await Study.create(name: "flat", sampler: CMAESSampler(seed: 2, configuration: configuration))
        try await study.optimize(trials: 400) { trial in
            _ = try await trial.suggestFloat("a", 0, 1)
            _ = try await trial.suggestFloat("b", 0, 1)
            return 1
        }
        let trials = try await study.trials()
        let restarts = trials.compactMap { t -> Int? in
            guard case let .number(r)? = t.systemAttributes[CMAESSampler.restartKey] else { return nil }
            return Int(r)
        }
        #expect(restarts.max()! >= 1)
        // Within the second run, generations hold 8 trials.
        let second = trials.filter { $0.systemAttributes[CMAESSampler.restartKey] == .number(1) }
        let sizes = Dictionary(grouping: second) { $0.systemAttributes[CMAESSampler.generationKey] }.values.map(\.count)
        #expect(sizes.count >= 2 && sizes.sorted().dropLast().allSatisfy { $0 == 8 }, "generation sizes \(sizes)")
    }

    @Test("margin: an integer coordinate keeps probability 1/(nλ) of leaving its value")
    func margin() {
        let space: [(name: String, distribution: Distribution)] = [("k", .int(low: 0, high: 10)), ("x", .float(low: 0, high: 1))]
        let coordinates = UnitCube(space)
        var state = CMAState(mean: [coordinates.unit(4, 0), 0.5], sigma: 1e-4, lambda: 6, separable: false)
        state.applyMargin(coordinates)
        let (low, high) = coordinates.cell(state.mean[0], 0)!
        #expect(abs(low - coordinates.unit(3.5, 0)) < 1e-12 && abs(high - coordinates.unit(4.5, 0)) < 1e-12)
        let s = state.sigma * state.scales[0] * state.covariance[0].squareRoot()
        let leaving = Normal.cdf((low - state.mean[0]) / s) + Normal.cdf((state.mean[0] - high) / s)
        #expect(abs(leaving - 1 / 12) < 1e-6, "leaving with probability \(leaving)")
        #expect(state.scales[1] == 1)  // continuous coordinates are left alone
    }

    @Test("categorical parameters go to the independent sampler; the numerical ones are modelled")
    func categorical() async throws {
        let study = try await Study.create(name: "mixed", sampler: CMAESSampler(seed: 4))
        try await study.optimize(trials: 120) { trial in
            let x = try await trial.suggestFloat("x", -1, 1)
            let kind = try await trial.suggestCategorical("kind", ["a", "b", "c"])
            return x * x + (kind == "b" ? 0 : 1)
        }
        let trials = try await study.trials()
        #expect(Set(trials.compactMap { $0.parameters["kind"] }).count == 3)
        let best = try await study.bestTrial()!
        #expect(best.values![0] < 1e-2)
        #expect(trials.last!.systemAttributes[CMAESSampler.spaceKey] == .string("x=\(Distribution.float(low: -1, high: 1))"))
    }
}
