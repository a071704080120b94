/// The reverse sweep over the graph: from output nodes with their cotangents back to target
/// nodes, accumulating cotangents.
///
/// Only nodes on a path from an output to a target are visited, and each pullback is asked only
/// for the cotangents of inputs that lead to a target (a matrix product whose left factor is
/// data computes no cotangent for the data). Nodes are processed in decreasing identifier order,
/// which is a reverse topological order because parents are created before their children.
/// The sweep stops at the targets: a target's cotangent is not propagated to its parents.
///
/// - Complexity: O(V log V) bookkeeping for the V nodes between outputs and targets, plus the
///   pullbacks' own work.
@usableFromInline
enum Backpropagation<Scalar: TensorScalar> {
    @inlinable
    static func run(roots: [(node: Node<Scalar>, cotangent: Tensor<Scalar>)], targets: [Node<Scalar>])
        -> [Tensor<Scalar>?]
    {
        guard !targets.isEmpty, !roots.isEmpty else { return Array(repeating: nil, count: targets.count) }
        var targetIndex: [Int: Int] = [:]
        for (i, t) in targets.enumerated() { targetIndex[t.id] = i }
        let minTarget = targets.map(\.id).min()!

        // 1. Collect the nodes reachable from the outputs, never descending through a target
        //    or below the smallest target identifier (nothing there can reach a target).
        var collected: [Int: Node<Scalar>] = [:]
        var frontier: [Node<Scalar>] = roots.map(\.node)
        while let node = frontier.popLast() {
            if collected.updateValue(node, forKey: node.id) != nil { continue }
            if targetIndex[node.id] != nil { continue }
            for case let parent? in node.parents where parent.id >= minTarget && collected[parent.id] == nil {
                frontier.append(parent)
            }
        }
        // 2. In topological (ascending identifier) order, flag the nodes that reach a target.
        var reaches: [Int: Bool] = [:]
        var order: [Node<Scalar>] = []
        for id in collected.keys.sorted() {
            let node = collected[id]!
            var r = targetIndex[id] != nil
            if !r {
                for case let parent? in node.parents where reaches[parent.id] == true {
                    r = true
                    break
                }
            }
            reaches[id] = r
            if r { order.append(node) }
        }

        // 3. Sweep in reverse topological order.
        var cotangents: [Int: Tensor<Scalar>] = [:]
        for (node, cotangent) in roots where reaches[node.id] == true {
            accumulate(&cotangents, node.id, cotangent)
        }
        var results = [Tensor<Scalar>?](repeating: nil, count: targets.count)
        for node in order.reversed() {
            guard let cotangent = cotangents.removeValue(forKey: node.id) else { continue }
            if let t = targetIndex[node.id] {
                results[t] = cotangent
                continue
            }
            let needs = node.parents.map { p in p.map { reaches[$0.id] == true } ?? false }
            let inputCotangents = node.pullback(cotangent, needs, node)
            precondition(
                inputCotangents.count == node.parents.count,
                "internal: pullback of \(node.operation) returned \(inputCotangents.count) cotangents for \(node.parents.count) inputs")
            for (i, parent) in node.parents.enumerated() where needs[i] {
                guard let parent, let c = inputCotangents[i] else { continue }
                precondition(
                    c.shape == parent.shape,
                    "internal: pullback of \(node.operation) returned a cotangent of shape \(c.shape) for an input of shape \(parent.shape)")
                accumulate(&cotangents, parent.id, c)
            }
        }
        return results
    }

    @inlinable
    static func accumulate(_ cotangents: inout [Int: Tensor<Scalar>], _ id: Int, _ c: Tensor<Scalar>) {
        if var existing = cotangents.removeValue(forKey: id) {
            if existing.derivatives == nil && c.derivatives == nil {
                existing.addInPlace(c)
                cotangents[id] = existing
            } else {
                cotangents[id] = existing + c
            }
        } else {
            cotangents[id] = c
        }
    }
}
