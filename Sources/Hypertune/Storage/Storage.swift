import Foundation

/// Where studies and trials live: the only state workers share (in one process, across
/// processes on one machine, or across machines).
///
/// Every mutation is atomic, so any number of workers may use one storage concurrently:
/// ``startTrial(studyID:limit:worker:)`` hands out each enqueued trial once and never exceeds the
/// trial limit, ``finishTrial(id:state:values:failReason:)`` succeeds only on a running trial, and
/// parameter writes refuse to change a parameter's distribution.
///
/// Conformances: ``InMemoryStorage``; SQLite and PostgreSQL in their own modules. One
/// conformance test suite checks them all.
public protocol Storage: Sendable {
    // MARK: Studies

    /// Creates a study, or returns the existing one of that name (which must have the same
    /// directions) when `loadIfExists`.
    func createStudy(name: String, directions: [StudyDirection], loadIfExists: Bool) async throws -> StudyRecord
    /// The study with this name, if any.
    func study(named name: String) async throws -> StudyRecord?
    /// All studies, oldest first.
    func allStudies() async throws -> [StudyRecord]
    /// Deletes a study and its trials.
    func deleteStudy(id: Int) async throws
    /// Sets a study attribute (user attributes are the user's; system ones the library's).
    func setStudyAttribute(studyID: Int, key: String, value: JSONValue, system: Bool) async throws

    // MARK: Trials

    /// Starts a trial: claims the oldest enqueued (WAITING) trial if there is one, else creates a
    /// new one; both become RUNNING with this worker's heartbeat. Returns nil, creating and
    /// claiming nothing, when `limit` is set and the study already has that many trials that are
    /// not WAITING (enqueued trials count toward the limit once started).
    func startTrial(studyID: Int, limit: Int?, worker: String?) async throws -> FrozenTrial?
    /// Adds a WAITING trial (run before any new trial) whose system attributes hold `parameters`
    /// under ``FrozenTrial/fixedParametersKey``: they take those values when suggested.
    func enqueueTrial(studyID: Int, parameters: [String: ParameterValue], userAttributes: [String: JSONValue]) async throws -> FrozenTrial
    /// Records a parameter of a running trial. Setting it again with the same distribution keeps
    /// the first value; with another distribution it is an error.
    func setParameter(trialID: Int, name: String, value: ParameterValue, distribution: Distribution) async throws
    /// Records an intermediate value of a running trial (a later report for the same step wins).
    func reportIntermediateValue(trialID: Int, step: Int, value: Double) async throws
    /// Sets a trial attribute: a user attribute only while the trial runs (a finished trial is a
    /// record), a system attribute (the library's bookkeeping) in any state.
    func setTrialAttribute(trialID: Int, key: String, value: JSONValue, system: Bool) async throws
    /// Records that the running trial's worker is alive.
    func heartbeat(trialID: Int) async throws
    /// Ends a running trial. Throws ``StorageError`` if the trial is not running (already ended
    /// by another worker or by the heartbeat reaper).
    @discardableResult
    func finishTrial(id: Int, state: TrialState, values: [Double]?, failReason: String?) async throws -> FrozenTrial
    /// One trial.
    func trial(id: Int) async throws -> FrozenTrial
    /// The study's trials in number order, optionally only those in `states`.
    func trials(studyID: Int, states: Set<TrialState>?) async throws -> [FrozenTrial]
    /// Marks running trials whose last heartbeat is older than `gracePeriod` as FAILED and returns
    /// them.
    func failStaleTrials(studyID: Int, gracePeriod: TimeInterval) async throws -> [FrozenTrial]
}

/// A storage operation that cannot be carried out, with the reason.
public struct StorageError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        case studyNotFound, studyExists, trialNotFound, trialNotRunning, parameterConflict, invalidValue, backend
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// Parameter `name` of trial `number` suggested again from another distribution.
    public static func parameterConflict(_ name: String, trial number: Int, drawnFrom existing: Distribution, not distribution: Distribution) -> StorageError {
        StorageError(.parameterConflict, "parameter '\(name)' of trial \(number) was drawn from \(existing), not \(distribution)")
    }
}
