@testable import Hypertune
import Testing

@Suite("Distributions")
struct DistributionTests {
    func message(_ d: Distribution) -> String? {
        do {
            try d.validate(name: "p")
            return nil
        } catch {
            return error.description
        }
    }

    @Test("invalid ranges are reported with the parameter's name")
    func invalid() {
        #expect(message(.float(low: 2, high: 1))?.contains("low 2.0 is greater than high 1.0") == true)
        #expect(message(.float(low: 0, high: 1, log: true))?.contains("log-scale range needs low > 0") == true)
        #expect(message(.float(low: 0, high: 1, step: 0.3))?.contains("does not divide") == true)
        #expect(message(.int(low: 0, high: 10, step: 3))?.contains("does not divide") == true)
        #expect(message(.int(low: 0, high: 10, log: true))?.contains("low ≥ 1") == true)
        #expect(message(.categorical([]))?.contains("at least one choice") == true)
        #expect(message(.float(low: 0, high: 1, step: 0.25)) == nil)
        #expect(message(.float(low: 0, high: 1, step: 0.1)) == nil)
        #expect(message(.int(low: 1, high: 64, log: true)) == nil)
        #expect(message(.float(low: 0, high: 1))?.hasPrefix("parameter 'p'") != true)
    }

    @Test("internal and external representations round-trip on the grid")
    func representations() {
        let f = Distribution.float(low: 0, high: 1, step: 0.25)
        #expect(f.toExternal(0.3) == .double(0.25))
        #expect(f.toInternal(.double(0.75)) == 0.75)
        #expect(f.toInternal(.double(1.5)) == nil)
        let i = Distribution.int(low: 2, high: 10, step: 2)
        #expect(i.toExternal(5.2) == .int(6))
        #expect(i.toInternal(.int(5)) == nil)
        let c = Distribution.categorical(["a", 1, true])
        #expect(c.toInternal("a") == 0 && c.toInternal(.double(1)) == 1 && c.toInternal(true) == 2)
        #expect(c.toExternal(2) == .bool(true))
        #expect(f.gridCount == 5 && i.gridCount == 5 && c.gridCount == 3 && Distribution.float(low: 0, high: 1).gridCount == nil)
    }
}
