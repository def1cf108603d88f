import Testing

@testable import OnnxRuntime

@Suite struct LockOrderTrackingTests {
  @Test func theAbseilSwitchIsFoundInTheLoadedLibraries() {
    // Debian's ONNX Runtime loads libabsl_synchronization; if its mangled name changes, this
    // fails and LockOrderTracking.mangledNames needs the new one (text models slow down without).
    #expect(LockOrderTracking.disable())
  }

  @Test func debianNamesAreMangledWithTheirLength() {
    #expect(
      LockOrderTracking.mangledNames.contains(
        "_ZN4absl7debian729SetMutexDeadlockDetectionModeENS0_15OnDeadlockCycleE"))
    #expect(
      LockOrderTracking.mangledNames.contains(
        "_ZN4absl8debian1229SetMutexDeadlockDetectionModeENS0_15OnDeadlockCycleE"))
  }
}
