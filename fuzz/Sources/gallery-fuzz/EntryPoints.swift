import Foundation

// libFuzzer's entry points. `--sanitize fuzzer` builds this program as a library and links
// libFuzzer's main, which calls these; the target is chosen by GALLERY_FUZZ_TARGET (see
// Targets and scripts/fuzz).

nonisolated(unsafe) private var target: ([UInt8]) -> Void = { _ in }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let name = ProcessInfo.processInfo.environment["GALLERY_FUZZ_TARGET"] ?? ""
    guard let chosen = Targets.all[name] else {
        FileHandle.standardError.write(Data("set GALLERY_FUZZ_TARGET to one of: \(Targets.all.keys.sorted().joined(separator: ", "))\n".utf8))
        exit(2)
    }
    target = chosen
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    target(size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
