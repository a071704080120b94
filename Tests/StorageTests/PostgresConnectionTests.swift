import Foundation
import Hypertune
import HypertunePostgres
import Logging
import PostgresNIO
import Testing

@Suite("PostgreSQL: lost connections")
struct PostgresConnectionTests {
    /// Terminates every other connection to the database `url` names, as a server restart or a
    /// network cut would.
    static func killConnections(_ url: String) async throws {
        let components = try #require(URLComponents(string: url))
        let client = PostgresClient(configuration: .init(host: components.host!, port: components.port ?? 5432, username: components.user ?? "postgres",
                                                         password: components.password, database: String(components.path.dropFirst()), tls: .disable))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            group.cancelAll()
        }
    }

    @Test("connections killed under a running study: no completed trial is lost, and the study goes on to its total", .enabled(if: Backend.postgresURL != nil))
    func killedConnections() async throws {
        let url = try await Backend.freshPostgresDatabase()
        let storage = try await PostgresStorage(url: url)
        let study = try await Study.create(name: "s", storage: storage, sampler: RandomSampler(seed: 3))
        do {
            try await study.optimize(totalTrials: 40) { trial in
                let x = try await trial.suggestFloat("x", 0, 1)
                if trial.number == 15 { try await Self.killConnections(url) }
                return x * x
            }
        } catch {
            // The operation in flight when the connections died may fail the run: the caller
            // sees a storage error and runs it again.
        }
        // The pool reconnects: what was completed is there, and the study resumes to its total.
        let completedBefore = try await study.trials(states: [.complete])
        #expect(completedBefore.count >= 15)
        let resumed = try await Study.create(name: "s", storage: try await PostgresStorage(url: url), sampler: RandomSampler(seed: 4),
                                             faultTolerance: FaultTolerance(heartbeatInterval: .milliseconds(50), gracePeriod: .milliseconds(300)))
        try await Task.sleep(for: .milliseconds(400))
        try await resumed.optimize(totalTrials: 40) { trial in try await trial.suggestFloat("x", 0, 1) }
        let trials = try await resumed.trials()
        #expect(trials.count == 40)
        let ids = Set(trials.filter { $0.state == .complete }.map(\.id))
        #expect(completedBefore.allSatisfy { ids.contains($0.id) }, "a completed trial was lost")
        #expect(trials.allSatisfy { $0.state == .complete || $0.state == .failed }, "\(trials.map(\.state))")
    }
}
