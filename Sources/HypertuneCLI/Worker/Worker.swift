import ArgumentParser
import Foundation
import Hypertune
import HypertunePostgres
import HypertuneSQLite

/// `hypertune worker`: one worker process of a shared study on a synthetic objective
/// (Hartmann-6, optionally slowed down), until the study holds its total of trials. Several of
/// them on one storage are what the multi-process tests and `bench storage` run; `hypertune run`
/// will do the same for a user's objective program.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join a study as one worker process and run Hartmann-6 trials until the study's total is reached.",
        shouldDisplay: false)

    @Option(help: "Storage URL: sqlite:///relative.db, sqlite:////absolute.db, postgresql://user:password@host:port/database or memory:.")
    var storage: String

    @Option(help: "Study name (created if missing).")
    var study: String

    @Option(help: "Trials the study holds when the workers stop.")
    var totalTrials: Int

    @Option(help: "Sampler: random or tpe.")
    var sampler: String = "random"

    @Option(help: "Sampler seed.")
    var seed: UInt64 = 0

    @Option(help: "Milliseconds each trial sleeps, standing for training time.")
    var sleepMs: Int = 0

    @Option(help: "Milliseconds between heartbeats.")
    var heartbeatMs: Int = 10_000

    @Option(help: "Milliseconds without a heartbeat after which a running trial is failed.")
    var graceMs: Int = 60_000

    func validate() throws {
        guard totalTrials > 0 else { throw ValidationError("--total-trials must be positive, got \(totalTrials)") }
        guard ["random", "tpe"].contains(sampler) else { throw ValidationError("--sampler must be random or tpe, got '\(sampler)'") }
        guard heartbeatMs > 0, graceMs > heartbeatMs else { throw ValidationError("--grace-ms must exceed --heartbeat-ms, and both be positive") }
        guard sleepMs >= 0 else { throw ValidationError("--sleep-ms must not be negative") }
    }

    func run() async throws {
        let storage = try await StorageURL.open(storage)
        // Each process draws its own stream: the seed and the process id.
        let seed = self.seed &+ UInt64(ProcessInfo.processInfo.processIdentifier)
        let sampler: any Sampler = self.sampler == "tpe" ? TPESampler(seed: seed) : RandomSampler(seed: seed)
        let faultTolerance = FaultTolerance(heartbeatInterval: .milliseconds(heartbeatMs), gracePeriod: .milliseconds(graceMs))
        let study = try await Study.create(name: study, storage: storage, sampler: sampler, faultTolerance: faultTolerance)
        let hartmann = SyntheticFunction.hartmann6, sleep = sleepMs
        try await study.optimize(totalTrials: totalTrials) { trial in
            var x: [String: ParameterValue] = [:]
            for (p, d) in hartmann.space { x[p] = try await trial.suggest(p, d) }
            if sleep > 0 { try await Task.sleep(for: .milliseconds(sleep)) }
            return hartmann(x)
        }
    }
}

/// Storage from a URL (ARCHITECTURE.md, "Contracts"): `sqlite:///relative.db`,
/// `sqlite:////absolute/path.db`, `postgresql://user:password@host:port/database`, `memory:`.
enum StorageURL {
    static func open(_ url: String) async throws -> any Storage {
        if url == "memory:" { return InMemoryStorage() }
        if url.hasPrefix("sqlite:") { return try SQLiteStorage(url: url) }
        if url.hasPrefix("postgresql:") || url.hasPrefix("postgres:") { return try await PostgresStorage(url: url) }
        throw CLIError("unsupported storage URL '\(url)': use sqlite:///relative.db, sqlite:////absolute/path.db, postgresql://user:password@host:port/database or memory:")
    }
}
