// The seeded input every benchmark feeds both lathe and ONNX Runtime: the
// sequence runtime/tools/bench.c generates (LCG, values in [-1, 1)).
// The sequence continues from one float input to the next: `start` is the
// previous input's `seed` (1 for the first).
export function seededInput(dims, start = 1) {
  let seed = start;
  const values = new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return (seed >>> 8) / 16777216 * 2 - 1;
  });
  values.seed = seed;
  return values;
}
