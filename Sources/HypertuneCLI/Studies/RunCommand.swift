import ArgumentParser
import Foundation
import Hypertune
import HypertuneConfig
import HypertuneRunner

/// `hypertune run CONFIG`: creates or joins the study a configuration file describes and runs its
/// objective program on trials until the study holds its total (counting every worker), the time
/// budget is spent, or the run is interrupted. Several `run` processes with the same
/// configuration — on one machine or many, sharing the store — share the study.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tune a program: run the study a configuration file (YAML or JSON) describes.",
        discussion: """
            The objective program gets each trial's parameters through its command line ({name} \
            placeholders; no shell is involved) and as JSON in HYPERTUNE_PARAMS, and prints \
            {"step": k, "value": v} lines as it goes (for pruning) and {"value": v} (or a bare \
            number) last. Ctrl-C stops cleanly: running trials are recorded as FAILED, and running \
            the same command again continues the study.
            """)

    @Argument(help: "The study configuration (YAML or JSON).")
    var config: String

    @Option(help: ArgumentHelp("Storage URL, overriding the configuration's 'storage'.", valueName: "url"))
    var storage: String?

    @Option(help: "Study name, overriding the configuration's 'study'.")
    var study: String?

    @Option(help: "The study's total of trials (all workers together), overriding 'trials'.")
    var trials: Int?

    @Option(help: ArgumentHelp("Stop starting trials after this long (90s, 10m, 2h), overriding 'timeout'.", valueName: "duration"))
    var timeout: String?

    @Option(help: "Trials at once in this process, overriding 'parallelism'.")
    var parallelism: Int?

    @Option(help: ArgumentHelp("Stop a trial's program after this long, overriding 'trial_timeout'.", valueName: "duration"))
    var trialTimeout: String?

    @Option(help: "Sampler seed, overriding the configuration's.")
    var seed: UInt64?

    @Flag(help: "Print a line per finished trial even on a terminal (no live progress line).")
    var plain = false

    func validate() throws {
        if let trials, trials < 1 { throw ValidationError("--trials must be at least 1, got \(trials)") }
        if let parallelism, parallelism < 1 { throw ValidationError("--parallelism must be at least 1, got \(parallelism)") }
        for (flag, text) in [("--timeout", timeout), ("--trial-timeout", trialTimeout)] {
            if let text, ConfigNode.parseDuration(text) == nil { throw ValidationError("\(flag): expected a duration such as 90s, 10m or 1h30m, got '\(text)'") }
        }
    }

    /// The configuration with the command line's overrides.
    func loadConfiguration() throws -> StudyConfig {
        var c: StudyConfig
        do {
            c = try StudyConfig.load(path: config)
        } catch {
            throw CLIError(error.description)
        }
        if let storage { c.storage = storage }
        if let study { c.study = study }
        if let trials { c.trials = trials }
        if let parallelism { c.parallelism = parallelism }
        if let timeout { c.timeout = ConfigNode.parseDuration(timeout) }
        if let trialTimeout { c.trialTimeout = ConfigNode.parseDuration(trialTimeout) }
        if let seed { c.sampler.seed = seed }
        return c
    }

    func run() async throws {
        let c = try loadConfiguration()
        let program = c.program
        // A program that cannot start is reported before any trial is made.
        if let fixed = c.command.program {
            do { _ = try program.resolveProgram(fixed) } catch { throw CLIError("\(c.file): \(error)") }
        }
        let storage = try await StorageURL.open(c.storage)
        let checkpoints = try c.sampler.checkpoints(relativeTo: c.workingDirectory)
            ?? URL(fileURLWithPath: c.workingDirectory).appendingPathComponent(".hypertune-checkpoints").appendingPathComponent(c.study)
        let sampler: any Sampler, pruner: any Pruner
        do {
            sampler = try c.sampler.make(space: c.space, trials: c.trials, checkpointRoot: checkpoints)
            pruner = try c.pruner.make(studyName: c.study)
        } catch {
            throw CLIError(error.description)
        }
        let study: Study
        do {
            study = try await Study.create(name: c.study, storage: storage, directions: c.directions, sampler: sampler, pruner: pruner,
                                           loadIfExists: true, faultTolerance: c.faultTolerance)
        } catch let error as StorageError where error.kind == .studyExists {
            throw CLIError("\(error.description) (\(c.file) asks for \(c.directions.map(\.rawValue).joined(separator: ", ")))")
        }
        let progress = ProgressLine(study: study, total: c.trials, timeout: c.timeout, terminal: !plain && isTerminal(STDERR_FILENO))
        let interrupts = InterruptHandler { name in
            FileHandle.standardError.write(Data("\n\(name): stopping — no new trials; running programs are being stopped (again to quit at once)\n".utf8))
        }
        await progress.begin()
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                await progress.tick()
            }
        }
        let space = c.space, objectives = c.directions.count, name = c.study
        let pbt = sampler as? PopulationBasedTraining
        let stop = interrupts.stop
        do {
            try await study.optimize(
                totalTrials: c.trials, timeout: c.timeout, parallelism: c.parallelism, shouldStop: { stop.isStopped },
                onTrialFinished: { trial in Task { await progress.trialFinished(trial) } }
            ) { trial in
                _ = try await space.sample(trial)
                let environment = try await pbt?.checkpoint(for: trial).environment ?? [:]
                let outcome = await program.run(trial: trial, studyName: name, objectives: objectives, extraEnvironment: environment, stop: stop)
                switch outcome.result {
                case let .complete(values): return values
                case .pruned: throw TrialPruned()
                case let .failed(reason):
                    if !outcome.stderrTail.isEmpty {
                        try await study.storage.setTrialAttribute(trialID: trial.id, key: "stderr_tail", value: .string(outcome.stderrTail), system: true)
                    }
                    throw ObjectiveFailure(reason)
                }
            }
        } catch {
            ticker.cancel()
            await progress.end()
            throw error
        }
        ticker.cancel()
        try? await Task.sleep(for: .milliseconds(50))
        await progress.tick()
        await progress.end()
        try await printSummary(study)
        if interrupts.interrupted {
            FileHandle.standardError.write(Data("interrupted (\(interrupts.signalName ?? "signal")): run `hypertune run \(config)` again to continue the study\n".utf8))
            throw ExitCode(130)
        }
    }

    /// The study's counts and its best trial(s), on standard output.
    func printSummary(_ study: Study) async throws {
        let trials = try await study.trials()
        let counts = Dictionary(grouping: trials, by: \.state).mapValues(\.count)
        let states: [TrialState] = [.complete, .pruned, .failed, .running, .waiting]
        let breakdown = states.compactMap { s in counts[s].map { "\($0) \(s.rawValue.lowercased())" } }.joined(separator: ", ")
        print("study '\(study.name)': \(trials.count) trials (\(breakdown.isEmpty ? "none" : breakdown))")
        if study.directions.count == 1 {
            if let best = try await study.bestTrial(), let value = best.value {
                print("best trial \(best.number): value \(Format.value(value)) — \(Format.parameters(best.parameters))")
            }
        } else {
            let front = try await study.bestTrials()
            print("Pareto front: \(front.count) trial\(front.count == 1 ? "" : "s")")
            for t in front.prefix(10) { print("  trial \(t.number): values \(Format.values(t.values ?? [])) — \(Format.parameters(t.parameters))") }
        }
    }
}
