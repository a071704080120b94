import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many threads the engine's own kernels may use for one large operation.
///
/// Defaults to `HYPERTUNE_NUM_THREADS`, else `OPENBLAS_NUM_THREADS`, else the number of active
/// processors; BLAS calls follow OpenBLAS's own setting. Only operations with enough work to
/// amortise the hand-off (about a million multiply–adds) are split.
public enum ComputeThreads {
    static let storage = Atomic<Int>(ComputeThreads.defaultCount())

    /// The number of threads used by the engine's kernels (at least 1).
    public static var count: Int {
        get { storage.load(ordering: .relaxed) }
        set { storage.store(Swift.max(1, newValue), ordering: .relaxed) }
    }

    static func defaultCount() -> Int {
        for name in ["HYPERTUNE_NUM_THREADS", "OPENBLAS_NUM_THREADS"] {
            if let raw = getenv(name), let n = Int(String(cString: raw)), n > 0 { return n }
        }
        return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Runs `body(chunk, chunkCount)` for each of `chunkCount` chunks, concurrently when
    /// `chunkCount > 1`.
    @usableFromInline
    static func forEachChunk(_ chunkCount: Int, _ body: (Int, Int) -> Void) {
        if chunkCount <= 1 {
            body(0, 1)
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: chunkCount) { box.value($0, chunkCount) }
        }
    }

    /// The number of chunks worth using for `work` multiply–adds.
    @usableFromInline
    static func chunks(forWork work: Int) -> Int {
        work < 1 << 20 ? 1 : Swift.min(count, Swift.max(1, work >> 19))
    }
}

/// Carries a non-Sendable value into concurrent code whose synchronisation is ensured by the
/// caller (each chunk touches disjoint memory, and the call waits for all chunks).
@usableFromInline
struct UncheckedSendableBox<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @usableFromInline init(_ value: T) { self.value = value }
}
