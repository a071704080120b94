import Foundation
import Testing

/// Python, run as a program (argv through `Foundation.Process`, no shell), for the tests that
/// check our bytes with TensorBoard's and protobuf's own readers.
///
/// Convention: with `HYPERTUNE_REQUIRE_TENSORBOARD=1` in the environment a missing `tensorboard`
/// package is a test failure; otherwise those tests are skipped, saying why.
enum Python {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The interpreter: `HYPERTUNE_PYTHON` if set, else `python3` from `PATH`, or nil.
    static let executable: URL? = {
        if let given = ProcessInfo.processInfo.environment["HYPERTUNE_PYTHON"], !given.isEmpty {
            return URL(fileURLWithPath: given)
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("python3")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }()

    /// Runs `python3 -c script arguments…`; stdout and stderr go to files, so that neither pipe
    /// can fill and stall the child.
    static func run(_ script: String, _ arguments: [String] = [], timeout: TimeInterval = 120) throws -> Output {
        guard let executable else { throw Failure("python3 is not on PATH (or set HYPERTUNE_PYTHON)") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hypertune-python-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }

        let process = Process()
        process.executableURL = executable
        process.arguments = ["-c", script] + arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["TF_CPP_MIN_LOG_LEVEL"] = "3"
        process.environment = environment
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                throw Failure("python3 timed out after \(timeout) s")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return Output(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// Runs `script` and decodes its last stdout line as JSON; a non-zero exit is an error
    /// carrying the tail of stderr.
    static func json(_ script: String, _ arguments: [String] = [], timeout: TimeInterval = 120) throws -> Any {
        let output = try run(script, arguments, timeout: timeout)
        guard output.status == 0 else {
            throw Failure("python3 exited with \(output.status):\n\(output.stderr.suffix(3000))")
        }
        guard let line = output.stdout.split(separator: "\n").last else { throw Failure("python3 printed nothing; stderr:\n\(output.stderr.suffix(3000))") }
        return try JSONSerialization.jsonObject(with: Data(line.utf8))
    }

    /// Whether `import tensorboard` works (asked once).
    static let hasTensorBoard: Bool = {
        (try? run("import tensorboard, google.protobuf", timeout: 60).status) == 0
    }()

    static var tensorBoardRequired: Bool {
        ProcessInfo.processInfo.environment["HYPERTUNE_REQUIRE_TENSORBOARD"] == "1"
    }

    /// Run the TensorBoard tests when the package is there, or when it is required (they then
    /// fail on its absence); skip them otherwise.
    static var runTensorBoardTests: Bool { hasTensorBoard || tensorBoardRequired }

    /// Fails the test when TensorBoard is required but missing; true when it can be used.
    static func requireTensorBoard(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if hasTensorBoard { return true }
        Issue.record("HYPERTUNE_REQUIRE_TENSORBOARD=1 but `python3 -c 'import tensorboard'` fails: pip install tensorboard",
                     sourceLocation: sourceLocation)
        return false
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
