// The child process of HeraldSQLiteTests' crash test: appends and acknowledges under load until it is
// killed, and reports each append and acknowledgement after the store returned it, one line per write(2):
//   A <id> <sequence>    an append returned this sequence
//   K <sequence>         an acknowledgement of this event returned as current
import Foundation
import Herald
import HeraldSQLite

func report(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: HeraldSQLiteCrashChild <database path>\n".utf8))
    exit(2)
}
let store = try await SQLiteEventStore.open(path: CommandLine.arguments[1])
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
