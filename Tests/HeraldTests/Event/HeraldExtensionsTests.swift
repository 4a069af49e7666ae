import Foundation
import Herald
import Testing

@Suite struct HeraldExtensionsTests {
    @Test func heraldExtensionsRoundTrip() {
        var event = Event(source: "/shop", type: "orders.placed")
        event.partitionKey = "order-1"
        event.hops = 3
        #expect(event.partitionKey == "order-1")
        #expect(event.hops == 3)
    }

    @Test func deliverAtStoresATimestamp() {
        var event = Event(source: "/shop", type: "orders.placed")
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        event.deliverAt = date
        #expect(event.extensions["deliverat"] == .timestamp(date))
        #expect(event.deliverAt == date)
        event.deliverAt = nil
        #expect(event.extensions["deliverat"] == nil)
    }

    @Test func deliverAtReadsRFC3339Strings() {
        var event = Event(source: "/shop", type: "orders.placed", extensions: ["deliverat": "2023-11-14T22:13:20Z"])
        #expect(event.deliverAt == Date(timeIntervalSince1970: 1_700_000_000))
        event.extensions["deliverat"] = "next tuesday"
        #expect(event.deliverAt == nil)
    }

    @Test func deliverAtSurvivesTheJSONFormat() throws {
        var event = Event(id: "1", source: "/shop", type: "orders.placed")
        event.deliverAt = Date(timeIntervalSince1970: 1_700_000_000.25)
        let decoded = try Event.decode(json: event.jsonData())
        #expect(decoded.extensions["deliverat"] == "2023-11-14T22:13:20.25Z")
        #expect(decoded.deliverAt == event.deliverAt)
    }
}
