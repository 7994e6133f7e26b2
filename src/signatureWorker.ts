/**
 * A thread of the signature pool (signaturePool.ts): checks the signatures of the readings it is sent and hashes
 * the leaf of each one accepted, which the aggregator's batch tree then needs no main-thread time for.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { TypedDataDomain } from "ethers";
import { readingLeafHash } from "./readingHashes.js";
import { ReadingSignatureChecker, signatureBackend, type SignatureBackend } from "./readingSignatures.js";
import type { SignedReading } from "./readings.js";

export interface SignatureRequest {
  id: number;
  items: SignedReading[];
}

export interface SignatureReady {
  ready: true;
  /** How the thread recovers signatures. */
  backend: SignatureBackend;
}

export interface SignatureReply {
  id: number;
  /** Per item: the reading's leaf hash when the signature is the meter's, else the refusal's message. */
  verdicts: ({ leaf: string } | { refusal: string })[];
}

const checker = new ReadingSignatureChecker((workerData as { domain: TypedDataDomain }).domain);
// Loaded: the pool's `ready` waits for this, so that no request pays for a thread's start.
parentPort!.postMessage({ ready: true, backend: signatureBackend } satisfies SignatureReady);
parentPort!.on("message", (request: SignatureRequest) => {
  const verdicts = request.items.map((signed) => {
    const refusal = checker.check(signed);
    return refusal ? { refusal: refusal.message } : { leaf: readingLeafHash(signed.reading) };
  });
  parentPort!.postMessage({ id: request.id, verdicts } satisfies SignatureReply);
});
