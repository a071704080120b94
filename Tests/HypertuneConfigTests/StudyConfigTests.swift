import Foundation
import Hypertune
@testable import HypertuneConfig
import HypertuneRunner
import Testing

@Suite("Study configuration files")
struct StudyConfigTests {
    static let example = """
        study: svm-digits                  # name; created, or joined if it exists
        storage: sqlite:///hypertune.db    # default when omitted
        direction: minimize
        sampler: {name: tpe, seed: 7, startup_trials: 20}
        pruner: median
        trials: 100
        parallelism: 2
        trial_timeout: 10m
        timeout: 1h30m
        space:
          model:
            type: categorical
            choices:
              svm:
                C:      {type: float, low: 1e-3, high: 1.0e+3, log: true}
                gamma:  {type: float, low: 1.0e-4, high: 1.0, log: true}
                kernel: {type: categorical, choices: [rbf, poly]}
              forest:
                trees:  {type: int, low: 10, high: 500, log: true}
                depth:  {type: int, low: 2, high: 32}
          scale: {type: categorical, choices: [true, false]}
          seed: 0
        command: [python3, train.py, "--model={model}", "--C={C}", "--gamma={gamma}",
                  "--kernel={kernel}", "--trees={trees}", "--depth={depth}", "--scale={scale}"]
        env: {OMP_NUM_THREADS: 1}
        retries: 2
        """

    func parse(_ text: String) throws(ConfigError) -> StudyConfig {
        try StudyConfig.parse(text, file: "study.yaml", directory: "/tmp")
    }

    /// The error a text gives.
    func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("the architecture's example reads as written, YAML or JSON")
    func example() throws {
        let c = try parse(Self.example)
        #expect(c.study == "svm-digits" && c.storage == "sqlite:///hypertune.db" && c.directions == [.minimize])
        #expect(c.sampler.name == .tpe && c.sampler.seed == 7 && c.pruner.name == .median)
        #expect(c.trials == 100 && c.parallelism == 2 && c.trialTimeout == .seconds(600) && c.timeout == .seconds(5400))
        #expect(c.environment == ["OMP_NUM_THREADS": "1"] && c.faultTolerance.maxRetries == 2 && c.workingDirectory == "/tmp")
        #expect(c.space.allParameterNames == ["model", "C", "gamma", "kernel", "trees", "depth", "scale", "seed"])
        guard case let .choice(branches)? = c.space.parameters["model"] else { Issue.record("model is not conditional"); return }
        #expect(branches.map(\.value) == [.string("forest"), .string("svm")])
        #expect(c.space.parameters["C"] == nil && branches[1].subspace.parameters["C"] == .distribution(.float(low: 1e-3, high: 1e3, log: true)))
        #expect(c.space.parameters["scale"] == .distribution(.categorical([.bool(true), .bool(false)])))
        #expect(c.space.parameters["seed"] == .fixed(.int(0)))
        #expect(try c.command.arguments(for: ["model": "forest", "trees": 20, "depth": 3, "scale": true, "seed": 0])
            == ["python3", "train.py", "--model=forest", "--trees=20", "--depth=3", "--scale=true"])

        let json = """
            {"study": "j", "directions": ["minimize", "maximize"], "sampler": "nsga2", "trials": 5,
             "space": {"x": {"type": "float", "low": 0, "high": 1}, "k": ["a", "b"]},
             "command": ["./obj", "{x}", "{k}"]}
            """
        let j = try parse(json)
        #expect(j.directions == [.minimize, .maximize] && j.sampler.name == .nsga2 && j.space.parameters["k"] == .distribution(.categorical(["a", "b"])))
    }

    @Test("defaults: the SQLite store, minimize, TPE, no pruner, one trial at a time")
    func defaults() throws {
        let c = try parse("study: s\nspace: {x: {type: float, low: 0, high: 1}}\ncommand: [./run, '{x}']\n")
        #expect(c.storage == "sqlite:///hypertune.db" && c.directions == [.minimize] && c.sampler.name == .tpe && c.pruner.name == .none)
        #expect(c.parallelism == 1 && c.trials == nil && c.timeout == nil && c.faultTolerance == FaultTolerance())
    }

    @Test("errors name the file, line, column and key, with a suggestion for a misspelt key", arguments: [
        ("study: s\ntrails: 10\n", "study.yaml:2:1: trails: unknown key (did you mean 'trials'?)"),
        ("study: s\nspace:\n  lr: {type: float, low: abc, high: 1}\ncommand: [x]\n", "study.yaml:3:26: space.lr.low: expected a number, got 'abc'"),
        ("study: s\nspace:\n  lr: {type: float, low: '1e-5', high: 1}\ncommand: [x]\n", "study.yaml:3:26: space.lr.low: expected a number, got '1e-5'"),
        ("study: s\nspace:\n  lr:\n    type: float\n    low: 0\n    high: 1\n    lgo: true\ncommand: [x]\n",
         "study.yaml:7:5: space.lr.lgo: unknown field 'lgo' for a float parameter; expected high, log, low, step, type (did you mean 'log'?)"),
        ("study: s\nspace:\n  a: 1\n  lr: {type: float, low: 2, high: 1}\ncommand: [x]\n", "study.yaml:4:3: space.lr: parameter 'lr': low 2.0 is greater than high 1.0"),
        ("study: s\nspace: {lr: {type: float, low: 0, high: 1}}\ncommand: [./train, '--lr={lr}', '--depth={depht}']\n",
         "study.yaml:3:10: command: the command's placeholder '{depht}' names no parameter of the search space (parameters: lr)"),
        ("study: s\nspace: {}\ncommand: python3 train.py --lr=1\n",
         #"study.yaml:3:10: command: the command is a list of arguments, not a shell line (no shell runs it): write ["python3", "train.py", "--lr=1"]"#),
        ("study: s\nstudy: t\n", "study.yaml:2:1: study: 'study' is given twice (first on line 1)"),
        ("study: s\nspace: {x: [1, 2\n", "study.yaml:3:1: not valid YAML or JSON"),
        ("study: s\nsampler: tpee\nspace: {}\ncommand: [x]\n", "study.yaml:2:10: sampler: unknown sampler 'tpee' (did you mean 'tpe'?)"),
        ("study: s\nsampler: {name: tpe, candidats: 4}\nspace: {}\ncommand: [x]\n", "study.yaml:2:22: sampler.candidats: unknown option of the tpe sampler (did you mean 'candidates'?)"),
        ("study: s\npruner: {name: percentile, percentile: 140}\nspace: {}\ncommand: [x]\n", "study.yaml:2:40: pruner.percentile: must be in [0.0, 100.0], got 140.0"),
        ("study: s\ntrial_timeout: 10 minutes\nspace: {}\ncommand: [x]\n", "study.yaml:2:16: trial_timeout: expected a duration such as 90s, 10m, 1h30m or 500ms, got '10 minutes'"),
        ("study: s\nparallelism: 0\nspace: {}\ncommand: [x]\n", "study.yaml:2:14: parallelism: must be at least 1, got 0"),
        ("study: s\ndirection: minimise\nspace: {}\ncommand: [x]\n", "study.yaml:2:12: direction: expected minimize or maximize, got 'minimise'"),
        ("study: s\nspace: {}\n", "study.yaml:1:1: missing 'command'"),
        ("study: s\nsampler: lhs\nspace: {}\ncommand: [x]\n", "study.yaml:2:10: sampler: the lhs sampler lays out 'trials' trials: give 'trials'"),
        ("study: s\nsampler: grid\nspace: {x: {type: float, low: 0, high: 1}}\ncommand: [x]\n", "study.yaml:2:10: sampler: the grid sampler: parameter 'x': a continuous float has no grid"),
        ("study: s\ndirections: [minimize, maximize]\nspace: {}\ncommand: [x]\n", "study.yaml:1:1: a study with 2 objectives needs a sampler for several objectives"),
        ("- a\n- b\n", "study.yaml:1:1: expected a mapping of keys to values, got a list"),
    ])
    func errors(_ text: String, _ expected: String) throws {
        let e = try #require(error(text), "no error for \(text)")
        #expect(e.description.hasPrefix(expected), "\(e.description)")
    }

    @Test("YAML 1.2 scalars: exponents without a dot are numbers, quoted values are strings, .inf is infinite")
    func scalars() throws {
        let node = try ConfigNode.parse("a: 1e-5\nb: '3'\nc: .inf\nd: 0x1F\ne: yes\nf: ~\ng: -.5\nh: 12\n", file: "x")
        let values = Dictionary(uniqueKeysWithValues: try node.mapping().map { ($0.key, $0.value.value) })
        guard case .double(1e-5)? = values["a"], case .string("3")? = values["b"], case .double(.infinity)? = values["c"],
              case .int(31)? = values["d"], case .string("yes")? = values["e"], case .null? = values["f"], case .double(-0.5)? = values["g"],
              case .int(12)? = values["h"] else {
            Issue.record("\(values)")
            return
        }
    }

    @Test("durations: sums of units, or seconds")
    func durations() {
        #expect(ConfigNode.parseDuration("1h30m") == .seconds(5400))
        #expect(ConfigNode.parseDuration("500ms") == .milliseconds(500))
        #expect(ConfigNode.parseDuration("1.5h") == .seconds(5400))
        #expect(ConfigNode.parseDuration("2d") == .seconds(172_800))
        #expect(ConfigNode.parseDuration("10 m") == .seconds(600))
        for bad in ["", "10", "m", "10x", "1h 30", "-5s", "0s"] { #expect(ConfigNode.parseDuration(bad) == nil, "\(bad)") }
    }

    @Test("every sampler and pruner is made from its name, with options checked")
    func samplersAndPruners() throws {
        for name in SamplerSpec.Name.allCases {
            let text = "study: s\nsampler: \(name.rawValue)\ntrials: 12\nspace: {x: {type: int, low: 0, high: 3}}\ncommand: [x]\n"
            let c = try parse(text)
            _ = try c.sampler.make(space: c.space, trials: c.trials, checkpointRoot: URL(fileURLWithPath: "/tmp/ckpt"))
        }
        for name in PrunerSpec.Name.allCases where name != .percentile {
            let c = try parse("study: s\npruner: \(name.rawValue)\nspace: {}\ncommand: [x]\n")
            _ = try c.pruner.make(studyName: "s")
        }
        let c = try parse("study: s\nsampler: {name: cmaes, sigma0: 0.2, separable: true}\npruner: {name: hyperband, max_resource: 27}\nspace: {}\ncommand: [x]\n")
        #expect(c.sampler.name == .cmaes && c.pruner.name == .hyperband)
        #expect(error("study: s\npruner: {name: hyperband, min_resource: 9, max_resource: 3}\nspace: {}\ncommand: [x]\n")?.message.contains("must be at least min_resource") == true)
    }

    @Test("a missing file is named")
    func missingFile() {
        #expect(throws: ConfigError.self) { try StudyConfig.load(path: "/nonexistent/study.yaml") }
        do {
            _ = try StudyConfig.load(path: "/nonexistent/study.yaml")
        } catch {
            #expect(error.description == "/nonexistent/study.yaml: no such file")
        }
    }
}
