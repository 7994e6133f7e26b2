/**
 * Proving a batched meter reading: its Merkle proof against the anchored root (checked here and by the
 * contract's `verifyReading` view), its EIP-712 signature recovered to the meter, and the meter's authorisation
 * at the block that anchored the batch. `gridledger prove-reading` and the web app's audit view both prove
 * readings with this module.
 *
 * No node: imports: the web app runs it in the browser.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getAddress, verifyTypedData } from "ethers";
import { batchFileReadings, MAX_BATCH_FILE_BYTES, parseBatchFile, type BatchFile } from "./batchFile.js";
import type { BillStore } from "./billStore.js";
import { compareEvents, parseLedgerLog, topicOf, type EventOf } from "./events.js";
import type { GridLedgerClient } from "./ledgerClient.js";
import { batchTree, checkSignature, LEAF_ENCODING, leafValues, READING_TYPES, readingDomain, type LeafValues, type SignedReading } from "./readings.js";

/** An anchored batch with its file from IPFS, checked to hash to the anchored root. */
export interface LoadedBatch {
  batchId: bigint;
  /** The batch's BatchAnchored event: root, CID, count, ranges, and the block that anchored it. */
  anchor: EventOf<"BatchAnchored">;
  file: BatchFile;
  /** The file's readings, in tree order. */
  readings: SignedReading[];
  tree: StandardMerkleTree<LeafValues>;
}

export interface SignatureCheck {
  valid: boolean;
  /** The address the signature recovers to for this chain and contract; undefined for a malformed signature. */
  recovered: string | undefined;
  /** Why it is not valid. */
  error?: string;
}

export interface MeterAuthorisation {
  /** The block the authorisation is read at: the anchoring block. */
  block: number;
  active: boolean;
  /** The producer of its latest authorisation or revocation up to that block; null when it never had one. */
  producer: string | null;
}

export interface ReadingProof {
  /** Every check passed. */
  ok: boolean;
  batchId: bigint;
  root: string;
  reading: SignedReading;
  /** Where the batch file holds this meter's reading of this sequence number; undefined when it holds none. */
  position: number | undefined;
  leaf: string;
  proof: string[];
  /** The Merkle proof checked against the anchored root here. */
  offChain: boolean;
  /** The contract's `verifyReading(batchId, leaf, proof)`. */
  onChain: boolean;
  signature: SignatureCheck;
  authorisation: MeterAuthorisation;
}

/**
 * Reads an anchored batch: its BatchAnchored log, then its file from IPFS, whose readings must hash to the
 * anchored root. Throws when the batch is not anchored or the file does not match.
 */
export async function loadBatch(client: GridLedgerClient, store: BillStore, batchId: bigint): Promise<LoadedBatch> {
  const anchor = await client.batchOf(batchId);
  if (!anchor) throw new Error(`batch ${batchId} is not anchored on this chain`);
  const file = parseBatchFile(await store.get(anchor.cid, { maxBytes: MAX_BATCH_FILE_BYTES }));
  const readings = batchFileReadings(file);
  const tree = batchTree(readings.map((s) => s.reading));
  if (tree.root !== anchor.root) throw new Error(`the batch file ${anchor.cid} does not match the anchored root ${anchor.root}`);
  return { batchId, anchor, file, readings, tree };
}

/** Where the batch holds a meter's reading of sequence number `seq`; undefined when it holds none. */
export function findReading(batch: LoadedBatch, meter: string, seq: bigint): number | undefined {
  const m = getAddress(meter);
  const index = batch.readings.findIndex((s) => s.reading.meter === m && s.reading.seq === seq);
  return index < 0 ? undefined : index;
}

/**
 * Proves a signed reading against a batch. The proof is the one of the batch's reading with the same meter and
 * sequence number, so a reading altered in any field fails the Merkle checks (and its signature); a reading
 * the batch does not hold at all gets an empty proof, which the chain is still asked about.
 */
export async function proveReading(client: GridLedgerClient, batch: LoadedBatch, signed: SignedReading): Promise<ReadingProof> {
  const { reading } = signed;
  const position = findReading(batch, reading.meter, reading.seq);
  const proof = position === undefined ? [] : batch.tree.getProof(position);
  const values = leafValues(reading);
  const leaf = batch.tree.leafHash(values);
  const offChain = position !== undefined && StandardMerkleTree.verify(batch.anchor.root, LEAF_ENCODING, values, proof);
  const onChain = await client.verifyReadingOnChain(batch.batchId, leaf, proof);
  const signature = checkReadingSignature(readingDomain(client.chainId, client.address), signed);
  const authorisation = await meterAuthorisedAt(client, reading.meter, batch.anchor.blockNumber);
  return {
    ok: offChain && onChain && signature.valid && authorisation.active,
    batchId: batch.batchId,
    root: batch.anchor.root,
    reading: signed,
    position,
    leaf,
    proof,
    offChain,
    onChain,
    signature,
    authorisation,
  };
}

/**
 * The verdict is the aggregator's own rule (`checkSignature`); the recovered address is reported beside it so
 * that a failure shows whose signature it would be.
 */
function checkReadingSignature(domain: ReturnType<typeof readingDomain>, signed: SignedReading): SignatureCheck {
  let recovered: string | undefined;
  try {
    recovered = getAddress(verifyTypedData(domain, READING_TYPES, signed.reading, signed.signature));
  } catch {
    recovered = undefined;
  }
  try {
    checkSignature(domain, signed);
    return { valid: true, recovered };
  } catch (error) {
    return { valid: false, recovered, error: (error as Error).message };
  }
}

/** The meter's authorisation as of a block, from its latest MeterAuthorized or MeterRevoked log up to it. */
export async function meterAuthorisedAt(client: GridLedgerClient, meter: string, block: number): Promise<MeterAuthorisation> {
  const logs = await client.provider.getLogs({
    address: client.address,
    fromBlock: client.fromBlock,
    toBlock: block,
    topics: [[topicOf("MeterAuthorized"), topicOf("MeterRevoked")], "0x" + getAddress(meter).slice(2).toLowerCase().padStart(64, "0")],
  });
  const latest = logs
    .map(parseLedgerLog)
    .filter((e) => e !== undefined)
    .sort(compareEvents)
    .at(-1);
  if (!latest || latest.kind !== "MeterAuthorized") return { block, active: false, producer: latest && "producer" in latest ? latest.producer : null };
  return { block, active: true, producer: latest.producer };
}
