/// The state of differentiation for the current task or thread: which differentiation scopes
/// enclose the code that runs, and whether operations record reverse-mode graph nodes.
///
/// Each call of ``valueWithPullback(at:of:)`` or ``jvp(at:along:of:)`` opens a scope with a new
/// *level*, a number larger than that of every scope created before, so that an inner scope's
/// level is larger than those of the scopes enclosing it. Levels keep nested derivatives apart
/// (no "perturbation confusion"): forward tangents are tagged with their level, and a reverse
/// scope wraps its inputs in fresh graph nodes and stops its sweep there.
@usableFromInline
struct DifferentiationContext: Sendable {
    /// Levels of the reverse-mode scopes enclosing the current code, innermost last.
    @usableFromInline var reverseLevels: [Int] = []
    /// Whether operations on tracked inputs record graph nodes.
    @usableFromInline var isRecording = true

    @usableFromInline init() {}

    @TaskLocal @usableFromInline static var current = DifferentiationContext()

    /// Whether the reverse pass of a scope must itself be recorded, which is the case when the
    /// caller is inside another reverse scope that may differentiate the result again.
    @inlinable var recordsDerivatives: Bool { isRecording && !reverseLevels.isEmpty }

    /// Whether derivative computations at forward level `level` must be recorded: only when a
    /// reverse scope opened before (outside) that forward scope is active.
    @inlinable func recordsTangents(ofLevel level: Int) -> Bool {
        guard isRecording else { return false }
        for r in reverseLevels where r < level { return true }
        return false
    }

    /// Runs `body` with `context` as the current context.
    @usableFromInline
    static func with<R>(_ context: DifferentiationContext, _ body: () throws -> R) rethrows -> R {
        try $current.withValue(context, operation: body)
    }

    /// A fresh level, larger than every level handed out before.
    @usableFromInline static func newLevel() -> Int { NodeCounter.next() }
}

/// Evaluates `body` without recording any reverse-mode graph: tensors computed inside have no
/// graph node, so no gradient flows through them, even when their inputs are being
/// differentiated. Forward-mode tangents, which cost no memory, still propagate. Use it for
/// evaluation and for optimizer updates inside a differentiated function.
/// - Complexity: O(1) overhead.
@inlinable
public func withoutDerivatives<R>(_ body: () throws -> R) rethrows -> R {
    var context = DifferentiationContext.current
    context.isRecording = false
    return try DifferentiationContext.with(context) { try body() }
}
