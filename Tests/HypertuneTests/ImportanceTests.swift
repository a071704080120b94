import Autograd
import Foundation
@testable import Hypertune
import Testing

@Suite("Parameter importance (PED-ANOVA)")
struct ImportanceTests {
    /// A random-search study of `trials` on `objective` over `space`.
    private func history(_ space: [(String, Distribution)], trials: Int, direction: StudyDirection = .minimize,
                         _ objective: @escaping @Sendable ([String: ParameterValue]) -> Double) async throws -> StudyHistory {
        let study = try await Study.create(name: "importance", direction: direction, sampler: RandomSampler(seed: 7))
        try await study.optimize(trials: trials) { trial in
            var p: [String: ParameterValue] = [:]
            for (name, d) in space { p[name] = try await trial.suggest(name, d) }
            return objective(p)
        }
        return try await study.history()
    }

    @Test("importances known by construction: a strong, a weak and an irrelevant parameter, on a log scale too")
    func knownImportances() async throws {
        let space: [(String, Distribution)] = [("strong", .float(low: 0, high: 1)), ("weak", .float(low: 1e-3, high: 1, log: true)),
                                               ("irrelevant", .float(low: -5, high: 5))]
        let h = try await history(space, trials: 600) { p in
            let s = p["strong"]!.doubleValue!, w = Foundation.log10(p["weak"]!.doubleValue!)
            return 100 * (s - 0.3) * (s - 0.3) + (w + 1.5) * (w + 1.5) / 10
        }
        let shares = ParameterImportance.pedAnova(h, bootstrap: 50)
        #expect(shares.map(\.name) == ["strong", "weak", "irrelevant"])
        #expect(abs(shares.map(\.share).reduce(0, +) - 1) < 1e-12)
        #expect(shares[0].share > 0.6, "strong: \(shares[0].share)")
        #expect(shares[2].share < 0.15, "irrelevant: \(shares[2].share)")
        for s in shares { #expect(s.low <= s.share + 1e-12 && s.share <= s.high + 1e-12, "\(s)") }
        // The interval separates the strong parameter from the irrelevant one.
        #expect(shares[0].low > shares[2].high)
    }

    @Test("a categorical parameter that decides the value dominates; maximising reads the values the other way")
    func categorical() async throws {
        let space: [(String, Distribution)] = [("model", .categorical([.string("a"), .string("b"), .string("c")])), ("x", .float(low: 0, high: 1))]
        let h = try await history(space, trials: 300, direction: .maximize) { p in
            (p["model"] == .string("b") ? 10 : 0) + p["x"]!.doubleValue! * 0.1
        }
        // The best 30% are (nearly) all "b"; within them x is close to uniform. (With the best
        // 10%, x would decide which "b" trials make it, and would count.)
        let shares = ParameterImportance.pedAnova(h, quantile: 0.3, bootstrap: 0)
        #expect(shares[0].name == "model" && shares[0].share > 0.8, "\(shares)")
        #expect(shares.allSatisfy { $0.low == $0.share && $0.high == $0.share })
    }

    @Test("divergences by hand: identical samples give 0; a top sample all in one of two equal categories gives ¼")
    func divergences() {
        #expect(ParameterImportance.categoricalDivergence([0, 1, 0, 1], [0, 1], choices: 2) == 0)
        // Smoothed: all (2+1, 2+1)/6 = (½, ½), top (2+1, 0+1)/4 = (¾, ¼): ½(½)² + ½(−½)² = ¼.
        #expect(abs(ParameterImportance.categoricalDivergence([0, 1, 0, 1], [0, 0], choices: 2) - 0.25) < 1e-12)
        let sample = (0..<200).map { (Double($0) + 0.5) / 200 }
        #expect(ParameterImportance.continuousDivergence(sample, sample) < 1e-12)
        #expect(ParameterImportance.continuousDivergence(sample, Array(sample.prefix(20))) > 1)
    }

    @Test("the Parzen density's recurrence matches a kernel sum with one exp per cell, for narrow and wide bandwidths and points at the edges")
    func parzenRecurrence() {
        func direct(_ points: [Double], grid: Int) -> [Double] {
            let n = Double(points.count)
            let mean = points.reduce(0, +) / n
            let sd = (points.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(n - 1, 1)).squareRoot()
            let h = max(1.06 * sd * pow(n, -0.2), 0.01)
            let raw = (0..<grid).map { i -> Double in
                let x = (Double(i) + 0.5) / Double(grid)
                return points.reduce(0) { $0 + exp(-0.5 * (x - $1) * (x - $1) / (h * h)) }
            }
            let mass = raw.reduce(0, +) / Double(grid)
            return raw.map { $0 / mass }
        }
        var g = SeededGenerator(seed: 3)
        let samples: [[Double]] = [
            (0..<500).map { _ in g.nextUnit() },                        // wide: h ≈ 0.09
            (0..<400).map { _ in 0.5 + 0.001 * g.nextUnit() },          // narrow: h = 0.01, far tails underflow
            [0, 1, 1, 0.999, 0.0005],                                   // at the edges
            [0.3],
        ]
        for points in samples {
            for grid in [7, 200] {
                let fast = ParameterImportance.parzen(points, grid: grid), exact = direct(points, grid: grid)
                let worst = zip(fast, exact).map { abs($0 - $1) / max(abs($1), 1e-300) }.max()!
                #expect(worst < 1e-9 || zip(fast, exact).allSatisfy { abs($0 - $1) < 1e-12 }, "relative error \(worst) for \(points.count) points, grid \(grid)")
            }
        }
    }
}
