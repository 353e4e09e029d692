"""Copies an artifact with the machine code of its hexagon image overwritten
(every byte of the ELF's .text 0xff, not a valid Hexagon packet), checksum
re-signed, so that the DSP side crashes as soon as it runs.

usage: corrupt_dsp_code.py IN OUT
Layouts: runtime/include/lathe/artifact_format.h, and ELF32 section headers.
"""
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
_, _, count = struct.unpack_from("<8sII", data, 0)
for i in range(count):
    kind, target, offset, size = struct.unpack_from("<IIQQ", data, 32 + 32 * i)
    if kind == 4 and target == 2:
        break
else:
    sys.exit("no hexagon code section")
elf = offset
shoff, = struct.unpack_from("<I", data, elf + 0x20)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, elf + 0x2E)
def header(k):
    return struct.unpack_from("<IIIIII", data, elf + shoff + k * shentsize)
strtab = header(shstrndx)[4]
for k in range(shnum):
    name, _, _, _, sec_offset, sec_size = header(k)
    end = data.index(b"\0", elf + strtab + name)
    if data[elf + strtab + name:end] == b".text":
        data[elf + sec_offset:elf + sec_offset + sec_size] = b"\xff" * sec_size
        break
else:
    sys.exit("no .text in the hexagon image")
# FNV-1a 64 over everything after the 32-byte header, at offset 24.
h = 0xCBF29CE484222325
for byte in data[32:]:
    h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
struct.pack_into("<Q", data, 24, h)
open(sys.argv[2], "wb").write(data)
