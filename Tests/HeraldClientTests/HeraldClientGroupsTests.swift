import ArgumentParser
import Foundation
import Herald
import HeraldClient
import Testing

@testable import HeraldCLI

@Suite("HeraldClient consumer groups and topics against a live server")
struct HeraldClientGroupsTests {
    static func billing(maxAttempts: Int = 1) throws -> ConsumerGroupConfiguration {
        ConsumerGroupConfiguration(
            name: "billing", topic: try TopicPattern("orders.>"), start: .earliest, maxAttempts: maxAttempts,
            ackTimeout: .seconds(30))
    }

    @Test
    func createIsIdempotentAndConflictsWithOtherSettings() async throws {
        try await LiveServer().run { client, _ in
            let billing = try Self.billing()
            #expect(try await client.createGroup(billing) == .created)
            #expect(try await client.createGroup(billing) == .alreadyExists)
            let conflict = await clientError { try await client.createGroup(Self.billing(maxAttempts: 2)) }
            #expect(conflict?.status == 409)
            #expect(conflict?.problem?.detail.isEmpty == false)
        }
    }

    @Test
    func pollAckNackDeadLettersRequeueAndDelete() async throws {
        try await LiveServer().run { client, _ in
            try await client.createGroup(Self.billing())
            _ = try await client.publish([
                orderEvent(id: "g-1"), orderEvent(id: "g-2"), orderEvent(id: "x", type: "other"),
            ])

            let status = try await client.group(named: "billing")
            #expect(status.name == "billing")
            #expect(status.topic == "orders.>")
            #expect(status.lag == 2)
            #expect(try await client.groups().map(\.name) == ["billing"])

            let deliveries = try await client.poll(group: "billing", max: 10, wait: .seconds(2))
            #expect(deliveries.map(\.event.id) == ["g-1", "g-2"])
            #expect(deliveries.map(\.attempt) == [1, 1])
            let acked = try await client.ack(group: "billing", deliveryIDs: [deliveries[0].id, "no-such-delivery"])
            #expect(acked == SettleResult(settled: 1, unknownDeliveryIDs: ["no-such-delivery"]))
            let nacked = try await client.nack(
                group: "billing", deliveryIDs: [deliveries[1].id], error: "card declined")
            #expect(nacked == SettleResult(settled: 1, unknownDeliveryIDs: []))

            let letters = try await client.deadLetters(group: "billing")
            #expect(letters.map(\.stored.sequence) == [2])
            #expect(letters.first?.attempts == 1)
            #expect(letters.first?.lastError == "card declined")
            #expect(try await client.group(named: "billing").deadLetters == 1)

            #expect(try await client.requeueDeadLetters(group: "billing", sequences: [2]) == 1)
            let again = try await client.poll(group: "billing", max: 10, wait: .seconds(2))
            #expect(again.map(\.sequence) == [2])
            #expect(try await client.deadLetters(group: "billing").isEmpty)

            try await client.deleteGroup(named: "billing")
            let missing = await clientError { _ = try await client.group(named: "billing") }
            #expect(missing?.status == 404)
        }
    }

    @Test
    func aPollAcknowledgesTheLastBatchAndSeekReplays() async throws {
        try await LiveServer().run { client, port in
            try await client.createGroup(Self.billing())
            _ = try await client.publish([orderEvent(id: "s-1"), orderEvent(id: "s-2"), orderEvent(id: "s-3")])
            let first = try await client.poll(group: "billing", max: 2, wait: .zero)
            let next = try await client.poll(
                group: "billing", max: 2, wait: .zero, acknowledging: first.map(\.id) + ["no-such-delivery"])
            #expect(next.acknowledged == SettleResult(settled: 2, unknownDeliveryIDs: ["no-such-delivery"]))
            #expect(next.deliveries.map(\.event.id) == ["s-3"])
            let last = try await client.poll(
                group: "billing", max: 2, wait: .zero, acknowledging: next.deliveries.map(\.id))
            #expect(last.acknowledged == SettleResult(settled: 1, unknownDeliveryIDs: []))
            #expect(last.deliveries.isEmpty)
            #expect(try await client.group(named: "billing").lag == 0)

            #expect(try await client.seek(group: "billing", to: .after(sequence: 1)) == 1)
            let replayed = try await client.poll(group: "billing", max: 10, wait: .zero)
            #expect(replayed.map(\.event.id) == ["s-2", "s-3"])
            #expect(try await client.group(named: "billing").inFlight == 2)
            #expect(try await client.seek(group: "billing", to: .latest) == 3)
            #expect(try await client.group(named: "billing").inFlight == 0, "the seek ended the leases")

            let server = ["--server", "http://127.0.0.1:\(port)"]
            try await GroupsCommand.Seek.parse(["billing", "--to", "earliest"] + server).run()
            #expect(try await client.group(named: "billing").lag == 3)
            // The CLI prints the server's problem and exits with a failure.
            await #expect(throws: ExitCode.failure) {
                try await GroupsCommand.Seek.parse(["nobody", "--to", "earliest"] + server).run()
            }
        }
    }

    @Test
    func groupStartingAfterASequenceReportsIt() async throws {
        try await LiveServer().run { client, _ in
            _ = try await client.publish([orderEvent(id: "s-1"), orderEvent(id: "s-2")])
            var configuration = try Self.billing()
            configuration.start = .after(sequence: 1)
            try await client.createGroup(configuration)
            let status = try await client.group(named: "billing")
            #expect(status.start == "after:1")
            #expect(status.lag == 1)
            #expect(status.maxAttempts == 1)
            #expect(status.ackTimeout == .seconds(30))
            #expect(status.ordered == false)
        }
    }

    @Test
    func pollOfAnEmptyGroupReturnsNothingAfterTheWait() async throws {
        try await LiveServer().run { client, _ in
            try await client.createGroup(Self.billing())
            #expect(try await client.poll(group: "billing", max: 5, wait: .milliseconds(50)).isEmpty)
        }
    }

    @Test
    func groupsCommandsCreateListAndDelete() async throws {
        try await LiveServer().run { client, port in
            let server = ["--server", "http://127.0.0.1:\(port)"]
            try await GroupsCommand.Create.parse(["audit", "--topic", "orders.*", "--ordered"] + server).run()
            #expect(try await client.group(named: "audit").topic == "orders.*")
            try await GroupsCommand.List.parse(server).run()
            try await DeadLettersCommand.Requeue.parse(["audit"] + server).run()
            try await GroupsCommand.Delete.parse(["audit"] + server).run()
            #expect(try await client.groups().isEmpty)
        }
    }

    @Test
    func topicsCountEachEventType() async throws {
        try await LiveServer().run { client, _ in
            _ = try await client.publish([
                orderEvent(id: "t-1"), orderEvent(id: "t-2"), orderEvent(id: "t-3", type: "other"),
            ])
            let topics = try await client.topics()
            let placed = try #require(topics.first { $0.type == "orders.placed" })
            #expect(placed.count == 2)
            #expect(placed.lastSequence == 2)
            #expect(topics.first { $0.type == "other" }?.count == 1)
        }
    }
}
