// swift-tools-version:5.9
// The bleep Swift package: generated Swift (Sources/Bleep) over the C module
// BleepFFI (the generated header) and the static library built for iOS
// (docs/BINDINGS.md).
import PackageDescription

let package = Package(
    name: "Bleep",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "Bleep", targets: ["Bleep"]),
    ],
    targets: [
        // For an app, replace this target with the xcframework:
        //   .binaryTarget(name: "BleepFFI", path: "BleepFFI.xcframework"),
        .target(
            name: "BleepFFI",
            path: "Sources/BleepFFI",
            linkerSettings: [.linkedLibrary("bleep_ffi")]
        ),
        .target(name: "Bleep", dependencies: ["BleepFFI"], path: "Sources/Bleep"),
    ]
)
