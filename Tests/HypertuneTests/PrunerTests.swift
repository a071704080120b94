@testable import Hypertune
import Testing

/// A trial with the given intermediate values; a complete one gets its last value as its value.
private func makeTrial(_ number: Int, _ state: TrialState = .complete, _ values: [Int: Double]) -> FrozenTrial {
    let last = values.max { $0.key < $1.key }?.value ?? 0
    return FrozenTrial(id: number, studyID: 1, number: number, state: state, values: state == .complete ? [last] : nil, intermediateValues: values)
}

private func makeHistory(_ trials: [FrozenTrial], _ direction: StudyDirection = .minimize) -> StudyHistory {
    StudyHistory(directions: [direction], trials: trials.sorted { $0.number < $1.number })
}

/// Complete trials 0..<count, trial i reporting `value(i)` at each of `steps`.
private func completeTrials(_ count: Int, steps: [Int] = [0], value: (Int) -> Double) -> [FrozenTrial] {
    (0..<count).map { i in makeTrial(i, .complete, Dictionary(uniqueKeysWithValues: steps.map { ($0, value(i)) })) }
}

@Suite("Percentile and median pruners")
struct PercentilePrunerTests {
    @Test("no pruning during the startup trials, nor without any complete trial")
    func startup() {
        let pruner = MedianPruner()  // 5 startup trials
        let running = makeTrial(10, .running, [0: 100])
        #expect(!pruner.shouldPrune(history: makeHistory([running]), trial: running))
        let four = completeTrials(4) { Double($0) }
        #expect(!pruner.shouldPrune(history: makeHistory(four + [running]), trial: running))
        let five = completeTrials(5) { Double($0) }
        #expect(pruner.shouldPrune(history: makeHistory(five + [running]), trial: running))
        // Running, pruned and failed trials do not count as startup trials.
        let others = [makeTrial(5, .running, [0: 0]), makeTrial(6, .pruned, [0: 0]), makeTrial(7, .failed, [0: 0])]
        #expect(!pruner.shouldPrune(history: makeHistory(four + others + [running]), trial: running))
        // With no startup trials, still no pruning before a first complete trial.
        let eager = MedianPruner(startupTrials: 0)
        #expect(!eager.shouldPrune(history: makeHistory(others + [running]), trial: running))
        #expect(eager.shouldPrune(history: makeHistory(Array(five.prefix(1)) + [running]), trial: running))
    }

    @Test("no pruning before the warm-up step")
    func warmup() {
        let pruner = MedianPruner(startupTrials: 0, warmupSteps: 3)
        let others = completeTrials(5, steps: Array(0...5)) { Double($0) }
        for step in 0...4 {
            let trial = makeTrial(10, .running, Dictionary(uniqueKeysWithValues: (0...step).map { ($0, 100.0) }))
            #expect(pruner.shouldPrune(history: makeHistory(others + [trial]), trial: trial) == (step >= 3), "step \(step)")
        }
    }

    @Test("checks once per interval, at the first report at or after each checkpoint")
    func interval() {
        let pruner = MedianPruner(startupTrials: 0, warmupSteps: 1, intervalSteps: 3)  // checkpoints 1, 4, 7, …
        let others = completeTrials(5, steps: Array(0...10)) { Double($0) }
        func prunes(_ steps: [Int]) -> Bool {
            let trial = makeTrial(10, .running, Dictionary(uniqueKeysWithValues: steps.map { ($0, 100.0) }))
            return pruner.shouldPrune(history: makeHistory(others + [trial]), trial: trial)
        }
        #expect(!prunes([0]))
        #expect(prunes([0, 1]))
        #expect(!prunes([0, 1, 2]))
        #expect(!prunes([0, 1, 2, 3]))
        #expect(prunes([0, 1, 2, 3, 4]))
        // Checkpoint 4 had no report: checked at the next report, 5, and not again at 6.
        #expect(prunes([0, 1, 2, 3, 5]))
        #expect(!prunes([0, 1, 2, 3, 5, 6]))
        #expect(prunes([0, 1, 2, 3, 5, 6, 8]))
    }

    @Test("the percentile by hand, with linear interpolation and strict comparison")
    func percentileByHand() {
        // Others at step 2: 1, 2, 3, 4, 10.
        let values: [Double] = [1, 2, 3, 4, 10]
        let others = completeTrials(5, steps: [0, 1, 2]) { values[$0] }
        func prunes(_ percentile: Double, _ best: Double, _ direction: StudyDirection = .minimize) -> Bool {
            let pruner = PercentilePruner(percentile: percentile, startupTrials: 0)
            let trial = makeTrial(10, .running, [0: best, 1: best, 2: best])
            return pruner.shouldPrune(history: makeHistory(others + [trial], direction), trial: trial)
        }
        #expect(PercentilePruner.percentile(values, 25) == 2)
        #expect(abs(PercentilePruner.percentile(values, 30)! - 2.2) < 1e-12)
        #expect(PercentilePruner.percentile(values, 87.5) == 7)
        #expect(PercentilePruner.percentile([.nan, 3, .nan, 1], 50) == 2)
        #expect(PercentilePruner.percentile([.nan], 50) == nil)
        #expect(!prunes(25, 2))  // equal to the threshold: kept
        #expect(prunes(25, 2.001))
        #expect(!prunes(30, 2.19) && prunes(30, 2.21))
        #expect(!prunes(50, 3) && prunes(50, 3.01))
        #expect(!prunes(100, 10) && prunes(100, 10.5))
        #expect(!prunes(0, 1) && prunes(0, 1.01))
        // Maximising, the 25th percentile from the top is the 75th of the raw values: 4.
        #expect(!prunes(25, 4, .maximize) && prunes(25, 3.99, .maximize))
        #expect(!prunes(50, 3, .maximize) && prunes(50, 2.99, .maximize))
    }

    @Test("the trial's best value over all its steps is compared")
    func bestOverSteps() {
        let pruner = MedianPruner(startupTrials: 0)
        let others = completeTrials(5, steps: [0, 1]) { Double($0) }  // median 2 at every step
        let goodEarly = makeTrial(10, .running, [0: 0.5, 1: 100])
        #expect(!pruner.shouldPrune(history: makeHistory(others + [goodEarly]), trial: goodEarly))
        let bad = makeTrial(10, .running, [0: 2.5, 1: 100])
        #expect(pruner.shouldPrune(history: makeHistory(others + [bad]), trial: bad))
        // Maximising: best is the largest.
        let goodEarlyMax = makeTrial(10, .running, [0: 3.5, 1: -100])
        #expect(!pruner.shouldPrune(history: makeHistory(others + [goodEarlyMax], .maximize), trial: goodEarlyMax))
        let badMax = makeTrial(10, .running, [0: 1.5, 1: -100])
        #expect(pruner.shouldPrune(history: makeHistory(others + [badMax], .maximize), trial: badMax))
    }

    @Test("only values reported at exactly the same step are compared")
    func sameStep() {
        let pruner = MedianPruner(startupTrials: 0)
        // The others reported at even steps only: at step 1 there is nothing to compare with.
        let others = completeTrials(5, steps: [0, 2]) { Double($0) }
        let trial = makeTrial(10, .running, [0: 100, 1: 100])
        #expect(!pruner.shouldPrune(history: makeHistory(others + [trial]), trial: trial))
        let atTwo = makeTrial(10, .running, [0: 100, 1: 100, 2: 100])
        #expect(pruner.shouldPrune(history: makeHistory(others + [atTwo]), trial: atTwo))
    }

    @Test("NaN: an all-NaN trial is pruned, NaNs of the others are ignored but counted for the minimum")
    func nan() {
        let pruner = MedianPruner(startupTrials: 0)
        let others = completeTrials(5) { Double($0) }
        let allNaN = makeTrial(10, .running, [0: .nan])
        #expect(pruner.shouldPrune(history: makeHistory(others + [allNaN]), trial: allNaN))
        // NaN steps of the trial are skipped for its best value.
        let partly = makeTrial(10, .running, [0: 1, 1: .nan])
        let othersTwoSteps = completeTrials(5, steps: [0, 1]) { Double($0) }
        #expect(!pruner.shouldPrune(history: makeHistory(othersTwoSteps + [partly]), trial: partly))
        // The others all NaN at the step: no threshold, no pruning.
        let nanOthers = completeTrials(5) { _ in .nan }
        let trial = makeTrial(10, .running, [0: 100])
        #expect(!pruner.shouldPrune(history: makeHistory(nanOthers + [trial]), trial: trial))
        // Median of 0, 1, 2 (NaNs ignored) is 1.
        let mixed = completeTrials(5) { $0 < 3 ? Double($0) : .nan }
        #expect(pruner.shouldPrune(history: makeHistory(mixed + [makeTrial(10, .running, [0: 1.5])]), trial: makeTrial(10, .running, [0: 1.5])))
        #expect(!pruner.shouldPrune(history: makeHistory(mixed + [makeTrial(10, .running, [0: 1])]), trial: makeTrial(10, .running, [0: 1])))
        // minimumTrials counts the reported values, NaN or not (as Optuna).
        let three = MedianPruner(startupTrials: 0, minimumTrials: 3)
        let six = MedianPruner(startupTrials: 0, minimumTrials: 6)
        let worse = makeTrial(10, .running, [0: 1.5])
        #expect(three.shouldPrune(history: makeHistory(mixed + [worse]), trial: worse))
        #expect(!six.shouldPrune(history: makeHistory(mixed + [worse]), trial: worse))
    }

    @Test("minimum number of values at the step")
    func minimumTrials() {
        let pruner = MedianPruner(startupTrials: 0, minimumTrials: 3)
        let two = completeTrials(2, steps: [0, 1]) { Double($0) }
        let three = two + [makeTrial(2, .complete, [0: 2])]  // no value at step 1
        let trial = makeTrial(10, .running, [0: 100, 1: 100])
        #expect(!pruner.shouldPrune(history: makeHistory(three + [trial]), trial: trial))
        let threeAtOne = two + [makeTrial(2, .complete, [0: 2, 1: 2])]
        #expect(pruner.shouldPrune(history: makeHistory(threeAtOne + [trial]), trial: trial))
    }

    @Test("pruned trials are compared only on request")
    func prunedTrials() {
        let complete = completeTrials(3) { Double($0) }  // 0, 1, 2: median 1
        let pruned = (3..<6).map { makeTrial($0, .pruned, [0: 10]) }  // with them: median (2 + 10) / 2 = 6
        let trial = makeTrial(10, .running, [0: 2])
        let history = makeHistory(complete + pruned + [trial])
        #expect(MedianPruner(startupTrials: 0).shouldPrune(history: history, trial: trial))
        #expect(!MedianPruner(startupTrials: 0, includePrunedTrials: true).shouldPrune(history: history, trial: trial))
        // They count as startup trials only when compared.
        #expect(!MedianPruner(startupTrials: 5, includePrunedTrials: false).shouldPrune(history: makeHistory(complete + pruned + [makeTrial(10, .running, [0: 100])]), trial: makeTrial(10, .running, [0: 100])))
        #expect(MedianPruner(startupTrials: 5, includePrunedTrials: true).shouldPrune(history: makeHistory(complete + pruned + [makeTrial(10, .running, [0: 100])]), trial: makeTrial(10, .running, [0: 100])))
    }

    @Test("a trial without reports is never pruned; the median pruner is the 50th percentile")
    func misc() {
        let others = completeTrials(5) { Double($0) }
        let silent = makeTrial(10, .running, [:])
        #expect(!MedianPruner(startupTrials: 0).shouldPrune(history: makeHistory(others + [silent]), trial: silent))
        #expect(MedianPruner().base.percentile == 50)
        for value in stride(from: 0.0, through: 5, by: 0.25) {
            let trial = makeTrial(10, .running, [0: value])
            let history = makeHistory(others + [trial])
            #expect(MedianPruner().shouldPrune(history: history, trial: trial) == PercentilePruner(percentile: 50).shouldPrune(history: history, trial: trial))
        }
    }

    @Test("invalid parameters stop with a message")
    func validation() async {
        await #expect(processExitsWith: .failure) { _ = PercentilePruner(percentile: 101) }
        await #expect(processExitsWith: .failure) { _ = MedianPruner(intervalSteps: 0) }
        await #expect(processExitsWith: .failure) { _ = SuccessiveHalvingPruner(reductionFactor: 1) }
        await #expect(processExitsWith: .failure) { _ = HyperbandPruner(minimumResource: 10, maximumResource: 5) }
    }
}

@Suite("Successive halving pruner")
struct SuccessiveHalvingPrunerTests {
    @Test("rungs at r · η^(s + k)")
    func rungs() {
        #expect((0..<4).map { SuccessiveHalvingPruner().rungStep($0) } == [1, 4, 16, 64])
        #expect((0..<3).map { SuccessiveHalvingPruner(minimumResource: 2, reductionFactor: 3, minimumEarlyStoppingRate: 1).rungStep($0) } == [6, 18, 54])
        #expect(SuccessiveHalvingPruner(reductionFactor: 2).rungStep(70) == nil)
    }

    /// `trial` as it is when its pruner was asked after every report: the previous check was at
    /// its second-to-last report (``Trial/shouldPrune()`` records that step).
    private func checkedAfterEachReport(_ trial: FrozenTrial) -> FrozenTrial {
        var t = trial
        if let previous = t.intermediateValues.keys.sorted().dropLast().last {
            t.systemAttributes[FrozenTrial.prunerCheckedStepKey] = .number(Double(previous))
        }
        return t
    }

    /// Trials 0..<count reporting `values[i]` at every step of `steps`.
    private func others(_ values: [Double], steps: [Int], state: TrialState = .complete) -> [FrozenTrial] {
        values.enumerated().map { i, v in makeTrial(i, state, Dictionary(uniqueKeysWithValues: steps.map { ($0, v) })) }
    }

    @Test("promotion to the next rung only in the top 1/η, computed by hand")
    func topFraction() {
        let pruner = SuccessiveHalvingPruner()  // η = 4, rungs 1, 4, 16
        let eight = others([1, 2, 3, 4, 5, 6, 7, 8], steps: [0, 1])
        func prunes(_ value: Double, _ direction: StudyDirection = .minimize) -> Bool {
            let trial = makeTrial(20, .running, [0: value, 1: value])
            return pruner.shouldPrune(history: makeHistory(eight + [trial], direction), trial: trial)
        }
        // 9 values: the best ⌊9/4⌋ = 2 are promoted.
        #expect(!prunes(0.5))
        #expect(!prunes(1.5))
        #expect(!prunes(2))  // tie with the second best: promoted
        #expect(prunes(2.5))
        #expect(prunes(100))
        // Maximising: the two largest.
        #expect(!prunes(7.5, .maximize))
        #expect(!prunes(7, .maximize))
        #expect(prunes(6.5, .maximize))
    }

    @Test("not judged before the first rung, nor between rungs")
    func betweenRungs() {
        let pruner = SuccessiveHalvingPruner(minimumResource: 2, reductionFactor: 2)  // rungs 2, 4, 8
        let better = others([0, 0, 0], steps: Array(0...8))
        for last in 0...8 {
            let trial = checkedAfterEachReport(makeTrial(20, .running, Dictionary(uniqueKeysWithValues: (0...last).map { ($0, 1.0) })))
            let expected = [2, 4, 8].contains(last)
            #expect(pruner.shouldPrune(history: makeHistory(better + [trial]), trial: trial) == expected, "step \(last)")
        }
    }

    @Test("while fewer than η trials reached the rung, only the best goes on")
    func firstTrials() {
        let pruner = SuccessiveHalvingPruner(reductionFactor: 3)
        let one = others([1], steps: [1])
        let worse = makeTrial(20, .running, [1: 2])
        let better = makeTrial(20, .running, [1: 0.5])
        #expect(pruner.shouldPrune(history: makeHistory(one + [worse]), trial: worse))
        #expect(!pruner.shouldPrune(history: makeHistory(one + [better]), trial: better))
        // Alone at the rung: promoted.
        #expect(!pruner.shouldPrune(history: makeHistory([worse]), trial: worse))
        // With a bootstrap count of 2, pruned while at most 2 values are at the rung.
        let bootstrap = SuccessiveHalvingPruner(reductionFactor: 3, bootstrapCount: 2)
        #expect(bootstrap.shouldPrune(history: makeHistory(one + [better]), trial: better))
        let two = others([1, 3], steps: [1])
        #expect(!bootstrap.shouldPrune(history: makeHistory(two + [better]), trial: better))
    }

    @Test("a trial's rung value is its value at its first report at or past the rung")
    func recordedValue() {
        let pruner = SuccessiveHalvingPruner(reductionFactor: 3)  // rungs 1, 3, 9
        // Trial 0 skipped step 1: its rung-1 value is the one at step 2 (1), not at step 0 (100).
        let skipping = makeTrial(0, .complete, [0: 100, 2: 1, 5: 50])
        #expect(SuccessiveHalvingPruner.recordedValue(skipping, rungStep: 1) == 1)
        #expect(SuccessiveHalvingPruner.recordedValue(skipping, rungStep: 3) == 50)
        #expect(SuccessiveHalvingPruner.recordedValue(skipping, rungStep: 9) == nil)
        let trial = checkedAfterEachReport(makeTrial(20, .running, [0: 2, 1: 2]))
        #expect(pruner.shouldPrune(history: makeHistory([skipping, trial]), trial: trial))
        // At rung 3 trial 0 recorded 50.
        let later = checkedAfterEachReport(makeTrial(20, .running, [0: 2, 1: 2, 2: 2, 3: 2]))
        #expect(!pruner.shouldPrune(history: makeHistory([skipping, later]), trial: later))
    }

    @Test("a report past several rungs is judged at each; passed rungs are not judged again")
    func severalRungs() {
        let pruner = SuccessiveHalvingPruner(reductionFactor: 2)  // rungs 1, 2, 4, 8
        // At rungs 1 and 2 the other trial is worse, at rung 4 better.
        let other = makeTrial(0, .complete, [1: 10, 2: 10, 4: 1, 8: 1])
        let jumping = checkedAfterEachReport(makeTrial(20, .running, [0: 5, 4: 5]))
        #expect(pruner.shouldPrune(history: makeHistory([other, jumping]), trial: jumping))
        let jumpingTwo = checkedAfterEachReport(makeTrial(20, .running, [0: 5, 2: 5]))
        #expect(!pruner.shouldPrune(history: makeHistory([other, jumpingTwo]), trial: jumpingTwo))
        // Passed rung 1 at step 1, then others did better there: not judged again at step 3.
        let betterAtOne = others([0, 0, 0], steps: [1])
        let passed = checkedAfterEachReport(makeTrial(20, .running, [1: 5, 3: 5]))
        #expect(!pruner.shouldPrune(history: makeHistory(betterAtOne + [passed]), trial: passed))
        // Never checked before: every rung passed so far is judged now, rung 1 included.
        let unchecked = makeTrial(20, .running, [1: 5, 3: 5])
        #expect(pruner.shouldPrune(history: makeHistory(betterAtOne + [unchecked]), trial: unchecked))
        // … though it would be pruned had it first reported at step 3 (rungs 1 and 2 together).
        let fresh = checkedAfterEachReport(makeTrial(20, .running, [0: 5, 3: 5]))
        let betterAtOneAndTwo = others([0, 0, 0], steps: [1, 2])
        #expect(pruner.shouldPrune(history: makeHistory(betterAtOneAndTwo + [fresh]), trial: fresh))
    }

    @Test("NaN values and the states of the competing trials")
    func nanAndStates() {
        let pruner = SuccessiveHalvingPruner(reductionFactor: 2)
        let nanTrial = makeTrial(20, .running, [1: .nan])
        #expect(pruner.shouldPrune(history: makeHistory([nanTrial]), trial: nanTrial))
        #expect(!pruner.shouldPrune(history: makeHistory([makeTrial(20, .running, [0: .nan])]), trial: makeTrial(20, .running, [0: .nan])))
        // Others' NaNs are not recorded: alone with a NaN competitor, the trial is the best.
        let trial = makeTrial(20, .running, [1: 5])
        #expect(!pruner.shouldPrune(history: makeHistory([makeTrial(0, .complete, [1: .nan]), trial]), trial: trial))
        // Running, pruned and failed trials compete too.
        for state in [TrialState.running, .pruned, .failed, .complete] {
            #expect(pruner.shouldPrune(history: makeHistory([makeTrial(0, state, [1: 1]), trial]), trial: trial), "\(state)")
        }
        // The trial itself (same number) is not counted twice.
        let stale = makeTrial(20, .running, [1: 1])
        #expect(!pruner.shouldPrune(history: makeHistory([stale]), trial: trial))
    }
}

@Suite("Hyperband pruner")
struct HyperbandPrunerTests {
    @Test("bracket count and budgets")
    func brackets() {
        let pruner = HyperbandPruner()
        #expect(pruner.bracketCount == 5)
        #expect(pruner.bracketBudgets == [81, 34, 15, 8, 5])
        #expect(pruner.brackets.map(\.minimumEarlyStoppingRate) == [0, 1, 2, 3, 4])
        #expect(pruner.brackets.allSatisfy { $0.reductionFactor == 3 && $0.minimumResource == 1 })
        #expect(HyperbandPruner(maximumResource: 100, reductionFactor: 4).bracketBudgets == [64, 22, 8, 4])
        #expect(HyperbandPruner(minimumResource: 2, maximumResource: 81).bracketCount == 4)
        #expect(HyperbandPruner(maximumResource: 243).bracketCount == 6)  // exact, where float log₃ 243 < 5
        #expect(HyperbandPruner(minimumResource: 5, maximumResource: 5).bracketCount == 1)
    }

    @Test("CRC-32 and Optuna's bracket assignment")
    func assignment() {
        #expect(HyperbandPruner.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(HyperbandPruner.crc32(Array("demo_7".utf8)) == 0x7C2C_5385)
        // Optuna's _get_bracket_id for study "demo" (and ""), η = 3, R = 81, trials 0..<20.
        let demo = HyperbandPruner(studyName: "demo")
        #expect((0..<20).map(demo.bracket(forTrialNumber:)) == [0, 3, 2, 1, 0, 0, 0, 2, 0, 0, 4, 1, 0, 0, 3, 0, 0, 4, 1, 2])
        #expect((0..<20).map(HyperbandPruner().bracket(forTrialNumber:)) == [2, 0, 0, 0, 2, 0, 2, 0, 0, 0, 0, 1, 3, 3, 0, 1, 0, 4, 4, 0])
        let four = HyperbandPruner(maximumResource: 100, reductionFactor: 4, studyName: "my-study")
        #expect((0..<20).map(four.bracket(forTrialNumber:)) == [2, 2, 0, 1, 1, 0, 0, 2, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
    }

    @Test("assignment is deterministic, covers every bracket and follows the budgets")
    func coverage() {
        let a = HyperbandPruner(studyName: "s"), b = HyperbandPruner(studyName: "s")
        var counts = [Int](repeating: 0, count: a.bracketCount)
        for n in 0..<2000 {
            let bracket = a.bracket(forTrialNumber: n)
            #expect(bracket == b.bracket(forTrialNumber: n))
            counts[bracket] += 1
        }
        #expect(counts.allSatisfy { $0 > 0 })
        let total = Double(a.bracketBudgets.reduce(0, +))
        for (count, budget) in zip(counts, a.bracketBudgets) {
            let expected = 2000 * Double(budget) / total
            #expect(abs(Double(count) - expected) < 0.35 * expected + 15, "\(counts) vs budgets \(a.bracketBudgets)")
        }
        #expect(counts[0] == counts.max())
    }

    @Test("a trial is compared only with its own bracket, from its bracket's first rung")
    func separateBrackets() {
        let pruner = HyperbandPruner()  // "" study: trials 1, 2, 3 in bracket 0, 0 and 4 in bracket 2, 11 in bracket 1
        #expect([1, 2, 3].map(pruner.bracket(forTrialNumber:)) == [0, 0, 0])
        #expect([0, 4, 6].map(pruner.bracket(forTrialNumber:)) == [2, 2, 2])
        let trial = makeTrial(1, .running, [1: 5])
        // Better trials in bracket 2 do not count for a bracket-0 trial.
        let otherBracket = [makeTrial(0, .complete, [1: 0, 9: 0]), makeTrial(4, .complete, [1: 0, 9: 0])]
        #expect(!pruner.shouldPrune(history: makeHistory(otherBracket + [trial]), trial: trial))
        // One better trial of bracket 0 does (rung 1: the best of 2 goes on).
        let sameBracket = makeTrial(2, .complete, [1: 0])
        #expect(pruner.shouldPrune(history: makeHistory(otherBracket + [sameBracket, trial]), trial: trial))
        // A bracket-2 trial is first judged at step 9 = 3², against bracket 2 only.
        for step in 1...8 {
            let t = makeTrial(6, .running, Dictionary(uniqueKeysWithValues: (1...step).map { ($0, 5.0) }))
            #expect(!pruner.shouldPrune(history: makeHistory(otherBracket + [sameBracket, t]), trial: t))
        }
        let atNine = makeTrial(6, .running, Dictionary(uniqueKeysWithValues: (1...9).map { ($0, 5.0) }))
        #expect(pruner.shouldPrune(history: makeHistory(otherBracket + [sameBracket, atNine]), trial: atNine))
        #expect(!pruner.shouldPrune(history: makeHistory([sameBracket, atNine]), trial: atNine))
    }
}
