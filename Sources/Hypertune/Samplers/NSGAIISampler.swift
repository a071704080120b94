import Autograd
import Foundation

/// A generational genetic algorithm, and for several objectives NSGA-II (Deb et al. 2002).
///
/// Trials run in generations of `populationSize`; each records its generation (system attribute
/// `ga:generation`) when it starts. Generation 0 is sampled at random. Each later trial is a child
/// of two parents chosen by binary tournament from the current population: by Pareto rank, then
/// by crowding distance (one objective: by value). Numerical parameters are crossed in the unit
/// cube (log scales respected; integers and steps snapped afterwards) by simulated binary
/// crossover (SBX, `η_c`) or blend crossover (BLX-α), then mutated, each with probability
/// `1/n`, by polynomial mutation (`η_m`) or a Gaussian step; categorical parameters are inherited
/// from either parent and reset at random with the same probability. Once a generation has
/// `populationSize` complete trials, the next population is the best `populationSize` of the
/// population and that generation together (elitist (μ + λ) survival: fast non-dominated sorting,
/// then crowding distance within the last front).
///
/// The sampler keeps no state: the populations are rebuilt from the history by replaying the
/// generations (the first `populationSize` complete trials of each, by number). A trial's child is
/// a function of the seed, its number and the history.
/// - Complexity: per proposal, the replay: O(generations · M P²) for M objectives and population P.
public struct NSGAIISampler: Sampler {
    public enum Crossover: Sendable {
        /// Simulated binary crossover with distribution index `eta` (larger: children nearer
        /// their parents).
        case simulatedBinary(eta: Double)
        /// Blend crossover: uniform on the parents' interval widened by `alpha` of its length on
        /// each side.
        case blend(alpha: Double)
    }

    public enum Mutation: Sendable {
        /// Polynomial mutation with distribution index `eta`.
        case polynomial(eta: Double)
        /// A Gaussian step of standard deviation `sigma` in the unit cube.
        case gaussian(sigma: Double)
    }

    public struct Configuration: Sendable {
        /// Trials per generation (Optuna's default).
        public var populationSize = 50
        /// The probability that a child is a crossover of its parents (else a copy of the first).
        public var crossoverProbability = 0.9
        /// The probability that a child's parameter comes from the second parent in the
        /// crossover of categorical parameters.
        public var swappingProbability = 0.5
        public var crossover = Crossover.simulatedBinary(eta: 20)
        public var mutation = Mutation.polynomial(eta: 20)
        /// The probability that each parameter mutates (nil: 1/n).
        public var mutationProbability: Double?

        public init() {}
    }

    public let seed: UInt64
    public let configuration: Configuration
    /// The last replay, for the other parameters of the same trial (exact: see ``ReplayMemo``).
    private let memo = ReplayMemo()

    public init(seed: UInt64 = 0, configuration: Configuration = Configuration()) {
        precondition(configuration.populationSize >= 2, "NSGAIISampler: a population needs at least 2 members")
        precondition((0...1).contains(configuration.crossoverProbability), "NSGAIISampler: crossoverProbability must be in [0, 1]")
        self.seed = seed
        self.configuration = configuration
    }

    static let generationKey = "ga:generation"

    /// A complete trial as the algorithm sees it: its parameters and its objective values made
    /// to be minimised.
    struct Member {
        let trial: FrozenTrial
        let objectives: [Double]
    }

    // MARK: Sampler

    /// Parameters are sampled one by one (``sampleIndependent(history:trial:name:distribution:)``),
    /// each from the parents that have it.
    public func sampleIndependent(history: StudyHistory, trial: FrozenTrial, name: String, distribution: Distribution) -> Double {
        var g = SamplerRandom.generator(seed: seed, trial: trial.number, purpose: "ga " + name)
        let generation = currentGeneration(history, trial: trial)
        guard generation.index > 0, let parents = generation.parents else { return SamplerRandom.uniform(distribution, &g) }
        // Both parents are chosen per trial (the same for every parameter of the trial).
        var pg = SamplerRandom.generator(seed: seed, trial: trial.number, purpose: "ga parents")
        let first = tournament(parents, &pg), second = tournament(parents, &pg)
        let crosses = pg.nextUnit() < configuration.crossoverProbability
        guard let a = internalValue(first.trial, name, distribution) else { return SamplerRandom.uniform(distribution, &g) }
        let b = internalValue(second.trial, name, distribution) ?? a
        let n = max(first.trial.parameters.count, 1)
        let mutationProbability = configuration.mutationProbability ?? 1 / Double(n)
        if case let .categorical(choices) = distribution {
            var x = crosses && g.nextUnit() < configuration.swappingProbability ? b : a
            if g.nextUnit() < mutationProbability { x = Double(Int(g.nextUnit() * Double(choices.count)) % choices.count) }
            return x
        }
        let coordinates = UnitCube([(name, distribution)])
        var u = coordinates.unit(a, 0)
        if crosses { u = crossover(u, coordinates.unit(b, 0), &g) }
        if g.nextUnit() < mutationProbability { u = mutate(u, &g) }
        return coordinates.internalValue(min(max(u, 0), 1), 0)
    }

    public func startAttributes(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: JSONValue] {
        [Self.generationKey: .number(Double(currentGeneration(history, trial: trial).index))]
    }

    // MARK: Generations

    /// The generation new trials belong to (the first with fewer than `populationSize` complete
    /// trials), and the population its children descend from (nil for generation 0).
    func currentGeneration(_ history: StudyHistory, trial: FrozenTrial) -> (index: Int, parents: [Member]?) {
        if let known = memo.lookup(history, trial.id) { return known }
        let result = replay(history, trial: trial)
        memo.store(history, trial.id, result)
        return result
    }

    /// ``currentGeneration(_:trial:)`` computed from the history.
    private func replay(_ history: StudyHistory, trial: FrozenTrial) -> (index: Int, parents: [Member]?) {
        let p = configuration.populationSize
        var generations: [Int: [Member]] = [:]
        let signs = history.directions.map { $0 == .maximize ? -1.0 : 1.0 }
        for t in history.trials where t.state == .complete && t.id != trial.id {
            guard case let .number(g)? = t.systemAttributes[Self.generationKey], let values = t.values, values.count == signs.count,
                  values.allSatisfy(\.isFinite) else { continue }
            generations[Int(g), default: []].append(Member(trial: t, objectives: zip(signs, values).map { $0 * $1 }))
        }
        var index = 0
        var population: [Member]?
        while let members = generations[index], members.count >= p {
            let offspring = Array(members.prefix(p))
            population = Self.survivors(of: (population ?? []) + offspring, count: p)
            index += 1
        }
        return (index, population)
    }

    /// The best `count` of `members` by (Pareto rank, crowding distance), in that order.
    static func survivors(of members: [Member], count: Int) -> [Member] {
        var chosen: [Member] = []
        for front in nonDominatedFronts(members.map(\.objectives)) {
            let remaining = count - chosen.count
            guard remaining > 0 else { break }
            if front.count <= remaining {
                chosen += front.map { members[$0] }
            } else {
                let distance = crowdingDistances(front.map { members[$0].objectives })
                let order = front.indices.sorted { distance[$0] > distance[$1] || (distance[$0] == distance[$1] && front[$0] < front[$1]) }
                chosen += order.prefix(remaining).map { members[front[$0]] }
            }
        }
        return chosen
    }

    /// Binary tournament over the population (which is ordered best first): the better of two
    /// members drawn at random, that is the one drawn earlier in the order.
    func tournament(_ population: [Member], _ g: inout SeededGenerator) -> Member {
        let i = Int(g.nextUnit() * Double(population.count)) % population.count
        let j = Int(g.nextUnit() * Double(population.count)) % population.count
        return population[min(i, j)]
    }

    /// `trial`'s internal value of `name` if it was drawn from `distribution`.
    func internalValue(_ trial: FrozenTrial, _ name: String, _ distribution: Distribution) -> Double? {
        guard trial.distributions[name] == distribution, let v = trial.parameters[name] else { return nil }
        return distribution.toInternal(v)
    }

    // MARK: Operators

    /// One child coordinate of parents `a` and `b` in [0, 1].
    func crossover(_ a: Double, _ b: Double, _ g: inout SeededGenerator) -> Double {
        switch configuration.crossover {
        case let .simulatedBinary(eta):
            // The spread factor β with density ∝ β^η (β ≤ 1) or β^(−η−2) (β > 1); one of the two
            // children, each with probability ½.
            let u: Double = g.nextUnit()
            let beta = u <= 0.5 ? Foundation.pow(2 * u, 1 / (eta + 1)) : Foundation.pow(1 / (2 * (1 - u)), 1 / (eta + 1))
            let sign: Double = g.nextUnit() < 0.5 ? -1 : 1
            return 0.5 * ((a + b) + sign * beta * (b - a))
        case let .blend(alpha):
            let low = min(a, b), high = max(a, b), d = high - low
            return low - alpha * d + (g.nextUnit() as Double) * (1 + 2 * alpha) * d
        }
    }

    /// A mutated coordinate in [0, 1].
    func mutate(_ x: Double, _ g: inout SeededGenerator) -> Double {
        switch configuration.mutation {
        case let .polynomial(eta):
            // Deb's polynomial mutation, bounded: the step's scale reaches the bounds exactly.
            let u: Double = g.nextUnit()
            let delta = u < 0.5
                ? Foundation.pow(2 * u + (1 - 2 * u) * Foundation.pow(1 - x, eta + 1), 1 / (eta + 1)) - 1
                : 1 - Foundation.pow(2 * (1 - u) + 2 * (u - 0.5) * Foundation.pow(x, eta + 1), 1 / (eta + 1))
            return min(max(x + delta, 0), 1)
        case let .gaussian(sigma):
            return min(max(x + sigma * g.nextNormal(), 0), 1)
        }
    }

    // MARK: Pareto fronts

    /// The indices of `points` (objectives to minimise) front by front: the first front is
    /// non-dominated, the second is non-dominated once the first is removed, and so on (Deb's
    /// fast non-dominated sort). Within a front, indices ascend.
    /// - Complexity: O(M N²).
    static func nonDominatedFronts(_ points: [[Double]]) -> [[Int]] {
        let n = points.count
        var dominatedBy = [Int](repeating: 0, count: n), dominates = [[Int]](repeating: [], count: n)
        for i in 0..<n {
            for j in (i + 1)..<max(n, i + 1) {
                if Self.dominates(points[i], points[j]) {
                    dominates[i].append(j)
                    dominatedBy[j] += 1
                } else if Self.dominates(points[j], points[i]) {
                    dominates[j].append(i)
                    dominatedBy[i] += 1
                }
            }
        }
        var fronts: [[Int]] = []
        var current = (0..<n).filter { dominatedBy[$0] == 0 }
        while !current.isEmpty {
            fronts.append(current)
            var next: [Int] = []
            for i in current {
                for j in dominates[i] {
                    dominatedBy[j] -= 1
                    if dominatedBy[j] == 0 { next.append(j) }
                }
            }
            current = next.sorted()
        }
        return fronts
    }

    /// Whether `a` is no worse than `b` in every objective and better in one.
    static func dominates(_ a: [Double], _ b: [Double]) -> Bool {
        var strictly = false
        for (x, y) in zip(a, b) {
            if x > y { return false }
            if x < y { strictly = true }
        }
        return strictly
    }

    /// Each point's crowding distance within its front: the sum over objectives of the gap
    /// between its neighbours (normalised by the objective's range); the extremes get infinity.
    static func crowdingDistances(_ points: [[Double]]) -> [Double] {
        let n = points.count
        guard n > 2 else { return [Double](repeating: .infinity, count: n) }
        var distance = [Double](repeating: 0, count: n)
        for m in 0..<(points.first?.count ?? 0) {
            let order = (0..<n).sorted { points[$0][m] < points[$1][m] || (points[$0][m] == points[$1][m] && $0 < $1) }
            let range = points[order[n - 1]][m] - points[order[0]][m]
            distance[order[0]] = .infinity
            distance[order[n - 1]] = .infinity
            guard range > 0 else { continue }
            for r in 1..<(n - 1) { distance[order[r]] += (points[order[r + 1]][m] - points[order[r - 1]][m]) / range }
        }
        return distance
    }

    /// The area dominated by a two-objective front (to minimise) and bounded by `reference`.
    public static func hypervolume2D(_ points: [[Double]], reference: (Double, Double)) -> Double {
        let inside = points.filter { $0[0] < reference.0 && $0[1] < reference.1 }.sorted { $0[0] < $1[0] || ($0[0] == $1[0] && $0[1] < $1[1]) }
        var area = 0.0, ceiling = reference.1
        for p in inside where p[1] < ceiling {
            area += (reference.0 - p[0]) * (ceiling - p[1])
            ceiling = p[1]
        }
        return area
    }
}

/// The last replay of ``NSGAIISampler``: a trial's parameters are sampled one by one from the same
/// history. The history's trials are kept, so their storage cannot be reused by another array:
/// the same storage then means the same trials (arrays are values), and the memo is exact.
final class ReplayMemo: @unchecked Sendable {
    private let lock = NSLock()
    private var trials: [FrozenTrial] = []
    private var trialID = -1
    private var result: (index: Int, parents: [NSGAIISampler.Member]?) = (0, nil)

    private static func same(_ a: [FrozenTrial], _ b: [FrozenTrial]) -> Bool {
        a.count == b.count && a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
    }

    func lookup(_ history: StudyHistory, _ id: Int) -> (index: Int, parents: [NSGAIISampler.Member]?)? {
        lock.lock()
        defer { lock.unlock() }
        return id == trialID && !history.trials.isEmpty && Self.same(history.trials, trials) ? result : nil
    }

    func store(_ history: StudyHistory, _ id: Int, _ value: (index: Int, parents: [NSGAIISampler.Member]?)) {
        lock.lock()
        defer { lock.unlock() }
        (trials, trialID, result) = (history.trials, id, value)
    }
}
