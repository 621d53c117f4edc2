// swift-tools-version:6.0
// The gallery: a FastCGI responder, thumbnail workers and an admin command over
// two storage backends (embedded SQLite/filesystem and AWS). See README.md.
import Foundation
import PackageDescription

/// One system-library target per C library; only one Swift module imports each.
func systemLibrary(_ name: String, pkgConfig: String? = nil, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/CLibraries/\(name)", pkgConfig: pkgConfig,
                   providers: [.apt([apt])])
}

let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
/// The metrics API; only GalleryBootstrap sees a backend (swift-prometheus).
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")

let package = Package(
    name: "gallery",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gallery-fcgi", targets: ["gallery-fcgi"]),
        .executable(name: "gallery-worker", targets: ["gallery-worker"]),
        .executable(name: "gallery", targets: ["gallery"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries
        systemLibrary("CFastCGI", apt: "libfcgi-dev"),
        systemLibrary("CGD", apt: "libgd-dev"),
        // libjpeg reports errors by longjmp, which must not cross Swift frames: a C shim.
        .target(name: "CJPEG", path: "Sources/CLibraries/CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
        // libwebp's encoder fed from libgd's rows without libgd's per-pixel RGBA copy.
        .target(name: "CWebP", path: "Sources/CLibraries/CWebP", linkerSettings: [.linkedLibrary("webp")]),
        systemLibrary("CExif", pkgConfig: "libexif", apt: "libexif-dev"),
        systemLibrary("CLCMS2", pkgConfig: "lcms2", apt: "liblcms2-dev"),
        systemLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        systemLibrary("CSQLite", pkgConfig: "sqlite3", apt: "libsqlite3-dev"),
        systemLibrary("CArgon2", pkgConfig: "libargon2", apt: "libargon2-dev"),
        // Password quality (cracklib's dictionary and pwquality's checks) for AccountRules.
        systemLibrary("CPasswordQuality", pkgConfig: "pwquality", apt: "libpwquality-dev"),
        systemLibrary("COpenSSL", pkgConfig: "openssl", apt: "libssl-dev"),
        // libcurl's curl_easy_setopt is variadic, which Swift cannot call: a tiny C shim.
        .target(name: "CCurl", path: "Sources/CLibraries/CCurl",
                linkerSettings: [.linkedLibrary("curl")]),

        // Domain values, the storage seams, configuration, errors, the rules (the password
        // rule with libpwquality, its one importer).
        .target(name: "GalleryCore", dependencies: ["CPasswordQuality"]),
        // Hashes, HMAC, randomness, AES (OpenSSL).
        .target(name: "GalleryCrypto", dependencies: ["COpenSSL"]),
        // Argon2id password hashing (libargon2).
        .target(name: "GalleryPasswords", dependencies: ["CArgon2", "GalleryCrypto"]),
        // HTTP and SMTP over libcurl.
        .target(name: "GalleryCurl", dependencies: ["CCurl", "GalleryCore", logging]),
        // SQLite metadata and job table, filesystem blobs, local accounts, outbox mail.
        .target(name: "GalleryEmbedded",
                dependencies: ["CSQLite", "GalleryCore", "GalleryCrypto", "GalleryPasswords", logging]),
        // DynamoDB, S3, Cognito, Secrets Manager over SigV4 and libcurl.
        .target(name: "GalleryAWS", dependencies: ["GalleryCore", "GalleryCurl", "GalleryCrypto", logging]),
        // Magic-byte sniffing and header dimensions, pure Swift: the responder checks uploads
        // with it without linking any image decoder.
        .target(name: "ImageInspection", dependencies: ["GalleryCore"]),
        // Decoding, orientation, resampling, encoding.
        .target(name: "GalleryImaging", dependencies: ["GalleryCore", "ImageInspection", "CGD", "CJPEG", "CWebP", "CExif", "CLCMS2", "CZlib"]),
        // Metric families more than one front end emits (queue depth), the seam through which
        // an executable hands its metrics backend's text to /metrics, the metrics-file writer.
        .target(name: "GalleryMetrics", dependencies: ["GalleryCore", logging, metrics]),
        // The use cases between the seams and the front ends: uploads, removal, sharing, access,
        // albums, accounts and their removal.
        .target(name: "GalleryUseCases", dependencies: ["GalleryCore", "GalleryCrypto", "ImageInspection", logging]),
        // Request and response types and the parsers of untrusted input (multipart, forms,
        // cookies, headers, CGI parameters): no libfcgi, no templates, so each can be fuzzed alone.
        .target(name: "GalleryHTTP", dependencies: ["GalleryCore", "GalleryCrypto"]),
        // FastCGI transport, router, sessions, CSRF, pages (parse → use case → render), templates.
        .target(name: "GalleryWeb", dependencies: [
            "GalleryCore", "GalleryCrypto", "GalleryHTTP", "GalleryMetrics", "GalleryUseCases", "CFastCGI",
            .product(name: "Mustache", package: "swift-mustache"), logging, metrics,
        ]),
        // Claim loop, leases, retries, isolated decoding.
        .target(name: "GalleryWorker", dependencies: ["GalleryCore", "GalleryUseCases", "GalleryImaging", "GalleryMetrics",
                                                      "ImageInspection", logging, metrics]),
        // Picks the backends from configuration, once, for every executable: storage, logging
        // and metrics (Prometheus text, served by gallery-fcgi, written to a file by workers).
        .target(name: "GalleryBootstrap",
                dependencies: ["GalleryCore", "GalleryEmbedded", "GalleryAWS", "GalleryCurl", "GalleryCrypto",
                               "GalleryMetrics", logging, metrics,
                               .product(name: "Prometheus", package: "swift-prometheus")]),

        .executableTarget(name: "gallery-fcgi", dependencies: ["GalleryBootstrap", "GalleryHTTP", "GalleryUseCases", "GalleryWeb"]),
        .executableTarget(name: "gallery-worker",
                          dependencies: ["GalleryBootstrap", "GalleryWorker", "GalleryImaging", logging]),
        .executableTarget(name: "gallery", dependencies: [
            "GalleryBootstrap", "GalleryCore", "GalleryHTTP", "GalleryUseCases", "GalleryCrypto", "GalleryImaging",
            "GalleryMetrics", "ImageInspection",
            .product(name: "ArgumentParser", package: "swift-argument-parser"), logging,
        ]),

        // The cost of one feed page render, in-process (bench/README.md).
        .executableTarget(name: "gallery-bench-feed-render",
                          dependencies: ["GalleryBootstrap", "GalleryHTTP", "GalleryUseCases", "GalleryWeb"],
                          path: "bench/feed/Sources"),
        // The upload parser's throughput (bench/README.md).
        .executableTarget(name: "gallery-bench-multipart", dependencies: ["GalleryHTTP", "GalleryCrypto"],
                          path: "bench/multipart/Sources"),
        // The thumbnail benchmark (bench/thumbnails/run.sh): ours beside libvips and Pillow.
        .executableTarget(name: "gallery-bench-thumbnails", dependencies: ["GalleryImaging"],
                          path: "bench/thumbnails/Sources"),
        // The queue benchmark's client (bench/queue/run.sh).
        .executableTarget(name: "gallery-bench-queue", dependencies: [
            "GalleryBootstrap", "GalleryCore", "GalleryCrypto", "ImageInspection",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "bench/queue/Sources"),

        // Where the tests' photos (Tests/Fixtures) and the repository's files are; every test
        // target uses it, so the locating logic exists once.
        .target(name: "GalleryTestSupport", dependencies: [logging], path: "Tests/GalleryTestSupport"),
        // What the conformance suites and the backends' own tests share (error cases, times,
        // claimer threads, sample records).
        .target(name: "GalleryConformance", dependencies: ["GalleryCore", "GalleryTestSupport"],
                path: "Tests/GalleryConformance"),
        .testTarget(name: "GalleryCoreTests",
                    dependencies: ["GalleryCore", "GalleryCrypto", "GalleryPasswords", "GalleryTestSupport"]),
        .testTarget(name: "GalleryEmbeddedTests",
                    dependencies: ["GalleryEmbedded", "GalleryConformance", "GalleryTestSupport"]),
        // moto_server and other helper processes the tests start and stop.
        .target(name: "GalleryMoto", dependencies: ["GalleryAWS", "GalleryCurl", "GalleryTestSupport"],
                path: "Tests/GalleryMoto"),
        .testTarget(name: "GalleryAWSTests",
                    dependencies: ["GalleryAWS", "GalleryConformance", "GalleryCurl", "GalleryMoto", "GalleryTestSupport", logging]),
        // One conformance suite per seam, in Swift Testing: each check runs over every backend.
        .testTarget(name: "GalleryConformanceTests",
                    dependencies: ["GalleryCore", "GalleryConformance", "GalleryEmbedded", "GalleryAWS", "GalleryMoto",
                                   "GalleryTestSupport"]),
        .testTarget(name: "GalleryImagingTests",
                    dependencies: ["GalleryImaging", "ImageInspection", "CLCMS2", "CZlib", "GalleryTestSupport"]),
        .testTarget(name: "GalleryHTTPTests", dependencies: ["GalleryHTTP", "GalleryTestSupport"]),
        .testTarget(name: "GalleryUseCasesTests",
                    dependencies: ["GalleryUseCases", "GalleryEmbedded", "ImageInspection", "GalleryConformance", "GalleryTestSupport", logging]),
        .testTarget(name: "GalleryWebTests", dependencies: [
            "GalleryWeb", "GalleryHTTP", "GalleryUseCases", "GalleryEmbedded", "GalleryBootstrap", "GalleryMetrics", metrics,
            .product(name: "MetricsTestKit", package: "swift-metrics"), "GalleryTestSupport",
        ]),
        .testTarget(name: "GalleryWorkerTests",
                    dependencies: ["GalleryWorker", "GalleryUseCases", "GalleryBootstrap", "GalleryEmbedded", "GalleryImaging",
                                   "ImageInspection", "GalleryCrypto", "GalleryMetrics", "GalleryMoto", "GalleryTestSupport",
                                   logging, metrics, .product(name: "MetricsTestKit", package: "swift-metrics")]),
    ],
    swiftLanguageModes: [.v6]
)

// The fuzz targets (scripts/fuzz, scripts/test): only when asked for, since they link
// libFuzzer, which only `--sanitize fuzzer` builds provide.
if ProcessInfo.processInfo.environment["GALLERY_FUZZ"] == "1" {
    package.targets += [
        .executableTarget(name: "gallery-fuzz", dependencies: ["GalleryHTTP", "ImageInspection"],
                          path: "fuzz/Sources/gallery-fuzz"),
    ]
}
