import Herald
import Testing

@Suite struct EventTests {
    @Test func heraldExtensionsRoundTrip() {
        var event = Event(source: "/shop", type: "orders.placed")
        event.partitionKey = "order-1"
        event.hops = 3
        #expect(event.partitionKey == "order-1")
        #expect(event.hops == 3)
    }
}
