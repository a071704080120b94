import Hypertune

/// A hypergradient run recorded as a study: one trial per hyper-iteration, as
/// ``HypergradientRecording`` lays it out, so the storage, the table, the charts, exports and
/// dashboard serve gradient-based runs as they serve black-box searches.
///
/// Each trial belongs to the run `R=<budget>` (parameter `run`), has its `hyper_iteration`, the
/// validation loss as its value, the hypergradient norm and the summary of the example weights
/// (`lambda.example_weights`: mean, min, max) as user attributes, and F1 and the number of
/// flagged examples besides.
public enum HyperIterationStudy {
    /// The study to record into: minimising the validation loss, with a sampler that is never
    /// consulted (every parameter is fixed).
    public static func create(name: String, storage: any Storage = InMemoryStorage()) async throws -> Study {
        try await Study.create(name: name, storage: storage, direction: .minimize, sampler: RandomSampler())
    }

    /// Records hyper-iteration `record` of budget `budget` as a complete trial.
    @discardableResult
    public static func record(_ record: HyperCleaningResult.Iteration, budget: Int, in study: Study) async throws -> FrozenTrial {
        try await HypergradientRecording.record(
            iteration: record.iteration, run: "R=\(budget)", outerLoss: record.validation_loss, hypergradientNorm: record.hypergradient_norm,
            lambda: ["example_weights": .summary(mean: record.lambda_mean, min: record.lambda_min, max: record.lambda_max)],
            attributes: ["f1": .number(record.f1), "flagged": .number(Double(record.flagged))], in: study)
    }
}
