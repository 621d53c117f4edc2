import Foundation
import GalleryCore

/// CloudWatch's `PutMetricData` (query protocol, API version 2010-08-01): the one call the
/// gallery makes to CloudWatch, to publish the job backlog the worker group scales on.
public final class CloudWatch: Sendable {
    static let version = "2010-08-01"
    let client: AWSClient

    public init(client: AWSClient) {
        self.client = client
    }

    public struct Datum: Equatable, Sendable {
        public var name: String
        public var value: Double
        /// `Count`, `Seconds`, `None`, …
        public var unit: String
        public var dimensions: [(name: String, value: String)]
        public var timestamp: Date

        public init(name: String, value: Double, unit: String, dimensions: [(name: String, value: String)], timestamp: Date) {
            self.name = name
            self.value = value
            self.unit = unit
            self.dimensions = dimensions
            self.timestamp = timestamp
        }

        public static func == (a: Datum, b: Datum) -> Bool {
            a.name == b.name && a.value == b.value && a.unit == b.unit && a.timestamp == b.timestamp
                && a.dimensions.map(\.name) == b.dimensions.map(\.name) && a.dimensions.map(\.value) == b.dimensions.map(\.value)
        }
    }

    /// Up to 1000 data in one request (AWS's limit); the gallery sends three.
    public func putMetricData(namespace: String, _ data: [Datum]) throws {
        precondition(data.count <= 1000)
        let stamps = ISO8601DateFormatter()
        var parameters = QueryParameters()
        parameters.add("Namespace", namespace)
        parameters.addList("MetricData", data) { p, prefix, datum in
            p.add(prefix + ".MetricName", datum.name)
            p.add(prefix + ".Value", String(datum.value))
            p.add(prefix + ".Unit", datum.unit)
            p.add(prefix + ".Timestamp", stamps.string(from: datum.timestamp))
            p.addList(prefix + ".Dimensions", datum.dimensions) { p, prefix, dimension in
                p.add(prefix + ".Name", dimension.name)
                p.add(prefix + ".Value", dimension.value)
            }
        }
        _ = try client.query(.cloudWatch, "PutMetricData", version: Self.version, parameters.pairs)
    }
}
