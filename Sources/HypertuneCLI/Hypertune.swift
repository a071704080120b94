import ArgumentParser

@main
struct Hypertune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hypertune",
        abstract: "Hyperparameter optimization: gradient-based and black-box.",
        version: "0.1.0",
        subcommands: [Run.self, Ask.self, Tell.self, Studies.self, Trials.self, Best.self, Plot.self, Export.self, Delete.self, DashboardCommand.self, Demo.self, Experiment.self, Bench.self, Worker.self])
}

/// `hypertune bench …`: benchmarks whose JSON output matches the peer scripts' schema.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark and write its results as JSON (schemas in BENCHMARKS.md).",
        subcommands: [AutogradBench.self, HypergradientsBench.self, SamplersBench.self, OverheadBench.self, ParetoBench.self, StorageBench.self, DashboardBench.self])
}

/// A failure while a command runs (as opposed to invalid arguments): printed as `Error: …`
/// without the usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
