import ArgumentParser
import Autograd
import Datasets
import Foundation
import Hypertune

/// What every `hypertune experiment` takes: the dataset, where the results go, and the engine's
/// threads; with the checks and the paths derived from them.
struct ExperimentOptions: ParsableArguments {
    @Option(help: "Dataset: fashion-mnist or mnist.")
    var dataset: String = "fashion-mnist"

    @Option(help: "Directory of the dataset's IDX files (default: FASHION_MNIST_DIR / MNIST_DIR, then /usr/share/datasets/<dataset>).")
    var dataDir: String?

    @Option(help: "Write the results as JSON to this file.")
    var json: String

    @Option(help: "Write the experiment's chart as SVG to this file (default: the JSON path with .svg).")
    var svg: String?

    @Option(help: "Threads for the engine's own kernels.")
    var threads: Int?

    func validate() throws {
        guard MNISTFamily(rawValue: dataset) != nil else {
            throw ValidationError("--dataset must be one of \(MNISTFamily.allCases.map(\.rawValue).joined(separator: ", ")), got \(dataset)")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// The dataset (checked by ``validate()``).
    var family: MNISTFamily { MNISTFamily(rawValue: dataset)! }

    /// Sets the engine's threads when asked.
    func applyThreads() {
        if let threads { ComputeThreads.count = threads }
    }

    /// The JSON path with its `.json` replaced by `suffix` (`.svg`, `.trials.csv`).
    func besideJSON(_ suffix: String) -> String {
        (json.hasSuffix(".json") ? String(json.dropLast(5)) : json) + suffix
    }

    /// Where the chart goes.
    var svgPath: String { svg ?? besideJSON(".svg") }

    /// `prefix-<date-time>`: the default name of the studies a run records.
    static func timestampedName(_ prefix: String) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "\(prefix)-\(formatter.string(from: Date()))"
    }
}
