import Foundation
import XCTest

/// What a test throws when a tool it needs (python3, moto_server, a Python package) is not
/// there. Run by hand without the test environment, that is a skip; under `scripts/test`,
/// which installs every tool and sets `GALLERY_REQUIRE_TEST_TOOLS=1`, it is a failure, so that
/// a test that never ran cannot pass as skipped.
public func missingTool(_ message: String) -> Error {
    if ProcessInfo.processInfo.environment["GALLERY_REQUIRE_TEST_TOOLS"] == "1" {
        return ToolMissing(description: message + " (GALLERY_REQUIRE_TEST_TOOLS=1: scripts/install-deps --test installs it)")
    }
    return XCTSkip(message)
}

public struct ToolMissing: Error, CustomStringConvertible {
    public let description: String
}
