import Foundation
import Hypertune

/// A sampler as a configuration names it: `sampler: tpe`, or a mapping with `name`, `seed` and the
/// sampler's options (snake_case), each checked when the file is read.
public struct SamplerSpec: Sendable {
    public enum Name: String, CaseIterable, Sendable {
        case random, tpe, grid, sobol, lhs, gp, cmaes, ga, nsga2, pbt

        var supportsSeveralObjectives: Bool { [.random, .grid, .sobol, .lhs, .nsga2].contains(self) }

        /// The options each sampler takes besides `name` and `seed`.
        var options: Set<String> {
            switch self {
            case .random, .sobol: []
            case .lhs: []
            case .grid: ["points"]
            case .tpe: ["startup_trials", "candidates", "multivariate", "group", "constant_liar", "prior_weight", "consider_endpoints"]
            case .gp: ["startup_trials", "acquisition", "kappa", "candidates"]
            case .cmaes: ["sigma0", "population", "restarts", "separable", "margin"]
            case .ga, .nsga2: ["population", "crossover", "eta_crossover", "alpha", "crossover_probability", "swapping_probability",
                               "mutation", "eta_mutation", "sigma", "mutation_probability"]
            case .pbt: ["population", "rounds", "quantile", "resample_probability", "checkpoints", "keep_checkpoints"]
            }
        }
    }

    public var name: Name
    public var seed: UInt64
    /// The options as written, checked by ``parse(_:)``.
    var options: [String: ConfigNode]
    /// Where the sampler was written, for errors found later (a grid the space cannot make).
    var node: ConfigNode?

    public init(name: Name, seed: UInt64 = 0) {
        self.name = name
        self.seed = seed
        options = [:]
    }

    public static func parse(_ node: ConfigNode) throws(ConfigError) -> SamplerSpec {
        let (nameNode, entries) = try namedMapping(node, what: "sampler")
        let text = try nameNode.string()
        guard let name = Name(rawValue: text) else {
            let hint = ConfigError.suggestion(for: text, among: Name.allCases.map(\.rawValue)).map { " (did you mean '\($0)'?)" } ?? ""
            throw nameNode.error("unknown sampler '\(text)'\(hint); the samplers are \(Name.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var spec = SamplerSpec(name: name)
        spec.node = node
        for entry in entries where entry.key != "name" {
            if entry.key == "seed" {
                spec.seed = UInt64(try entry.value.int(atLeast: 0))
                continue
            }
            guard name.options.contains(entry.key) else {
                let hint = ConfigError.suggestion(for: entry.key, among: name.options).map { " (did you mean '\($0)'?)" } ?? ""
                let known = (["seed"] + name.options.sorted()).joined(separator: ", ")
                throw entry.keyNode.error("unknown option of the \(name.rawValue) sampler\(hint); its options are \(known)")
            }
            spec.options[entry.key] = entry.value
        }
        // Check every option now, so a bad one is reported before any trial runs.
        _ = try spec.makeChecked(space: nil, trials: nil, checkpointRoot: nil)
        return spec
    }

    /// The sampler for a study over `space` of `trials` trials (`lhs` needs the count, `grid` the
    /// space, `pbt` a checkpoint directory).
    public func make(space: SearchSpace, trials: Int?, checkpointRoot: URL) throws(ConfigError) -> any Sampler {
        try makeChecked(space: space, trials: trials, checkpointRoot: checkpointRoot)!
    }

    /// Builds the sampler; nil when a needed input (space, trials, checkpoints) is not given —
    /// the options are checked all the same.
    func makeChecked(space: SearchSpace?, trials: Int?, checkpointRoot: URL?) throws(ConfigError) -> (any Sampler)? {
        switch name {
        case .random:
            return RandomSampler(seed: seed)
        case .sobol:
            return QuasiRandomSampler(kind: .sobol, seed: seed)
        case .lhs:
            guard let trials else { return nil }
            return QuasiRandomSampler(kind: .latinHypercube(trials: trials), seed: seed)
        case .grid:
            let points = try options["points"]?.int(atLeast: 1)
            guard let space else { return nil }
            do {
                return try GridSampler(space: space, continuousPoints: points, seed: seed)
            } catch {
                throw (options["points"] ?? node ?? ConfigNode.placeholder).error("the grid sampler: \(error.description)")
            }
        case .tpe:
            var c = TPESampler.Configuration()
            if let n = options["startup_trials"] { c.startupTrials = try n.int(atLeast: 0) }
            if let n = options["candidates"] { c.candidates = try n.int(atLeast: 1) }
            if let n = options["multivariate"] { c.multivariate = try n.bool() }
            if let n = options["group"] { c.group = try n.bool() }
            if let n = options["constant_liar"] { c.constantLiar = try n.bool() }
            if let n = options["prior_weight"] { c.priorWeight = try n.double(in: 0...1e6) }
            if let n = options["consider_endpoints"] { c.considerEndpoints = try n.bool() }
            return TPESampler(seed: seed, configuration: c)
        case .gp:
            var c = GPSampler.Configuration()
            if let n = options["startup_trials"] { c.startupTrials = try n.int(atLeast: 1) }
            if let n = options["candidates"] { c.candidates = try n.int(atLeast: 1) }
            let kappa = try options["kappa"]?.double(in: 0...1000) ?? 2
            if let n = options["acquisition"] {
                switch try n.string() {
                case "ei", "log_ei": c.acquisition = .logExpectedImprovement
                case "ucb": c.acquisition = .upperConfidenceBound(kappa: kappa)
                case let other: throw n.error("unknown acquisition '\(other)'; expected ei or ucb")
                }
            }
            return GPSampler(seed: seed, configuration: c)
        case .cmaes:
            var c = CMAESSampler.Configuration()
            if let n = options["sigma0"] { c.initialSigma = try n.double(in: 1e-6...1) }
            if let n = options["population"] { c.populationSize = try n.int(atLeast: 2) }
            if let n = options["restarts"] { c.restarts = try n.bool() }
            if let n = options["separable"] { c.separable = try n.bool() }
            if let n = options["margin"] { c.margin = try n.bool() }
            return CMAESSampler(seed: seed, configuration: c)
        case .ga, .nsga2:
            var c = NSGAIISampler.Configuration()
            if let n = options["population"] { c.populationSize = try n.int(atLeast: 2) }
            if let n = options["crossover_probability"] { c.crossoverProbability = try n.double(in: 0...1) }
            if let n = options["swapping_probability"] { c.swappingProbability = try n.double(in: 0...1) }
            if let n = options["mutation_probability"] { c.mutationProbability = try n.double(in: 0...1) }
            if let n = options["crossover"] {
                switch try n.string() {
                case "sbx": c.crossover = .simulatedBinary(eta: try options["eta_crossover"]?.double(in: 0...1000) ?? 20)
                case "blx": c.crossover = .blend(alpha: try options["alpha"]?.double(in: 0...10) ?? 0.5)
                case let other: throw n.error("unknown crossover '\(other)'; expected sbx or blx")
                }
            }
            if let n = options["mutation"] {
                switch try n.string() {
                case "polynomial": c.mutation = .polynomial(eta: try options["eta_mutation"]?.double(in: 0...1000) ?? 20)
                case "gaussian": c.mutation = .gaussian(sigma: try options["sigma"]?.double(in: 1e-9...10) ?? 0.1)
                case let other: throw n.error("unknown mutation '\(other)'; expected polynomial or gaussian")
                }
            }
            return NSGAIISampler(seed: seed, configuration: c)
        case .pbt:
            var c = PopulationBasedTraining.Configuration()
            if let n = options["population"] { c.populationSize = try n.int(atLeast: 2) }
            if let n = options["rounds"] { c.rounds = try n.int(atLeast: 1) }
            if let n = options["quantile"] { c.quantile = try n.double(in: 0.01...0.5) }
            if let n = options["resample_probability"] { c.resampleProbability = try n.double(in: 0...1) }
            if let n = options["keep_checkpoints"] { c.keepsEveryCheckpoint = try n.bool() }
            let root = try options["checkpoints"].map { n throws(ConfigError) in URL(fileURLWithPath: try n.string()) } ?? checkpointRoot
            guard let root else { return nil }
            return PopulationBasedTraining(checkpoints: root, seed: seed, configuration: c)
        }
    }

    /// The checkpoint directory a `pbt` sampler was given, relative paths from `directory`.
    public func checkpoints(relativeTo directory: String) throws(ConfigError) -> URL? {
        guard let node = options["checkpoints"] else { return nil }
        let path = try node.string()
        return path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: directory).appendingPathComponent(path)
    }
}

/// A pruner as a configuration names it: `pruner: median`, or a mapping with `name` and its
/// options.
public struct PrunerSpec: Sendable {
    public enum Name: String, CaseIterable, Sendable {
        case none, median, percentile, asha, hyperband

        var options: Set<String> {
            switch self {
            case .none: []
            case .median: ["startup_trials", "warmup_steps", "interval_steps", "min_trials"]
            case .percentile: ["percentile", "startup_trials", "warmup_steps", "interval_steps", "min_trials"]
            case .asha: ["min_resource", "reduction_factor", "min_early_stopping_rate"]
            case .hyperband: ["min_resource", "max_resource", "reduction_factor"]
            }
        }
    }

    public var name: Name
    var options: [String: ConfigNode] = [:]

    public init(name: Name) { self.name = name }

    static let aliases: [String: Name] = ["successive_halving": .asha, "nop": .none]

    public static func parse(_ node: ConfigNode) throws(ConfigError) -> PrunerSpec {
        let (nameNode, entries) = try namedMapping(node, what: "pruner")
        let text = try nameNode.string()
        guard let name = Name(rawValue: text) ?? aliases[text] else {
            let hint = ConfigError.suggestion(for: text, among: Name.allCases.map(\.rawValue)).map { " (did you mean '\($0)'?)" } ?? ""
            throw nameNode.error("unknown pruner '\(text)'\(hint); the pruners are \(Name.allCases.map(\.rawValue).joined(separator: ", ")) (successive_halving is asha)")
        }
        var spec = PrunerSpec(name: name)
        for entry in entries where entry.key != "name" {
            guard name.options.contains(entry.key) else {
                let hint = ConfigError.suggestion(for: entry.key, among: name.options).map { " (did you mean '\($0)'?)" } ?? ""
                throw entry.keyNode.error("unknown option of the \(name.rawValue) pruner\(hint); its options are \(name.options.sorted().joined(separator: ", "))")
            }
            spec.options[entry.key] = entry.value
        }
        if name == .percentile, spec.options["percentile"] == nil { throw node.error("the percentile pruner needs 'percentile' (0–100)") }
        _ = try spec.make(studyName: "")
        return spec
    }

    public func make(studyName: String) throws(ConfigError) -> any Pruner {
        switch name {
        case .none:
            return NoPruner()
        case .median, .percentile:
            let percentile = try options["percentile"]?.double(in: 0...100) ?? 50
            let startup = try options["startup_trials"]?.int(atLeast: 0) ?? 5
            let warmup = try options["warmup_steps"]?.int(atLeast: 0) ?? 0
            let interval = try options["interval_steps"]?.int(atLeast: 1) ?? 1
            let minimum = try options["min_trials"]?.int(atLeast: 1) ?? 1
            return PercentilePruner(percentile: percentile, startupTrials: startup, warmupSteps: warmup, intervalSteps: interval, minimumTrials: minimum)
        case .asha:
            return SuccessiveHalvingPruner(minimumResource: try options["min_resource"]?.int(atLeast: 1) ?? 1,
                                           reductionFactor: try options["reduction_factor"]?.int(atLeast: 2) ?? 4,
                                           minimumEarlyStoppingRate: try options["min_early_stopping_rate"]?.int(atLeast: 0) ?? 0)
        case .hyperband:
            let minimum = try options["min_resource"]?.int(atLeast: 1) ?? 1
            let maximum = try options["max_resource"]?.int(atLeast: 1) ?? 81
            guard maximum >= minimum else { throw (options["max_resource"] ?? options["min_resource"]!).error("max_resource (\(maximum)) must be at least min_resource (\(minimum))") }
            guard maximum / minimum <= 1 << 40 else { throw options["max_resource"]!.error("max_resource / min_resource must be at most 2^40") }
            return HyperbandPruner(minimumResource: minimum, maximumResource: maximum,
                                   reductionFactor: try options["reduction_factor"]?.int(atLeast: 2) ?? 3, studyName: studyName)
        }
    }
}

/// `name` or `{name: …, options…}`: the name's node and all entries.
func namedMapping(_ node: ConfigNode, what: String) throws(ConfigError) -> (ConfigNode, [ConfigNode.Entry]) {
    switch node.value {
    case .string: return (node, [])
    case let .mapping(entries):
        guard let name = entries.first(where: { $0.key == "name" }) else { throw node.error("the \(what) needs a 'name'") }
        return (name.value, entries)
    default:
        throw node.error("expected a \(what) name, or a mapping with 'name' and options, got \(node.kind)")
    }
}

extension ConfigNode {
    /// A node standing for no particular place (errors about the whole document).
    static let placeholder = ConfigNode(value: .null, line: 0, column: 0, path: [], file: "")
}
