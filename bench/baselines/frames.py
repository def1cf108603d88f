"""Raw frame helpers shared by the baseline scripts (u32 LE length + payload)."""
import struct
import sys


def read_frames(stream):
    """Yields each payload of a raw frame stream."""
    while True:
        header = stream.read(4)
        if not header:
            return
        if len(header) < 4:
            sys.exit("truncated frame header")
        (length,) = struct.unpack("<I", header)
        payload = stream.read(length)
        if len(payload) < length:
            sys.exit("truncated frame")
        yield payload


def write_frame(stream, arrays):
    """Writes one frame holding the arrays' bytes back to back."""
    body = b"".join(a.tobytes() for a in arrays)
    stream.write(struct.pack("<I", len(body)))
    stream.write(body)
