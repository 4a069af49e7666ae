import ArgumentParser
import Foundation
import Herald
import HeraldServer
import Testing

@testable import HeraldCLI

@Suite struct ServeAccessOptionsTests {
    static let key = "ci:ci-secret-0000000001:publish=orders.>,subscribe,rate=5/s"
    static let hmac = "k1:hmac:\(Data(repeating: 1, count: 32).base64EncodedString())"

    @Test func rateLimitAndSignatureFlagsReachTheConfiguration() throws {
        let command = try ServeCommand.parse([
            "--store", "memory", "--api-key", Self.key, "--rate-limit", "100/m", "--require-signature", "payments.>",
            "--require-signature", "audit.*", "--verification-key", Self.hmac,
        ])
        let (configuration, _) = try command.resolved()
        #expect(configuration.rateLimit == RateLimit(requests: 100, per: .seconds(60)))
        #expect(configuration.apiKeys.first?.rateLimit == RateLimit(requests: 5, per: .seconds(1)))
        #expect(configuration.apiKeys.first?.topicLimits[.publish] == [try TopicPattern("orders.>")])
        #expect(configuration.signatureRequirement.topics.map(\.text) == ["payments.>", "audit.*"])
        #expect(configuration.signatureRequirement.keys.map(\.id) == ["k1"])
    }

    @Test(arguments: [
        (["--api-key", key, "--rate-limit", "lots"], "N/s or N/m"),
        (["--rate-limit", "5/s"], "--rate-limit"),
        (["--api-key", key, "--require-signature", "payments.>"], "--verification-key"),
        (["--api-key", key, "--require-signature", "pay..x", "--verification-key", hmac], "--require-signature"),
        (["--api-key", key, "--require-signature", ">", "--verification-key", "k1:hmac:short"], "'k1'"),
    ])
    func badAccessFlagsAreRefusedSayingWhich(arguments: [String], fragment: String) {
        #expect {
            _ = try ServeCommand.parse(["--store", "memory"] + arguments)
        } throws: { error in
            HeraldCommand.message(for: error).contains(fragment)
        }
    }
}
