import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Hypertune
@testable import HypertuneDashboard
import Testing

/// Studies written through `Storage` directly, with known values and every kind of trial.
enum Fixtures {
    static let hostileStudy = #"<script>alert(1)</script>"><img src=x onerror=alert(1)> & 'q'"#
    static let hostileParameter = #""><img src=x onerror=alert(2)>"#
    static let hostileChoice = "<b>bold</b>&amp;"
    static let hostileReason = "<script>alert(3)</script> & \"quoted\""
    static let hostileStderr = "</pre><script>alert(4)</script>\nTraceback & more"

    /// The values of the complete trials of `demo`, by trial number (trials 0–11).
    static func demoValue(_ i: Int) -> Double { Double((i * 5) % 12) / 10 + 0.05 }

    /// Study `demo` (minimize): trials 0–11 complete (parameters x (log float), n (int) and kind
    /// (categorical), five intermediate values each), 12–15 pruned (two intermediate values),
    /// 16–18 failed (a reason and a stderr tail), 19 running.
    static func demo(_ storage: any Storage, name: String = "demo") async throws -> StudyRecord {
        let record = try await storage.createStudy(name: name, directions: [.minimize], loadIfExists: false)
        try await storage.setStudyAttribute(studyID: record.id, key: Study.samplerKey, value: .string("TPESampler"), system: true)
        try await storage.setStudyAttribute(studyID: record.id, key: Study.prunerKey, value: .string("MedianPruner"), system: true)
        for i in 0..<20 {
            let t = try await storage.startTrial(studyID: record.id, limit: nil, worker: "test")!
            try await storage.setParameter(trialID: t.id, name: "x", value: .double(pow(10, -3 + Double(i % 7) / 2)), distribution: .float(low: 1e-3, high: 10, log: true))
            try await storage.setParameter(trialID: t.id, name: "n", value: .int(1 + i % 10), distribution: .int(low: 1, high: 10))
            try await storage.setParameter(trialID: t.id, name: "kind", value: .string(i % 3 == 0 ? "a" : "b"), distribution: .categorical(["a", "b"]))
            switch i {
            case 0..<12:
                for step in 0..<5 { try await storage.reportIntermediateValue(trialID: t.id, step: step, value: demoValue(i) + Double(5 - step)) }
                try await storage.finishTrial(id: t.id, state: .complete, values: [demoValue(i)], failReason: nil)
            case 12..<16:
                for step in 0..<2 { try await storage.reportIntermediateValue(trialID: t.id, step: step, value: 9 - Double(step)) }
                try await storage.finishTrial(id: t.id, state: .pruned, values: nil, failReason: nil)
            case 16..<19:
                try await storage.setTrialAttribute(trialID: t.id, key: "stderr_tail", value: .string("Traceback\nValueError: trial \(i)"), system: true)
                try await storage.finishTrial(id: t.id, state: .failed, values: nil, failReason: "exit status 1: ValueError: trial \(i)")
            default:
                break  // running
            }
        }
        return record
    }

    /// A study whose name, parameter, categorical value, attributes, failure and stderr are
    /// all hostile markup.
    static func hostile(_ storage: any Storage) async throws -> StudyRecord {
        let record = try await storage.createStudy(name: hostileStudy, directions: [.maximize], loadIfExists: false)
        try await storage.setStudyAttribute(studyID: record.id, key: Study.samplerKey, value: .string("<i>Sampler</i>"), system: true)
        for i in 0..<4 {
            let t = try await storage.startTrial(studyID: record.id, limit: nil, worker: nil)!
            try await storage.setParameter(trialID: t.id, name: hostileParameter, value: .double(Double(i)), distribution: .float(low: 0, high: 10))
            try await storage.setParameter(trialID: t.id, name: "choice", value: .string(i % 2 == 0 ? hostileChoice : "plain"),
                                           distribution: .categorical([.string(hostileChoice), "plain"]))
            try await storage.setTrialAttribute(trialID: t.id, key: "note", value: .string("<u>user</u>"), system: false)
            if i == 3 {
                try await storage.setTrialAttribute(trialID: t.id, key: "stderr_tail", value: .string(hostileStderr), system: true)
                try await storage.finishTrial(id: t.id, state: .failed, values: nil, failReason: hostileReason)
            } else {
                try await storage.finishTrial(id: t.id, state: .complete, values: [Double(i)], failReason: nil)
            }
        }
        return record
    }

    /// A gradient-based run recorded as trials (``HypergradientRecording``).
    static func hypergradient(_ storage: any Storage) async throws -> StudyRecord {
        let study = try await Study.create(name: "hg-run", storage: storage, direction: .minimize)
        for k in 0..<6 {
            try await HypergradientRecording.record(iteration: k, outerLoss: 1 / Double(k + 1), hypergradientNorm: 0.5 / Double(k + 1),
                                                    lambda: ["lr": .scalar(0.1 * Double(k + 1)), "weights": .summary(mean: 0.5, min: 0, max: 1)], in: study)
        }
        return try await storage.study(named: "hg-run")!
    }

    static func dashboard(_ storage: any Storage, token: String? = nil) -> Dashboard {
        Dashboard(storage: storage, configuration: DashboardConfiguration(token: token, storageLabel: "memory:"))
    }

    static func app(_ storage: any Storage, token: String? = nil) -> some ApplicationProtocol {
        Application(router: dashboard(storage, token: token).router())
    }
}

/// A response's body as text and as JSON.
extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object (empty, with an issue recorded, when it is not one).
    var json: [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            Issue.record("not a JSON object: \(text.prefix(200))")
            return [:]
        }
        return object
    }

    func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Counts of non-overlapping occurrences.
extension String {
    func occurrences(of s: String) -> Int { components(separatedBy: s).count - 1 }
}

/// A path segment as the pages write it.
func encoded(_ name: String) -> String { HTML.pathSegment(name) }
