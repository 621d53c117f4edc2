/// What the executable's metrics backend has recorded, as Prometheus text. The library
/// modules record through swift-metrics only; the executable picks the backend
/// (GalleryBootstrap) and hands this to whatever serves or writes the text.
public protocol MetricsExposition: Sendable {
    /// The text exposition format, version 0.0.4.
    func prometheusText() -> String
}

public enum PrometheusText {
    /// The Content-Type of the text exposition format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
