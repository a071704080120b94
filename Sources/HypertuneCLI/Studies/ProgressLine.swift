import Foundation
import Hypertune
#if canImport(Glibc)
import Glibc
#endif

/// A run's progress on standard error. On a terminal: one line redrawn in place — trials done of
/// the total (every worker's), the best value so far, trials per second, time elapsed and left —
/// with failed trials' reasons printed above it as they happen. Otherwise (a log file, a pipe):
/// one plain line per finished trial.
actor ProgressLine {
    let study: Study
    let total: Int?
    let deadline: ContinuousClock.Instant?
    let terminal: Bool
    let started = ContinuousClock.now
    /// Trials finished before this run began (by any worker).
    private var finishedBefore: Int?
    private var drawn = false

    init(study: Study, total: Int?, timeout: Duration?, terminal: Bool) {
        self.study = study
        self.total = total
        self.deadline = timeout.map { ContinuousClock.now + $0 }
        self.terminal = terminal
    }

    struct Snapshot {
        var finished = 0, running = 0
        var best: FrozenTrial?
        var front = 0
    }

    /// The study as it stands now (a read of what changed since the last one).
    func snapshot() async -> Snapshot {
        guard let trials = try? await study.trials() else { return Snapshot() }
        var s = Snapshot()
        for t in trials {
            if t.state.isFinished { s.finished += 1 } else if t.state == .running { s.running += 1 }
        }
        if study.directions.count == 1 {
            let sign = study.directions[0] == .maximize ? -1.0 : 1.0
            s.best = trials.filter { $0.state == .complete && $0.value != nil }.min { sign * $0.value! < sign * $1.value! }
        } else {
            s.front = (try? await study.bestTrials().count) ?? 0
        }
        if finishedBefore == nil { finishedBefore = s.finished }
        return s
    }

    func begin() async {
        let s = await snapshot()
        let existing = s.finished > 0 ? ", continuing from \(s.finished) finished trial\(s.finished == 1 ? "" : "s")" : ""
        let target = total.map { " to \($0) trials" } ?? ""
        write("study '\(study.name)'\(target)\(existing)\n")
    }

    func trialFinished(_ trial: FrozenTrial) async {
        let s = await snapshot()
        var event = "trial \(trial.number) \(trial.state.rawValue)"
        if let values = trial.values { event += " \(Format.values(values))" }
        if let reason = trial.failReason, trial.state == .failed { event += ": \(reason)" }
        if terminal {
            // Failures stay on screen; the rest only moves the line.
            if trial.state == .failed { write("\r\u{1B}[2K\(event)\n") }
            draw(s)
        } else {
            write("\(event) · \(summary(s))\n")
        }
    }

    func tick() async {
        guard terminal else { return }
        draw(await snapshot())
    }

    func end() {
        if terminal && drawn { write("\n") }
    }

    private func draw(_ s: Snapshot) {
        var line = summary(s)
        let width = Self.terminalWidth()
        if line.count > width - 1 { line = String(line.prefix(width - 2)) + "…" }
        write("\r\u{1B}[2K" + line)
        drawn = true
    }

    /// `37/100 trials · best 0.0123 (#31) · 2 running · 2.4 trials/s · 0:15 elapsed · ~0:26 left`
    func summary(_ s: Snapshot) -> String {
        let elapsed = Format.seconds(ContinuousClock.now - started)
        var parts: [String] = []
        parts.append(total.map { "\(s.finished)/\($0) trials" } ?? "\(s.finished) trials")
        if let best = s.best, let v = best.value { parts.append("best \(Format.value(v)) (#\(best.number))") }
        if study.directions.count > 1 { parts.append("\(s.front) on the Pareto front") }
        if s.running > 0 { parts.append("\(s.running) running") }
        let done = s.finished - (finishedBefore ?? s.finished)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        parts.append(String(format: "%.2g trials/s", rate))
        parts.append("\(Format.clock(elapsed)) elapsed")
        var left: Double?
        if let total, rate > 0 { left = Double(max(0, total - s.finished)) / rate }
        if let deadline {
            let budget = max(0, Format.seconds(deadline - ContinuousClock.now))
            left = min(left ?? budget, budget)
        }
        if let left { parts.append("~\(Format.clock(left)) left") }
        return parts.joined(separator: " · ")
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return Int(size.ws_col) }
        return 100
    }
}
