"""Writes the CODE section of one target from a .lathe artifact to a file.

usage: extract_code.py ARTIFACT TARGET_KIND OUT   (kinds: 1 cpu, 2 hexagon)
The layout is runtime/include/lathe/artifact_format.h: a 32-byte header
(magic, version, section count, ...) and 32-byte section entries.
"""
import struct
import sys

artifact, kind, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = open(artifact, "rb").read()
_, _, count = struct.unpack_from("<8sII", data, 0)
for i in range(count):
    section, target, offset, size = struct.unpack_from("<IIQQ", data, 32 + 32 * i)
    if section == 4 and target == kind:
        open(out, "wb").write(data[offset:offset + size])
        sys.exit(0)
sys.exit("no code section of target %d" % kind)
