import Foundation
import Hypertune
import Subprocess
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An objective program in any language, run once per trial (ARCHITECTURE.md, "Contracts").
///
/// For a trial, the program is started from ``command`` (an argv template; no shell), with the
/// trial's parameters also in its environment as JSON (`HYPERTUNE_PARAMS`), with
/// `HYPERTUNE_TRIAL_NUMBER` and `HYPERTUNE_STUDY` (and any checkpoint directories), in its own
/// session and process group, so that whatever it starts is stopped with it. Its standard output
/// is read line by line (``ObjectiveLine``): intermediate values are reported to the trial as they
/// come, and the pruner is asked after each — a pruned program is sent SIGTERM, then SIGKILL
/// after ``terminationGrace``, and the trial ends PRUNED. The result is the last `{"value": …}`
/// line, or a bare number printed last.
///
/// The trial FAILS, with the reason recorded, when the program exits with a non-zero status or a
/// signal, prints no value or a non-finite one, prints a malformed protocol line, outlives the
/// time-out (``timeout``), or is interrupted (``ObjectiveOutcome``); the last
/// ``stderrTailLimit`` bytes of its standard error are kept for the record.
public struct ObjectiveProgram: Sendable {
    public var command: CommandTemplate
    /// Where the program runs (relative program paths resolve from here); nil: this process's.
    public var workingDirectory: String?
    /// Variables added to the inherited environment.
    public var environment: [String: String]
    /// The longest a trial's program may run.
    public var timeout: Duration?
    /// How long a program has to exit after SIGTERM before it is killed.
    public var terminationGrace: Duration
    /// How much of the end of standard error is kept.
    public var stderrTailLimit: Int

    public init(command: CommandTemplate, workingDirectory: String? = nil, environment: [String: String] = [:], timeout: Duration? = nil,
                terminationGrace: Duration = .seconds(5), stderrTailLimit: Int = 4096) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.timeout = timeout
        self.terminationGrace = terminationGrace
        self.stderrTailLimit = stderrTailLimit
    }

    /// The program's path as it will be started: an element with a `/` is a path (relative ones
    /// from the working directory), anything else is looked up on `PATH`.
    /// - Throws: ``ObjectiveFailure`` naming the program when it is not there or not executable.
    public func resolveProgram(_ program: String) throws -> String {
        let fm = FileManager.default
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : URL(fileURLWithPath: workingDirectory ?? fm.currentDirectoryPath).appendingPathComponent(program).path
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw ObjectiveFailure("the objective program '\(program)' does not exist (looked for \(path))")
            }
            guard fm.isExecutableFile(atPath: path) else { throw ObjectiveFailure("the objective program '\(path)' is not executable (chmod +x it, or run it through its interpreter)") }
            return path
        }
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in searchPath.split(separator: ":") where !directory.isEmpty {
            let candidate = String(directory) + "/" + program
            if fm.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ObjectiveFailure("the objective program '\(program)' is not on PATH (\(searchPath))")
    }

    /// Runs the program for `trial` and returns how it ended. Never throws: every way a program can
    /// go wrong is an outcome (a storage failure while reporting fails the trial too, with its
    /// reason). `stop` ends the program early (the run is being interrupted).
    public func run(trial: Trial, studyName: String, objectives: Int, extraEnvironment: [String: String] = [:],
                    stop: StopSignal? = nil) async -> ObjectiveOutcome {
        let parameters = await trial.parameters
        let argv: [String], program: String
        do {
            argv = try command.arguments(for: parameters)
            program = try resolveProgram(argv[0])
        } catch {
            return ObjectiveOutcome(.failed(String(describing: error)), stderrTail: "")
        }
        var variables: [Environment.Key: String?] = [
            "HYPERTUNE_PARAMS": Self.parametersJSON(parameters),
            "HYPERTUNE_TRIAL_NUMBER": String(trial.number),
            "HYPERTUNE_STUDY": studyName,
        ]
        for (key, value) in environment.merging(extraEnvironment, uniquingKeysWith: { _, b in b }) { variables[Environment.Key(stringLiteral: key)] = value }
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: terminationGrace)]
        let control = RunControl()
        let grace = terminationGrace, tailLimit = stderrTailLimit
        // Disarmed once the program has exited (not merely closed its output), so that a time-out
        // still ends a program that closed its output and runs on.
        let armed = ArmedKiller()
        defer {
            armed.killer?.disarm()
            if let handler = armed.stopHandler { stop?.removeHandler(handler) }
        }
        do {
            let execution = try await Subprocess.run(
                .path(FilePath(program)), arguments: Arguments(Array(argv.dropFirst())), environment: .inherit.updating(variables),
                workingDirectory: workingDirectory.map { FilePath($0) }, platformOptions: options,
                input: .none, output: .sequence, error: .sequence
            ) { execution in
                // Ending the program (time-out, interruption, pruning) runs on Dispatch's threads,
                // not Swift's cooperative pool, so it happens on time even when the pool is busy.
                let killer = ProgramKiller(processGroup: execution.processIdentifier.value, grace: grace, control: control)
                armed.set(killer)
                if let timeout { killer.schedule(after: timeout, .timedOut(timeout)) }
                if let stop { armed.stopHandler = stop.onStop { killer.terminate(.interrupted) } }
                // The program's own log output: only its tail is kept.
                async let stderrTail: String = {
                    var tail = ByteTail(limit: tailLimit)
                    do {
                        for try await buffer in execution.standardError { buffer.withUnsafeBytes { tail.append($0) } }
                    } catch {}
                    return tail.text
                }()
                var transcript = ObjectiveTranscript()
                var lines = LineSplitter()
                do {
                    for try await buffer in execution.standardOutput {
                        let complete = buffer.withUnsafeBytes { lines.append($0) }
                        for line in complete {
                            guard let (step, value) = transcript.read(line) else { continue }
                            do {
                                // Values printed before the program was stopped are kept; only the
                                // pruner is no longer asked.
                                try await trial.report(value, step: step)
                                if !control.isEnding, try await trial.shouldPrune() { killer.terminate(.pruned(step: step)) }
                            } catch {
                                killer.terminate(.storageFailed(String(describing: error)))
                            }
                        }
                    }
                    if let last = lines.finish() { _ = transcript.read(last) }
                } catch {
                    control.noteReadError(String(describing: error))
                }
                return (transcript, await stderrTail)
            }
            // Anything the program started and left behind goes with it.
            kill(-execution.processIdentifier.value, SIGKILL)
            let (transcript, stderrTail) = execution.closureResult
            return Self.outcome(transcript: transcript, status: execution.terminationStatus, ending: control.ending,
                                readError: control.readError, objectives: objectives, stderrTail: stderrTail)
        } catch {
            return ObjectiveOutcome(.failed("the objective program could not be started: \(error)"), stderrTail: "")
        }
    }

    /// The outcome of a program that has ended.
    static func outcome(transcript: ObjectiveTranscript, status: TerminationStatus, ending: RunControl.Ending?, readError: String?,
                        objectives: Int, stderrTail: String) -> ObjectiveOutcome {
        func failed(_ reason: String) -> ObjectiveOutcome {
            let last = stderrTail.split(separator: "\n").last.map { String($0.prefix(300)) }
            return ObjectiveOutcome(.failed(last.map { "\(reason); stderr: \($0)" } ?? reason), stderrTail: stderrTail)
        }
        switch ending {
        case let .pruned(step)?: return ObjectiveOutcome(.pruned(step: step), stderrTail: stderrTail)
        case let .timedOut(limit)?: return failed("timed out after \(Self.describe(limit))")
        case .interrupted?: return failed("interrupted: the run was stopped")
        case let .storageFailed(reason)?: return failed("could not record the trial's progress: \(reason)")
        case nil: break
        }
        switch status {
        case let .exited(code) where code != 0: return failed("the program exited with status \(code)")
        case let .signaled(signal): return failed("the program was killed by signal \(signal)\(signal == SIGKILL ? " (SIGKILL: out of memory?)" : "")")
        default: break
        }
        if let readError { return failed("its output could not be read: \(readError)") }
        switch transcript.values(objectives: objectives) {
        case let .success(values): return ObjectiveOutcome(.complete(values), stderrTail: stderrTail)
        case let .failure(reason): return failed(reason.description)
        }
    }

    static func describe(_ d: Duration) -> String {
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        if s >= 3600, s.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(s / 3600)) h" }
        if s >= 60, s.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(s / 60)) min" }
        return s == s.rounded() ? "\(Int(s)) s" : String(format: "%.3g s", s)
    }

    /// The parameters as a JSON object (`HYPERTUNE_PARAMS`).
    public static func parametersJSON(_ parameters: [String: ParameterValue]) -> String {
        (try? StoredJSON.string(parameters)) ?? "{}"
    }
}

/// How an objective program's trial ended.
public struct ObjectiveOutcome: Sendable, Equatable {
    public enum Result: Sendable, Equatable {
        case complete([Double])
        /// Stopped by the pruner after reporting `step`.
        case pruned(step: Int)
        case failed(String)
    }

    public let result: Result
    /// The end of the program's standard error.
    public let stderrTail: String

    public init(_ result: Result, stderrTail: String) {
        self.result = result
        self.stderrTail = stderrTail
    }
}

/// Asks running objective programs to stop (a run being interrupted): ``stop()`` releases every
/// ``wait()``.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    private var handlers: [UUID: @Sendable () -> Void] = [:]

    public init() {}

    public var isStopped: Bool { lock.withLock { stopped } }

    /// Stops: runs the handlers (on the calling thread) and releases the waiters.
    public func stop() {
        let (released, callbacks) = lock.withLock { () -> ([CheckedContinuation<Void, Never>], [@Sendable () -> Void]) in
            guard !stopped else { return ([], []) }
            stopped = true
            defer {
                waiters.removeAll()
                handlers.removeAll()
            }
            return (Array(waiters.values), Array(handlers.values))
        }
        for callback in callbacks { callback() }
        for waiter in released { waiter.resume() }
    }

    /// Registers `handler` to run on ``stop()`` (at once if already stopped); the token removes it.
    public func onStop(_ handler: @escaping @Sendable () -> Void) -> UUID {
        let id = UUID()
        let now = lock.withLock { () -> Bool in
            if stopped { return true }
            handlers[id] = handler
            return false
        }
        if now { handler() }
        return id
    }

    public func removeHandler(_ id: UUID) {
        _ = lock.withLock { handlers.removeValue(forKey: id) }
    }

    /// Returns once stopped, or at once when the calling task is cancelled.
    public func wait() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = lock.withLock { () -> Bool in
                    if stopped || Task.isCancelled { return true }
                    waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            lock.withLock { waiters.removeValue(forKey: id) }?.resume()
        }
    }
}

/// The killer of the program being run, once it has started.
final class ArmedKiller: @unchecked Sendable {
    private let lock = NSLock()
    private var _killer: ProgramKiller?
    private var _stopHandler: UUID?
    var killer: ProgramKiller? { lock.withLock { _killer } }
    func set(_ k: ProgramKiller) { lock.withLock { _killer = k } }
    var stopHandler: UUID? {
        get { lock.withLock { _stopHandler } }
        set { lock.withLock { _stopHandler = newValue } }
    }
}

/// Ends a program's process group: SIGTERM, then SIGKILL after the grace period, with timers on
/// Dispatch's threads. Disarmed once the program has ended, so no late signal reaches a process
/// group that no longer is the program's.
final class ProgramKiller: @unchecked Sendable {
    private let processGroup: pid_t
    private let grace: Duration
    private let control: RunControl
    private let lock = NSLock()
    private var armed = true
    private var pending: [DispatchWorkItem] = []

    init(processGroup: pid_t, grace: Duration, control: RunControl) {
        self.processGroup = processGroup
        self.grace = grace
        self.control = control
    }

    /// Ends the program for `reason` after `delay`.
    func schedule(after delay: Duration, _ reason: RunControl.Ending) {
        let item = DispatchWorkItem { [weak self] in self?.terminate(reason) }
        lock.withLock { pending.append(item) }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds(delay), execute: item)
    }

    /// Ends the program for `reason` now (the first reason wins).
    func terminate(_ reason: RunControl.Ending) {
        guard control.end(reason) else { return }
        signal(SIGTERM)
        let item = DispatchWorkItem { [weak self] in self?.signal(SIGKILL) }
        lock.withLock { pending.append(item) }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds(grace), execute: item)
    }

    private func signal(_ number: Int32) {
        lock.withLock {
            guard armed else { return }
            kill(-processGroup, number)
        }
    }

    func disarm() {
        let items = lock.withLock { () -> [DispatchWorkItem] in
            armed = false
            return pending
        }
        for item in items { item.cancel() }
    }
}

/// A duration in seconds.
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

/// The shared state of one program run: how it is being ended (the first reason wins), and what
/// the readers found.
final class RunControl: @unchecked Sendable {
    enum Ending: Sendable, Equatable {
        case pruned(step: Int)
        case timedOut(Duration)
        case interrupted
        case storageFailed(String)
    }

    private let lock = NSLock()
    private var _ending: Ending?
    private var _stderrTail = ""
    private var _readError: String?

    /// Records why the program is being ended; false if it already is.
    func end(_ reason: Ending) -> Bool {
        lock.withLock {
            guard _ending == nil else { return false }
            _ending = reason
            return true
        }
    }

    var ending: Ending? { lock.withLock { _ending } }
    var isEnding: Bool { ending != nil }
    var stderrTail: String { lock.withLock { _stderrTail } }
    var readError: String? { lock.withLock { _readError } }
    func setStderrTail(_ s: String) { lock.withLock { _stderrTail = s } }
    func noteReadError(_ s: String) { lock.withLock { _readError = s } }
}

/// Splits bytes into lines (`\n`, with a trailing `\r` dropped), decoding each as UTF-8 (invalid
/// bytes replaced). A line longer than `limit` bytes keeps its first `limit` bytes.
struct LineSplitter {
    var current: [UInt8] = []
    var overflowed = false
    let limit: Int

    init(limit: Int = 1 << 20) { self.limit = limit }

    mutating func append(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var lines: [String] = []
        for b in bytes {
            if b == UInt8(ascii: "\n") {
                lines.append(take())
            } else if current.count < limit {
                current.append(b)
            } else {
                overflowed = true
            }
        }
        return lines
    }

    private mutating func take() -> String {
        if current.last == UInt8(ascii: "\r") { current.removeLast() }
        defer {
            current.removeAll(keepingCapacity: true)
            overflowed = false
        }
        return String(decoding: current, as: UTF8.self)
    }

    /// The last line, when the output did not end with a line break.
    mutating func finish() -> String? { current.isEmpty ? nil : take() }
}

/// The last `limit` bytes of a stream, as text.
struct ByteTail {
    var bytes: [UInt8] = []
    let limit: Int

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: chunk)
        if bytes.count > 2 * limit { bytes.removeFirst(bytes.count - limit) }
    }

    var text: String {
        var tail = bytes.suffix(limit)
        // Start at a character boundary: skip UTF-8 continuation bytes.
        while let first = tail.first, first & 0xC0 == 0x80 { tail.removeFirst() }
        return String(decoding: tail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
