/**
 * A thread of the signature pool (signaturePool.ts): checks the signatures of the readings it is sent with one
 * ReadingSignatureChecker, so each meter's key is recovered once per thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { TypedDataDomain } from "ethers";
import { ReadingSignatureChecker } from "./readingSignatures.js";
import type { SignedReading } from "./readings.js";

export interface SignatureRequest {
  id: number;
  items: SignedReading[];
}

export interface SignatureReply {
  id: number;
  /** Per item: undefined when the signature is the meter's, else the refusal. */
  refusals: ({ rule: "signature"; message: string } | undefined)[];
}

const checker = new ReadingSignatureChecker((workerData as { domain: TypedDataDomain }).domain);
parentPort!.on("message", (request: SignatureRequest) => {
  const refusals = request.items.map((signed) => {
    const refusal = checker.check(signed);
    return refusal ? { rule: "signature" as const, message: refusal.message } : undefined;
  });
  parentPort!.postMessage({ id: request.id, refusals } satisfies SignatureReply);
});
