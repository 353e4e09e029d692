"""Breaks the first weight.bin blob record of an ane code blob in place (its
0xDEADBEEF sentinel changed): put back with lathe-tamper, the artifact is
intact as a file and only the program's weights are wrong.

usage: corrupt_blob.py ANE_CODE
"""
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
data[data.index(struct.pack("<I", 0xDEADBEEF))] ^= 1
open(sys.argv[1], "wb").write(data)
