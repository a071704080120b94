import Autograd
import Foundation
@testable import Hypertune
import Testing

@Suite("Gaussian-process BO")
struct GPTests {
    private func points(_ n: Int, _ d: Int, seed: UInt64) -> [[Double]] {
        var g = SeededGenerator(seed: seed)
        return (0..<n).map { _ in (0..<d).map { _ in g.nextUnit() } }
    }

    @Test("the marginal likelihood's gradient matches central differences (Double)")
    func likelihoodGradient() {
        let xs = points(12, 3, seed: 1)
        let gp = GaussianProcess(inputs: xs, targets: xs.map { sin(6 * $0[0]) + $0[1] * $0[1] - 0.3 * $0[2] })
        for p in [[-0.7, 0.2, -1.5, 0.3, -6.0], [0.5, -2, 0, -0.4, -9]] {
            let (_, gradient) = gp.objective(p)
            for i in p.indices {
                var a = p, b = p
                a[i] += 1e-5
                b[i] -= 1e-5
                let numeric = (gp.objective(a).value - gp.objective(b).value) / 2e-5
                #expect(abs(numeric - gradient[i]) < 1e-5 * (1 + abs(numeric)), "∂/∂θ\(i): \(gradient[i]) vs \(numeric)")
            }
        }
    }

    @Test("the posterior's gradient matches central differences, and one point agrees with a batch")
    func posteriorGradient() {
        let xs = points(25, 3, seed: 4)
        let gp = GaussianProcess(inputs: xs, targets: xs.map { sin(5 * $0[0]) * $0[1] + $0[2] })
        var g = SeededGenerator(seed: 8)
        gp.fit(restarts: 1, generator: &g)
        let probes = points(6, 3, seed: 12)
        let batch = gp.predict(points: probes.flatMap { $0 }, count: probes.count)
        for (r, x) in probes.enumerated() {
            let p = gp.posterior(at: x)
            #expect(abs(p.mean - batch.means[r]) < 1e-12 * (1 + abs(p.mean)) && abs(p.sd - batch.sds[r]) < 1e-10 * (1 + p.sd))
            let (meanGradient, sdGradient) = gp.gradient(p)
            for c in 0..<3 {
                var a = x, b = x
                a[c] += 1e-6
                b[c] -= 1e-6
                let (pa, pb) = (gp.posterior(at: a), gp.posterior(at: b))
                let dm = (pa.mean - pb.mean) / 2e-6, ds = (pa.sd - pb.sd) / 2e-6
                #expect(abs(dm - meanGradient[c]) < 1e-5 * (1 + abs(dm)), "∂μ/∂x\(c): \(meanGradient[c]) vs \(dm)")
                #expect(abs(ds - sdGradient[c]) < 1e-5 * (1 + abs(ds)), "∂σ/∂x\(c): \(sdGradient[c]) vs \(ds)")
            }
        }
    }

    @Test("the acquisitions' partial derivatives match central differences, across the far tail of log EI")
    func acquisitionDerivatives() {
        let cases: [(best: Double, mean: Double, sd: Double)] = [(0, 0.5, 1), (1, 0, 0.3), (0, 3, 0.5), (0, 10.4, 0.4), (0, 30, 1), (0, -2, 0.7)]
        for acquisition in [GPSampler.Acquisition.logExpectedImprovement, .upperConfidenceBound(kappa: 1.5)] {
            for (best, mean, sd) in cases {
                let a = GPSampler.score(acquisition, best: best, mean: mean, sd: sd)
                let h = 1e-6 * max(1, abs(mean))
                let byMean = (GPSampler.score(acquisition, best: best, mean: mean + h, sd: sd).value - GPSampler.score(acquisition, best: best, mean: mean - h, sd: sd).value) / (2 * h)
                let bySD = (GPSampler.score(acquisition, best: best, mean: mean, sd: sd + 1e-7).value - GPSampler.score(acquisition, best: best, mean: mean, sd: sd - 1e-7).value) / 2e-7
                #expect(abs(byMean - a.byMean) < 1e-5 * (1 + abs(byMean)), "\(acquisition) ∂/∂μ at \((best, mean, sd)): \(a.byMean) vs \(byMean)")
                #expect(abs(bySD - a.bySD) < 1e-5 * (1 + abs(bySD)), "\(acquisition) ∂/∂σ at \((best, mean, sd)): \(a.bySD) vs \(bySD)")
            }
        }
        // The slope of log h is continuous where its formula changes (z = −1 and z = −25).
        for z in [-1.0, -25.0] {
            #expect(abs(GPSampler.logHWithSlope(z + 1e-9).slope - GPSampler.logHWithSlope(z - 1e-9).slope) < 1e-6 * GPSampler.logHWithSlope(z).slope)
        }
    }

    @Test("L-BFGS within bounds: reaches a bound optimum, and asks for gradients only where it just took a value")
    func boundedLBFGS() {
        // f(x) = −(x₀ − 2)² − 10(x₁ − 0.3)² − (x₀ − 2)(x₁ − 0.3) on [−1, 1]²: the optimum is at x₀ = 1 and
        // x₁ = 0.3 + 1/20 (the bound on x₀ holds, x₁ follows the coupling).
        var lastValued: [Double]?
        var mismatches = 0
        let (x, _) = LBFGS.maximise([-0.5, -0.9], bounds: [(-1, 1), (-1, 1)], iterations: 100, tolerance: 1e-10, value: { x in
            lastValued = x
            return -(x[0] - 2) * (x[0] - 2) - 10 * (x[1] - 0.3) * (x[1] - 0.3) - (x[0] - 2) * (x[1] - 0.3)
        }, gradient: { x in
            if lastValued != x { mismatches += 1 }
            return [-2 * (x[0] - 2) - (x[1] - 0.3), -20 * (x[1] - 0.3) - (x[0] - 2)]
        })
        #expect(abs(x[0] - 1) < 1e-12 && abs(x[1] - 0.35) < 1e-8, "\(x)")
        #expect(mismatches == 0)
    }

    @Test("Cholesky through LAPACK: L Lᵀ = A, and solves")
    func cholesky() {
        let a: [Double] = [4, 2, 0.6, 2, 5, 1, 0.6, 1, 3]
        let l = Cholesky.factor(a, n: 3)!
        for i in 0..<3 { for j in 0..<3 { #expect(abs((0..<3).reduce(0.0) { $0 + l[i * 3 + $1] * l[j * 3 + $1] } - a[i * 3 + j]) < 1e-14) } }
        #expect(l[1] == 0 && l[2] == 0 && l[5] == 0)
        let x = Cholesky.solve(l, n: 3, [1, 2, 3])
        for i in 0..<3 { #expect(abs((0..<3).reduce(0.0) { $0 + a[i * 3 + $1] * x[$1] } - Double(i + 1)) < 1e-13) }
        #expect(Cholesky.factor([1, 2, 2, 1], n: 2) == nil)  // indefinite
        // The inverse from the factor (lower triangle), and many right-hand sides at once.
        var inverse = l
        inverse.withUnsafeMutableBufferPointer { Cholesky.invertInPlace($0.baseAddress!, n: 3) }
        for i in 0..<3 {
            for j in 0..<3 {
                let product = (0..<3).reduce(0.0) { $0 + a[i * 3 + $1] * inverse[max($1, j) * 3 + min($1, j)] }
                #expect(abs(product - (i == j ? 1 : 0)) < 1e-13)
            }
        }
        var rows: [Double] = [1, 2, 3, -1, 0.5, 4]
        rows.withUnsafeMutableBufferPointer { Cholesky.solveLowerRows(l, n: 3, $0.baseAddress!, count: 2) }
        #expect(zip(rows.prefix(3), Cholesky.solveLower(l, n: 3, [1, 2, 3])).allSatisfy { abs($0 - $1) < 1e-14 })
        #expect(zip(rows.suffix(3), Cholesky.solveLower(l, n: 3, [-1, 0.5, 4])).allSatisfy { abs($0 - $1) < 1e-14 })
    }

    @Test("fitted posterior: interpolates noise-free data, is uncertain far from it, and predicts a smooth function")
    func posterior() {
        let xs = points(30, 2, seed: 2)
        let f: ([Double]) -> Double = { 3 * sin(3 * $0[0]) + cos(4 * $0[1]) }
        let gp = GaussianProcess(inputs: xs, targets: xs.map(f))
        var g = SeededGenerator(seed: 5)
        gp.fit(restarts: 2, generator: &g)
        for x in xs.prefix(5) {
            let (mean, sd) = gp.predict(x)
            #expect(abs(mean - f(x)) < 0.02 && sd < 0.05, "at a data point: \(mean) vs \(f(x)), sd \(sd)")
        }
        let errors = points(50, 2, seed: 9).map { abs(gp.predict($0).mean - f($0)) }
        #expect(errors.sorted()[25] < 0.05, "median error \(errors.sorted()[25])")
        #expect(gp.predict([5, 5]).sd > gp.predict(xs[0]).sd * 20)
    }

    @Test("log expected improvement: equals log of the closed form where that is representable, and stays finite far below")
    func logEI() {
        for (best, mean, sd) in [(0.0, 0.5, 1.0), (1.0, 0.0, 0.3), (0.0, 3.0, 0.5), (0.0, 10.0, 1.0)] {
            let z = (best - mean) / sd
            let ei = sd * (z * Normal.cdf(z) + Foundation.exp(-0.5 * z * z) / (2 * Double.pi).squareRoot())
            #expect(abs(GPSampler.score(.logExpectedImprovement, best: best, mean: mean, sd: sd).value - Foundation.log(ei)) < 1e-9 * max(1, abs(Foundation.log(ei))))
        }
        // Far below, where EI underflows: log h(z) ≈ log φ(z) − 2 log|z|, continuous across t = 25.
        let far = GPSampler.logHWithSlope(-40).value, expected = -800 - Normal.logSqrt2Pi - 2 * Foundation.log(40.0)
        #expect(far.isFinite && abs(far - expected) < 0.01)
        #expect(abs(GPSampler.logHWithSlope(-24.999999).value - GPSampler.logHWithSlope(-25.000001).value) < 1e-4)
    }

    @Test("on Branin, GP BO's median regret after 40 trials is far below random search's; categorical choices are modelled")
    func study() async throws {
        var regrets: [Double] = [], randomRegrets: [Double] = []
        for seed in 0..<3 {
            for (sampler, into) in [(GPSampler(seed: UInt64(seed)) as any Sampler, 0), (RandomSampler(seed: UInt64(seed)), 1)] {
                let study = try await Study.create(name: "gp", sampler: sampler)
                try await study.optimize(trials: 40) { trial in
                    SyntheticFunction.branin(["x0": .double(try await trial.suggestFloat("x0", -5, 10)), "x1": .double(try await trial.suggestFloat("x1", 0, 15))])
                }
                let regret = SyntheticFunction.branin.regret(try await study.bestTrial()!.value!)
                if into == 0 { regrets.append(regret) } else { randomRegrets.append(regret) }
            }
        }
        #expect(regrets.sorted()[1] < randomRegrets.sorted()[1] / 10, "GP \(regrets), random \(randomRegrets)")
        let study = try await Study.create(name: "gp-categorical", sampler: GPSampler(seed: 1))
        try await study.optimize(trials: 30) { trial in
            let x = try await trial.suggestFloat("x", 0, 1)
            let kind = try await trial.suggestCategorical("kind", ["a", "b", "c"])
            return (x - 0.7) * (x - 0.7) + (kind == "c" ? 0 : 1)
        }
        let late = try await study.trials().suffix(10)
        #expect(late.filter { $0.parameters["kind"] == .string("c") }.count >= 7)
    }

    @Test("each fit is recorded with its trial and warm-starts the next: a fresh sampler given the history proposes the same")
    func warmStartFromHistory() async throws {
        let study = try await Study.create(name: "gp-warm", sampler: GPSampler(seed: 3))
        try await study.optimize(trials: 18) { trial in
            let x = try await trial.suggestFloat("x", -5, 10), y = try await trial.suggestFloat("y", 0, 15)
            return SyntheticFunction.branin(["x0": .double(x), "x1": .double(y)])
        }
        let trials = try await study.trials()
        let space: [(name: String, distribution: Distribution)] = [("x", .float(low: -5, high: 10)), ("y", .float(low: 0, high: 15))]
        // Startup trials are random and carry no fit; every later one does.
        #expect(trials.filter { $0.systemAttributes[GPSampler.kernelKey] != nil }.map(\.number) == Array(10..<18))
        for k in 12..<18 {
            let history = StudyHistory(directions: [.minimize], trials: trials.filter { $0.number < k })
            let proposal = GPSampler(seed: 3).sampleRelative(history: history, trial: trials[k], space: space)
            for p in space {
                #expect(proposal[p.name] == trials[k].parameters[p.name]?.doubleValue, "trial \(k), \(p.name)")
            }
        }
    }
}
