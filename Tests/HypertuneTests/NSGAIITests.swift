import Autograd
import Foundation
@testable import Hypertune
import Testing

@Suite("NSGA-II and the genetic algorithm")
struct NSGAIITests {
    @Test("non-dominated fronts, crowding distances and a 2-D hypervolume, by hand")
    func byHand() {
        // (1,4) (2,2) (4,1) are non-dominated; (3,3) is dominated by (2,2); (4,4) by all of those.
        let points: [[Double]] = [[3, 3], [1, 4], [4, 4], [2, 2], [4, 1]]
        #expect(NSGAIISampler.nonDominatedFronts(points) == [[1, 3, 4], [0], [2]])
        // Within the first front sorted by f₁: (1,4) (2,2) (4,1); the middle one's crowding is
        // (4 − 1)/(4 − 1) + (4 − 1)/(4 − 1) = 2, the ends are infinite.
        #expect(NSGAIISampler.crowdingDistances([[1, 4], [2, 2], [4, 1]]) == [.infinity, 2, .infinity])
        // Dominated area up to (5, 5): 4·1 + 3·2 + 1·1 (strips from the top) = 11.
        #expect(NSGAIISampler.hypervolume2D(points, reference: (5, 5)) == 11)
        #expect(NSGAIISampler.hypervolume2D([[6, 0]], reference: (5, 5)) == 0)
    }

    @Test("survival keeps whole fronts first, then the least crowded of the front that does not fit")
    func survival() {
        let members = [[1.0, 5], [2, 3], [3, 2.9], [5, 1], [4, 4], [6, 6]].enumerated().map { i, o in
            NSGAIISampler.Member(trial: FrozenTrial.sample(number: i), objectives: o)
        }
        let kept = NSGAIISampler.survivors(of: members, count: 3).map(\.trial.number)
        // First front: 0, 1, 2, 3 (4 and 5 are dominated by 1). The extremes 0 and 3 are
        // infinitely far; by hand, 1's crowding is (3 − 1)/4 + (5 − 2.9)/4 = 1.025 and 2's is
        // (5 − 2)/4 + (3 − 1)/4 = 1.25, so 2 is kept.
        #expect(Set(kept) == [0, 3, 2])
        #expect(NSGAIISampler.crowdingDistances([[1, 5], [2, 3], [3, 2.9], [5, 1]])[1...2].map { ($0 * 1000).rounded() / 1000 } == [1.025, 1.25])
        #expect(NSGAIISampler.survivors(of: members, count: 5).map(\.trial.number).sorted() == [0, 1, 2, 3, 4])
    }

    @Test("SBX children are centred on their parents and spread as η says; mutation stays in [0, 1]")
    func operators() {
        let sampler = NSGAIISampler(seed: 1)
        var g = SeededGenerator(seed: 9)
        let children = (0..<40_000).map { _ in sampler.crossover(0.2, 0.6, &g) }
        let mean = children.reduce(0, +) / Double(children.count)
        #expect(abs(mean - 0.4) < 0.003)
        // β ≤ 1 (a child between the parents) with probability ½.
        let inside = Double(children.count { $0 >= 0.2 && $0 <= 0.6 }) / Double(children.count)
        #expect(abs(inside - 0.5) < 0.01)
        for x in [0.0, 0.05, 0.5, 1.0] {
            let mutated = (0..<5000).map { _ in sampler.mutate(x, &g) }
            #expect(mutated.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(mutated.contains { $0 != x })
        }
    }

    @Test("a two-objective study: generations of the population in order, and a front near the true one")
    func study() async throws {
        var configuration = NSGAIISampler.Configuration()
        configuration.populationSize = 20
        let study = try await Study.create(name: "moo", directions: [.minimize, .minimize], sampler: NSGAIISampler(seed: 3, configuration: configuration))
        // f₁ = x², f₂ = (x − 2)² with a nuisance variable: the front is x ∈ [0, 2], y = 0.
        try await study.optimize(trials: 400) { trial in
            let x = try await trial.suggestFloat("x", -4, 4), y = try await trial.suggestFloat("y", -1, 1)
            return [x * x + y * y, (x - 2) * (x - 2) + y * y]
        }
        let trials = try await study.trials()
        for t in trials {
            #expect(t.systemAttributes[NSGAIISampler.generationKey] == .number(Double(t.number / 20)))
        }
        let front = try await study.bestTrials().map { $0.values! }
        // The true front f₂ = (√f₁ − 2)² for f₁ ∈ [0, 4] has hypervolume ∫₀⁴ (4 − (√t − 2)²) dt = 8 to (4, 4).
        let hv = NSGAIISampler.hypervolume2D(front, reference: (4, 4))
        #expect(hv > 7.6, "hypervolume \(hv) of 8")
        let random = try await Study.create(name: "moo-random", directions: [.minimize, .minimize], sampler: RandomSampler(seed: 3))
        try await random.optimize(trials: 400) { trial in
            let x = try await trial.suggestFloat("x", -4, 4), y = try await trial.suggestFloat("y", -1, 1)
            return [x * x + y * y, (x - 2) * (x - 2) + y * y]
        }
        let randomHV = NSGAIISampler.hypervolume2D(try await random.bestTrials().map { $0.values! }, reference: (4, 4))
        #expect(hv > randomHV, "NSGA-II \(hv), random \(randomHV)")
    }

    @Test("one objective: a genetic algorithm that improves on its random first generation; categorical genes are inherited")
    func singleObjective() async throws {
        var configuration = NSGAIISampler.Configuration()
        configuration.populationSize = 16
        configuration.crossover = .blend(alpha: 0.5)
        configuration.mutation = .gaussian(sigma: 0.1)
        let study = try await Study.create(name: "ga", sampler: NSGAIISampler(seed: 5, configuration: configuration))
        try await study.optimize(trials: 320) { trial in
            let a = try await trial.suggestFloat("a", -5, 5), b = try await trial.suggestInt("b", -10, 10)
            let c = try await trial.suggestCategorical("c", ["x", "y", "z"])
            return a * a + Double(b * b) + (c == "z" ? 0 : 3)
        }
        let trials = try await study.trials()
        let first = trials.prefix(16).map { $0.value! }, last = trials.suffix(16).map { $0.value! }
        #expect(last.sorted()[8] < first.sorted()[8] / 4, "median of the first generation \(first.sorted()[8]), of the last \(last.sorted()[8])")
        #expect(trials.suffix(16).filter { $0.parameters["c"] == .string("z") }.count >= 10)
    }
}

extension FrozenTrial {
    /// A complete trial with only a number, for tests of the population logic.
    static func sample(number: Int) -> FrozenTrial {
        FrozenTrial(id: number, studyID: 0, number: number, state: .complete, values: [0])
    }
}
