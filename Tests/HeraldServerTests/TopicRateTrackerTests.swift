import HeraldServer
import Testing

@Suite struct TopicRateTrackerTests {
    private let start = ContinuousClock.now

    @Test func theRateIsEventsInTheLastMinuteOverTheTimeObserved() {
        let tracker = TopicRateTracker(startingAt: start)
        for _ in 0..<30 { tracker.record("orders.placed", at: start + .seconds(10)) }
        tracker.record("orders.paid", at: start + .seconds(19))
        let rates = tracker.ratesPerSecond(at: start + .seconds(20))
        #expect(rates["orders.placed"] == 1.5, "30 events over the 20 seconds observed")
        #expect(rates["orders.paid"] == 0.05)
        #expect(rates["orders.shipped"] == nil)
    }

    @Test func aServerThatJustStartedDividesByOneSecondAtLeast() {
        let tracker = TopicRateTracker(startingAt: start)
        for _ in 0..<5 { tracker.record("orders.placed", at: start + .milliseconds(200)) }
        #expect(tracker.ratesPerSecond(at: start + .milliseconds(500))["orders.placed"] == 5)
    }

    @Test func eventsOlderThanAMinuteNoLongerCount() {
        let tracker = TopicRateTracker(startingAt: start)
        for second in 0..<120 { tracker.record("metrics.cpu", at: start + .seconds(second)) }
        #expect(tracker.ratesPerSecond(at: start + .seconds(119))["metrics.cpu"] == 1, "60 events in 60 seconds")
        tracker.record("orders.placed", at: start + .seconds(130))
        let later = tracker.ratesPerSecond(at: start + .seconds(180))
        #expect(later["metrics.cpu"] == nil)
        #expect(later["orders.placed"] == 1.0 / 60)
        #expect(tracker.ratesPerSecond(at: start + .seconds(300)).isEmpty)
    }

    @Test func eventsBeforeTheStartAreIgnored() {
        let tracker = TopicRateTracker(startingAt: start)
        tracker.record("orders.placed", at: start - .seconds(5))
        #expect(tracker.ratesPerSecond(at: start + .seconds(1)).isEmpty)
    }
}
