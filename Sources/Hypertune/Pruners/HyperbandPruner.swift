/// Hyperband (Li et al., "Hyperband: A Novel Bandit-Based Approach to Hyperparameter
/// Optimization", JMLR 18, 2018) on top of asynchronous successive halving, with the semantics of
/// Optuna's `HyperbandPruner`.
///
/// Successive halving trades the number of trials against the resource each gets before its first
/// judgement; Hyperband runs several brackets with different trade-offs. There are
/// `B = ⌊log_η(R / r)⌋ + 1` brackets (`r = minimumResource`, `R = maximumResource`,
/// `η = reductionFactor`; computed exactly in integers). Bracket `b` is a
/// ``SuccessiveHalvingPruner`` with minimum early-stopping rate `b`: bracket 0 judges first at
/// step `r` (the most aggressive), bracket `B − 1` first at `r · η^(B−1)`.
///
/// Each trial belongs to one bracket, chosen from its number alone (so any worker computes the
/// same one): `h = CRC-32("<studyName>_<number>") mod Σ budgets`, then the first bracket whose
/// cumulative budget exceeds `h`. Bracket `b` has the budget `⌈B · η^s / (s + 1)⌉` with
/// `s = B − 1 − b` — the number of configurations Hyperband's bracket `s` starts, so bracket 0
/// gets the most trials. With the study's name as `studyName`, the assignment is Optuna's
/// whenever the bracket counts agree: Optuna computes `⌊log_η(R/r)⌋` in floating point, which
/// falls one short at exact powers such as R = 243, η = 3 (5 brackets there, 6 here). A trial is
/// compared only with the trials of its own bracket.
///
/// Defaults: `minimumResource = 1`, `maximumResource = 81`, `reductionFactor = 3` (Optuna's η;
/// Optuna's `max_resource` defaults to "auto", the last step of the first complete trial, which
/// is not supported here), `bootstrapCount = 0`.
///
/// - Complexity: O(N · L) to assign the N trials to brackets (L the length of the key), then
///   that of ``SuccessiveHalvingPruner`` on the trial's bracket.
public struct HyperbandPruner: Pruner {
    public let minimumResource: Int
    public let maximumResource: Int
    public let reductionFactor: Int
    public let bootstrapCount: Int
    /// Mixed into the bracket hash.
    public let studyName: String
    /// The successive-halving pruner of each bracket.
    public let brackets: [SuccessiveHalvingPruner]
    /// The share of trials each bracket gets (out of their sum).
    public let bracketBudgets: [Int]

    public init(minimumResource: Int = 1, maximumResource: Int = 81, reductionFactor: Int = 3, bootstrapCount: Int = 0, studyName: String = "") {
        precondition(minimumResource >= 1, "HyperbandPruner: minimumResource must be at least 1, got \(minimumResource)")
        precondition(maximumResource >= minimumResource, "HyperbandPruner: maximumResource (\(maximumResource)) must be at least minimumResource (\(minimumResource))")
        precondition(reductionFactor >= 2, "HyperbandPruner: reductionFactor must be at least 2, got \(reductionFactor)")
        precondition(maximumResource / minimumResource <= 1 << 40, "HyperbandPruner: maximumResource / minimumResource must be at most 2^40")
        precondition(bootstrapCount >= 0, "HyperbandPruner: bootstrapCount cannot be negative, got \(bootstrapCount)")
        self.minimumResource = minimumResource
        self.maximumResource = maximumResource
        self.reductionFactor = reductionFactor
        self.bootstrapCount = bootstrapCount
        self.studyName = studyName

        // B − 1 = the largest k with r · η^k ≤ R.
        var count = 1
        var resource = minimumResource
        while true {
            let (next, overflow) = resource.multipliedReportingOverflow(by: reductionFactor)
            if overflow || next > maximumResource { break }
            resource = next
            count += 1
        }
        brackets = (0..<count).map {
            SuccessiveHalvingPruner(minimumResource: minimumResource, reductionFactor: reductionFactor, minimumEarlyStoppingRate: $0, bootstrapCount: bootstrapCount)
        }
        bracketBudgets = (0..<count).map { bracket in
            let s = count - 1 - bracket
            var power = 1
            for _ in 0..<s { power *= reductionFactor }  // ≤ R / r ≤ 2^40: no overflow
            return (count * power + s) / (s + 1)
        }
    }

    /// The number of brackets, `⌊log_η(R / r)⌋ + 1`.
    public var bracketCount: Int { brackets.count }

    /// The bracket of the trial numbered `number`.
    public func bracket(forTrialNumber number: Int) -> Int {
        let total = bracketBudgets.reduce(0, +)
        var h = Int(Self.crc32(Array("\(studyName)_\(number)".utf8))) % total
        for (b, budget) in bracketBudgets.enumerated() {
            h -= budget
            if h < 0 { return b }
        }
        return bracketBudgets.count - 1  // unreachable: h < total
    }

    public func shouldPrune(history: StudyHistory, trial: FrozenTrial) -> Bool {
        let b = bracket(forTrialNumber: trial.number)
        let own = StudyHistory(directions: history.directions, trials: history.trials.filter { bracket(forTrialNumber: $0.number) == b })
        return brackets[b].shouldPrune(history: own, trial: trial)
    }

    /// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320; zlib's and Python's `binascii.crc32`).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 0 ? 0 : 0xEDB8_8320) }
        }
        return ~crc
    }
}
