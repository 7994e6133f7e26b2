/**
 * keccak.ts hashes as ethers' keccak256 does, with the WebAssembly hasher and with js-sha3 where WebAssembly
 * cannot be compiled, across the sponge's block boundary (136 bytes) and beyond.
 */
import { describe, expect, it, vi } from "vitest";
import { getBytes, hexlify, id as keccakText, keccak256 } from "ethers";

/** Deterministic bytes of every length from 0 to 300: a label's hash, repeated. */
const samples = Array.from({ length: 301 }, (_, length) => {
  const word = getBytes(keccakText(`keccak-test/${length}`));
  return Uint8Array.from({ length }, (_, i) => word[i % 32] ^ i);
});

type KeccakModule = typeof import("../../src/keccak.js");

function expectEthersHashes(keccak: KeccakModule["keccak"]): void {
  const digests = samples.map((bytes) => keccak(bytes));
  // Checked after all were made: a digest must not be a view the next hash overwrites.
  for (const [i, bytes] of samples.entries()) expect(hexlify(digests[i]), `${bytes.length} bytes`).toBe(keccak256(bytes));
}

describe("keccak", () => {
  it("gives ethers' keccak256 with the WebAssembly hasher, once it is ready", async () => {
    // The real hasher, its digests counted: the module must hash with it once ready.
    const real = await vi.importActual<typeof import("hash-wasm")>("hash-wasm");
    let wasmDigests = 0;
    vi.resetModules();
    vi.doMock("hash-wasm", () => ({
      createKeccak: async (bits: 256) => {
        const hasher = await real.createKeccak(bits);
        const digest = hasher.digest.bind(hasher);
        hasher.digest = ((format: "binary") => (wasmDigests++, digest(format))) as typeof hasher.digest;
        return hasher;
      },
    }));
    try {
      const { keccak, keccakReady } = (await import("../../src/keccak.js")) as KeccakModule;
      await keccakReady;
      expectEthersHashes(keccak);
      expect(wasmDigests).toBe(samples.length);
    } finally {
      vi.doUnmock("hash-wasm");
      vi.resetModules();
    }
  });

  it("gives ethers' keccak256 where WebAssembly cannot be compiled, and before the hasher is ready", async () => {
    vi.resetModules();
    vi.doMock("hash-wasm", () => ({ createKeccak: () => Promise.reject(new Error("WebAssembly is not allowed here")) }));
    try {
      const { keccak, keccakReady } = (await import("../../src/keccak.js")) as KeccakModule;
      expectEthersHashes(keccak);
      await expect(keccakReady).resolves.toBeUndefined();
      expectEthersHashes(keccak);
    } finally {
      vi.doUnmock("hash-wasm");
      vi.resetModules();
    }
  });
});
