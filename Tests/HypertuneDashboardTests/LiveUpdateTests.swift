import Foundation
import Hummingbird
import HummingbirdTesting
import Hypertune
@testable import HypertuneDashboard
import Testing

/// What the pages poll: the study's version, which changes with its trials and only then.
@Suite struct LiveUpdateTests {
    func version(_ client: some TestClientProtocol, _ name: String = "demo") async throws -> String {
        try await client.execute(uri: "/api/studies/" + encoded(name), method: .get) { r in
            try #require(r.json["version"] as? String)
        }
    }

    @Test func theVersionChangesWhenATrialIsAddedOrEnds() async throws {
        let storage = InMemoryStorage()
        let record = try await Fixtures.demo(storage)
        try await Fixtures.app(storage).test(.router) { client in
            let v0 = try await version(client)
            #expect(try await version(client) == v0)

            // A new running trial.
            let t = try await storage.startTrial(studyID: record.id, limit: nil, worker: nil)!
            let v1 = try await version(client)
            #expect(v1 != v0)
            // A heartbeat alone changes nothing the page shows.
            try await storage.heartbeat(trialID: t.id)
            #expect(try await version(client) == v1)
            // Its end does.
            try await storage.setParameter(trialID: t.id, name: "x", value: .double(0.5), distribution: .float(low: 1e-3, high: 10, log: true))
            try await storage.finishTrial(id: t.id, state: .complete, values: [0.001], failReason: nil)
            let v2 = try await version(client)
            #expect(v2 != v1)

            // And the rest of the API follows: the summary, the table and the charts.
            try await client.execute(uri: "/api/studies/demo", method: .get) { r in
                let study = try #require(r.json["study"] as? [String: Any])
                #expect(study["total"] as? Int == 21)
                #expect((study["best"] as? [String: Any])?["number"] as? Int == 20)
            }
            try await client.execute(uri: "/api/studies/demo/trials?sort=value&limit=1", method: .get) { r in
                #expect(r.json["version"] as? String == v2)
                #expect((r.json["trials"] as? [[String: Any]])?.first?["number"] as? Int == 20)
            }
            try await client.execute(uri: "/api/studies/demo/charts/history.svg", method: .get) { r in
                #expect(r.text.occurrences(of: "class=\"trial-point complete\"") == 13)
            }
        }
    }

    @Test func theVersionChangesWithReportsAndAttributes() async throws {
        let storage = InMemoryStorage()
        let record = try await Fixtures.demo(storage)
        let running = try await storage.trials(studyID: record.id, states: [.running]).first!
        try await Fixtures.app(storage).test(.router) { client in
            let v0 = try await version(client)
            try await storage.reportIntermediateValue(trialID: running.id, step: 0, value: 1)
            let v1 = try await version(client)
            #expect(v1 != v0)
            try await storage.setTrialAttribute(trialID: running.id, key: "epoch", value: .number(1), system: false)
            #expect(try await version(client) != v1)
        }
    }

    @Test func theVersionIsTheSameForTheSameTrials() async throws {
        let a = InMemoryStorage(), b = InMemoryStorage()
        _ = try await Fixtures.demo(a)
        _ = try await Fixtures.demo(b)
        let ra = try #require(await a.study(named: "demo"))
        let rb = try #require(await b.study(named: "demo"))
        let ta = try await a.trials(studyID: ra.id, states: nil)
        let tb = try await b.trials(studyID: rb.id, states: nil)
        // Same record, same trials (their times aside): the fingerprint sees the shown fields.
        let stripped = { (ts: [FrozenTrial]) in ts.map { t -> FrozenTrial in var t = t; t.finishedAt = nil; t.startedAt = nil; return t } }
        let record = StudyRecord(id: ra.id, name: ra.name, directions: ra.directions, userAttributes: ra.userAttributes, systemAttributes: ra.systemAttributes)
        #expect(Fingerprint.version(record, stripped(ta)) == Fingerprint.version(record, stripped(tb)))
        var changed = stripped(tb)
        changed[3].values = [42]
        #expect(Fingerprint.version(record, stripped(ta)) != Fingerprint.version(record, changed))
    }

    @Test func thePageCarriesItsVersionAndRefreshInterval() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        let dashboard = Dashboard(storage: storage, configuration: DashboardConfiguration(refreshInterval: 0.5))
        try await Application(router: dashboard.router()).test(.router) { client in
            let v = try await version(client)
            try await client.execute(uri: "/studies/demo", method: .get) { r in
                #expect(r.text.contains("data-version=\"\(v)\""))
                #expect(r.text.contains("data-refresh-ms=\"500\""))
                #expect(r.header("Cache-Control") == "no-store")
            }
        }
    }
}

/// What `Server-Timing` says a request did, and what preloading saves the first one.
@Suite struct ServerTimingTests {
    @Test func theFirstRequestBuildsTheSnapshotUnlessPreloaded() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        let cold = Fixtures.dashboard(storage)
        try await Application(router: cold.router()).test(.router) { client in
            let first = try await client.execute(uri: "/api/studies/demo", method: .get) { $0.header("Server-Timing") ?? "" }
            #expect(first.contains("read;dur="))
            #expect(first.contains("snapshot;dur="))
            #expect(first.contains("app;dur="))
            let second = try await client.execute(uri: "/api/studies/demo", method: .get) { $0.header("Server-Timing") ?? "" }
            #expect(!second.contains("snapshot;dur="))
        }
        let preloaded = Fixtures.dashboard(storage)
        await preloaded.preload()
        try await Application(router: preloaded.router()).test(.router) { client in
            let first = try await client.execute(uri: "/api/studies/demo", method: .get) { $0.header("Server-Timing") ?? "" }
            #expect(!first.contains("snapshot;dur="), "\(first)")
        }
    }

    @Test func theTablesOrderIsSortedOncePerVersion() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        try await Fixtures.app(storage).test(.router) { client in
            let first = try await client.execute(uri: "/api/studies/demo/trials?sort=value", method: .get) { $0.header("Server-Timing") ?? "" }
            let second = try await client.execute(uri: "/api/studies/demo/trials?sort=value&offset=10", method: .get) { $0.header("Server-Timing") ?? "" }
            #expect(first.contains("sort;dur="))
            #expect(!second.contains("sort;dur="))
        }
    }
}
