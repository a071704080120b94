import ArgumentParser
import Autograd
import Foundation

/// The options every `bench` command takes.
struct BenchmarkOptions: ParsableArguments {
    @Option(help: "Write the results as JSON to this file ('-' for standard output).")
    var json: String = "-"

    @Option(help: "Timed repetitions per case (the median is reported).")
    var repetitions: Int = 10

    @Option(help: "Threads for the engine's own kernels (default: HYPERTUNE_NUM_THREADS, OPENBLAS_NUM_THREADS or all cores).")
    var threads: Int?

    func validate() throws {
        guard repetitions > 0 else { throw ValidationError("--repetitions must be positive, got \(repetitions)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies `--threads`.
    func apply() {
        if let threads { ComputeThreads.count = threads }
    }
}

/// Timing and environment helpers shared by the `bench` commands.
enum BenchmarkSupport {
    /// The median wall time in seconds of `repetitions` calls of `body`, after `warmup` calls.
    static func medianSeconds(repetitions: Int, warmup: Int = 2, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<max(1, repetitions) {
            let d = clock.measure(body)
            times.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        return median(times)
    }

    /// Median wall times of two cases measured alternately (A, B, A, B, …), so that both see the
    /// same machine conditions; use it for a ratio between them.
    static func pairedMedianSeconds(repetitions: Int, warmup: Int = 2, _ a: () -> Void, _ b: () -> Void) -> (Double, Double) {
        for _ in 0..<warmup {
            a()
            b()
        }
        let clock = ContinuousClock()
        var ta: [Double] = [], tb: [Double] = []
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        for _ in 0..<max(1, repetitions) {
            ta.append(seconds(clock.measure(a)))
            tb.append(seconds(clock.measure(b)))
        }
        return (median(ta), median(tb))
    }

    static func median(_ values: [Double]) -> Double {
        let t = values.sorted(), n = t.count
        return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2
    }

    /// The process's peak resident set size in MiB.
    static var peakRSSMegabytes: Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / (1024 * 1024)
        #endif
    }

    /// Restarts the peak resident set size (VmHWM) from the current size, on Linux.
    static func resetPeakResident() {
        #if os(Linux)
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        #endif
    }

    /// The peak resident set size in MiB since the start or the last reset (VmHWM on Linux).
    static var peakResidentMegabytes: Double {
        processStatusMegabytes("VmHWM") ?? peakRSSMegabytes
    }

    /// The current resident set size in MiB (VmRSS on Linux).
    static var residentMegabytes: Double {
        processStatusMegabytes("VmRSS") ?? 0
    }

    /// A size field of `/proc/self/status` (kB there) in MiB; nil where there is no such file.
    static func processStatusMegabytes(_ field: String) -> Double? {
        #if os(Linux)
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
                return (line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
            }
        }
        #endif
        return nil
    }

    /// Runs this executable again with `arguments` and returns its standard output; used to
    /// measure one case's peak memory in a fresh process.
    static func runSelf(_ arguments: [String]) throws -> String {
        let process = Process()
        #if os(Linux)
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        #else
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        #endif
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIError("memory probe \(arguments.joined(separator: " ")) exited with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The machine and settings a figure was measured with.
    static func environment(threads: Int) -> [String: String] {
        var env: [String: String] = [
            "cpu_model": cpuModel(),
            "nproc": String(ProcessInfo.processInfo.activeProcessorCount),
            "engine_threads": String(threads),
            "kernels_isa": EngineInfo.kernelInstructionSet,
            "blas": EngineInfo.blasLibrary,
        ]
        for key in ["OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "HYPERTUNE_NUM_THREADS"] {
            if let v = ProcessInfo.processInfo.environment[key] { env[key] = v }
        }
        return env
    }

    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        }
        return "unknown"
    }

    /// Writes `value` as pretty-printed JSON to `path` ("-" for standard output).
    static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // A diverged run's NaN is a result too.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let data = try encoder.encode(value)
        if path == "-" {
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write(Data("\n".utf8))
        } else {
            try data.write(to: URL(fileURLWithPath: path))
        }
    }
}
