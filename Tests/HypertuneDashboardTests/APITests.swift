import Foundation
import Hummingbird
import HummingbirdTesting
import Hypertune
@testable import HypertuneDashboard
import Testing

/// The JSON API, through the router without a socket.
@Suite struct APITests {
    @Test func studyListHasEverySummaryField() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        _ = try await Fixtures.demo(storage, name: "second")
        try await Fixtures.app(storage).test(.router) { client in
            try await client.execute(uri: "/api/studies", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.header("Content-Type") == "application/json; charset=utf-8")
                let studies = try #require(r.json["studies"] as? [[String: Any]])
                #expect(studies.map { $0["name"] as? String } == ["demo", "second"])
                let demo = studies[0]
                #expect(demo["directions"] as? [String] == ["minimize"])
                #expect(demo["sampler"] as? String == "TPESampler")
                #expect(demo["pruner"] as? String == "MedianPruner")
                #expect(demo["total"] as? Int == 20)
                let counts = try #require(demo["counts"] as? [String: Int])
                #expect(counts == ["COMPLETE": 12, "PRUNED": 4, "FAILED": 3, "RUNNING": 1, "WAITING": 0])
                let best = try #require(demo["best"] as? [String: Any])
                let bestNumber = (0..<12).min { Fixtures.demoValue($0) < Fixtures.demoValue($1) }!
                #expect(best["number"] as? Int == bestNumber)
                #expect((best["value"] as? Double).map { abs($0 - Fixtures.demoValue(bestNumber)) < 1e-12 } == true)
                #expect(demo["last_activity"] is String)
                #expect(demo["url"] as? String == "/studies/demo")
                #expect(demo["hypergradient"] as? Bool == false)
                #expect((demo["version"] as? String)?.count == 16)
            }
        }
    }

    @Test func studyDetailHasParametersChartsAndVersion() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        _ = try await Fixtures.hypergradient(storage)
        try await Fixtures.app(storage).test(.router) { client in
            try await client.execute(uri: "/api/studies/demo", method: .get) { r in
                #expect(r.status == .ok)
                let json = r.json
                let study = try #require(json["study"] as? [String: Any])
                #expect(study["name"] as? String == "demo")
                #expect(json["hypergradient"] as? Bool == false)
                #expect((json["version"] as? String) == (study["version"] as? String))
                let parameters = try #require(json["parameters"] as? [[String: Any]])
                #expect(parameters.map { $0["name"] as? String } == ["kind", "n", "x"])
                #expect(parameters.map { $0["type"] as? String } == ["categorical", "int", "float"])
                #expect(parameters.map { $0["log"] as? Bool } == [false, false, true])
                #expect(parameters.map { $0["numeric"] as? Bool } == [false, true, true])
                #expect(json["charts"] as? [String] == ["history", "intermediate", "parallel-coordinates", "importance", "contour", "slice"])
                #expect(r.header("ETag") != nil)
            }
            try await client.execute(uri: "/api/studies/hg-run", method: .get) { r in
                let json = r.json
                #expect(json["hypergradient"] as? Bool == true)
                #expect(json["charts"] as? [String] == ["hypergradient", "history"])
            }
        }
    }

    @Test func studyDetailAnswersNotModifiedForItsETag() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        try await Fixtures.app(storage).test(.router) { client in
            let etag = try await client.execute(uri: "/api/studies/demo", method: .get) { $0.header("ETag") }
            let tag = try #require(etag)
            try await client.execute(uri: "/api/studies/demo", method: .get, headers: [.ifNoneMatch: tag]) { r in
                #expect(r.status == .notModified)
                #expect(r.body.readableBytes == 0)
            }
            try await client.execute(uri: "/api/studies/demo", method: .get, headers: [.ifNoneMatch: "\"other\""]) { r in
                #expect(r.status == .ok)
            }
        }
    }

    @Test func unknownStudyIsA404JSONError() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        try await Fixtures.app(storage).test(.router) { client in
            for uri in ["/api/studies/nope", "/api/studies/nope/trials", "/api/studies/nope/trials/0", "/api/studies/nope/charts/history.svg"] {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .notFound, "\(uri)")
                    #expect(r.header("Content-Type") == "application/json; charset=utf-8")
                    #expect(r.json["error"] as? String == "no study named 'nope'")
                }
            }
            try await client.execute(uri: "/api/studies/demo/trials/99", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(r.json["error"] as? String == "study 'demo' has no trial 99")
            }
            try await client.execute(uri: "/api/nothing", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(r.json["error"] as? String != nil)
            }
            try await client.execute(uri: "/studies/nope", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(r.header("Content-Type") == "text/html; charset=utf-8")
                #expect(r.text.contains("no study named &#39;nope&#39;"))
            }
        }
    }

    /// Trial numbers of a page of `/trials`.
    func numbers(_ client: some TestClientProtocol, _ query: String) async throws -> (numbers: [Int], json: [String: Any]) {
        try await client.execute(uri: "/api/studies/demo/trials?" + query, method: .get) { r in
            guard r.status == .ok else { throw TestFailure("\(query): \(r.status) \(r.text)") }
            let json = r.json
            let trials = try #require(json["trials"] as? [[String: Any]])
            return (trials.compactMap { $0["number"] as? Int }, json)
        }
    }

    @Test func trialsArePaginated() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        try await Fixtures.app(storage).test(.router) { client in
            let first = try await numbers(client, "offset=0&limit=7")
            #expect(first.numbers == Array(0..<7))
            #expect(first.json["total"] as? Int == 20)
            #expect(first.json["count"] as? Int == 20)
            #expect(first.json["offset"] as? Int == 0)
            #expect(first.json["limit"] as? Int == 7)
            #expect(first.json["sort"] as? String == "number")
            #expect(first.json["order"] as? String == "asc")
            #expect(first.json["states"] is NSNull)
            #expect(try await numbers(client, "offset=7&limit=7").numbers == Array(7..<14))
            #expect(try await numbers(client, "offset=14&limit=7").numbers == Array(14..<20))
            #expect(try await numbers(client, "offset=100").numbers == [])
            #expect(try await numbers(client, "").numbers == Array(0..<20))
            // Each trial is the JSON contract of `hypertune trials --format json`.
            let trial = try await client.execute(uri: "/api/studies/demo/trials?offset=16&limit=1", method: .get) { try #require($0.json["trials"] as? [[String: Any]]).first! }
            for key in ["number", "state", "params", "value", "intermediate", "user_attrs", "system_attrs", "fail_reason", "datetime_start", "datetime_complete", "duration", "distributions"] {
                #expect(trial.keys.contains(key), "missing \(key)")
            }
            #expect(trial["state"] as? String == "FAILED")
            #expect(trial["fail_reason"] as? String == "exit status 1: ValueError: trial 16")
        }
    }

    @Test func trialsSortByValueNumberDurationAndParameter() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        try await Fixtures.app(storage).test(.router) { client in
            let byValue = try await numbers(client, "sort=value")
            let expected = (0..<12).sorted { (Fixtures.demoValue($0), $0) < (Fixtures.demoValue($1), $1) }
            // Complete trials best first (minimize: ascending), then the others by number.
            #expect(byValue.numbers == expected + Array(12..<20))
            #expect(byValue.json["order"] as? String == "asc")
            let descending = try await numbers(client, "sort=value&order=desc")
            #expect(descending.numbers == expected.reversed() + Array(12..<20))  // no ties: the values are distinct
            #expect(try await numbers(client, "sort=number&order=desc").numbers == Array((0..<20).reversed()))

            // Durations ascending; the running trial (no duration) last.
            let byDuration = try await numbers(client, "sort=duration&limit=20")
            let trials = try #require(byDuration.json["trials"] as? [[String: Any]])
            let durations = trials.map { $0["duration"] as? Double }
            #expect(durations.last! == nil)
            let known = durations.compactMap { $0 }
            #expect(known.count == 19)
            #expect(known == known.sorted())
            #expect(byDuration.numbers.last == 19)

            let byParameter = try await numbers(client, "sort=param:n&order=desc")
            let n = try #require(byParameter.json["trials"] as? [[String: Any]]).map { ($0["params"] as! [String: Any])["n"] as! Int }
            #expect(n == n.sorted(by: >))
            let byState = try await numbers(client, "sort=state")
            #expect(byState.numbers.prefix(12) == ArraySlice(0..<12))  // COMPLETE < FAILED < PRUNED < RUNNING
        }
    }

    @Test func trialsFilterByState() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        try await Fixtures.app(storage).test(.router) { client in
            let pruned = try await numbers(client, "state=PRUNED")
            #expect(pruned.numbers == Array(12..<16))
            #expect(pruned.json["count"] as? Int == 4)
            #expect(pruned.json["total"] as? Int == 20)
            #expect(pruned.json["states"] as? [String] == ["PRUNED"])
            #expect(try await numbers(client, "state=failed,running").numbers == [16, 17, 18, 19])
            #expect(try await numbers(client, "state=COMPLETE&state=FAILED&sort=value&limit=3").numbers
                == Array((0..<12).sorted { (Fixtures.demoValue($0), $0) < (Fixtures.demoValue($1), $1) }.prefix(3)))
            #expect(try await numbers(client, "state=WAITING").numbers == [])
        }
    }

    @Test func badQueryValuesAre400WithAMessage() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        let cases: [(String, String)] = [
            ("/api/studies/demo/trials?limit=0", "limit must be an integer in 1…1000, got '0'"),
            ("/api/studies/demo/trials?limit=abc", "limit must be an integer in 1…1000, got 'abc'"),
            ("/api/studies/demo/trials?offset=-1", "offset must be an integer ≥ 0, got '-1'"),
            ("/api/studies/demo/trials?state=DONE", "unknown state 'DONE'"),
            ("/api/studies/demo/trials?sort=colour", "unknown sort 'colour'"),
            ("/api/studies/demo/trials?sort=value&order=up", "unknown order 'up'"),
            ("/api/studies/demo/trials?sort=value:1", "sort=value:1: the study has 1 objective"),
            ("/api/studies/demo/trials?page=2", "unknown query parameter 'page'"),
            ("/api/studies/demo/trials/x", "trial number must be an integer ≥ 0, got 'x'"),
            ("/api/studies/demo/charts/pie.svg", "unknown chart 'pie'"),
            ("/api/studies/demo/charts/history.svg?width=10", "width must be a number in 240…4000, got '10'"),
            ("/api/studies/demo/charts/history.svg?log_y=maybe", "log_y must be true, false or auto, got 'maybe'"),
            ("/api/studies/demo/charts/contour.svg?x=x", "give both x and y"),
            ("/api/studies/demo/charts/slice.svg?params=nope", "unknown parameter 'nope'"),
            ("/api/studies/demo/charts/history.svg?objective=3", "objective"),
        ]
        try await Fixtures.app(storage).test(.router) { client in
            for (uri, message) in cases {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .badRequest, "\(uri): \(r.status)")
                    let error = r.json["error"] as? String ?? ""
                    #expect(error.contains(message), "\(uri): \(error)")
                }
            }
        }
    }

    @Test func trialDetailIsTheTrialJSON() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        try await Fixtures.app(storage).test(.router) { client in
            try await client.execute(uri: "/api/studies/demo/trials/17", method: .get) { r in
                let t = r.json
                #expect(t["number"] as? Int == 17)
                #expect(t["state"] as? String == "FAILED")
                #expect(t["value"] is NSNull)
                #expect((t["system_attrs"] as? [String: Any])?["stderr_tail"] as? String == "Traceback\nValueError: trial 17")
                #expect(t["fail_reason"] as? String == "exit status 1: ValueError: trial 17")
                let params = try #require(t["params"] as? [String: Any])
                #expect(params["kind"] as? String == "b")
                #expect(params["n"] as? Int == 8)
                let distributions = try #require(t["distributions"] as? [String: [String: Any]])
                #expect(distributions["x"]?["log"] as? Bool == true)
            }
            try await client.execute(uri: "/api/studies/demo/trials/3", method: .get) { r in
                let t = r.json
                #expect((t["value"] as? Double).map { abs($0 - Fixtures.demoValue(3)) < 1e-12 } == true)
                #expect((t["intermediate"] as? [String: Any])?.count == 5)
            }
        }
    }

    @Test func chartsAreSVGWithAPointPerTrial() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        _ = try await Fixtures.hypergradient(storage)
        try await Fixtures.app(storage).test(.router) { client in
            func svg(_ uri: String) async throws -> String {
                try await client.execute(uri: uri, method: .get) { r in
                    guard r.status == .ok else { throw TestFailure("\(uri): \(r.status) \(r.text)") }
                    #expect(r.header("Content-Type") == "image/svg+xml; charset=utf-8")
                    #expect(r.text.contains("<svg"))
                    return r.text
                }
            }
            let history = try await svg("/api/studies/demo/charts/history.svg")
            #expect(history.occurrences(of: "class=\"trial-point complete\"") == 12)
            #expect(history.occurrences(of: "class=\"trial-point pruned\"") == 4)
            #expect(history.contains("data-chart=\"history\""))
            let noPruned = try await svg("/api/studies/demo/charts/history.svg?show_pruned=false")
            #expect(noPruned.occurrences(of: "class=\"trial-point pruned\"") == 0)
            let parallel = try await svg("/api/studies/demo/charts/parallel-coordinates.svg")
            #expect(parallel.occurrences(of: "class=\"trial-line\"") == 12)
            let slice = try await svg("/api/studies/demo/charts/slice.svg")
            #expect(slice.occurrences(of: "class=\"trial-point\"") == 36)  // 12 trials × 3 parameters
            let oneSlice = try await svg("/api/studies/demo/charts/slice.svg?params=x")
            #expect(oneSlice.occurrences(of: "class=\"trial-point\"") == 12)
            let contour = try await svg("/api/studies/demo/charts/contour.svg?x=x&y=n")
            #expect(contour.occurrences(of: "class=\"trial-point\"") == 12)
            let intermediate = try await svg("/api/studies/demo/charts/intermediate.svg")
            #expect(intermediate.occurrences(of: "class=\"trial-line complete\"") == 12)
            #expect(intermediate.occurrences(of: "class=\"trial-line pruned\"") == 4)
            let subsample = try await svg("/api/studies/demo/charts/history.svg?max_points=5")
            #expect(subsample.occurrences(of: "class=\"trial-point") == 5)
            _ = try await svg("/api/studies/demo/charts/importance.svg")
            let hg = try await svg("/api/studies/hg-run/charts/hypergradient.svg")
            #expect(hg.contains("data-chart=\"hypergradient\""))
            #expect(hg.occurrences(of: "data-trial=") >= 6)
        }
    }

    @Test func aChartThatCannotBeDrawnIsA4xxWithTheChartsMessage() async throws {
        let storage = InMemoryStorage()
        _ = try await storage.createStudy(name: "empty", directions: [.minimize], loadIfExists: false)
        _ = try await Fixtures.demo(storage)
        try await Fixtures.app(storage).test(.router) { client in
            try await client.execute(uri: "/api/studies/empty/charts/history.svg", method: .get) { r in
                #expect(r.status == .unprocessableContent)
                let json = r.json
                #expect(json["error"] as? String == "no complete trials yet (no trials)")
                #expect(json["code"] as? String == "noCompleteTrials")
            }
            try await client.execute(uri: "/api/studies/demo/charts/hypergradient.svg", method: .get) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.json["code"] as? String == "noHypergradientTrials")
            }
            try await client.execute(uri: "/api/studies/demo/charts/contour.svg?x=kind&y=n", method: .get) { r in
                #expect(r.status == .unprocessableContent)
                #expect((r.json["error"] as? String)?.contains("'kind' is categorical") == true)
            }
        }
    }

    @Test func chartsAreCachedPerVersion() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        try await Fixtures.app(storage).test(.router) { client in
            let first = try await client.execute(uri: "/api/studies/demo/charts/history.svg", method: .get) { $0.header("Server-Timing") ?? "" }
            let second = try await client.execute(uri: "/api/studies/demo/charts/history.svg", method: .get) { $0.header("Server-Timing") ?? "" }
            #expect(first.contains("desc=\"rendered\""))
            #expect(second.contains("desc=\"cached\""))
            let etag = try await client.execute(uri: "/api/studies/demo/charts/history.svg", method: .get) { $0.header("ETag") }
            try await client.execute(uri: "/api/studies/demo/charts/history.svg", method: .get, headers: [.ifNoneMatch: etag!]) { r in
                #expect(r.status == .notModified)
            }
        }
    }

    @Test func studyNamesWithSlashesAndSpacesArePercentEncoded() async throws {
        let storage = InMemoryStorage()
        let name = "team/a b?c#d%e"
        _ = try await Fixtures.demo(storage, name: name)
        #expect(encoded(name) == "team%2Fa%20b%3Fc%23d%25e")
        try await Fixtures.app(storage).test(.router) { client in
            try await client.execute(uri: "/api/studies/" + encoded(name), method: .get) { r in
                #expect(r.status == .ok)
                #expect(((r.json["study"]) as? [String: Any])?["url"] as? String == "/studies/team%2Fa%20b%3Fc%23d%25e")
            }
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.text.contains("href=\"/studies/team%2Fa%20b%3Fc%23d%25e\""))
            }
            try await client.execute(uri: "/studies/" + encoded(name), method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.text.contains("data-api=\"/api/studies/team%2Fa%20b%3Fc%23d%25e\""))
            }
        }
    }
}
