import Autograd

/// Exhaustive search over a grid: every combination of the given values (or every configuration
/// of a declarative space's grid, conditional branches included), each exactly once.
///
/// The grid point of a trial is a function of its number: sampled trial *k* of the study (trials
/// enqueued by hand are not counted) takes point `order[k]`, where `order` is a permutation of
/// the grid drawn from the seed (the grid order itself without a seed). Trial numbers are handed
/// out atomically by the storage, so workers on any number of machines never repeat a point, and
/// ``Study/optimize(trials:totalTrials:timeout:parallelism:stopOnError:reproducible:onTrialFinished:objective:)``
/// ends when the grid is done. ``Study/ask(fixing:)`` beyond the grid starts over in the same order.
///
/// A grid study should start empty (or hold only enqueued trials): trials that another sampler
/// ran in the same study before take up grid indices too, so their points would be skipped.
/// Claiming grid cells in the storage itself, which lifts this, comes with the database backends.
///
/// Parameters suggested outside the grid are drawn uniformly at random.
public struct GridSampler: Sampler {
    /// The grid, in mixed radix over names in order (the last name varying fastest).
    enum Grid: Sendable {
        case product(names: [String], values: [[ParameterValue]])
        case space(SearchSpace, continuousPoints: Int?)
    }

    let grid: Grid
    public let count: Int
    public let seed: UInt64?
    /// Grid index of the k-th sampled trial (nil: the identity).
    let order: [Int]?

    /// The largest grid the sampler accepts (its permutation is held in memory).
    public static let maximumCount = 50_000_000

    /// A grid of every combination of `values`.
    /// - Parameters:
    ///   - seed: visit the points in a random order drawn from this seed (nil: in grid order).
    /// - Throws: ``SearchSpaceError`` for an empty or repeated list of values, or a grid larger
    ///   than ``maximumCount``.
    public init(_ values: [String: [ParameterValue]], seed: UInt64? = nil) throws(SearchSpaceError) {
        var count = 1
        for (name, list) in values.sorted(by: { $0.key < $1.key }) {
            guard !list.isEmpty else { throw .invalid(name, "a grid needs at least one value") }
            guard Set(list).count == list.count else { throw .invalid(name, "repeated grid values in \(list.map(\.description))") }
            let (product, overflow) = count.multipliedReportingOverflow(by: list.count)
            guard !overflow, product <= Self.maximumCount else { throw .invalid(name, "the grid has more than \(Self.maximumCount) points") }
            count = product
        }
        let names = values.keys.sorted()
        try self.init(grid: .product(names: names, values: names.map { values[$0]! }), count: count, seed: seed)
    }

    /// The grid of a declarative space: integers, stepped floats and categoricals take all their
    /// values, continuous floats `continuousPoints` evenly spaced ones (geometrically on a log
    /// scale); each branch of a conditional categorical contributes its own sub-grid.
    /// - Throws: ``SearchSpaceError`` for an invalid space, a continuous float without
    ///   `continuousPoints`, or a grid larger than ``maximumCount``.
    public init(space: SearchSpace, continuousPoints: Int? = nil, seed: UInt64? = nil) throws(SearchSpaceError) {
        try space.validate()
        if let continuousPoints, continuousPoints < 1 {
            throw .invalid("continuousPoints", "must be at least 1, got \(continuousPoints)")
        }
        let count = try space.gridCount(continuousPoints: continuousPoints)
        guard count <= Self.maximumCount else { throw .invalid("grid", "the grid has \(count) points, more than \(Self.maximumCount)") }
        try self.init(grid: .space(space, continuousPoints: continuousPoints), count: count, seed: seed)
    }

    init(grid: Grid, count: Int, seed: UInt64?) throws(SearchSpaceError) {
        self.grid = grid
        self.count = count
        self.seed = seed
        if let seed {
            // Fisher–Yates with the seeded generator.
            var g = SeededGenerator(seed: seed)
            var order = Array(0..<count)
            for i in stride(from: count - 1, to: 0, by: -1) {
                order.swapAt(i, Int(g.nextUnit() * Double(i + 1)) % (i + 1))
            }
            self.order = order
        } else {
            self.order = nil
        }
    }

    public var trialLimit: Int? { count }

    /// The configuration at grid index `index`.
    public func point(_ index: Int) -> [String: ParameterValue] {
        switch grid {
        case let .product(names, values):
            var rest = index, result: [String: ParameterValue] = [:]
            for (name, list) in zip(names, values).reversed() {
                result[name] = list[rest % list.count]
                rest /= list.count
            }
            return result
        case let .space(space, continuousPoints):
            // Valid by construction: the count was computed from the same space.
            return (try? space.gridPoint(index, continuousPoints: continuousPoints)) ?? [:]
        }
    }

    /// The grid index of the `k`-th sampled trial of a study.
    public func gridIndex(ofSampledTrial k: Int) -> Int {
        let i = k % count
        return order?[i] ?? i
    }

    public func fixedParameters(history: StudyHistory, trial: FrozenTrial) -> [String: ParameterValue] {
        let enqueuedBefore = history.trials.count { $0.number < trial.number && $0.isEnqueued }
        return point(gridIndex(ofSampledTrial: trial.number - enqueuedBefore))
    }

    public func sampleIndependent(history: StudyHistory, trial: FrozenTrial, name: String, distribution: Distribution) -> Double {
        var g = SamplerRandom.generator(seed: seed ?? 0, trial: trial.number, purpose: name)
        return SamplerRandom.uniform(distribution, &g)
    }
}
