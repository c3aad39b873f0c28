// The bleep Android library: generated Kotlin (bleep/src/main/kotlin) over
// the native library built with cargo-ndk (docs/BINDINGS.md).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "bleep-android"
include(":bleep")
