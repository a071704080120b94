import Foundation

/// The unit-cube coordinates of a search space, as the model-based and evolutionary samplers
/// (CMA-ES, GP, the genetic algorithm) search it: transformed bounds (log scales in log space,
/// grids widened by half a step, as ``ParzenEstimator`` maps them) scaled to [0, 1].
struct UnitCube {
    let parameters: [(name: String, distribution: Distribution)]
    let bounds: [(low: Double, high: Double, grid: ParzenEstimator.Grid?)]
    let signature: String

    init(_ parameters: [(name: String, distribution: Distribution)]) {
        self.parameters = parameters
        bounds = parameters.map { ParzenEstimator.transformedBounds($0.distribution) }.map { ($0.0, $0.1, $0.2) }
        signature = Self.signature(parameters)
    }

    /// A space's names and distributions as one string: samplers that record state with their
    /// trials keep the space it belongs to beside it.
    static func signature(_ parameters: [(name: String, distribution: Distribution)]) -> String {
        parameters.map { "\($0.name)=\($0.distribution)" }.joined(separator: ";")
    }

    var count: Int { parameters.count }

    /// The internal value of coordinate `u` of dimension `j` (snapped onto its grid).
    func internalValue(_ u: Double, _ j: Int) -> Double {
        let b = bounds[j]
        return ParzenEstimator.toInternal(b.low + min(max(u, 0), 1) * (b.high - b.low), grid: b.grid, distribution: parameters[j].distribution)
    }

    /// The coordinate of an internal value of dimension `j`.
    func unit(_ x: Double, _ j: Int) -> Double {
        let b = bounds[j]
        return (ParzenEstimator.transform(x, parameters[j].distribution) - b.low) / (b.high - b.low)
    }

    /// `trial`'s point, if it has every parameter from its distribution.
    func unitPoint(_ trial: FrozenTrial) -> [Double]? {
        var x: [Double] = []
        x.reserveCapacity(count)
        for (j, p) in parameters.enumerated() {
            guard trial.distributions[p.name] == p.distribution, let v = trial.parameters[p.name], let i = p.distribution.toInternal(v) else { return nil }
            x.append(unit(i, j))
        }
        return x
    }

    /// The cell of grid dimension `j` around coordinate `u`: the coordinates that snap to the
    /// same value. Nil for continuous dimensions.
    func cell(_ u: Double, _ j: Int) -> (low: Double, high: Double)? {
        guard let grid = bounds[j].grid else { return nil }
        let value = internalValue(u, j), d = parameters[j].distribution
        // Cell edges halfway (in external space) to the neighbouring grid values, or the cube's edges.
        let below = value - grid.step, above = value + grid.step
        let low = below < grid.externalLow - grid.step / 2 ? 0 : unit(Self.clampPositive(0.5 * (below + value), d), j)
        let last = grid.externalLow + Double(grid.count - 1) * grid.step
        let high = above > last + grid.step / 2 ? 1 : unit(0.5 * (above + value), j)
        return (max(low, 0), min(high, 1))
    }

    /// A value kept inside a log scale's domain.
    private static func clampPositive(_ x: Double, _ d: Distribution) -> Double {
        ParzenEstimator.isLogTransformed(d) ? max(x, .leastNormalMagnitude) : x
    }
}
