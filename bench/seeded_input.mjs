// The seeded input every benchmark feeds both lathe and ONNX Runtime: the
// sequence runtime/tools/bench.c generates (LCG, values in [-1, 1)).
export function seededInput(dims) {
  let seed = 1;
  return new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return (seed >>> 8) / 16777216 * 2 - 1;
  });
}
