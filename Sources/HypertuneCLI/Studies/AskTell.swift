import ArgumentParser
import Foundation
import Hypertune
import HypertuneConfig

/// `hypertune ask`: starts a trial and prints its parameters as JSON, for loops driven from a
/// shell or another language (`hypertune tell` ends it).
struct Ask: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a trial and print its number and parameters as JSON.",
        discussion: """
            From a configuration file (its study, storage, sampler and space), or from --study and \
            --space (the search space as JSON, or @FILE). Prints {"study": …, "number": N, \
            "params": {…}}; end the trial with `hypertune tell STUDY --trial N --value X`. Trials \
            started this way have no heartbeat: a `hypertune run` worker of the same study fails \
            them once they are older than its grace period.
            """)

    @Argument(help: "A study configuration (YAML or JSON); or give --study and --space.")
    var config: String?

    @OptionGroup var storage: StorageOption

    @Option(help: "Study name (overrides the configuration's).")
    var study: String?

    @Option(help: ArgumentHelp("The search space as JSON, or @FILE (without a configuration).", valueName: "json"))
    var space: String?

    @Option(help: "Sampler without a configuration: random, tpe, sobol, gp, cmaes, ga, nsga2.")
    var sampler: String = "tpe"

    @Option(help: "Sampler seed.")
    var seed: UInt64?

    @Option(help: "Directions without a configuration: minimize or maximize, comma-separated for several objectives.")
    var direction: String = "minimize"

    func run() async throws {
        let (name, directions, space, spec, url) = try resolve()
        let storage = try await StorageURL.open(url)
        var samplerSpec = spec
        if let seed { samplerSpec.seed = seed }
        let sampler: any Sampler
        do {
            sampler = try samplerSpec.make(space: space, trials: nil, checkpointRoot: URL(fileURLWithPath: ".hypertune-checkpoints/\(name)"))
        } catch {
            throw CLIError(error.description)
        }
        let study = try await Study.create(name: name, storage: storage, directions: directions, sampler: sampler, loadIfExists: true,
                                           faultTolerance: .none)
        let trial = try await study.ask()
        let parameters = try await space.sample(trial)
        let output = JSONValue.object(["study": .string(name), "number": .number(Double(trial.number)),
                                       "params": .object(parameters.mapValues(\.json))])
        print(try StoredJSON.string(output))
    }

    func resolve() throws -> (String, [StudyDirection], SearchSpace, SamplerSpec, String) {
        if let config {
            let c: StudyConfig
            do { c = try StudyConfig.load(path: config) } catch { throw CLIError(error.description) }
            return (study ?? c.study, c.directions, c.space, c.sampler, storage.storage ?? c.storage)
        }
        guard let study, let space else { throw ValidationError("give a configuration file, or --study and --space") }
        var text = space
        if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read the search space file \(path)") }
            text = String(decoding: data, as: UTF8.self)
        }
        let parsed: SearchSpace
        do {
            parsed = try ConfigNode.parse(text, file: space.hasPrefix("@") ? String(space.dropFirst()) : "--space").decode(SearchSpace.self)
        } catch {
            throw CLIError(error.description)
        }
        var directions: [StudyDirection] = []
        for d in direction.split(separator: ",") {
            guard let parsedDirection = StudyDirection(rawValue: String(d)) else { throw ValidationError("--direction: expected minimize or maximize, got '\(d)'") }
            directions.append(parsedDirection)
        }
        let spec: SamplerSpec
        do {
            spec = try SamplerSpec.parse(ConfigNode.parse(sampler, file: "--sampler"))
        } catch {
            throw CLIError(error.description)
        }
        return (study, directions, parsed, spec, storage.url)
    }
}

/// `hypertune tell`: ends a running trial with its value(s), or as pruned or failed.
struct Tell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "End a running trial with its objective value(s), or as pruned or failed.")

    @Argument(help: "The study.")
    var study: String

    @OptionGroup var storage: StorageOption

    @Option(help: "The trial's number (from `hypertune ask`).")
    var trial: Int

    @Option(help: "Its objective value.")
    var value: Double?

    @Option(help: "Its objective values, comma-separated (several objectives).")
    var values: String?

    @Option(help: "End it as pruned or failed instead.")
    var state: String?

    @Option(help: "Why it failed (with --state failed).")
    var reason: String?

    @Option(help: ArgumentHelp("An intermediate value recorded first, STEP=VALUE (repeatable).", valueName: "step=value"))
    var report: [String] = []

    func validate() throws {
        let given = [value != nil, values != nil, state != nil].filter { $0 }.count
        guard given == 1 else { throw ValidationError("give exactly one of --value, --values and --state") }
        if let state, !["pruned", "failed"].contains(state) { throw ValidationError("--state must be pruned or failed, got '\(state)'") }
    }

    func run() async throws {
        let storage = try await self.storage.open()
        let record = try await storage.requireStudy(study, url: self.storage.url)
        guard let found = try await storage.trials(studyID: record.id, states: nil).first(where: { $0.number == trial }) else {
            throw CLIError("study '\(study)' has no trial \(trial)")
        }
        guard found.state == .running else { throw CLIError("trial \(trial) of '\(study)' is \(found.state.rawValue), not RUNNING: it was already told, or failed as stale") }
        for entry in report {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let step = Int(parts[0]), let x = Double(parts[1]) else { throw ValidationError("--report: expected STEP=VALUE, got '\(entry)'") }
            try await storage.reportIntermediateValue(trialID: found.id, step: step, value: x)
        }
        let finished: FrozenTrial
        if let state {
            finished = try await storage.finishTrial(id: found.id, state: state == "pruned" ? .pruned : .failed, values: nil, failReason: reason)
        } else {
            var given: [Double] = []
            if let value { given = [value] }
            if let values {
                for v in values.split(separator: ",") {
                    guard let x = Double(v.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--values: '\(v)' is not a number") }
                    given.append(x)
                }
            }
            if given.count != record.directions.count {
                finished = try await storage.finishTrial(id: found.id, state: .failed, values: nil,
                                                         failReason: "told \(given.count) values for \(record.directions.count) objectives")
            } else if let bad = given.first(where: { !$0.isFinite }) {
                finished = try await storage.finishTrial(id: found.id, state: .failed, values: nil, failReason: "the objective value is \(bad)")
            } else {
                finished = try await storage.finishTrial(id: found.id, state: .complete, values: given, failReason: nil)
            }
        }
        var output: [String: JSONValue] = ["study": .string(study), "number": .number(Double(finished.number)), "state": .string(finished.state.rawValue)]
        if let v = finished.values { output[v.count == 1 ? "value" : "values"] = v.count == 1 ? .number(v[0]) : .array(v.map(JSONValue.number)) }
        if let r = finished.failReason { output["fail_reason"] = .string(r) }
        print(try StoredJSON.string(JSONValue.object(output)))
    }
}
