import Hypertune

/// A hypergradient run recorded as a study: one trial per hyper-iteration, so the storage, the
/// table and later the charts, exports and dashboard serve gradient-based runs as they serve
/// black-box searches.
///
/// Each trial has the budget `R` and the `hyper_iteration` as fixed parameters, the validation
/// loss as its value, and the hypergradient norm, F1, number of flagged examples and the λ
/// summary as user attributes.
public enum HyperIterationStudy {
    /// The study to record into: minimising the validation loss, with a sampler that is never
    /// consulted (every parameter is fixed).
    public static func create(name: String, storage: any Storage = InMemoryStorage()) async throws -> Study {
        try await Study.create(name: name, storage: storage, direction: .minimize, sampler: RandomSampler())
    }

    /// Records hyper-iteration `record` of budget `budget` as a complete trial.
    @discardableResult
    public static func record(_ record: HyperCleaningResult.Iteration, budget: Int, in study: Study) async throws -> FrozenTrial {
        let trial = try await study.ask()
        _ = try await trial.suggest("R", .categorical([.int(budget)]))
        _ = try await trial.suggest("hyper_iteration", .categorical([.int(record.iteration)]))
        let attributes: [(String, JSONValue)] = [
            ("hypergradient_norm", .number(record.hypergradient_norm)), ("f1", .number(record.f1)),
            ("flagged", .number(Double(record.flagged))), ("lambda_mean", .number(record.lambda_mean)),
            ("lambda_min", .number(record.lambda_min)), ("lambda_max", .number(record.lambda_max)),
        ]
        for (key, value) in attributes { try await trial.setUserAttribute(key, value) }
        return try await study.tell(trial, record.validation_loss)
    }
}
