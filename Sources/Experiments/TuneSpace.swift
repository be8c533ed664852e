// TuneSpace.swift — the search space of `gradus tune` (issue 18 §1): each parameter is a config
// key path with a range or a list of choices, and candidates are drawn from it deterministically
// by a SplitMix64 stream seeded with the search seed, so the same search file gives the same
// candidates on every machine. A candidate's values are applied to the config as `$set` patches
// (JSONValue+Merge.swift): the value at the path is replaced as it stands, so a `choice` over whole
// sub-objects (e.g. which curriculum metric) swaps the object instead of merging into it.

import Foundation
import Support

/// The values one parameter of the search space can take.
package enum TuneDomain: Equatable, Sendable {
    /// Integers lo...hi (uniform, or log-uniform and rounded when `log`).
    case int(lo: Int, hi: Int, log: Bool)
    /// Reals lo...hi (uniform, or log-uniform when `log`).
    case float(lo: Double, hi: Double, log: Bool)
    /// One of these JSON values, each equally likely.
    case choice([JSONValue])

    /// True for `int` and `float` (the parameters plotted against the saving).
    package var isNumeric: Bool { if case .choice = self { return false } else { return true } }

    /// One value drawn from `random`.
    func draw(_ random: inout SplitMix64) -> JSONValue {
        let u = random.nextDouble()
        switch self {
        case .int(let lo, let hi, let log):
            if log {
                let x = exp(Foundation.log(Double(lo)) + u * (Foundation.log(Double(hi) + 1) - Foundation.log(Double(lo))))
                return .int(Int64(min(hi, max(lo, Int(x.rounded(.down))))))
            }
            return .int(Int64(lo + min(hi - lo, Int(u * Double(hi - lo + 1)))))
        case .float(let lo, let hi, let log):
            return .double(log ? exp(Foundation.log(lo) + u * (Foundation.log(hi) - Foundation.log(lo))) : lo + u * (hi - lo))
        case .choice(let values):
            return values[min(values.count - 1, Int(u * Double(values.count)))]
        }
    }
}

/// One parameter of the space: a dotted config key path and its domain.
package struct TuneParameter: Equatable, Sendable {
    /// The key path as written in the search file (`data_efficiency.data_routing.random_ltd...`).
    package var path: String
    package var domain: TuneDomain

    /// The path's keys.
    package var keys: [String] { path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
}

/// A sampled candidate: its index (1-based, its name's number) and one value per parameter.
package struct TuneCandidate: Equatable, Sendable {
    package var index: Int
    package var values: [JSONValue]

    /// The candidate's variant name in the rung matrices: `candidate-03`.
    package var name: String { "candidate-" + (index < 10 ? "0\(index)" : "\(index)") }

    /// The override patch that sets every parameter's value (the `$set` form, replacing what is there).
    package func patch(_ space: [TuneParameter]) -> JSONValue {
        zip(space, values).reduce(JSONValue.object([])) { acc, pv in
            acc.merged(with: .patch(pv.0.keys, .object([(JSONValue.setKey, pv.1)])))
        }
    }
}

extension TuneCandidate {
    /// `count` candidates drawn from `space` by SplitMix64(`seed`): candidate i's values are the
    /// next draws in parameter order, so a seed fixes every candidate.
    package static func sample(_ space: [TuneParameter], count: Int, seed: UInt64) -> [TuneCandidate] {
        var random = SplitMix64(seed: seed)
        return (0..<max(0, count)).map { i in TuneCandidate(index: i + 1, values: space.map { $0.domain.draw(&random) }) }
    }
}

/// A parameter's value as the report prints it: numbers rounded, objects by their keys.
func describeTuneValue(_ value: JSONValue) -> String {
    switch value {
    case .int(let n): return String(n)
    case .double(let d): return formatNumber(d, digits: d.magnitude < 1 ? 6 : 4)
    case .string(let s): return s
    case .object(let members): return "{" + members.map(\.key).joined(separator: ", ") + "}"
    default: return value.jsonText
    }
}
