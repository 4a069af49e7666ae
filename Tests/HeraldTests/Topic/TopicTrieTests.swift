import Testing

@testable import Herald

@Suite struct TopicTrieTests {
    @Test func insertAddsEachEntryOnce() throws {
        var trie = TopicTrie<Int>()
        #expect(trie.insert(try TopicPattern("orders.*"), 1))
        #expect(!trie.insert(try TopicPattern("orders.*"), 1))
        #expect(trie.insert(try TopicPattern("orders.*"), 2))
        #expect(trie.insert(try TopicPattern("orders.>"), 1))
        #expect(trie.count == 3)
        #expect(trie.matches("orders.placed") == [1, 2])
    }

    @Test func removeReportsWhetherTheEntryWasThere() throws {
        var trie = TopicTrie<Int>()
        trie.insert(try TopicPattern("orders.*"), 1)
        trie.insert(try TopicPattern("orders.>"), 1)
        #expect(!trie.remove(try TopicPattern("orders.*"), 2))
        #expect(!trie.remove(try TopicPattern("orders.placed"), 1))
        #expect(!trie.remove(try TopicPattern("payments.>"), 1))
        #expect(trie.remove(try TopicPattern("orders.*"), 1))
        #expect(!trie.remove(try TopicPattern("orders.*"), 1))
        #expect(trie.count == 1)
        #expect(trie.matches("orders.placed") == [1])
        #expect(trie.remove(try TopicPattern("orders.>"), 1))
        #expect(trie.matches("orders.placed").isEmpty)
        #expect(trie.count == 0)
    }

    @Test func removePrunesNodesThatLeadNowhere() throws {
        var trie = TopicTrie<String>()
        trie.insert(try TopicPattern("a.x"), "kept")
        let withOne = trie.nodeCount
        #expect(withOne == 3)
        trie.insert(try TopicPattern("a.b.*.d"), "gone")
        trie.insert(try TopicPattern("a.b.*.>"), "gone")
        #expect(trie.nodeCount == 6)
        trie.remove(try TopicPattern("a.b.*.d"), "gone")
        #expect(trie.nodeCount == 5)
        trie.remove(try TopicPattern("a.b.*.>"), "gone")
        #expect(trie.nodeCount == withOne)
        trie.remove(try TopicPattern("a.x"), "kept")
        #expect(trie.nodeCount == 1)
        #expect(trie.count == 0)
    }

    @Test func reusesFreedNodes() throws {
        var trie = TopicTrie<Int>()
        for round in 0..<100 {
            trie.insert(try TopicPattern("round.\(round).*.>"), round)
            #expect(trie.nodeCount == 4)
            trie.remove(try TopicPattern("round.\(round).*.>"), round)
        }
        #expect(trie.nodeCount == 1)
    }

    @Test func valueUnderTwoMatchingPatternsAppearsOnce() throws {
        var trie = TopicTrie<String>()
        trie.insert(try TopicPattern("orders.placed"), "audit")
        trie.insert(try TopicPattern(">"), "metrics")
        trie.insert(try TopicPattern("orders.*"), "audit")
        trie.insert(try TopicPattern("*.placed"), "audit")
        #expect(trie.matches("orders.placed") == ["audit", "metrics"])
        #expect(trie.count(matching: "orders.placed") == 2)
        #expect(trie.matches("orders.cancelled") == ["metrics", "audit"])
        #expect(trie.count == 4)
    }

    @Test func matchesComeInInsertionOrder() throws {
        var trie = TopicTrie<Int>()
        trie.insert(try TopicPattern(">"), 1)
        trie.insert(try TopicPattern("orders.placed"), 2)
        trie.insert(try TopicPattern("orders.*"), 3)
        trie.insert(try TopicPattern("*.placed"), 4)
        trie.insert(try TopicPattern("orders.>"), 5)
        #expect(trie.matches("orders.placed") == [1, 2, 3, 4, 5])
        trie.remove(try TopicPattern(">"), 1)
        trie.insert(try TopicPattern(">"), 1)
        #expect(trie.matches("orders.placed") == [2, 3, 4, 5, 1])
    }

    @Test func countsMatchingValues() throws {
        var trie = TopicTrie<Int>()
        #expect(trie.count(matching: "orders.placed") == 0)
        trie.insert(try TopicPattern("orders.*"), 1)
        trie.insert(try TopicPattern("orders.*"), 2)
        #expect(trie.count(matching: "orders.placed") == 2)
        trie.insert(try TopicPattern("orders.placed"), 1)
        trie.insert(try TopicPattern("orders.placed"), 3)
        #expect(trie.count(matching: "orders.placed") == 3)
        #expect(trie.count(matching: "orders.cancelled") == 2)
        #expect(trie.count(matching: "payments.placed") == 0)
    }

    @Test func removeAllEmptiesTheTrie() throws {
        var trie = TopicTrie<Int>()
        for index in 0..<50 {
            trie.insert(try TopicPattern("topic.\(index).>"), index)
        }
        trie.removeAll()
        #expect(trie.count == 0)
        #expect(trie.nodeCount == 1)
        #expect(trie.matches("topic.1.x").isEmpty)
        trie.insert(try TopicPattern("topic.1.>"), 1)
        #expect(trie.matches("topic.1.x") == [1])
    }

    @Test func copiesAreIndependent() throws {
        var original = TopicTrie<Int>()
        original.insert(try TopicPattern("orders.*"), 1)
        var copy = original
        copy.insert(try TopicPattern("orders.placed"), 2)
        copy.remove(try TopicPattern("orders.*"), 1)
        #expect(original.matches("orders.placed") == [1])
        #expect(copy.matches("orders.placed") == [2])
    }

    @Test func literalsCompareBytes() throws {
        var trie = TopicTrie<Int>()
        trie.insert(try TopicPattern("café.*"), 1)
        #expect(trie.matches("cafe\u{301}.x").isEmpty)
        #expect(trie.matches("café.x") == [1])
    }

    @Test func findsTheOneMatchAmongTenThousandPatterns() throws {
        var trie = TopicTrie<Int>()
        for index in 0..<10_000 {
            trie.insert(try TopicPattern("service\(index).events.*"), index)
        }
        #expect(trie.count == 10_000)
        #expect(trie.matches("service4242.events.created") == [4242])
        #expect(trie.matches("service4242.events").isEmpty)
        #expect(trie.matches("service10000.events.created").isEmpty)
    }

    /// The trie returns what checking each pattern in turn returns, in insertion order, deduplicated.
    @Test(arguments: [1, 2])
    func agreesWithCheckingEachPattern(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var trie = TopicTrie<Int>()
        var entries: [(pattern: TopicPattern, value: Int)] = []
        var valuesByPattern: [TopicPattern: Set<Int>] = [:]
        for _ in 0..<2_000 {
            let pattern = try TopicPattern(random.pattern())
            let value = random.next(below: 400)
            let isNew = valuesByPattern[pattern, default: []].insert(value).inserted
            #expect(trie.insert(pattern, value) == isNew)
            if isNew {
                entries.append((pattern, value))
            }
        }
        let topics = (0..<500).map { _ in random.topic() }
        expectAgreement(trie, entries, topics)

        var kept: [(pattern: TopicPattern, value: Int)] = []
        for entry in entries {
            if random.next(below: 2) == 0 {
                trie.remove(entry.pattern, entry.value)
            } else {
                kept.append(entry)
            }
        }
        expectAgreement(trie, kept, topics)

        for entry in kept {
            trie.remove(entry.pattern, entry.value)
        }
        #expect(trie.count == 0)
        #expect(trie.nodeCount == 1)
    }

    private func expectAgreement(
        _ trie: TopicTrie<Int>,
        _ entries: [(pattern: TopicPattern, value: Int)],
        _ topics: [String]
    ) {
        #expect(trie.count == entries.count)
        var matched = 0
        for topic in topics {
            var seen = Set<Int>()
            let expected = entries.filter { $0.pattern.matches(topic) && seen.insert($0.value).inserted }
                .map(\.value)
            #expect(trie.matches(topic) == expected, "topic \"\(topic)\"")
            #expect(trie.count(matching: topic) == expected.count, "topic \"\(topic)\"")
            matched += expected.isEmpty ? 0 : 1
        }
        // Guards the generator: most topics should hit something, or the comparison proves little.
        #expect(matched > topics.count / 2)
    }
}
