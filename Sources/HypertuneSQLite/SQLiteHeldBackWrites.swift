import Foundation
import GRDB
import Hypertune

extension SQLiteStorage {
    /// Writes one trial's held-back values inside the caller's transaction: one UPDATE for the
    /// parameters and reports together, after checking the trial still runs.
    static func writeHeldBack(_ trialID: Int, _ writes: HeldBackWrites.TrialWrites, _ db: Database) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT state, number FROM trials WHERE id = ?"), arguments: [trialID]) else {
            throw StorageError(.trialNotFound, "no trial with id \(trialID)")
        }
        let what = writes.parameters.first.map { "set parameter '\($0.name)'" } ?? "report step \(writes.reports.keys.min() ?? 0)"
        try SQLiteStorage.requireRunning(row, what)
        var (assignments, arguments) = try heldBackAssignments(writes)
        arguments += [try SQLiteStorage.nextRevision(db), trialID]
        try db.run("UPDATE trials SET \(assignments.joined(separator: ", ")), revision = ? WHERE id = ?", arguments: arguments)
    }

    /// The assignments (with their arguments) that merge held-back values into a trial's JSON
    /// columns: each column's members set by one `json_set`.
    static func heldBackAssignments(_ writes: HeldBackWrites.TrialWrites) throws -> ([String], StatementArguments) {
        var assignments: [String] = [], arguments = StatementArguments()
        if !writes.parameters.isEmpty {
            let pairs = Array(repeating: "?, json(?)", count: writes.parameters.count).joined(separator: ", ")
            assignments.append("parameters = json_set(parameters, \(pairs))")
            for p in writes.parameters { arguments += [SQLiteStorage.jsonPath(p.name)!, try StoredJSON.string(p.value)] }
            assignments.append("distributions = json_set(distributions, \(pairs))")
            for p in writes.parameters { arguments += [SQLiteStorage.jsonPath(p.name)!, try StoredJSON.string(p.distribution)] }
        }
        if !writes.reports.isEmpty {
            let pairs = Array(repeating: "?, json(?)", count: writes.reports.count).joined(separator: ", ")
            assignments.append("intermediate_values = json_set(intermediate_values, \(pairs))")
            for (step, value) in writes.reports.sorted(by: { $0.key < $1.key }) { arguments += ["$.\"\(step)\"", StoredJSON.number(value)] }
        }
        return (assignments, arguments)
    }
}
