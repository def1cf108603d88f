import COnnxRuntime

/// What a model says about itself (`OrtModelMetadata`), copied out.
public struct ModelMetadata: Sendable, Equatable {
  public let producerName: String
  public let graphName: String
  public let domain: String
  public let description: String
  public let version: Int64

  init(session: OpaquePointer) throws(ORTError) {
    var raw: OpaquePointer?
    try check(ort.SessionGetModelMetadata!(session, &raw))
    let metadata = raw!
    defer { ort.ReleaseModelMetadata!(metadata) }
    var text: UnsafeMutablePointer<CChar>?
    try check(ort.ModelMetadataGetProducerName!(metadata, defaultAllocator, &text))
    producerName = takeAllocatedString(text)
    try check(ort.ModelMetadataGetGraphName!(metadata, defaultAllocator, &text))
    graphName = takeAllocatedString(text)
    try check(ort.ModelMetadataGetDomain!(metadata, defaultAllocator, &text))
    domain = takeAllocatedString(text)
    try check(ort.ModelMetadataGetDescription!(metadata, defaultAllocator, &text))
    description = takeAllocatedString(text)
    var version: Int64 = 0
    try check(ort.ModelMetadataGetVersion!(metadata, &version))
    self.version = version
  }
}
