import Foundation
import Herald
import HeraldPostgres
import HeraldTesting
import Testing

/// Attribute values that break naive SQL or PostgreSQL's text type, stored and read back verbatim.
extension PostgresEventStoreTests {
    @Test func sqlMetaCharactersInTheOtherAttributesDataAndExtensionsAreStoredVerbatim() async throws {
        try await withStore { store in
            let hostile = #"'; DROP TABLE events; -- \ $1 $$ " % _ E'\x00' ::text"#
            var original = Event(
                id: "meta", source: "/s", type: "orders.meta", subject: "s",
                dataContentType: "text/plain; x=\"'; --\"", dataSchema: "https://example.com/';--$1%25",
                data: Data(hostile.utf8))
            original.extensions["tenant"] = .string(hostile)
            _ = try await store.append(original)
            #expect(try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event) == [original])
        }
    }

    @Test func aNULInAnIndexedAttributeIsRefusedAloneWhileItsGroupCommitNeighboursAreStored() async throws {
        try await withStore { store in
            let hostile = Event(
                id: "n", source: "/s", type: "orders.nul", subject: "s\u{0}s", data: Data([0, 1, 0]))
            let results = await withTaskGroup(of: (String, Bool).self) { group in
                group.addTask { (hostile.id, (try? await store.append(hostile)) != nil) }
                for index in 0..<8 {
                    let event = Event(id: "ok-\(index)", source: "/s", type: "orders.ok")
                    group.addTask { (event.id, (try? await store.append(event)) != nil) }
                }
                return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            #expect(results["n"] == false)
            #expect(results.filter(\.value).count == 8)
            let error = await #expect(throws: EventLogError.self) { _ = try await store.append(hostile) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("NUL character (U+0000) in 'subject'") == true)
            #expect(try await store.read(after: 0, filter: .all, limit: 100).events.count == 8)

            var inData = Event(id: "d", source: "/s", type: "orders.data", subject: "s")
            inData.data = Data([0, 1, 0])
            inData.extensions["tenant"] = .string("x\u{0}y")
            _ = try await store.append(inData)
            let stored = try await store.read(after: 0, filter: EventFilter(subject: "s"), limit: 10).events
            #expect(stored.map(\.event) == [inData])
        }
    }

    @Test func filtersAndSettlementsWithANULMatchNothingInsteadOfFailing() async throws {
        try await withStore { store in
            _ = try await store.append(Event(id: "1", source: "/s", type: "orders.a", subject: "s"))
            for filter in [
                EventFilter(subject: "s\u{0}"), EventFilter(source: "/s\u{0}"),
                EventFilter(topic: try TopicPattern("orders.\u{0}")),
            ] {
                #expect(try await store.read(after: 0, filter: filter, limit: 10).events.isEmpty)
            }
            #expect(try await store.streamVersion("s\u{0}") == 0)
            _ = try await store.createGroup(.init(name: "g", topic: try TopicPattern("orders.>")))
            let delivery = try #require(try await store.poll(group: "g", max: 1, wait: .zero).first)
            #expect(try await store.ack(group: "g", deliveryIDs: ["x\u{0}"]) == 0)
            #expect(try await store.nack(group: "g", deliveryIDs: [delivery.id], delay: .zero, error: "bad\u{0}") == 1)
        }
    }
}
