import Foundation

/// The state of a trial.
public enum TrialState: String, Sendable, Codable, CaseIterable {
    /// Enqueued with fixed parameters, not yet started.
    case waiting = "WAITING"
    case running = "RUNNING"
    case complete = "COMPLETE"
    case pruned = "PRUNED"
    case failed = "FAILED"

    /// Whether the trial has ended.
    public var isFinished: Bool { self == .complete || self == .pruned || self == .failed }
}

/// Whether an objective is minimised or maximised.
public enum StudyDirection: String, Sendable, Codable, CaseIterable {
    case minimize
    case maximize
}

/// A trial as stored: parameters, results and bookkeeping. A value: reading it never changes the
/// study.
///
/// Copying is O(1) with a single reference count: the bulky fields live in one copy-on-write box,
/// so histories of thousands of trials are passed around and filtered cheaply.
public struct FrozenTrial: Sendable, Codable, Hashable {
    /// Unique within the storage.
    public var id: Int
    public var studyID: Int
    /// 0, 1, 2, … within the study, in order of creation.
    public var number: Int
    public var state: TrialState

    /// The fields behind the copy-on-write box.
    struct Details: Sendable, Codable, Hashable {
        var parameters: [String: ParameterValue]
        var distributions: [String: Distribution]
        var values: [Double]?
        var intermediateValues: [Int: Double]
        var userAttributes: [String: JSONValue]
        var systemAttributes: [String: JSONValue]
        var failReason: String?
        var startedAt: Date?
        var finishedAt: Date?
        var heartbeatAt: Date?
        var worker: String?
    }

    final class Box: @unchecked Sendable {
        // Mutated only through `details`' accessors after a uniqueness check, so a box shared
        // between copies is never written.
        var details: Details
        init(_ details: Details) { self.details = details }
    }

    var box: Box

    /// The box, copied first if another value shares it.
    var uniqueBox: Box {
        mutating get {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.details) }
            return box
        }
    }

    /// Parameter values, by name (only the active parameters of a conditional space).
    public var parameters: [String: ParameterValue] {
        get { box.details.parameters }
        set { uniqueBox.details.parameters = newValue }
        _modify { yield &uniqueBox.details.parameters }
    }

    /// The distribution each parameter was drawn from.
    public var distributions: [String: Distribution] {
        get { box.details.distributions }
        set { uniqueBox.details.distributions = newValue }
        _modify { yield &uniqueBox.details.distributions }
    }

    /// Objective values (one per direction) of a complete trial.
    public var values: [Double]? {
        get { box.details.values }
        set { uniqueBox.details.values = newValue }
        _modify { yield &uniqueBox.details.values }
    }

    /// Intermediate values reported during the trial, by step.
    public var intermediateValues: [Int: Double] {
        get { box.details.intermediateValues }
        set { uniqueBox.details.intermediateValues = newValue }
        _modify { yield &uniqueBox.details.intermediateValues }
    }

    public var userAttributes: [String: JSONValue] {
        get { box.details.userAttributes }
        set { uniqueBox.details.userAttributes = newValue }
        _modify { yield &uniqueBox.details.userAttributes }
    }

    public var systemAttributes: [String: JSONValue] {
        get { box.details.systemAttributes }
        set { uniqueBox.details.systemAttributes = newValue }
        _modify { yield &uniqueBox.details.systemAttributes }
    }

    /// Why a FAILED trial failed.
    public var failReason: String? {
        get { box.details.failReason }
        set { uniqueBox.details.failReason = newValue }
        _modify { yield &uniqueBox.details.failReason }
    }

    public var startedAt: Date? {
        get { box.details.startedAt }
        set { uniqueBox.details.startedAt = newValue }
        _modify { yield &uniqueBox.details.startedAt }
    }

    public var finishedAt: Date? {
        get { box.details.finishedAt }
        set { uniqueBox.details.finishedAt = newValue }
        _modify { yield &uniqueBox.details.finishedAt }
    }

    /// The last sign of life of a running trial's worker.
    public var heartbeatAt: Date? {
        get { box.details.heartbeatAt }
        set { uniqueBox.details.heartbeatAt = newValue }
        _modify { yield &uniqueBox.details.heartbeatAt }
    }

    /// Which worker runs or ran the trial.
    public var worker: String? {
        get { box.details.worker }
        set { uniqueBox.details.worker = newValue }
        _modify { yield &uniqueBox.details.worker }
    }

    public init(
        id: Int, studyID: Int, number: Int, state: TrialState, parameters: [String: ParameterValue] = [:],
        distributions: [String: Distribution] = [:], values: [Double]? = nil, intermediateValues: [Int: Double] = [:],
        userAttributes: [String: JSONValue] = [:], systemAttributes: [String: JSONValue] = [:], failReason: String? = nil,
        startedAt: Date? = nil, finishedAt: Date? = nil, heartbeatAt: Date? = nil, worker: String? = nil
    ) {
        self.id = id
        self.studyID = studyID
        self.number = number
        self.state = state
        self.box = Box(Details(
            parameters: parameters, distributions: distributions, values: values, intermediateValues: intermediateValues,
            userAttributes: userAttributes, systemAttributes: systemAttributes, failReason: failReason,
            startedAt: startedAt, finishedAt: finishedAt, heartbeatAt: heartbeatAt, worker: worker))
    }

    enum CodingKeys: String, CodingKey {
        case id, studyID, number, state, parameters, distributions, values, intermediateValues, userAttributes,
             systemAttributes, failReason, startedAt, finishedAt, heartbeatAt, worker
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            id: c.decode(Int.self, forKey: .id), studyID: c.decode(Int.self, forKey: .studyID), number: c.decode(Int.self, forKey: .number),
            state: c.decode(TrialState.self, forKey: .state), parameters: c.decode([String: ParameterValue].self, forKey: .parameters),
            distributions: c.decode([String: Distribution].self, forKey: .distributions), values: c.decodeIfPresent([Double].self, forKey: .values),
            intermediateValues: c.decode([Int: Double].self, forKey: .intermediateValues),
            userAttributes: c.decode([String: JSONValue].self, forKey: .userAttributes),
            systemAttributes: c.decode([String: JSONValue].self, forKey: .systemAttributes),
            failReason: c.decodeIfPresent(String.self, forKey: .failReason), startedAt: c.decodeIfPresent(Date.self, forKey: .startedAt),
            finishedAt: c.decodeIfPresent(Date.self, forKey: .finishedAt), heartbeatAt: c.decodeIfPresent(Date.self, forKey: .heartbeatAt),
            worker: c.decodeIfPresent(String.self, forKey: .worker))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(studyID, forKey: .studyID)
        try c.encode(number, forKey: .number)
        try c.encode(state, forKey: .state)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(distributions, forKey: .distributions)
        try c.encodeIfPresent(values, forKey: .values)
        try c.encode(intermediateValues, forKey: .intermediateValues)
        try c.encode(userAttributes, forKey: .userAttributes)
        try c.encode(systemAttributes, forKey: .systemAttributes)
        try c.encodeIfPresent(failReason, forKey: .failReason)
        try c.encodeIfPresent(startedAt, forKey: .startedAt)
        try c.encodeIfPresent(finishedAt, forKey: .finishedAt)
        try c.encodeIfPresent(heartbeatAt, forKey: .heartbeatAt)
        try c.encodeIfPresent(worker, forKey: .worker)
    }

    public static func == (a: FrozenTrial, b: FrozenTrial) -> Bool {
        a.id == b.id && a.studyID == b.studyID && a.number == b.number && a.state == b.state
            && (a.box === b.box || a.box.details == b.box.details)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(studyID)
        hasher.combine(number)
        hasher.combine(state)
        hasher.combine(box.details)
    }

    /// The objective value of a complete single-objective trial.
    public var value: Double? { values?.count == 1 ? values![0] : nil }

    /// The system attribute of an enqueued trial that holds its fixed parameters.
    public static let fixedParametersKey = "fixed_params"

    /// The parameters fixed when the trial was enqueued (empty for a sampled trial).
    public var fixedParameters: [String: ParameterValue] {
        guard case let .object(o) = systemAttributes[Self.fixedParametersKey] else { return [:] }
        return o.compactMapValues(ParameterValue.init(json:))
    }

    /// Whether the trial was enqueued with fixed parameters rather than created by a sampler.
    /// System attribute: the last reported step at which ``Trial/shouldPrune()`` found that the
    /// trial goes on.
    public static let prunerCheckedStepKey = "pruner_checked_step"

    public var isEnqueued: Bool { systemAttributes[Self.fixedParametersKey] != nil }

    /// The last reported intermediate value and its step.
    public var lastIntermediate: (step: Int, value: Double)? {
        intermediateValues.max { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Wall time from start to end.
    public var duration: TimeInterval? {
        guard let s = startedAt, let e = finishedAt else { return nil }
        return e.timeIntervalSince(s)
    }
}

/// A study as stored.
public struct StudyRecord: Sendable, Codable, Hashable {
    public var id: Int
    public var name: String
    public var directions: [StudyDirection]
    public var userAttributes: [String: JSONValue]
    public var systemAttributes: [String: JSONValue]
    public var createdAt: Date

    public init(id: Int, name: String, directions: [StudyDirection], userAttributes: [String: JSONValue] = [:],
                systemAttributes: [String: JSONValue] = [:], createdAt: Date = Date()) {
        self.id = id
        self.name = name
        self.directions = directions
        self.userAttributes = userAttributes
        self.systemAttributes = systemAttributes
        self.createdAt = createdAt
    }
}
