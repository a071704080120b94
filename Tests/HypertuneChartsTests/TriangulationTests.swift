import Foundation
@testable import HypertuneCharts
import Testing

@Suite("Delaunay triangulation and linear interpolation")
struct TriangulationTests {
    @Test("the Delaunay triangulation leaves every circumcircle empty and covers the hull")
    func delaunay() {
        var g = SplitMix(seed: 3)
        let points = (0..<400).map { _ in (x: g.unit(), y: g.unit()) }
        let tri = DelaunayTriangulation(points: points)
        #expect(tri.skipped == 0)
        // Euler: a triangulation of n points with h on the hull has 2n − 2 − h triangles; a
        // random uniform sample has far fewer than n/4 hull points, so at least 1.7n triangles.
        #expect(tri.triangles.count > 680 && tri.triangles.count <= 2 * 400 - 5)
        var area = 0.0
        for (a, b, c) in tri.triangles {
            let (p, q, r) = (points[a], points[b], points[c])
            let orientation = (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x)
            #expect(orientation > 0, "a triangle is not counter-clockwise")
            area += orientation / 2
            // Circumcentre by the perpendicular bisectors (independent of the in-circle determinant).
            let d = 2 * (p.x * (q.y - r.y) + q.x * (r.y - p.y) + r.x * (p.y - q.y))
            let ux = ((p.x * p.x + p.y * p.y) * (q.y - r.y) + (q.x * q.x + q.y * q.y) * (r.y - p.y) + (r.x * r.x + r.y * r.y) * (p.y - q.y)) / d
            let uy = ((p.x * p.x + p.y * p.y) * (r.x - q.x) + (q.x * q.x + q.y * q.y) * (p.x - r.x) + (r.x * r.x + r.y * r.y) * (q.x - p.x)) / d
            let radius2 = (p.x - ux) * (p.x - ux) + (p.y - uy) * (p.y - uy)
            for (i, s) in points.enumerated() where i != a && i != b && i != c {
                #expect((s.x - ux) * (s.x - ux) + (s.y - uy) * (s.y - uy) >= radius2 * (1 - 1e-9), "point \(i) inside a circumcircle")
            }
        }
        // The triangles tile the convex hull: their area is the hull's (monotone chain).
        let hull = ContourChart.convexHull(points.map { ($0.x, $0.y) })
        let hullArea = hull.indices.reduce(0.0) { $0 + hull[$1].0 * hull[($1 + 1) % hull.count].1 - hull[($1 + 1) % hull.count].0 * hull[$1].1 } / 2
        #expect(abs(area - hullArea) < 1e-3 * hullArea, "triangles cover \(area) of the hull's \(hullArea)")
    }

    @Test("the triangulation survives grids, collinear points and duplicates")
    func degenerateTriangulation() {
        let grid = (0..<100).map { (x: Double($0 % 10), y: Double($0 / 10)) }
        let t = DelaunayTriangulation(points: grid + grid.prefix(5))
        #expect(t.triangles.count >= 150, "a 10 × 10 grid has 162 triangles, got \(t.triangles.count)")
        #expect(t.skipped >= 5)
        #expect(DelaunayTriangulation(points: (0..<10).map { (x: Double($0), y: 2 * Double($0)) }).triangles.isEmpty)
        #expect(DelaunayTriangulation(points: [(0, 0), (1, 0)]).triangles.isEmpty)
    }

    @Test("interpolation reproduces an affine function exactly inside the hull and leaves the outside empty")
    func interpolation() {
        // Points in the triangle x ≥ 0, y ≥ 0, x + y ≤ 1 (corners included), f = 2 − 3x + 5y.
        var g = SplitMix(seed: 11)
        var xs = [0.0, 1, 0], ys = [0.0, 0, 1]
        for _ in 0..<60 {
            let (a, b) = (g.unit(), g.unit())
            let (u, v) = a + b > 1 ? (1 - a, 1 - b) : (a, b)
            xs.append(u)
            ys.append(v)
        }
        let f = { (x: Double, y: Double) in 2 - 3 * x + 5 * y }
        let grid = TriangulatedGrid(x: xs, y: ys, z: zip(xs, ys).map(f), columns: 25, rows: 20, xRange: 0...1, yRange: 0...1)
        var inside = 0
        for row in 0..<20 {
            for column in 0..<25 {
                // Cell centres derived here, independently of the grid's own accessors.
                let x = (Double(column) + 0.5) / 25, y = (Double(row) + 0.5) / 20
                let value = grid.value(column: column, row: row)
                if x + y > 1 + 1e-9 {
                    #expect(value == nil, "a value outside the hull at (\(x), \(y))")
                } else if let value {
                    inside += 1
                    #expect(abs(value - f(x, y)) < 1e-9, "at (\(x), \(y)): \(value) vs \(f(x, y))")
                }
            }
        }
        // Nearly all cells under the diagonal are inside the triangulated hull.
        #expect(inside >= 230, "\(inside) cells interpolated")
    }
}
