#!/bin/sh
# Stands in for a DSP side that hangs: never answers a request.
exec tail -f /dev/null
