import Autograd
import RealModule

/// What samplers and pruners see of a study at one moment: its directions and its trials.
public struct StudyHistory: Sendable {
    public let directions: [StudyDirection]
    /// All trials, in number order.
    public let trials: [FrozenTrial]

    public init(directions: [StudyDirection], trials: [FrozenTrial]) {
        self.directions = directions
        self.trials = trials
    }

    public var isMultiObjective: Bool { directions.count > 1 }

    /// The parameters (with more than one possible value) that every one of `trials` has, drawn
    /// from the same distribution, by name: the space a model-based sampler can model jointly.
    static func sharedSpace(_ trials: [FrozenTrial]) -> [(name: String, distribution: Distribution)] {
        guard let first = trials.first else { return [] }
        return first.distributions.filter { d in !d.value.isSingle && trials.allSatisfy { $0.distributions[d.key] == d.value } }
            .sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Complete trials.
    public var completed: [FrozenTrial] { trials.filter { $0.state == .complete && $0.values != nil } }

    /// `value` for minimisation: negated when the single direction is maximize.
    public func minimizationValue(_ value: Double) -> Double {
        directions.first == .maximize ? -value : value
    }
}

/// Proposes parameter values for trials.
///
/// A sampler is a function of the history and its seed: it keeps no state between trials that
/// could change a proposal (a cache of what it read from finished trials, as ``TPESampler``
/// keeps, must give exactly what the history gives), so any number of workers (threads,
/// processes, machines) can share a study, and the same seed with the same history gives the
/// same proposals. Each trial may sample a *relative* search space jointly
/// at its start (inferred from past trials — how multivariate TPE, GP and CMA-ES model
/// correlations) and then *independent* values for any other parameter the objective suggests.
public protocol Sampler: Sendable {
    /// Parameters to sample jointly at the start of `trial`, inferred from the history.
    func relativeSearchSpace(history: StudyHistory, trial: FrozenTrial) -> [(name: String, distribution: Distribution)]
    /// Joint values (internal representation) for `space`; may leave some out, which are then
    /// sampled independently.
    func sampleRelative(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: Double]
    /// A value (internal representation) for one parameter of `trial`.
    func sampleIndependent(history: StudyHistory, trial: FrozenTrial, name: String, distribution: Distribution) -> Double
    /// Values this sampler imposes on `trial` whatever distribution they are suggested from (a
    /// grid point); a value outside the suggested distribution is an error of the suggestion.
    func fixedParameters(history: StudyHistory, trial: FrozenTrial) -> [String: ParameterValue]
    /// System attributes to record with `trial` when it starts, after its relative values were
    /// sampled (CMA-ES records the generation a trial belongs to, so that the state can be
    /// rebuilt from the history alone).
    func startAttributes(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: JSONValue]
    /// How many sampled trials the sampler has to propose (a grid's size): ``Study/optimize(trials:totalTrials:timeout:parallelism:stopOnError:reproducible:onTrialFinished:objective:)``
    /// stops after that many, besides enqueued ones. Nil when unbounded.
    var trialLimit: Int? { get }
    /// Whether trial starts must not interleave in a ``Study``: the sampler decides from the
    /// history what a trial is for (population-based training assigns it a member), so a start
    /// must see every earlier start's attributes.
    var serializesStarts: Bool { get }
}

extension Sampler {
    public func fixedParameters(history: StudyHistory, trial: FrozenTrial) -> [String: ParameterValue] { [:] }
    public var trialLimit: Int? { nil }
    public var serializesStarts: Bool { false }
    public func startAttributes(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: JSONValue] { [:] }
    public func relativeSearchSpace(history: StudyHistory, trial: FrozenTrial) -> [(name: String, distribution: Distribution)] { [] }
    public func sampleRelative(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: Double] { [:] }
}

/// Decides whether a running trial should stop early, from its intermediate values and those of
/// the other trials.
public protocol Pruner: Sendable {
    func shouldPrune(history: StudyHistory, trial: FrozenTrial) -> Bool
}

/// Never prunes.
public struct NoPruner: Pruner {
    public init() {}
    public func shouldPrune(history: StudyHistory, trial: FrozenTrial) -> Bool { false }
}

/// Random streams for samplers that depend only on (seed, trial number, purpose), so proposals are
/// reproducible whatever the order in which workers reach them.
public enum SamplerRandom {
    /// A generator for `trial`'s decision named `purpose` (e.g. a parameter name).
    public static func generator(seed: UInt64, trial: Int, purpose: String = "") -> SeededGenerator {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a of the purpose
        for b in purpose.utf8 {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01b3
        }
        return SeededGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: trial) &* 0x9E37_79B9_7F4A_7C15) ^ (h &* 0xBF58_476D_1CE4_E5B9))
    }

    /// A uniform value of `distribution` in its internal representation (log-uniform on a log scale,
    /// uniform over the grid for stepped and integer ranges, uniform over choices).
    public static func uniform(_ distribution: Distribution, _ g: inout SeededGenerator) -> Double {
        let u: Double = g.nextUnit()
        switch distribution {
        case let .float(low, high, log, step):
            if log { return Double.exp(Double.log(low) + u * (Double.log(high) - Double.log(low))) }
            if let step {
                let k = Int(u * Double(Int(((high - low) / step).rounded()) + 1))
                return min(high, low + Double(k) * step)
            }
            return low + u * (high - low)
        case let .int(low, high, log, step):
            if log {
                // Uniform in log over [low − ½, high + ½], rounded: each integer's share is its
                // interval's log-length.
                let a = Double.log(Double(low) - 0.5 + 1e-12), b = Double.log(Double(high) + 0.5)
                return Double(min(high, max(low, Int(Double.exp(a + u * (b - a)).rounded()))))
            }
            let count = (high - low) / step + 1
            return Double(low + min(count - 1, Int(u * Double(count))) * step)
        case let .categorical(choices):
            return Double(min(choices.count - 1, Int(u * Double(choices.count))))
        }
    }
}

/// Independent uniform sampling: the baseline every method must beat.
public struct RandomSampler: Sampler {
    public let seed: UInt64

    public init(seed: UInt64 = 0) { self.seed = seed }

    public func sampleIndependent(history: StudyHistory, trial: FrozenTrial, name: String, distribution: Distribution) -> Double {
        var g = SamplerRandom.generator(seed: seed, trial: trial.number, purpose: name)
        return SamplerRandom.uniform(distribution, &g)
    }
}
