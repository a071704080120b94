import Autograd
import Foundation
@testable import Hypertune
import RealModule
import Testing

// MARK: Helpers

/// A Parzen estimator with unit weights (unless given) and a prior of weight 1.
private func parzen(
    _ observations: [[Double]], _ distributions: [Distribution], weights: [Double]? = nil,
    bandwidth: TPESampler.Bandwidth = .neighbourGaps, magicClip: Bool = true, considerEndpoints: Bool = false
) -> ParzenEstimator {
    ParzenEstimator(observations: observations, weights: weights ?? observations.map { _ in 1 }, distributions: distributions,
                    priorWeight: 1, bandwidth: bandwidth, magicClip: magicClip, considerEndpoints: considerEndpoints)
}

/// `∫ f` over `[a, b]` by the trapezoid rule on `intervals` equal intervals.
private func trapezoid(_ a: Double, _ b: Double, intervals: Int, _ f: ([Double]) -> [Double]) -> Double {
    let h = (b - a) / Double(intervals)
    let xs = (0...intervals).map { a + Double($0) * h }
    let ys = f(xs)
    var sum = 0.0
    for i in 0..<intervals { sum += 0.5 * h * (ys[i] + ys[i + 1]) }
    return sum
}

/// Pearson's χ² statistic of observed counts against expected probabilities.
private func chiSquare(_ observed: [Int], _ probabilities: [Double]) -> Double {
    let n = Double(observed.reduce(0, +))
    return zip(observed, probabilities).reduce(0) { sum, pair in
        let expected = n * pair.1
        return sum + (Double(pair.0) - expected) * (Double(pair.0) - expected) / expected
    }
}

/// A χ² bound that a correct sampler exceeds with probability well below 10⁻⁴ (mean `dof`,
/// standard deviation `√(2·dof)`): a fixed seed either passes it or reveals a mismatch.
private func chiSquareBound(dof: Int) -> Double { Double(dof) + 6 * (2 * Double(dof)).squareRoot() }

/// Proposals for `x ∈ [0, 1]` by TPE samplers of seeds `seeds` joining the study `name` in
/// `storage`: each asks one trial, suggests `x` and ends the trial FAILED (which TPE ignores), so
/// every proposal sees the same history.
private func proposals(_ storage: InMemoryStorage, _ name: String, direction: StudyDirection = .minimize,
                       configuration: TPESampler.Configuration = .init(), seeds: Range<UInt64>) async throws -> [Double] {
    var xs: [Double] = []
    for seed in seeds {
        let study = try await Study.create(name: name, storage: storage, direction: direction,
                                           sampler: TPESampler(seed: seed, configuration: configuration))
        let trial = try await study.ask()
        xs.append(try await trial.suggestFloat("x", 0, 1))
        try await study.tell(trial, state: .failed, reason: "a probe")
    }
    return xs
}

/// Starts a trial of `study` whose `x` is exactly `x` (enqueued), and returns it running.
private func trial(_ study: Study, x: Double) async throws -> Trial {
    try await study.enqueue(["x": .double(x)])
    let trial = try await study.ask()
    #expect(try await trial.suggestFloat("x", 0, 1) == x)
    return trial
}

private func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

// MARK: Parzen estimator

@Suite("Parzen estimator")
struct ParzenEstimatorTests {
    @Test("neighbour bandwidths: the larger gap to the sorted neighbours, by hand")
    func neighbourBandwidths() {
        // Points -1, -0.8, 1, 2 in [-2, 3], given out of order. Gaps, with the bounds as end points:
        //   -2 |1| -1 |0.2| -0.8 |1.8| 1 |1| 2 |1| 3
        let points = [1.0, -1.0, -0.8, 2.0]
        let withEndpoints = ParzenEstimator.neighbourBandwidths(points, low: -2, high: 3, considerEndpoints: true)
        let expectedWith = [max(1.8, 1), max(1, 0.2), max(0.2, 1.8), max(1, 1)]
        // Without end points, the extreme points take their inner gap: -1 → 0.2, 2 → 1.
        let withoutEndpoints = ParzenEstimator.neighbourBandwidths(points, low: -2, high: 3, considerEndpoints: false)
        let expectedWithout = [1.8, 0.2, 1.8, 1.0]
        #expect(withEndpoints.count == 4 && withoutEndpoints.count == 4)
        for i in 0..<4 {
            #expect(withEndpoints[i].isApproximatelyEqual(to: expectedWith[i], relativeTolerance: 1e-12), "point \(points[i]): \(withEndpoints)")
            #expect(withoutEndpoints[i].isApproximatelyEqual(to: expectedWithout[i], relativeTolerance: 1e-12), "point \(points[i]): \(withoutEndpoints)")
        }
        // The end points matter when a bound is the farther neighbour of an extreme point:
        // 0.4 in [0, 1] with neighbour 0.45 — 0.4 with the bound, 0.05 without.
        let near = ParzenEstimator.neighbourBandwidths([0.45, 0.4, 0.9], low: 0, high: 1, considerEndpoints: true)
        let nearWithout = ParzenEstimator.neighbourBandwidths([0.45, 0.4, 0.9], low: 0, high: 1, considerEndpoints: false)
        #expect(near[1].isApproximatelyEqual(to: 0.4, relativeTolerance: 1e-12) && nearWithout[1].isApproximatelyEqual(to: 0.05, relativeTolerance: 1e-9))
        #expect(near[0].isApproximatelyEqual(to: 0.45, relativeTolerance: 1e-12) && nearWithout[0].isApproximatelyEqual(to: 0.45, relativeTolerance: 1e-12))
        // One point: its larger distance to a bound.
        #expect(ParzenEstimator.neighbourBandwidths([0.3], low: 0, high: 1, considerEndpoints: false) == [0.7])
        #expect(ParzenEstimator.neighbourBandwidths([], low: 0, high: 1, considerEndpoints: true) == [])
    }

    static let bandwidthCases: [(TPESampler.Bandwidth, Bool)] = [
        (.neighbourGaps, true), (.neighbourGaps, false), (.neighbourGapsWithPrior, true), (.neighbourGapsWithPrior, false), (.scott, true),
    ]

    @Test("a continuous density integrates to 1 over the range, kernels near the bounds included", arguments: 0..<5)
    func continuousIntegratesToOne(caseIndex: Int) {
        let (bandwidth, magicClip) = Self.bandwidthCases[caseIndex]
        let d = Distribution.float(low: -2, high: 3)
        let observations: [[Double]] = [[-1.9], [0.2], [0.25], [2.95]]
        let p = parzen(observations, [d], weights: [0.5, 1, 2, 1], bandwidth: bandwidth, magicClip: magicClip)
        let integral = trapezoid(-2, 3, intervals: 20_000) { xs in p.logDensity(xs.map { [$0] }, distributions: [d]).map(Double.exp) }
        #expect(abs(integral - 1) < 1e-3, "\(bandwidth), magic clip \(magicClip): \(integral)")
    }

    @Test("on a log scale the density is with respect to log x: it integrates to 1 over log x")
    func logScaleIntegratesToOne() {
        let d = Distribution.float(low: 1e-3, high: 10, log: true)
        let p = parzen([[2e-3], [0.05], [0.06], [8]], [d])
        let density: ([Double]) -> [Double] = { xs in p.logDensity(xs.map { [$0] }, distributions: [d]).map(Double.exp) }
        // y = log x over [log 10⁻³, log 10]: ∫ p(eʸ) dy.
        let overLog = trapezoid(Double.log(1e-3), Double.log(10), intervals: 20_000) { ys in density(ys.map(Double.exp)) }
        #expect(abs(overLog - 1) < 1e-3, "\(overLog)")
        // Not a density in x itself: ∫ p(x) dx is far from 1 (most of [10⁻³, 10] is above 1).
        let overX = trapezoid(1e-3, 10, intervals: 20_000, density)
        #expect(abs(overX - 1) > 0.1, "\(overX)")
    }

    @Test("on integer and stepped grids the probabilities of the grid points sum to 1")
    func gridsSumToOne() {
        let cases: [(Distribution, [[Double]], [Double])] = [
            (.int(low: 1, high: 10), [[1], [4], [5], [10]], (1...10).map(Double.init)),
            (.int(low: 0, high: 12, step: 3), [[0], [6], [12]], stride(from: 0, through: 12, by: 3).map(Double.init)),
            (.int(low: 1, high: 64, log: true), [[1], [3], [40]], (1...64).map(Double.init)),
            (.float(low: 0, high: 1, step: 0.1), [[0], [0.3], [1]], (0...10).map { 0 + Double($0) * 0.1 }),
        ]
        for (d, observations, grid) in cases {
            for bandwidth in [TPESampler.Bandwidth.neighbourGaps, .scott] {
                let p = parzen(observations, [d], bandwidth: bandwidth)
                let probabilities = p.logDensity(grid.map { [$0] }, distributions: [d]).map(Double.exp)
                let total = probabilities.reduce(0, +)
                #expect(abs(total - 1) < 1e-9, "\(d), \(bandwidth): \(total)")
                #expect(probabilities.allSatisfy { $0 > 0 && $0 < 1 }, "\(d)")
            }
        }
    }

    @Test("categorical probabilities sum to 1, ordered by the observations' counts")
    func categoricalSumsToOne() {
        let d = Distribution.categorical(["a", "b", "c", "d"])
        let p = parzen([[0], [2], [2]], [d])
        let probabilities = p.logDensity((0..<4).map { [Double($0)] }, distributions: [d]).map(Double.exp)
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-12, "\(probabilities)")
        // Seen twice > seen once > never seen (the prior's share only, equal).
        #expect(probabilities[2] > probabilities[0] && probabilities[0] > probabilities[1], "\(probabilities)")
        #expect(probabilities[1].isApproximatelyEqual(to: probabilities[3], relativeTolerance: 1e-12))
        // Without observations: the prior alone, uniform.
        let prior = parzen([], [d]).logDensity((0..<4).map { [Double($0)] }, distributions: [d]).map(Double.exp)
        for q in prior { #expect(q.isApproximatelyEqual(to: 0.25, relativeTolerance: 1e-12)) }
    }

    @Test("a joint density over a float and a categorical sums and integrates to 1")
    func jointIntegratesToOne() {
        let ds: [Distribution] = [.float(low: 0, high: 1), .categorical(["a", "b", "c"])]
        let p = parzen([[0.2, 0], [0.7, 2], [0.75, 2], [0.9, 1]], ds, bandwidth: .scott)
        var total = 0.0
        for c in 0..<3 {
            total += trapezoid(0, 1, intervals: 4000) { xs in p.logDensity(xs.map { [$0, Double(c)] }, distributions: ds).map(Double.exp) }
        }
        #expect(abs(total - 1) < 1e-3, "\(total)")
    }

    @Test("samples follow the density: continuous, log-scale, integer and categorical (χ² at a fixed seed)")
    func samplesMatchDensity() {
        let n = 20_000
        var g = SeededGenerator(seed: 2024)

        // Continuous: 25 equal bins over [-2, 3], their masses integrated from the density.
        let f = Distribution.float(low: -2, high: 3)
        let pf = parzen([[-1.9], [0.2], [0.25], [2.95]], [f], weights: [0.5, 1, 2, 1])
        let xs = pf.sample(n, distributions: [f], generator: &g).map { $0[0] }
        #expect(xs.allSatisfy { $0 >= -2 && $0 <= 3 })
        let bins = 25, width = 5.0 / Double(bins)
        var counts = [Int](repeating: 0, count: bins)
        for x in xs { counts[min(bins - 1, Int((x + 2) / width))] += 1 }
        let masses = (0..<bins).map { b in
            trapezoid(-2 + Double(b) * width, -2 + Double(b + 1) * width, intervals: 100) { pf.logDensity($0.map { [$0] }, distributions: [f]).map(Double.exp) }
        }
        #expect(chiSquare(counts, masses) < chiSquareBound(dof: bins - 1), "continuous: χ² = \(chiSquare(counts, masses))")

        // Log scale: equal bins in log x, masses of the density over log x.
        let l = Distribution.float(low: 1e-3, high: 10, log: true)
        let pl = parzen([[2e-3], [0.05], [0.06], [8]], [l])
        let ls = pl.sample(n, distributions: [l], generator: &g).map { $0[0] }
        #expect(ls.allSatisfy { $0 >= 1e-3 && $0 <= 10 })
        let a = Double.log(1e-3), logWidth = (Double.log(10) - a) / Double(bins)
        var logCounts = [Int](repeating: 0, count: bins)
        for x in ls { logCounts[min(bins - 1, max(0, Int((Double.log(x) - a) / logWidth)))] += 1 }
        let logMasses = (0..<bins).map { b in
            trapezoid(a + Double(b) * logWidth, a + Double(b + 1) * logWidth, intervals: 100) { ys in
                pl.logDensity(ys.map { [Double.exp($0)] }, distributions: [l]).map(Double.exp)
            }
        }
        #expect(chiSquare(logCounts, logMasses) < chiSquareBound(dof: bins - 1), "log scale: χ² = \(chiSquare(logCounts, logMasses))")

        // Log-scale integers: every sample on the grid, counts against the grid probabilities.
        let i = Distribution.int(low: 1, high: 64, log: true)
        let pi = parzen([[1], [3], [40]], [i])
        let ints = pi.sample(n, distributions: [i], generator: &g).map { $0[0] }
        #expect(ints.allSatisfy { $0 == $0.rounded() && $0 >= 1 && $0 <= 64 })
        var intCounts = [Int](repeating: 0, count: 64)
        for x in ints { intCounts[Int(x) - 1] += 1 }
        let intProbabilities = pi.logDensity((1...64).map { [Double($0)] }, distributions: [i]).map(Double.exp)
        #expect(chiSquare(intCounts, intProbabilities) < chiSquareBound(dof: 63), "integers: χ² = \(chiSquare(intCounts, intProbabilities))")

        // Categorical.
        let c = Distribution.categorical(["a", "b", "c", "d"])
        let pc = parzen([[0], [2], [2]], [c])
        var choiceCounts = [Int](repeating: 0, count: 4)
        for x in pc.sample(n, distributions: [c], generator: &g) { choiceCounts[Int(x[0])] += 1 }
        let choiceProbabilities = pc.logDensity((0..<4).map { [Double($0)] }, distributions: [c]).map(Double.exp)
        #expect(chiSquare(choiceCounts, choiceProbabilities) < chiSquareBound(dof: 3), "categorical: \(choiceCounts) against \(choiceProbabilities)")
    }
}

// MARK: TPE sampler

@Suite("TPE sampler")
struct TPESamplerTests {
    /// The best Branin value after `trials` trials with `sampler`.
    static func braninBest(_ sampler: any Sampler, trials: Int) async throws -> Double {
        let f = SyntheticFunction.branin
        let study = try await Study.create(name: "branin", direction: .minimize, sampler: sampler)
        try await study.optimize(trials: trials) { trial in
            var p: [String: ParameterValue] = [:]
            for (name, d) in f.space { p[name] = try await trial.suggest(name, d) }
            return f(p)
        }
        return try #require(try await study.bestTrial()?.value)
    }

    @Test("on Branin, TPE's median regret over 5 seeds after 60 trials is under half random search's")
    func beatsRandomOnBranin() async throws {
        var tpe: [Double] = [], random: [Double] = []
        for seed: UInt64 in 0..<5 {
            tpe.append(SyntheticFunction.branin.regret(try await Self.braninBest(TPESampler(seed: seed), trials: 60)))
            random.append(SyntheticFunction.branin.regret(try await Self.braninBest(RandomSampler(seed: seed), trials: 60)))
        }
        #expect(tpe.allSatisfy { $0 >= -1e-6 } && random.allSatisfy { $0 >= -1e-6 }, "no value below the known minimum")
        #expect(median(tpe) < 0.5 * median(random), "TPE \(tpe), random \(random)")
    }

    /// A study of `x ∈ [0, 1]` with 20 complete trials at the centres of 20 equal cells, valued
    /// `(x − 0.3)²`, and running trials at 0.29, 0.3, 0.3 and 0.31 — the best region.
    static func studyWithRunningTrialsAtTheBest(_ storage: InMemoryStorage) async throws {
        let study = try await Study.create(name: "liar", storage: storage, direction: .minimize, sampler: RandomSampler())
        for k in 0..<20 {
            let x = (Double(k) + 0.5) / 20
            try await study.tell(try await trial(study, x: x), (x - 0.3) * (x - 0.3))
        }
        for x in [0.29, 0.3, 0.3, 0.31] { _ = try await trial(study, x: x) }
        #expect(try await study.trials(states: [.running]).count == 4)
    }

    @Test("constant liar: running trials at the best point push proposals away from it")
    func constantLiar() async throws {
        // Two identical histories; the same seeds and trial numbers draw the same candidates
        // from l (running trials never join l), so only g differs between the two samplers.
        var liar = TPESampler.Configuration(), honest = TPESampler.Configuration()
        liar.constantLiar = true
        honest.constantLiar = false
        var distances: [Bool: [Double]] = [:]
        for (useLiar, configuration) in [(true, liar), (false, honest)] {
            let storage = InMemoryStorage()
            try await Self.studyWithRunningTrialsAtTheBest(storage)
            distances[useLiar] = try await proposals(storage, "liar", configuration: configuration, seeds: 0..<20).map { abs($0 - 0.3) }
        }
        let with = distances[true]!, without = distances[false]!
        // Without the liar the running region is where TPE proposes (the control) …
        #expect(without.count { $0 < 0.03 } >= 15, "without the liar: \(without)")
        // … with it, proposals avoid it.
        #expect(with.count { $0 < 0.03 } <= 2, "with the liar: \(with)")
        #expect(with.reduce(0, +) > 3 * without.reduce(0, +), "with \(with), without \(without)")
    }

    @Test("groups: the finest partition of the parameters such that every trial's are a union of groups")
    func groupDecomposition() throws {
        let distributions: [String: Distribution] = [
            "a": .float(low: 0, high: 1), "b": .int(low: 1, high: 5), "c": .categorical(["x", "y"]),
            "d": .float(low: 1e-3, high: 1, log: true), "e": .float(low: 0, high: 1), "one": .categorical([1]),
        ]
        func frozen(_ number: Int, _ state: TrialState, _ names: [String]) -> FrozenTrial {
            FrozenTrial(id: number + 1, studyID: 1, number: number, state: state,
                        parameters: Dictionary(uniqueKeysWithValues: names.map { ($0, distributions[$0]!.toExternal(0)) }),
                        distributions: Dictionary(uniqueKeysWithValues: names.map { ($0, distributions[$0]!) }),
                        values: state == .complete ? [Double(number)] : nil)
        }
        let trials = [
            frozen(0, .complete, ["a", "b", "one"]),
            frozen(1, .pruned, ["a", "c", "d", "one"]),
            // Neither running nor failed trials shape the groups.
            frozen(2, .running, ["a", "e"]),
            frozen(3, .failed, ["b", "e"]),
        ]
        func groupNames(_ trials: [FrozenTrial], _ sampler: TPESampler = TPESampler(seed: 0)) -> [Set<String>] {
            sampler.groups(StudyHistory(directions: [.minimize], trials: trials)).map { Set($0.map(\.name)) }
        }
        // {a, b}, {a, c, d} → {a}, {b}, {c, d}; "one" has a single value and is left out.
        let names = groupNames(trials)
        #expect(Set(names) == [["a"], ["b"], ["c", "d"]] && names.count == 3, "\(names)")
        for group in TPESampler(seed: 0).groups(StudyHistory(directions: [.minimize], trials: trials)) {
            for member in group { #expect(member.distribution == distributions[member.name], "\(member.name)") }
        }
        // A further trial with {a, c} must be a union of groups too, which splits {c, d}:
        // {a, b}, {a, c, d}, {a, c} → {a}, {b}, {c}, {d}.
        let split = groupNames(trials + [frozen(4, .complete, ["a", "c", "one"])])
        #expect(Set(split) == [["a"], ["b"], ["c"], ["d"]] && split.count == 4, "\(split)")
        let history = StudyHistory(directions: [.minimize], trials: trials)

        // Without grouping: the parameters every trial shares.
        var ungrouped = TPESampler.Configuration()
        ungrouped.group = false
        #expect(TPESampler(seed: 0, configuration: ungrouped).groups(history).map { $0.map(\.name) } == [["a"]])
        // No finished trial: no groups.
        #expect(TPESampler(seed: 0).groups(StudyHistory(directions: [.minimize], trials: Array(trials.suffix(2)))).isEmpty)
    }

    @Test("groups of a study on a conditional space: names in a group occur in exactly the same trials")
    func groupsOfAConditionalStudy() async throws {
        let space: SearchSpace = [
            "lr": .distribution(.float(low: 1e-4, high: 1, log: true)),
            "optimizer": .choice([
                SearchSpace.Branch("sgd", [
                    "momentum": .distribution(.float(low: 0, high: 0.9)),
                    "schedule": .choice([
                        SearchSpace.Branch("cosine", ["warmup": .distribution(.int(low: 0, high: 10)), "cycles": .distribution(.int(low: 1, high: 4))]),
                        SearchSpace.Branch("constant"),
                    ]),
                ]),
                SearchSpace.Branch("adam", ["beta1": .distribution(.float(low: 0.8, high: 0.999))]),
            ]),
        ]
        let study = try await Study.create(name: "groups", direction: .minimize, sampler: RandomSampler(seed: 5))
        try await study.optimize(trials: 30) { trial in
            let p = try await space.sample(trial)
            return p["lr"]!.doubleValue!
        }
        let history = try await study.history()
        // The partition derived independently: by the set of trials each name occurs in.
        var occurrences: [String: Set<Int>] = [:]
        for t in history.trials where t.state == .complete {
            for name in t.parameters.keys { occurrences[name, default: []].insert(t.number) }
        }
        let expected = Set(Dictionary(grouping: occurrences.keys) { occurrences[$0]! }.values.map(Set.init))
        #expect(expected.count >= 4, "the study should have reached every branch: \(expected)")
        let groups = TPESampler(seed: 0).groups(history).map { Set($0.map(\.name)) }
        #expect(Set(groups) == expected && groups.count == expected.count, "\(groups) against \(expected)")
    }

    /// Proposals of TPE on a study of `x ∈ [0, 1]` with 20 complete trials valued by their
    /// distance to 0.8, and 8 trials near 0.1 that reported an excellent value at step 1 and were
    /// then pruned (or, for the control, completed with that value).
    static func proposalsWithPrunedTrials(direction: StudyDirection, prunedAsComplete: Bool) async throws -> [Double] {
        let sign = direction == .minimize ? 1.0 : -1.0
        let storage = InMemoryStorage()
        let study = try await Study.create(name: "pruned", storage: storage, direction: direction, sampler: RandomSampler())
        for k in 0..<20 {
            let x = (Double(k) + 0.5) / 20
            try await study.tell(try await trial(study, x: x), sign * (x - 0.8) * (x - 0.8))
        }
        for k in 0..<8 {
            let t = try await trial(study, x: 0.08 + 0.005 * Double(k))
            try await t.report(sign * -100, step: 1)
            if prunedAsComplete { try await study.tell(t, sign * -100) } else { try await study.tell(t, state: .pruned) }
        }
        return try await proposals(storage, "pruned", direction: direction, seeds: 0..<20)
    }

    @Test("pruned trials rank after complete ones, however good their intermediate values", arguments: StudyDirection.allCases)
    func prunedRankAfterComplete(direction: StudyDirection) async throws {
        let pruned = try await Self.proposalsWithPrunedTrials(direction: direction, prunedAsComplete: false)
        #expect(pruned.count { abs($0 - 0.8) < 0.2 } >= 18, "\(pruned)")
        #expect(pruned.count { $0 < 0.3 } == 0, "\(pruned)")
        // Control: had those values been final, TPE would have gone to 0.1.
        let complete = try await Self.proposalsWithPrunedTrials(direction: direction, prunedAsComplete: true)
        #expect(complete.count { $0 < 0.3 } >= 18, "\(complete)")
    }

    @Test("among pruned trials, those that got further rank first")
    func prunedRankByProgress() async throws {
        // Only pruned trials: 10 near 0.8 reached step 5 with a poor value, 10 near 0.1 stopped
        // at step 1 with an excellent one. Control: all stopped at step 1 (value decides).
        func proposalsNear(allAtStepOne: Bool) async throws -> [Double] {
            let storage = InMemoryStorage()
            let study = try await Study.create(name: "progress", storage: storage, direction: .minimize, sampler: RandomSampler())
            for k in 0..<10 {
                for (centre, steps, value) in [(0.8, 5, 10.0), (0.1, 1, -100.0)] {
                    let t = try await trial(study, x: centre - 0.045 + 0.01 * Double(k))
                    for step in 1...(allAtStepOne ? 1 : steps) { try await t.report(value, step: step) }
                    try await study.tell(t, state: .pruned)
                }
            }
            return try await proposals(storage, "progress", seeds: 0..<20)
        }
        let byProgress = try await proposalsNear(allAtStepOne: false)
        #expect(byProgress.count { abs($0 - 0.8) < 0.2 } >= 12 && byProgress.count { $0 < 0.3 } == 0, "\(byProgress)")
        let byValue = try await proposalsNear(allAtStepOne: true)
        #expect(byValue.count { $0 < 0.3 } >= 12 && byValue.count { abs($0 - 0.8) < 0.2 } == 0, "\(byValue)")
    }
}
