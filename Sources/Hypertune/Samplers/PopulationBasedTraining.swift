import Autograd
import Foundation

/// Population-based training (Jaderberg et al., "Population Based Training of Neural Networks",
/// 2017): a population of models trained in rounds, where the weak copy the strong and then vary.
///
/// Each trial is one round of one member: the objective restores the member's state from the
/// trial's ``TrialCheckpoint`` (``checkpoint(for:)``), trains for a round with the trial's
/// hyperparameters, saves the state and returns its score. When a member starts its next round
/// it is ranked, by the latest score of each member, against the others (asynchronously, as in
/// the paper: no member waits for a whole generation):
/// - in the bottom `quantile` it **exploits**: it continues from the checkpoint of a member drawn
///   from the top `quantile`, with that member's hyperparameters, and **explores** them: each
///   is resampled from its distribution with probability `resampleProbability`, and otherwise
///   multiplied by a factor drawn from `perturbationFactors` (×0.8 or ×1.2; an integer moves by
///   at least one step, a categorical choice to a neighbouring one), within its bounds;
/// - otherwise it continues its own checkpoint with its own hyperparameters.
///
/// A member's first round samples its hyperparameters with the `independent` sampler (random by
/// default), as does any member whose rounds have all failed; enqueued trials (``Study/enqueue(_:userAttributes:)``)
/// set chosen starting points instead, and come on top of the ``trialLimit`` of
/// `populationSize × rounds` trials, which gives each member about `rounds` rounds. The study's
/// trials record the lineage: `pbt:member`, `pbt:round` (the rounds of training behind the
/// trial's network, counting those it inherited by exploiting), `pbt:parent` and `pbt:donor`; so
/// a resumed study — a new process with the same storage and checkpoint root — carries on where
/// it stopped.
///
/// Members are assigned to trials from the history, so starts must not interleave (the sampler's
/// ``serializesStarts``); run at most `populationSize` trials at once — a trial started while
/// every member is busy founds a new member, growing the population. Old checkpoints are
/// removed as members move on (only each member's latest, and those running trials continue
/// from, are kept) unless `keepsEveryCheckpoint`.
///
/// Single-objective: the first objective ranks members.
public struct PopulationBasedTraining: Sampler {
    public struct Configuration: Sendable {
        /// Members trained side by side.
        public var populationSize = 8
        /// Rounds per member: the study's trial limit is `populationSize × rounds`.
        public var rounds = 10
        /// The fraction of members at the bottom that exploit, and at the top that they copy.
        public var quantile = 0.25
        /// The probability that exploration resamples a hyperparameter instead of perturbing it.
        public var resampleProbability = 0.25
        /// The factors a perturbation multiplies a numerical hyperparameter by, one drawn each time.
        public var perturbationFactors: [Double] = [0.8, 1.2]
        /// Keeps the checkpoint of every trial instead of only those still needed.
        public var keepsEveryCheckpoint = false

        public init() {}
    }

    public let seed: UInt64
    public let configuration: Configuration
    /// The directory holding every trial's checkpoint directory.
    public let checkpointRoot: URL
    /// Samples a member's first hyperparameters, and any parameter exploration does not cover.
    public let independent: any Sampler

    public init(checkpoints root: URL, seed: UInt64 = 0, configuration: Configuration = Configuration(), independent: (any Sampler)? = nil) {
        precondition(configuration.populationSize >= 2, "PopulationBasedTraining: a population of at least 2 is needed, got \(configuration.populationSize)")
        precondition(configuration.rounds >= 1, "PopulationBasedTraining: at least one round is needed, got \(configuration.rounds)")
        precondition(configuration.quantile > 0 && configuration.quantile <= 0.5, "PopulationBasedTraining: the quantile must be in (0, 0.5], got \(configuration.quantile)")
        precondition((0...1).contains(configuration.resampleProbability), "PopulationBasedTraining: the resample probability must be in [0, 1], got \(configuration.resampleProbability)")
        precondition(!configuration.perturbationFactors.isEmpty && configuration.perturbationFactors.allSatisfy { $0 > 0 && $0.isFinite },
                     "PopulationBasedTraining: perturbation factors must be positive, got \(configuration.perturbationFactors)")
        self.seed = seed
        self.configuration = configuration
        self.checkpointRoot = root
        self.independent = independent ?? RandomSampler(seed: seed)
    }

    public var trialLimit: Int? { configuration.populationSize * configuration.rounds }
    public var serializesStarts: Bool { true }

    /// The system attributes of a trial's lineage: its member, its round, the trial whose
    /// checkpoint it continues and, after an exploit, the member it copied.
    public static let memberKey = "pbt:member", roundKey = "pbt:round", parentKey = "pbt:parent", donorKey = "pbt:donor"

    // MARK: Sampler

    public func relativeSearchSpace(history: StudyHistory, trial: FrozenTrial) -> [(name: String, distribution: Distribution)] {
        plan(history, trial).distributions.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    public func sampleRelative(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: Double] {
        let plan = plan(history, trial)
        var values: [String: Double] = [:]
        for p in space {
            if let v = plan.parameters[p.name], plan.distributions[p.name] == p.distribution, let x = p.distribution.toInternal(v) { values[p.name] = x }
        }
        return values
    }

    public func sampleIndependent(history: StudyHistory, trial: FrozenTrial, name: String, distribution: Distribution) -> Double {
        independent.sampleIndependent(history: history, trial: trial, name: name, distribution: distribution)
    }

    public func startAttributes(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: JSONValue] {
        let plan = plan(history, trial)
        var attributes: [String: JSONValue] = [Self.memberKey: .number(Double(plan.member)), Self.roundKey: .number(Double(plan.round))]
        if let parent = plan.parent { attributes[Self.parentKey] = .number(Double(parent)) }
        if let donor = plan.donor { attributes[Self.donorKey] = .number(Double(donor)) }
        return attributes
    }

    // MARK: Checkpoints

    /// `trial`'s checkpoint: its own directory, and the one of the trial it continues.
    ///
    /// Unless `keepsEveryCheckpoint`, this also removes the checkpoints no member can continue
    /// from any more (as of the trial's start): those of finished trials that are neither their
    /// member's latest complete round nor the parent of a running trial.
    public func checkpoint(for trial: Trial) async throws -> TrialCheckpoint {
        let snapshot = await trial.snapshot
        let parent: Int? = if case let .number(p)? = snapshot.systemAttributes[Self.parentKey] { Int(p) } else { nil }
        if !configuration.keepsEveryCheckpoint { try removeStaleCheckpoints(trial.history, keeping: parent) }
        return TrialCheckpoint(root: checkpointRoot, trial: trial.number, restoringFrom: parent)
    }

    /// Removes the checkpoint directories of `history`'s finished trials that no member can
    /// continue from: not a member's latest complete round, not a running trial's parent, and
    /// not `keeping`.
    func removeStaleCheckpoints(_ history: StudyHistory, keeping: Int?) throws {
        let members = self.members(history)
        var needed = Set(members.values.compactMap { $0.latest?.number })
        if let keeping { needed.insert(keeping) }
        for t in history.trials where t.state == .running {
            if case let .number(p)? = t.systemAttributes[Self.parentKey] { needed.insert(Int(p)) }
        }
        let files = FileManager.default
        for t in history.trials where t.state.isFinished && !needed.contains(t.number) {
            let directory = TrialCheckpoint.directory(root: checkpointRoot, trial: t.number)
            guard files.fileExists(atPath: directory.path) else { continue }
            do {
                try files.removeItem(at: directory)
            } catch {
                // A concurrent trial may have removed it first: that is no failure.
                guard files.fileExists(atPath: directory.path) else { continue }
                throw CheckpointError("cannot remove the stale checkpoint \(directory.path): \(error.localizedDescription)")
            }
        }
    }

    // MARK: Planning

    /// A member as the history shows it.
    struct Member {
        /// Its latest complete round with a finite value.
        var latest: FrozenTrial?
        var running = false
    }

    /// What a trial does: which member it trains, which round that is, which trial's checkpoint
    /// it continues and with which hyperparameters (none: sampled afresh).
    struct Plan {
        var member: Int, round: Int
        var parent: Int?, donor: Int?
        var parameters: [String: ParameterValue] = [:]
        var distributions: [String: Distribution] = [:]
    }

    func members(_ history: StudyHistory) -> [Int: Member] {
        var members: [Int: Member] = [:]
        for t in history.trials {
            guard case let .number(m)? = t.systemAttributes[Self.memberKey] else { continue }
            var member = members[Int(m)] ?? Member()
            if t.state == .running { member.running = true }
            if t.state == .complete, let v = t.values?.first, v.isFinite, t.number > (member.latest?.number ?? -1) { member.latest = t }
            members[Int(m)] = member
        }
        return members
    }

    /// The plan for `trial` given the history before it; the same every time it is asked for.
    func plan(_ history: StudyHistory, _ trial: FrozenTrial) -> Plan {
        let members = members(history)
        // A new member while the population is short, or while every member is busy.
        let free = members.filter { !$0.value.running }
        guard members.count >= configuration.populationSize, !free.isEmpty else {
            let id = (0...members.count).first { members[$0] == nil }!
            return Plan(member: id, round: 0)
        }
        // The free member furthest behind (the lowest number on ties) goes next.
        func rounds(_ m: Member) -> Int { m.latest.map { Self.round(of: $0) + 1 } ?? 0 }
        let (id, member) = free.min { (rounds($0.value), $0.key) < (rounds($1.value), $1.key) }!
        guard let latest = member.latest else { return Plan(member: id, round: 0) }
        // Ranked by latest score, best first.
        let maximise = history.directions.first == .maximize
        let ranked = members.compactMap { key, m in m.latest.map { (member: key, trial: $0, value: $0.values![0]) } }
            .sorted { maximise ? ($0.value, -$0.member) > ($1.value, -$1.member) : ($0.value, $0.member) < ($1.value, $1.member) }
        let share = min(Int((Double(ranked.count) * configuration.quantile).rounded(.up)), ranked.count / 2)
        guard share > 0, ranked.suffix(share).contains(where: { $0.member == id }) else {
            return Plan(member: id, round: Self.round(of: latest) + 1, parent: latest.number, parameters: latest.parameters, distributions: latest.distributions)
        }
        var g = SamplerRandom.generator(seed: seed, trial: trial.number, purpose: "pbt")
        let donor = ranked[Int(g.nextUnit() * Double(share)) % share]
        let explored = explore(donor.trial, &g)
        return Plan(member: id, round: Self.round(of: donor.trial) + 1, parent: donor.trial.number, donor: donor.member,
                    parameters: explored, distributions: donor.trial.distributions)
    }

    static func round(of trial: FrozenTrial) -> Int {
        if case let .number(r)? = trial.systemAttributes[roundKey] { Int(r) } else { 0 }
    }

    /// `trial`'s hyperparameters explored: each resampled with probability
    /// `resampleProbability`, otherwise perturbed.
    func explore(_ trial: FrozenTrial, _ g: inout SeededGenerator) -> [String: ParameterValue] {
        var result: [String: ParameterValue] = [:]
        for (name, distribution) in trial.distributions.sorted(by: { $0.key < $1.key }) {
            guard let value = trial.parameters[name] else { continue }
            if distribution.isSingle {
                result[name] = value
            } else if g.nextUnit() < configuration.resampleProbability {
                result[name] = distribution.toExternal(SamplerRandom.uniform(distribution, &g))
            } else {
                let factors = configuration.perturbationFactors
                result[name] = Self.perturb(value, distribution, factor: factors[Int(g.nextUnit() * Double(factors.count)) % factors.count])
            }
        }
        return result
    }

    /// `value` multiplied by `factor` within `distribution`: onto its grid and into its bounds;
    /// an integer moves at least one step the factor's way; a categorical choice moves to the
    /// next one up (factor above 1) or down.
    static func perturb(_ value: ParameterValue, _ distribution: Distribution, factor: Double) -> ParameterValue {
        switch distribution {
        case .float:
            return distribution.toExternal((value.doubleValue ?? 0) * factor)
        case let .int(_, _, _, step):
            let v = value.intValue ?? 0
            let moved = distribution.toExternal(Double(v) * factor)
            return moved != value || factor == 1 ? moved : distribution.toExternal(Double(v + (factor > 1 ? step : -step)))
        case .categorical:
            let i = distribution.toInternal(value) ?? 0
            return distribution.toExternal(i + (factor > 1 ? 1 : factor < 1 ? -1 : 0))
        }
    }
}

