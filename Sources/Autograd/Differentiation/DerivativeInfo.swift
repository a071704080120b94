#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A node of the reverse-mode graph: how to map the cotangent of one operation's output to
/// cotangents of its inputs.
///
/// Nodes reference their parents (the nodes of the inputs), so a graph lives exactly as long as
/// some tensor, pullback or node refers to it, and is freed by reference counting when the last
/// of them goes (no tape to clear, no growth across calls). Freeing is iterative (see
/// ``GraphTeardown``), so graphs of any depth can be released.
/// Node identifiers increase with creation time, so parents always have smaller identifiers than
/// their children: sorting by identifier gives a topological order.
@usableFromInline
final class Node<Scalar: TensorScalar>: @unchecked Sendable {
    /// The pullback of one operation: given the output's cotangent, which inputs need a
    /// cotangent, and the node itself (so that a rule can reconnect the saved output to the graph
    /// without holding a reference to its own node), returns one cotangent per input (`nil` where
    /// not needed).
    @usableFromInline
    typealias Pullback = @Sendable (Tensor<Scalar>, [Bool], Node<Scalar>) -> [Tensor<Scalar>?]

    @usableFromInline let id: Int
    @usableFromInline let shape: Shape
    @usableFromInline let operation: String
    // Written only at initialisation and emptied by `deinit` (which has exclusive access).
    @usableFromInline private(set) var parents: [Node?]
    @usableFromInline private(set) var pullback: Pullback

    @usableFromInline
    init(parents: [Node?], shape: Shape, operation: String, pullback: @escaping Pullback) {
        self.id = NodeCounter.next()
        self.parents = parents
        self.shape = shape
        self.operation = operation
        self.pullback = pullback
    }

    deinit {
        // Hand the references that could free further nodes to the teardown queue instead of
        // releasing them here, which would recurse once per node of a chain. They are moved,
        // not copied: no local copy may outlive the drain, or it would keep the parent alive.
        let queue = GraphTeardown.queue
        queue.pending.append(parents)
        queue.pending.append(pullback)
        parents = []
        pullback = Node.releasedPullback
        GraphTeardown.drain(queue)
    }

    private static var releasedPullback: Pullback { { _, _, _ in [] } }
}

/// Iterative release of graphs: a node being freed moves its parents and pullback (whose
/// captured tensors hold further nodes) to a per-thread queue, and the outermost release drains
/// the queue in a loop. Freeing a chain of N nodes therefore uses O(1) stack instead of O(N).
@usableFromInline
enum GraphTeardown {
    final class Queue {
        var pending: [Any] = []
        var draining = false
    }

    static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in
            if let raw { Unmanaged<Queue>.fromOpaque(raw).release() }
        }
        return key
    }()

    /// This thread's queue.
    static var queue: Queue {
        if let raw = pthread_getspecific(key) {
            return Unmanaged<Queue>.fromOpaque(raw).takeUnretainedValue()
        }
        let q = Queue()
        pthread_setspecific(key, Unmanaged.passRetained(q).toOpaque())
        return q
    }

    /// Releases the queued references one at a time, unless an outer call is already doing so.
    static func drain(_ q: Queue) {
        if q.draining { return }
        q.draining = true
        while true {
            // Take the item out first and drop it outside the access to `pending`: dropping it
            // may free nodes, whose deinit appends to `pending`.
            var item = q.pending.popLast()
            if item == nil { break }
            item = nil
            _ = item
        }
        q.draining = false
    }
}

/// Monotonic identifiers for graph nodes and differentiation levels, shared by all threads.
@usableFromInline
enum NodeCounter {
    static let counter = Atomic<Int>(0)
    @usableFromInline
    static func next() -> Int { counter.add(1, ordering: .relaxed).newValue }
}

/// The forward-mode tangents of one differentiation level: one per direction (a level may carry
/// several directions at once, so that a Jacobian–matrix product evaluates the primal once).
@usableFromInline
struct LeveledTangent<Scalar: TensorScalar>: Sendable {
    @usableFromInline let level: Int
    @usableFromInline let values: [Tensor<Scalar>]

    @usableFromInline init(level: Int, values: [Tensor<Scalar>]) {
        self.level = level
        self.values = values
    }
}

/// The derivative information a tracked tensor carries: its reverse-mode node and its tangents
/// (ascending by level; nested ``jvp(at:along:of:)`` calls give a tensor several).
@usableFromInline
final class DerivativeInfo<Scalar: TensorScalar>: Sendable {
    @usableFromInline let node: Node<Scalar>?
    @usableFromInline let tangents: [LeveledTangent<Scalar>]

    @usableFromInline
    init(node: Node<Scalar>?, tangents: [LeveledTangent<Scalar>]) {
        self.node = node
        self.tangents = tangents
    }

    /// `nil` when there is nothing to carry.
    @usableFromInline
    static func make(node: Node<Scalar>?, tangents: [LeveledTangent<Scalar>]) -> DerivativeInfo? {
        node == nil && tangents.isEmpty ? nil : DerivativeInfo(node: node, tangents: tangents)
    }
}

extension Tensor {
    @inlinable var node: Node<Scalar>? { derivatives?.node }

    /// The highest differentiation level of the tangents this tensor carries (0 if none).
    @inlinable var topTangentLevel: Int { derivatives?.tangents.last?.level ?? 0 }

    /// The tangents (one per direction) at exactly `level`, if any.
    @inlinable func tangents(atLevel level: Int) -> [Tensor]? {
        guard let tangents = derivatives?.tangents else { return nil }
        for t in tangents where t.level == level { return t.values }
        return nil
    }

    /// The same tensor without its tangents at `level` (the primal at that level); the node and
    /// lower-level tangents are kept.
    @inlinable func removingTangent(atLevel level: Int) -> Tensor {
        guard let info = derivatives, info.tangents.contains(where: { $0.level == level }) else { return self }
        let rest = info.tangents.filter { $0.level != level }
        return Tensor(shape: shape, storage: storage, derivatives: .make(node: info.node, tangents: rest))
    }

    /// The same tensor with `tangents` (one per direction) attached at `level`, which must exceed
    /// its other levels.
    @inlinable func addingTangents(_ tangents: [Tensor], atLevel level: Int) -> Tensor {
        for t in tangents {
            precondition(t.shape == shape, "jvp: tangent of shape \(t.shape) does not match its value's shape \(shape)")
        }
        var levels = derivatives?.tangents ?? []
        precondition(levels.last.map { $0.level < level } ?? true, "internal: tangent levels out of order")
        levels.append(LeveledTangent(level: level, values: tangents))
        return Tensor(shape: shape, storage: storage, derivatives: DerivativeInfo(node: node, tangents: levels))
    }

    /// The same tensor with `node` as its reverse-mode node (tangents kept).
    @inlinable func settingNode(_ node: Node<Scalar>?) -> Tensor {
        Tensor(
            shape: shape, storage: storage,
            derivatives: .make(node: node, tangents: derivatives?.tangents ?? []))
    }
}
