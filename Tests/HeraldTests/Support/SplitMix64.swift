/// A seeded generator of topic patterns and event types, so that the tests comparing the trie and the bus
/// with a direct matcher see the same ones on every run.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    private static let literals = ["a", "b", "c", "ü", "e\u{301}", "é"]

    mutating func pattern() -> String {
        let length = 1 + next(below: 4)
        var tokens: [String] = (0..<length).map { _ in
            next(below: 4) == 0 ? "*" : Self.literals[next(below: Self.literals.count)]
        }
        if next(below: 5) == 0 {
            tokens[length - 1] = ">"
        }
        return tokens.joined(separator: ".")
    }

    mutating func topic() -> String {
        let length = 1 + next(below: 5)
        let tokens: [String] = (0..<length).map { _ in
            next(below: 20) == 0 ? "" : Self.literals[next(below: Self.literals.count)]
        }
        return tokens.joined(separator: ".")
    }
}
