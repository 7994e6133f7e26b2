// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title GridLedger: a ledger of smart power grid events
/// @notice Producers offer stored energy, purchasers buy it into escrow, the producers' IoT meters record
/// what is delivered, and a bill stored on IPFS settles each purchase.
/// @dev Units everywhere: energy in watt-hours (Wh), rates in wei per watt-hour, power in watts,
/// times in unix seconds. Ids of offers and purchases start at 1; a transfer is named by its
/// purchase id and its index within that purchase, starting at 0.
interface IGridLedger {
    // ------------------------------------------------------------------ types

    /// @notice Where a transfer stands with its purchaser and the operator.
    enum TransferState {
        None,
        Pending,
        Acknowledged,
        Disputed,
        Upheld,
        Rejected
    }

    /// @notice Where a purchase stands: open until billed, or closed by its purchaser after the billing deadline.
    enum PurchaseStatus {
        Open,
        Billed,
        Closed
    }

    /// @notice An offer as read back by `offerOf`.
    struct OfferView {
        address producer;
        uint256 capacity;
        uint256 available;
        uint256 rate;
        string location;
        bool open;
    }

    /// @notice A purchase as read back by `purchaseOf`.
    struct PurchaseView {
        address purchaser;
        uint256 offerId;
        uint256 quantity;
        uint256 cost;
        uint256 purchasedAt;
        uint256 delivered;
        uint256 withheld;
        uint256 transferCount;
        uint256 pendingCount;
        uint256 openDisputes;
        uint256 lastRecordedAt;
        PurchaseStatus status;
        uint256 billBlock;
    }

    /// @notice A transfer as read back by `transferOf`.
    struct TransferView {
        uint256 amount;
        uint256 recordedAt;
        TransferState state;
    }

    /// @notice A meter as read back by `meterOf`.
    struct MeterView {
        address producer;
        uint256 ratedPower;
        uint256 lastEnd;
        bool active;
    }

    /// @notice A meter's signed reading, as a leaf of a batch's Merkle tree (signatures live in the batch file on IPFS).
    struct Reading {
        address meter;
        /// 1: available storage of an offer; 2: energy delivered for a purchase.
        uint8 kind;
        /// The offer id (kind 1) or purchase id (kind 2).
        uint256 subject;
        /// Wh.
        uint256 value;
        uint64 start;
        uint64 end;
        /// The meter's sequence number.
        uint64 seq;
    }

    /// @notice The sequence numbers of one meter's readings in a batch.
    struct MeterRange {
        address meter;
        uint64 firstSeq;
        uint64 lastSeq;
    }

    /// @notice The number of records of each kind (the paper's "number of inserted records").
    struct RecordCounts {
        uint256 offers;
        uint256 storageReadings;
        uint256 purchases;
        uint256 transfers;
        uint256 acknowledgements;
        uint256 bills;
    }

    // ----------------------------------------------------------------- events

    /// @notice A producer opened an offer: the first storage event of that offer.
    /// @param offerId The new offer's id.
    /// @param producer The producer that owns the offer.
    /// @param capacity Grid capacity, Wh.
    /// @param available Available storage, Wh.
    /// @param rate Price, wei per Wh.
    /// @param location Grid location, at most 31 bytes of UTF-8.
    event OfferOpened(
        uint256 indexed offerId, address indexed producer, uint256 capacity, uint256 available, uint256 rate, string location
    );

    /// @notice A producer or one of its meters recorded the available storage of an offer.
    /// @param offerId The offer read.
    /// @param producer The offer's producer.
    /// @param recorder The producer or the meter that sent the reading.
    /// @param available Available storage after the reading, Wh.
    event StorageRecorded(uint256 indexed offerId, address indexed producer, address indexed recorder, uint256 available);

    /// @notice A producer closed an offer: nothing more can be bought from it.
    /// @param offerId The offer closed.
    /// @param producer The offer's producer.
    event OfferClosed(uint256 indexed offerId, address indexed producer);

    /// @notice A purchaser bought energy from an offer and paid its cost into escrow.
    /// @param purchaseId The new purchase's id.
    /// @param producer The offer's producer.
    /// @param purchaser The buyer.
    /// @param offerId The offer bought from.
    /// @param quantity Energy bought, Wh.
    /// @param cost rate × quantity, wei, held in escrow.
    event EnergyPurchased(
        uint256 indexed purchaseId,
        address indexed producer,
        address indexed purchaser,
        uint256 offerId,
        uint256 quantity,
        uint256 cost
    );

    /// @notice A meter (or the producer, naming the meter) recorded energy delivered for a purchase.
    /// @param purchaseId The purchase delivered.
    /// @param producer The offer's producer.
    /// @param purchaser The purchase's buyer.
    /// @param index The transfer's index within the purchase.
    /// @param meter The meter the energy was measured on.
    /// @param amount Energy delivered, Wh.
    /// @param start Start of the delivery window, unix seconds.
    /// @param end End of the delivery window, unix seconds.
    /// @param cost rate × amount, wei.
    /// @param device The device name reported by the meter.
    event EnergyTransferred(
        uint256 indexed purchaseId,
        address indexed producer,
        address indexed purchaser,
        uint256 index,
        address meter,
        uint256 amount,
        uint256 start,
        uint256 end,
        uint256 cost,
        string device
    );

    /// @notice The purchaser acknowledged a transfer.
    /// @param purchaseId The purchase.
    /// @param producer The offer's producer.
    /// @param purchaser The purchase's buyer.
    /// @param index The transfer's index within the purchase.
    event TransferAcknowledged(
        uint256 indexed purchaseId, address indexed producer, address indexed purchaser, uint256 index
    );

    /// @notice The purchaser disputed a transfer; the operator is asked to resolve it.
    /// @param purchaseId The purchase.
    /// @param producer The offer's producer.
    /// @param purchaser The purchase's buyer.
    /// @param index The transfer's index within the purchase.
    /// @param reason The purchaser's reason code (see docs), never 0.
    event TransferDisputed(
        uint256 indexed purchaseId, address indexed producer, address indexed purchaser, uint256 index, uint8 reason
    );

    /// @notice A dispute was resolved by the operator, or counted as upheld once its resolution window passed.
    /// @param purchaseId The purchase.
    /// @param producer The offer's producer.
    /// @param purchaser The purchase's buyer.
    /// @param index The transfer's index within the purchase.
    /// @param upheld True when the transfer counts as undelivered.
    /// @param expired True when no operator decision came in time.
    event DisputeResolved(
        uint256 indexed purchaseId,
        address indexed producer,
        address indexed purchaser,
        uint256 index,
        bool upheld,
        bool expired
    );

    /// @notice The bill of a purchase was recorded under its purchaser and the purchase settled.
    /// @param purchaseId The purchase billed.
    /// @param producer The offer's producer.
    /// @param purchaser The purchase's buyer, under whom the bill is recorded.
    /// @param cidDigest The sha2-256 digest of the bill's CIDv1.
    /// @param cidCodec The multicodec of the bill's CIDv1 (0x55 raw or 0x70 dag-pb).
    /// @param producerAmount Wei credited to the producer.
    /// @param refund Wei credited back to the purchaser.
    event BillRecorded(
        uint256 indexed purchaseId,
        address indexed producer,
        address indexed purchaser,
        bytes32 cidDigest,
        uint16 cidCodec,
        uint256 producerAmount,
        uint256 refund
    );

    /// @notice The purchaser closed a purchase that was not billed by its deadline; it is settled as a bill would.
    /// @param purchaseId The purchase closed.
    /// @param producer The offer's producer.
    /// @param purchaser The purchase's buyer.
    /// @param producerAmount Wei credited to the producer.
    /// @param refund Wei credited back to the purchaser.
    event PurchaseClosed(
        uint256 indexed purchaseId, address indexed producer, address indexed purchaser, uint256 producerAmount, uint256 refund
    );

    /// @notice An aggregator anchored a batch of signed meter readings by its Merkle root.
    /// @param batchId The new batch's id.
    /// @param aggregator The account that anchored it.
    /// @param root The Merkle root of the readings (OpenZeppelin standard leaf encoding of `Reading`).
    /// @param cidDigest The sha2-256 digest of the batch file's CIDv1 on IPFS.
    /// @param cidCodec The batch file CID's multicodec.
    /// @param count The number of readings.
    /// @param ranges Each meter's sequence range in the batch.
    event BatchAnchored(
        uint256 indexed batchId,
        address indexed aggregator,
        bytes32 root,
        bytes32 cidDigest,
        uint16 cidCodec,
        uint256 count,
        MeterRange[] ranges
    );

    /// @notice A transfer was recorded from readings proven against an anchored batch.
    /// @param purchaseId The purchase delivered.
    /// @param batchId The batch the readings are in.
    /// @param index The transfer's index within the purchase.
    /// @param readings How many readings it sums.
    event ReadingsSettled(uint256 indexed purchaseId, uint256 indexed batchId, uint256 index, uint256 readings);

    /// @notice A producer authorised a meter to act for it, or changed its rated power.
    /// @param meter The meter's account.
    /// @param producer The producer it acts for.
    /// @param ratedPower The meter's rated power, W.
    event MeterAuthorized(address indexed meter, address indexed producer, uint256 ratedPower);

    /// @notice A producer revoked one of its meters.
    /// @param meter The meter's account.
    /// @param producer The producer it acted for.
    event MeterRevoked(address indexed meter, address indexed producer);

    /// @notice An account withdrew its settled balance.
    /// @param account The account paid.
    /// @param amount Wei paid.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice The operator role passed to another account.
    /// @param previousOperator The operator before.
    /// @param newOperator The operator now.
    event OperatorTransferred(address indexed previousOperator, address indexed newOperator);

    // ----------------------------------------------------------------- errors

    /// @notice An address argument was the zero address.
    error ZeroAddress();
    /// @notice A deployment window was zero.
    error ZeroWindow();
    /// @notice A deployment window was longer than the longest allowed.
    error WindowTooLong(uint256 window, uint256 max);
    /// @notice Grid capacity was zero.
    error ZeroCapacity();
    /// @notice Grid capacity exceeded the largest one stored.
    error CapacityTooLarge(uint256 capacity, uint256 max);
    /// @notice Available storage exceeded the offer's capacity.
    error AvailableExceedsCapacity(uint256 available, uint256 capacity);
    /// @notice The rate was zero.
    error ZeroRate();
    /// @notice The rate exceeded the largest one stored.
    error RateTooLarge(uint256 rate, uint256 max);
    /// @notice The location was empty.
    error EmptyLocation();
    /// @notice The location was longer than 31 bytes.
    error LocationTooLong(uint256 length, uint256 max);
    /// @notice No offer has this id.
    error UnknownOffer(uint256 offerId);
    /// @notice The offer was closed.
    error OfferNotOpen(uint256 offerId);
    /// @notice The caller is not the offer's producer.
    error NotProducer(uint256 offerId, address account);
    /// @notice The caller is neither the offer's producer nor one of its active meters.
    error NotProducerOrMeter(uint256 offerId, address account);
    /// @notice The quantity bought was zero.
    error ZeroQuantity();
    /// @notice The quantity bought exceeded the largest purchase stored.
    error QuantityTooLarge(uint256 quantity, uint256 max);
    /// @notice The quantity bought exceeded the offer's available storage.
    error QuantityExceedsAvailable(uint256 offerId, uint256 quantity, uint256 available);
    /// @notice The ETH sent was not exactly the purchase's cost.
    error WrongPayment(uint256 cost, uint256 sent);
    /// @notice No purchase has this id.
    error UnknownPurchase(uint256 purchaseId);
    /// @notice The caller is not the purchase's buyer.
    error NotPurchaser(uint256 purchaseId, address account);
    /// @notice The purchase is billed or closed and cannot change.
    error PurchaseSettled(uint256 purchaseId, PurchaseStatus status);
    /// @notice The transferred amount was zero.
    error ZeroAmount();
    /// @notice The delivered total would exceed the quantity bought.
    error DeliveryExceedsPurchase(uint256 purchaseId, uint256 delivered, uint256 amount, uint256 quantity);
    /// @notice The delivery window did not start before it ended.
    error InvalidWindow(uint256 start, uint256 end);
    /// @notice The delivery window ends in the future.
    error EndInFuture(uint256 end, uint256 timestamp);
    /// @notice The delivery window starts before the purchase was made.
    error WindowBeforePurchase(uint256 purchaseId, uint256 start, uint256 purchasedAt);
    /// @notice A purchase holds at most this many transfers.
    error TooManyTransfers(uint256 purchaseId, uint256 max);
    /// @notice The device name was empty.
    error EmptyDeviceName();
    /// @notice The device name was longer than allowed.
    error DeviceNameTooLong(uint256 length, uint256 max);
    /// @notice The meter is not an active meter of this producer.
    error MeterNotAuthorized(address meter, address producer);
    /// @notice The meter is active for another producer.
    error MeterOwnedByOther(address meter, address producer);
    /// @notice The meter's rated power was zero or above the bound.
    error RatedPowerOutOfRange(uint256 ratedPower, uint256 max);
    /// @notice The amount is more than the meter can measure in the window: ratedPower × (end − start) / 3600.
    error DeliveryExceedsRatedPower(address meter, uint256 amount, uint256 maxAmount);
    /// @notice The window starts before the end of the meter's last recorded window.
    error WindowOverlaps(address meter, uint256 start, uint256 lastEnd);
    /// @notice The purchase has no transfer with this index.
    error UnknownTransfer(uint256 purchaseId, uint256 index);
    /// @notice The transfer is not in the state the action needs.
    error WrongTransferState(uint256 purchaseId, uint256 index, TransferState state);
    /// @notice The dispute window of the transfer has passed.
    error DisputeWindowClosed(uint256 purchaseId, uint256 index, uint256 deadline);
    /// @notice The operator's resolution window has passed; the dispute counts as upheld.
    error ResolutionWindowClosed(uint256 purchaseId, uint256 index, uint256 deadline);
    /// @notice The dispute can still be resolved by the operator.
    error ResolutionWindowOpen(uint256 purchaseId, uint256 index, uint256 deadline);
    /// @notice The dispute reason code was zero.
    error ZeroReason();
    /// @notice The caller is not the operator.
    error NotOperator(address account);
    /// @notice The purchase has transfers in dispute.
    error DisputesOpen(uint256 purchaseId, uint256 openDisputes);
    /// @notice Transfers are still within their dispute window without an acknowledgement.
    error AcknowledgementsPending(uint256 purchaseId, uint256 pendingCount, uint256 windowEnd);
    /// @notice A purchase with no transfer cannot be billed.
    error NoTransfers(uint256 purchaseId);
    /// @notice The bill CID's digest was zero.
    error ZeroDigest();
    /// @notice The bill CID's codec is not raw (0x55) or dag-pb (0x70).
    error UnsupportedCodec(uint16 codec);
    /// @notice The purchase can be closed by its purchaser only after this deadline.
    error BillingDeadlineNotReached(uint256 purchaseId, uint256 deadline);
    /// @notice A batch must hold at least one reading.
    error EmptyBatch();
    /// @notice A batch's Merkle root was zero.
    error ZeroRoot();
    /// @notice A meter's sequence range runs backwards.
    error InvalidRange(address meter, uint256 firstSeq, uint256 lastSeq);
    /// @notice The meters' sequence ranges do not add up to the batch's reading count.
    error RangeCountMismatch(uint256 count, uint256 covered);
    /// @notice No batch has this id.
    error UnknownBatch(uint256 batchId);
    /// @notice The readings are not all in the batch: the Merkle proof does not lead to its root.
    error InvalidProof(uint256 batchId);
    /// @notice Reading `position` is not an energy reading of this purchase by this meter.
    error ReadingMismatch(uint256 position);
    /// @notice Reading `position` does not follow the one before it in sequence and time.
    error ReadingsOutOfOrder(uint256 position);
    /// @notice The account has no balance to withdraw.
    error NothingToWithdraw(address account);

    // -------------------------------------------------------------- functions

    /// @notice Opens an offer: the producer's first storage event for it (the paper's Algorithm 1).
    /// @param capacity Grid capacity, Wh, > 0.
    /// @param available Available storage, Wh, ≤ capacity.
    /// @param rate Price, wei per Wh, > 0.
    /// @param location Grid location, 1 to 31 bytes of UTF-8.
    /// @return offerId The new offer's id.
    function openOffer(uint256 capacity, uint256 available, uint256 rate, string calldata location)
        external
        returns (uint256 offerId);

    /// @notice Records a storage reading: the offer's available storage now (producer or its meter).
    /// @param offerId An open offer.
    /// @param available Available storage, Wh, ≤ the offer's capacity.
    function recordStorage(uint256 offerId, uint256 available) external;

    /// @notice Closes an offer; purchases already made go on to delivery and billing.
    /// @param offerId An open offer of the caller.
    function closeOffer(uint256 offerId) external;

    /// @notice Buys energy from an offer, paying rate × quantity into escrow (the paper's Algorithm 2).
    /// @param offerId An open offer.
    /// @param quantity Energy, Wh, > 0 and ≤ the offer's available storage.
    /// @return purchaseId The new purchase's id.
    function purchase(uint256 offerId, uint256 quantity) external payable returns (uint256 purchaseId);

    /// @notice Records energy delivered for a purchase (the paper's Algorithm 3), by a meter of the
    /// offer's producer or by the producer naming the meter it was measured on.
    /// @param purchaseId An open purchase.
    /// @param meter The meter that measured it; must be the caller when the caller is a meter.
    /// @param amount Energy delivered, Wh, > 0; the purchase's delivered total stays ≤ its quantity,
    /// and amount ≤ ratedPower × (end − start) / 3600.
    /// @param start Window start, unix seconds, ≥ the purchase's time and ≥ the meter's last recorded end.
    /// @param end Window end, unix seconds, > start and not in the future.
    /// @param device Device name, 1 to 64 bytes.
    /// @return index The transfer's index within the purchase.
    function recordTransfer(
        uint256 purchaseId,
        address meter,
        uint256 amount,
        uint256 start,
        uint256 end,
        string calldata device
    ) external returns (uint256 index);

    /// @notice Records one transfer from a meter's readings in an anchored batch, instead of one transaction per
    /// reading: the readings' values are summed, their windows (in sequence, without overlap) span the transfer,
    /// and each obeys the meter's rated power. Same callers and rules as `recordTransfer`.
    /// @param purchaseId An open purchase.
    /// @param batchId The anchored batch holding the readings.
    /// @param readings Energy readings of this purchase by one meter, in sequence order (their tree order).
    /// @param proof The Merkle multi-proof of the readings.
    /// @param proofFlags The multi-proof's flags.
    /// @param device Device name, 1 to 64 bytes.
    /// @return index The transfer's index within the purchase.
    function recordTransferFromReadings(
        uint256 purchaseId,
        uint256 batchId,
        Reading[] calldata readings,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        string calldata device
    ) external returns (uint256 index);

    /// @notice Anchors a batch of signed meter readings: its Merkle root, its file on IPFS, its reading count and
    /// each meter's sequence range. Any account may aggregate; signatures are checked off-chain against the batch file.
    /// @param root The Merkle root (OpenZeppelin standard tree of `Reading` leaves), not zero.
    /// @param cidDigest The sha2-256 digest of the batch file's CIDv1.
    /// @param cidCodec The CID's multicodec: 0x55 (raw) or 0x70 (dag-pb).
    /// @param count The number of readings, > 0.
    /// @param ranges Each meter's sequence range; together they cover exactly `count` readings.
    /// @return batchId The new batch's id.
    function anchorBatch(
        bytes32 root,
        bytes32 cidDigest,
        uint16 cidCodec,
        uint256 count,
        MeterRange[] calldata ranges
    ) external returns (uint256 batchId);

    /// @notice Whether `leaf` is in an anchored batch, by its Merkle proof.
    /// @param batchId The batch.
    /// @param leaf The reading's leaf (see `readingLeaf`).
    /// @param proof The Merkle proof.
    /// @return True when the proof leads from the leaf to the batch's root.
    function verifyReading(uint256 batchId, bytes32 leaf, bytes32[] calldata proof) external view returns (bool);

    /// @notice The leaf of a reading in a batch's tree: keccak256(keccak256(abi.encode(fields))).
    /// @param reading The reading.
    /// @return The leaf.
    function readingLeaf(Reading calldata reading) external pure returns (bytes32);

    /// @notice The Merkle root of an anchored batch.
    /// @param batchId The batch.
    /// @return The root.
    function batchRoot(uint256 batchId) external view returns (bytes32);

    /// @notice The number of batches anchored.
    /// @return The count.
    function batchCount() external view returns (uint256);

    /// @notice Acknowledges a transfer (the purchaser's acknowledgement of Algorithm 3).
    /// @param purchaseId A purchase of the caller.
    /// @param index A pending transfer of it.
    function acknowledgeTransfer(uint256 purchaseId, uint256 index) external;

    /// @notice Disputes a pending transfer within the dispute window after it was recorded.
    /// @param purchaseId A purchase of the caller.
    /// @param index A pending transfer of it.
    /// @param reason A reason code, never 0 (see docs).
    function disputeTransfer(uint256 purchaseId, uint256 index, uint8 reason) external;

    /// @notice The operator resolves a dispute within the resolution window.
    /// @param purchaseId The purchase.
    /// @param index A disputed transfer of it.
    /// @param upheld True: the transfer counts as undelivered; false: it counts as delivered.
    function resolveDispute(uint256 purchaseId, uint256 index, bool upheld) external;

    /// @notice Anyone settles a dispute the operator left past its resolution window: it counts as upheld.
    /// @param purchaseId The purchase.
    /// @param index A disputed transfer of it.
    function expireDispute(uint256 purchaseId, uint256 index) external;

    /// @notice Records the IPFS CID of a purchase's bill under its purchaser and settles the purchase
    /// (the paper's Algorithm 4), by the producer or one of its meters.
    /// @param purchaseId An open purchase with at least one transfer, no open dispute, and no pending
    /// transfer unless the dispute window of its last recorded transfer has passed.
    /// @param cidDigest The sha2-256 digest of the bill's CIDv1.
    /// @param cidCodec The CID's multicodec: 0x55 (raw) or 0x70 (dag-pb).
    function recordBill(uint256 purchaseId, bytes32 cidDigest, uint16 cidCodec) external;

    /// @notice The purchaser closes a purchase left unbilled past its billing deadline (`billingTimeout` seconds
    /// after the purchase, whatever was recorded since); it settles as a bill would.
    /// @param purchaseId An open purchase of the caller with no open dispute.
    function closePurchase(uint256 purchaseId) external;

    /// @notice Pays the caller its whole settled balance.
    function withdraw() external;

    /// @notice Authorises a meter to act for the caller, or updates its rated power.
    /// @param meter The meter's account, not active for another producer.
    /// @param ratedPower The meter's rated power, W, 1 to `MAX_RATED_POWER`.
    function authorizeMeter(address meter, uint256 ratedPower) external;

    /// @notice Revokes one of the caller's meters.
    /// @param meter An active meter of the caller.
    function revokeMeter(address meter) external;

    /// @notice Hands the operator role to another account (operator only).
    /// @param newOperator The next operator.
    function transferOperator(address newOperator) external;

    /// @notice Reads an offer.
    /// @param offerId The offer.
    /// @return offer The offer's fields.
    function offerOf(uint256 offerId) external view returns (OfferView memory offer);

    /// @notice Reads a purchase.
    /// @param purchaseId The purchase.
    /// @return record The purchase's fields.
    function purchaseOf(uint256 purchaseId) external view returns (PurchaseView memory record);

    /// @notice Reads a transfer.
    /// @param purchaseId The purchase.
    /// @param index The transfer's index within it.
    /// @return record The transfer's fields.
    function transferOf(uint256 purchaseId, uint256 index) external view returns (TransferView memory record);

    /// @notice The block whose `BillRecorded` log holds the purchase's bill CID; 0 when not billed.
    /// @param purchaseId The purchase.
    /// @return blockNumber The bill's block.
    function billBlockOf(uint256 purchaseId) external view returns (uint256 blockNumber);

    /// @notice Reads a meter.
    /// @param meter The meter's account.
    /// @return record The meter's fields.
    function meterOf(address meter) external view returns (MeterView memory record);

    /// @notice The settled balance an account can withdraw, wei.
    /// @param account The account.
    /// @return The balance.
    function balanceOf(address account) external view returns (uint256);

    /// @notice The number of records of each kind.
    /// @return counts The counts.
    function recordCounts() external view returns (RecordCounts memory counts);

    /// @notice The grid operator, who resolves disputes.
    /// @return The operator's account.
    function operator() external view returns (address);

    /// @notice Seconds after a transfer is recorded during which its purchaser may dispute it.
    /// @return The window.
    function disputeWindow() external view returns (uint256);

    /// @notice Seconds after a dispute window's end during which the operator may resolve the dispute.
    /// @return The window.
    function resolutionWindow() external view returns (uint256);

    /// @notice Seconds after a purchase after which its purchaser may close it unbilled.
    /// @return The timeout.
    function billingTimeout() external view returns (uint256);
}
