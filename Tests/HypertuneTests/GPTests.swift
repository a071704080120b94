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

    @Test("Cholesky through LAPACK: L Lᵀ = A, and solves")
    func cholesky() {
        let a: [Double] = [4, 2, 0.6, 2, 5, 1, 0.6, 1, 3]
        let l = Cholesky.factor(a, n: 3)!
        for i in 0..<3 { for j in 0..<3 { #expect(abs((0..<3).reduce(0.0) { $0 + l[i * 3 + $1] * l[j * 3 + $1] } - a[i * 3 + j]) < 1e-14) } }
        #expect(l[1] == 0 && l[2] == 0 && l[5] == 0)
        let x = Cholesky.solve(l, n: 3, [1, 2, 3])
        for i in 0..<3 { #expect(abs((0..<3).reduce(0.0) { $0 + a[i * 3 + $1] * x[$1] } - Double(i + 1)) < 1e-13) }
        #expect(Cholesky.factor([1, 2, 2, 1], n: 2) == nil)  // indefinite
    }

    @Test("fitted posterior: interpolates noise-free data, is uncertain far from it, and predicts a smooth function")
    func posterior() {
        let xs = points(30, 2, seed: 2)
        let f: ([Double]) -> Double = { 3 * sin(3 * $0[0]) + cos(4 * $0[1]) }
        var gp = GaussianProcess(inputs: xs, targets: xs.map(f))
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
            #expect(abs(GPSampler.logExpectedImprovement(best: best, mean: mean, sd: sd) - Foundation.log(ei)) < 1e-9 * max(1, abs(Foundation.log(ei))))
        }
        // Far below, where EI underflows: log h(z) ≈ log φ(z) − 2 log|z|, continuous across t = 25.
        let far = GPSampler.logH(-40), expected = -800 - Normal.logSqrt2Pi - 2 * Foundation.log(40.0)
        #expect(far.isFinite && abs(far - expected) < 0.01)
        #expect(abs(GPSampler.logH(-24.999999) - GPSampler.logH(-25.000001)) < 1e-4)
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
}
