/**
 * On-chain bounds of GridLedger inputs, in the contract's units: energy in watt-hours (Wh), rates in
 * wei per Wh, power in watts (W), times in unix seconds.
 *
 * These constants MIRROR contracts/GridLedger.sol and contracts/IGridLedger.sol; they are not a second
 * source of truth. test/core/limits.test.ts checks them against the compiled contract and keeps them
 * equal: change the contract and that test fails until this file follows.
 *
 * Constants marked "public constant" are read back from the contract's public getters; the others are
 * the widths of the contract's storage fields or literals in its checks, noted next to each.
 *
 * This file must stay free of node: imports: the web app imports it through Vite.
 */

/** Largest grid capacity or available storage of an offer, Wh (`MAX_CAPACITY`, public constant: uint40). */
export const MAX_CAPACITY = 2n ** 40n - 1n; // 1_099_511_627_775 Wh, about 1.1 TWh

/** Largest quantity of one purchase, Wh (`MAX_QUANTITY`, public constant: uint32). */
export const MAX_QUANTITY = 2n ** 32n - 1n; // 4_294_967_295 Wh, about 4.29 GWh

/** Largest rate, wei per Wh (`MAX_RATE`, public constant: uint56). */
export const MAX_RATE = 2n ** 56n - 1n; // 72_057_594_037_927_935 wei/Wh, about 72 ETH/kWh

/** Largest rated power of a meter, W (`MAX_RATED_POWER`, public constant: uint32). */
export const MAX_RATED_POWER = 2n ** 32n - 1n;

/** Largest energy of one transfer, Wh (`Delivery.delivered` and `Transfer.amount` are uint32; a
 * transfer never exceeds its purchase, itself at most `MAX_QUANTITY`). */
export const MAX_TRANSFER_AMOUNT = 2n ** 32n - 1n;

/** Longest device name, bytes of UTF-8 (`MAX_DEVICE_NAME`, public constant). */
export const MAX_DEVICE_NAME = 64;

/** Longest grid location, bytes of UTF-8 (literal 31 in `openOffer`: an OpenZeppelin ShortString). */
export const MAX_LOCATION_BYTES = 31;

/** Most transfers one purchase holds (`MAX_TRANSFERS`, public constant: uint16). Transfer indexes are
 * therefore 0 to `MAX_TRANSFERS - 1`. */
export const MAX_TRANSFERS = 2 ** 16 - 1; // 65_535

/** Largest transfer index: `MAX_TRANSFERS - 1`. */
export const MAX_TRANSFER_INDEX = MAX_TRANSFERS - 1; // 65_534

/** Smallest and largest dispute reason code (`disputeTransfer` takes a uint8 and rejects 0). */
export const MIN_DISPUTE_REASON = 1;
export const MAX_DISPUTE_REASON = 255;

/** Multicodec of a raw-leaf CIDv1 (`CODEC_RAW`, public constant). */
export const CODEC_RAW = 0x55;
/** Multicodec of a dag-pb CIDv1 (`CODEC_DAG_PB`, public constant). */
export const CODEC_DAG_PB = 0x70;

/** Largest offer or purchase id: the contract's record counters are uint40, so no id above exists.
 * Ids start at 1. */
export const MAX_ID = 2n ** 40n - 1n;

/** Latest time the contract stores, unix seconds (window ends are stored as uint32: until 2106-02-07). */
export const MAX_TIMESTAMP = 2n ** 32n - 1n;
