/**
 * Commands for batched meter readings: a device signs and sends readings, an aggregator anchors them, anyone
 * proves one.
 */
import { Option, type Command } from "commander";
import { getAddress } from "ethers";
import { Aggregator } from "../aggregator.js";
import { startAggregatorService } from "../aggregatorService.js";
import { signedReadingToJson } from "../batchFile.js";
import { findReading, loadBatch, proveReading } from "../readingProof.js";
import { READING_KIND, readingDomain, signReading } from "../readings.js";
import { parseEnergy, parseTime } from "../units.js";
import type { CliContext } from "./context.js";

type Out = (value: unknown, human: string) => void;

export function registerReadingCommands(program: Command, ctx: () => CliContext, out: Out): void {
  program
    .command("sign-reading")
    .description("sign a meter reading (EIP-712) with the signing account and print it, or POST it to an aggregator")
    .addOption(new Option("--kind <kind>", "what is measured").choices(["storage", "energy"]).makeOptionMandatory())
    .requiredOption("--subject <id>", "offer id (storage) or purchase id (energy)")
    .requiredOption("--value <energy>", 'Wh: the storage level or the energy delivered, e.g. "1.5 kWh"')
    .requiredOption("--start <time>", "window start: ISO 8601 or unix seconds")
    .requiredOption("--end <time>", "window end")
    .option("--seq <n>", "the meter's sequence number (default: the aggregator's next, with --send)")
    .option("--send <url>", "POST it to this aggregator (e.g. http://127.0.0.1:5002)")
    .action(async (o: { kind: "storage" | "energy"; subject: string; value: string; start: string; end: string; seq?: string; send?: string }) => {
      const signer = await ctx().signer();
      const reader = await ctx().reader();
      const subject = BigInt(o.subject);
      if (subject < 1n) throw new Error(`--subject: must be an id ≥ 1 (got "${o.subject}")`);
      let seq = o.seq !== undefined ? BigInt(o.seq) : undefined;
      if (seq === undefined) {
        if (!o.send) throw new Error("--seq: required unless --send names the aggregator to ask");
        const status = (await (await fetch(`${o.send}/status?meter=${await signer.getAddress()}`)).json()) as { next?: string };
        seq = BigInt(status.next ?? "1");
      }
      const signed = await signReading(signer, readingDomain(reader.chainId, reader.address), {
        kind: READING_KIND[o.kind],
        subject,
        value: parseEnergy(o.value),
        start: parseTime(o.start),
        end: parseTime(o.end),
        seq,
      });
      const json = signedReadingToJson(signed);
      if (o.send) {
        const res = await fetch(`${o.send}/readings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json) });
        const body = (await res.json()) as { error?: string };
        if (!res.ok) throw new Error(`aggregator refused the reading: ${body.error ?? res.status}`);
        out({ sent: true, reading: json }, `reading ${seq} of meter ${json.meter} accepted by ${o.send}`);
      } else {
        out(json, JSON.stringify(json));
      }
    });

  program
    .command("aggregate")
    .description("run a reading aggregator: accept signed readings over HTTP and anchor them in batches")
    .requiredOption("--data-dir <dir>", "where pending readings are kept (survives a crash)")
    .option("--listen <port>", "port on 127.0.0.1 for POST /readings", "5002")
    .option("--batch-size <n>", "anchor when this many readings are pending", "1000")
    .option("--max-age <seconds>", "anchor when the oldest pending reading is this old", "30")
    .action(async (o: { dataDir: string; listen: string; batchSize: string; maxAge: string }) => {
      const port = Number(o.listen);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--listen: must be a port 0..65535 (got "${o.listen}")`);
      const maxAge = Number(o.maxAge);
      if (!(maxAge > 0)) throw new Error(`--max-age: must be a number of seconds > 0 (got "${o.maxAge}")`);
      const aggregator = await Aggregator.open({
        client: await ctx().writer(),
        store: await ctx().store(),
        dataDir: o.dataDir,
        batchSize: Number(o.batchSize),
        maxAgeMs: maxAge * 1000,
        log: (line) => console.error(line),
      });
      const service = await startAggregatorService({ aggregator, port });
      aggregator.start();
      console.error(`aggregator listening on ${service.url}/readings (${aggregator.pendingCount} readings pending)`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await service.close();
      await aggregator.stop();
    });

  program
    .command("prove-reading")
    .description("prove a reading: its Merkle proof against the anchored root (off-chain and on-chain), its signature, and the meter's authorisation")
    .requiredOption("--batch <id>", "batch id")
    .requiredOption("--meter <address>", "the meter")
    .requiredOption("--seq <n>", "the reading's sequence number")
    .option("--value <energy>", "check this value instead of the one in the batch file (a changed digit must fail)")
    .action(async (o: { batch: string; meter: string; seq: string; value?: string }) => {
      const client = await ctx().reader();
      const batchId = BigInt(o.batch);
      const batch = await loadBatch(client, await ctx().store(), batchId);
      const meter = getAddress(o.meter);
      const index = findReading(batch, meter, BigInt(o.seq));
      if (index === undefined) throw new Error(`batch ${batchId} holds no reading ${o.seq} of meter ${meter}`);
      const signed = batch.readings[index];
      const reading = o.value === undefined ? signed.reading : { ...signed.reading, value: parseEnergy(o.value) };
      const p = await proveReading(client, batch, { reading, signature: signed.signature });
      const signature = p.signature.valid ? "valid" : `invalid: ${p.signature.error}`;
      const authorised = { active: p.authorisation.active, producer: p.authorisation.producer };
      const result = { ok: p.ok, batchId, meter, seq: reading.seq, reading: signedReadingToJson(p.reading), proof: p.proof, offChain: p.offChain, onChain: p.onChain, signature, authorised };
      out(
        result,
        [
          `${p.ok ? "PROVEN" : "NOT PROVEN"}: reading ${reading.seq} of meter ${meter} in batch ${batchId}`,
          `  Merkle proof off-chain: ${p.offChain ? "valid" : "invalid"}; on-chain verifyReading: ${p.onChain ? "valid" : "invalid"}`,
          `  signature: ${signature}`,
          `  meter at block ${p.authorisation.block}: ${authorised.active ? `active for ${authorised.producer}` : "not authorised"}`,
        ].join("\n"),
      );
      if (!p.ok) process.exitCode = 1;
    });
}

