#ifndef ONNXPIPE_CONNXRUNTIME_SHIM_H
#define ONNXPIPE_CONNXRUNTIME_SHIM_H

#include <onnxruntime_c_api.h>

/// The ONNX Runtime API table for the version this module was compiled
/// against, or NULL when the loaded library is older than the header.
static inline const OrtApi *onnxpipe_ort_api(void) {
  return OrtGetApiBase()->GetApi(ORT_API_VERSION);
}

/// The version string of the loaded ONNX Runtime library.
static inline const char *onnxpipe_ort_version(void) {
  return OrtGetApiBase()->GetVersionString();
}

#endif
