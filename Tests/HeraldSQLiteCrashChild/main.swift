// The child process of HeraldSQLiteTests' crash tests, run until it is killed.
//
// `HeraldSQLiteCrashChild PATH` appends and acknowledges under load, and reports each append and
// acknowledgement after the store returned it, one line per write(2):
//   A <id> <sequence>    an append returned this sequence
//   K <sequence>         an acknowledgement of this event returned as current
//
// `HeraldSQLiteCrashChild PATH transform` stores 2,000 orders (once: a second run finds them stored), then
// consumes them with a router handler that returns, for each, one `stock.reserved` event with an id of its
// own, new at each handling, so that an event stored twice would show. It reports `H <id>` as each handler
// starts, and `DONE` and exits once every order is acknowledged.
import Foundation
import Herald
import HeraldSQLite

func report(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

guard CommandLine.arguments.count == 2 || (CommandLine.arguments.count == 3 && CommandLine.arguments[2] == "transform")
else {
    FileHandle.standardError.write(Data("usage: HeraldSQLiteCrashChild <database path> [transform]\n".utf8))
    exit(2)
}
let store = try await SQLiteEventStore.open(path: CommandLine.arguments[1])
if CommandLine.arguments.count == 3 {
    let orders = (0..<2_000).map { index in
        var order = Event(id: "order-\(index)", source: "/crash", type: "orders.placed")
        order.partitionKey = "key-\(index % 16)"
        return order
    }
    _ = try await store.append(orders, expecting: nil)
    let group = ConsumerGroupConfiguration(name: "transform", topic: try TopicPattern("orders.>"))
    let consumer = try Router().addHandler(
        "reserve", consuming: ConsumerGroupSource(store: store, configuration: group),
        options: ConsumerOptions(batchSize: 50, concurrency: 4)
    ) { event, _ in
        report("H \(event.id)")
        return [Event(source: "/stock", type: "stock.reserved", subject: event.id)]
    }
    report("READY")
    let running = Task { try await consumer.run() }
    while try await store.groupInfo(named: "transform")?.lag != 0 { try await Task.sleep(for: .milliseconds(10)) }
    consumer.stop()
    try await running.value
    try await store.close()
    report("DONE")
    exit(0)
}
_ = try await store.createGroup(ConsumerGroupConfiguration(name: "crash", topic: try TopicPattern(">")))
report("READY")

try await withThrowingTaskGroup(of: Void.self) { group in
    for appender in 0..<8 {
        group.addTask {
            for index in 0... {
                let id = "\(appender)-\(index)"
                let result = try await store.append(Event(id: id, source: "/crash", type: "crash.appended"))
                report("A \(id) \(result.sequence ?? -1)")
            }
        }
    }
    for _ in 0..<2 {
        group.addTask {
            while true {
                for delivery in try await store.poll(group: "crash", max: 8, wait: .seconds(1)) {
                    if try await store.ack(group: "crash", deliveryIDs: [delivery.id]) == 1 {
                        report("K \(delivery.sequence)")
                    }
                }
            }
        }
    }
    try await group.waitForAll()
}
