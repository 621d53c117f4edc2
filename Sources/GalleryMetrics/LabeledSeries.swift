import Foundation

/// One metric object per combination of label values, made on first use and kept: swift-metrics
/// asks for metrics to be created once and reused, and the label values seen here come from
/// small fixed sets (route patterns, statuses, outcomes), so the table stays small.
public final class LabeledSeries<Metric: Sendable>: @unchecked Sendable {  // the table is guarded by `lock`
    private let make: @Sendable ([String]) -> Metric
    private let lock = NSLock()
    private var table: [[String]: Metric] = [:]

    /// `make` receives the label values in the order `callAsFunction` is given them.
    public init(_ make: @escaping @Sendable ([String]) -> Metric) {
        self.make = make
    }

    public func callAsFunction(_ values: String...) -> Metric {
        lock.withLock {
            if let metric = table[values] { return metric }
            let metric = make(values)
            table[values] = metric
            return metric
        }
    }
}
