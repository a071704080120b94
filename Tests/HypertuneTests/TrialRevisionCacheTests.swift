import Foundation
@testable import Hypertune
import Testing

@Suite("Trial revision cache")
struct TrialRevisionCacheTests {
    func trial(_ id: Int, _ state: TrialState) -> FrozenTrial {
        FrozenTrial(id: id, studyID: 1, number: id, state: state)
    }

    @Test("a read whose snapshot is older, merged last, does not bring back older versions")
    func overlappingReads() {
        let cache = TrialRevisionCache()
        _ = cache.merge(study: 1, [(trial(0, .running), 1), (trial(1, .running), 2)], upTo: 2)
        // Two reads since revision 2: a later snapshot (trial 0 finished at 4) merged first…
        _ = cache.merge(study: 1, [(trial(0, .complete), 4)], upTo: 4)
        // …then an earlier one, which saw trial 0 still running at revision 1 and a new trial 2.
        let all = cache.merge(study: 1, [(trial(0, .running), 1), (trial(2, .running), 3)], upTo: 3)
        #expect(all.map(\.id) == [0, 1, 2])
        #expect(all.map(\.state) == [.complete, .running, .running])
        #expect(cache.revision(of: 1) == 4)
    }

    @Test("trials out of number order are sorted, and replaced in place afterwards")
    func ordering() {
        let cache = TrialRevisionCache()
        _ = cache.merge(study: 1, [(trial(2, .running), 3)], upTo: 3)
        _ = cache.merge(study: 1, [(trial(1, .running), 2)], upTo: 3)
        let all = cache.merge(study: 1, [(trial(2, .complete), 5)], upTo: 5)
        #expect(all.map(\.id) == [1, 2] && all.map(\.state) == [.running, .complete])
    }
}
