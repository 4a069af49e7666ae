/// Finds every value whose ``TopicPattern`` matches a topic, walking the topic once, token by token.
///
/// Matching costs grow with the topic's length and with how many wildcard branches fit it, not with how
/// many patterns are stored: each step looks up the topic token among the node's literal children and
/// also follows the node's `*` child, and a `>` below a node matches whatever remains.
///
/// The trie holds a set of (pattern, value) entries. ``matches(_:)`` returns each matching value once,
/// even when several matching patterns hold it, in the order the entries were inserted: a value appears
/// where its earliest matching entry was inserted. Removing an entry and inserting it again moves it last.
///
/// A value type whose nodes live in arrays, copied on write: copies are independent. It is not
/// synchronized; share one between tasks behind a lock, such as a `Mutex`.
public struct TopicTrie<Value: Hashable & Sendable>: Sendable {
    private struct Entry: Sendable {
        var value: Value
        /// Insertion order, to sort and deduplicate values gathered from several nodes.
        var serial: UInt64
    }

    private struct Node: Sendable {
        var literals: [TopicTokenKey: Int] = [:]
        /// The index of the `*` child.
        var any: Int?
        /// Entries whose pattern ends at this node.
        var exact: [Entry] = []
        /// Entries whose pattern ends with `>` right below this node.
        var rest: [Entry] = []

        var isEmpty: Bool { literals.isEmpty && any == nil && exact.isEmpty && rest.isEmpty }
    }

    /// Every node, the root first; children refer to their index. Freed slots are listed in `freeNodes`.
    private var nodes = [Node()]
    private var freeNodes: [Int] = []
    private var nextSerial: UInt64 = 0

    /// The number of (pattern, value) entries.
    public private(set) var count = 0

    /// Creates an empty trie.
    public init() {}

    /// The number of nodes in use, the root included; an empty trie has one.
    var nodeCount: Int { nodes.count - freeNodes.count }

    /// Adds `value` under `pattern`.
    ///
    /// Inserting the same value under the same pattern again changes nothing. Inserting is linear in the
    /// number of values already stored under the same pattern.
    /// - Returns: `true` if the entry is new.
    @discardableResult
    public mutating func insert(_ pattern: TopicPattern, _ value: Value) -> Bool {
        var node = 0
        for token in pattern.tokens {
            switch token {
            case .literal(let key):
                if let child = nodes[node].literals[key] {
                    node = child
                } else {
                    let child = makeNode()
                    nodes[node].literals[key] = child
                    node = child
                }
            case .any:
                if let child = nodes[node].any {
                    node = child
                } else {
                    let child = makeNode()
                    nodes[node].any = child
                    node = child
                }
            case .rest:
                return insert(value, into: \.rest, of: node)
            }
        }
        return insert(value, into: \.exact, of: node)
    }

    /// Removes `value` from under `pattern`, and the nodes that no longer lead to any entry.
    ///
    /// The value stays stored under any other pattern.
    /// - Returns: `true` if the entry was there.
    @discardableResult
    public mutating func remove(_ pattern: TopicPattern, _ value: Value) -> Bool {
        // Each step down: the parent, and the literal key of the child, or nil for the `*` child.
        var path: [(parent: Int, literal: TopicTokenKey?)] = []
        var node = 0
        var list: WritableKeyPath<Node, [Entry]> = \.exact
        tokens: for token in pattern.tokens {
            let step: (child: Int?, literal: TopicTokenKey?)
            switch token {
            case .literal(let key):
                step = (nodes[node].literals[key], key)
            case .any:
                step = (nodes[node].any, nil)
            case .rest:
                list = \.rest
                break tokens
            }
            guard let child = step.child else { return false }
            path.append((node, step.literal))
            node = child
        }
        guard let index = nodes[node][keyPath: list].firstIndex(where: { $0.value == value }) else { return false }
        nodes[node][keyPath: list].remove(at: index)
        count -= 1
        while nodes[node].isEmpty, let (parent, literal) = path.popLast() {
            if let literal {
                nodes[parent].literals[literal] = nil
            } else {
                nodes[parent].any = nil
            }
            nodes[node] = Node()
            freeNodes.append(node)
            node = parent
        }
        return true
    }

    /// Removes every entry.
    public mutating func removeAll() {
        self = TopicTrie()
    }

    /// Every value stored under a pattern that matches `topic`, each once, in insertion order.
    public func matches(_ topic: String) -> [Value] {
        found(topic).values()
    }

    /// The number of values ``matches(_:)`` would return for `topic`.
    public func count(matching topic: String) -> Int {
        found(topic).count
    }

    private mutating func makeNode() -> Int {
        if let free = freeNodes.popLast() { return free }
        nodes.append(Node())
        return nodes.count - 1
    }

    private mutating func insert(_ value: Value, into list: WritableKeyPath<Node, [Entry]>, of node: Int) -> Bool {
        guard !nodes[node][keyPath: list].contains(where: { $0.value == value }) else { return false }
        nodes[node][keyPath: list].append(Entry(value: value, serial: nextSerial))
        nextSerial += 1
        count += 1
        return true
    }

    /// The entries gathered while matching. Most topics match entries of one node list, which is
    /// already in order and free of duplicates; only entries from several lists are merged.
    private struct Found {
        private var first: [Entry] = []
        private var merged: [Entry] = []
        private var lists = 0

        mutating func append(_ list: [Entry]) {
            guard !list.isEmpty else { return }
            lists += 1
            if lists == 1 {
                first = list
            } else {
                if merged.isEmpty {
                    merged = first
                }
                merged.append(contentsOf: list)
            }
        }

        /// Each value once, in insertion order.
        consuming func values() -> [Value] {
            guard lists > 1 else { return first.map(\.value) }
            merged.sort { $0.serial < $1.serial }
            var values: [Value] = []
            values.reserveCapacity(merged.count)
            // Merged lists are short for most topics; a linear search is cheaper than building a set.
            if merged.count <= 16 {
                for entry in merged where !values.contains(entry.value) {
                    values.append(entry.value)
                }
            } else {
                var seen = Set<Value>(minimumCapacity: merged.count)
                for entry in merged where seen.insert(entry.value).inserted {
                    values.append(entry.value)
                }
            }
            return values
        }

        var count: Int {
            guard lists > 1 else { return first.count }
            return Set(merged.lazy.map(\.value)).count
        }
    }

    private func found(_ topic: String) -> Found {
        var found = Found()
        var topic = topic
        topic.withUTF8 { bytes in
            nodes.withUnsafeBufferPointer { nodes in
                Self.collect(nodes, from: 0, bytes, 0, into: &found)
            }
        }
        return found
    }

    /// Gathers the entries below `node` that match the topic from offset `remainder` on (`nil`: no tokens
    /// left). Reads the nodes through a buffer pointer, which saves retaining each node's storage.
    private static func collect(
        _ nodes: UnsafeBufferPointer<Node>,
        from node: Int,
        _ topic: UnsafeBufferPointer<UInt8>,
        _ remainder: Int?,
        into found: inout Found
    ) {
        guard let start = remainder else {
            found.append(nodes[node].exact)
            return
        }
        found.append(nodes[node].rest)
        let any = nodes[node].any
        guard any != nil || !nodes[node].literals.isEmpty else { return }
        let (end, next) = topic.topicToken(from: start)
        let key = TopicTokenKey(UnsafeBufferPointer(rebasing: topic[start..<end]))
        if let child = nodes[node].literals[key] {
            collect(nodes, from: child, topic, next, into: &found)
        }
        if let any {
            collect(nodes, from: any, topic, next, into: &found)
        }
    }
}
