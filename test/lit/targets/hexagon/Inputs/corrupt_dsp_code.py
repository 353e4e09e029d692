"""Overwrites the machine code of a Hexagon ELF image in place (every byte of
its .text 0xff, not a valid Hexagon packet): put back with lathe-tamper, the
DSP side crashes as soon as it runs.

usage: corrupt_dsp_code.py IMAGE        (ELF32 section headers)
"""
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
shoff, = struct.unpack_from("<I", data, 0x20)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
def header(k):
    return struct.unpack_from("<IIIIII", data, shoff + k * shentsize)
strtab = header(shstrndx)[4]
for k in range(shnum):
    name, _, _, _, sec_offset, sec_size = header(k)
    end = data.index(b"\0", strtab + name)
    if data[strtab + name:end] == b".text":
        data[sec_offset:sec_offset + sec_size] = b"\xff" * sec_size
        break
else:
    sys.exit("no .text in the hexagon image")
open(sys.argv[1], "wb").write(data)
