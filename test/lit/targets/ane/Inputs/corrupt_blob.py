"""Copies an artifact with the first weight.bin blob record of its ane code
broken (its 0xDEADBEEF sentinel changed) and the checksum re-signed, so the
artifact is intact as a file and only the program's weights are wrong.

usage: corrupt_blob.py IN OUT
Layout: runtime/include/lathe/artifact_format.h (FNV-1a 64 of all after the
32-byte header, at offset 24).
"""
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
_, _, count = struct.unpack_from("<8sII", data, 0)
for i in range(count):
    kind, target, offset, size = struct.unpack_from("<IIQQ", data, 32 + 32 * i)
    if kind == 4 and target == 3:
        break
else:
    sys.exit("no ane code section")
at = data.index(struct.pack("<I", 0xDEADBEEF), offset, offset + size)
data[at] ^= 1
h = 0xCBF29CE484222325
for b in data[32:]:
    h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
struct.pack_into("<Q", data, 24, h)
open(sys.argv[2], "wb").write(data)
