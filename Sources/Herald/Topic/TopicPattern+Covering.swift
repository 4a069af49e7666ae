extension TopicPattern {
    /// Whether this pattern matches every topic that `other` matches, so that permission for this pattern
    /// implies permission for `other`.
    ///
    /// `orders.>` covers `orders.placed`, `orders.*` and `orders.eu.>`; `orders.*` covers `orders.placed` but
    /// not `orders.>` (which also matches `orders.eu.placed`); `>` covers every pattern; a pattern covers
    /// itself. The check is exact: it never says yes when some topic matches `other` but not this pattern, and
    /// it looks at each pattern alone, so two patterns that only together match every topic of `other` each
    /// answer no.
    public func covers(_ other: TopicPattern) -> Bool {
        for (position, token) in tokens.enumerated() {
            // Past the end of `other`: it matches topics shorter than this pattern needs.
            guard position < other.tokens.count else { return false }
            let theirs = other.tokens[position]
            switch token {
            case .rest:
                // One or more remaining tokens, as any remaining token of `other` demands at least one.
                return true
            case .any:
                // `>` in `other` matches more than the one token `*` takes here.
                guard theirs != .rest else { return false }
            case .literal:
                guard theirs == token else { return false }
            }
        }
        return tokens.count == other.tokens.count
    }
}
