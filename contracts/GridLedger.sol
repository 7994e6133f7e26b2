// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ShortString, ShortStrings} from "@openzeppelin/contracts/utils/ShortStrings.sol";
import {IGridLedger} from "./IGridLedger.sol";

/// @title GridLedger
/// @notice Records the four grid events of the paper (storage, purchase, transfer, bill) with escrowed
/// payments, meters bound by their rated power, and disputes settled by a grid operator.
/// @dev Storage is packed so that a purchase with one transfer writes two fresh slots in its whole life
/// (the purchase and its delivery). A bill's CID lives in its `BillRecorded` log, which is consensus data
/// indexed by purchase and purchaser; state keeps the bill's block number so that it is found in O(1).
/// No contract reads a CID, and a fresh slot for it would cost 22,100 gas per bill. Nothing loops over a
/// collection that grows.
contract GridLedger is IGridLedger, ReentrancyGuard {
    using ShortStrings for ShortString;

    /// @notice Largest grid capacity or available storage of an offer, Wh (uint40: about 1.1 TWh).
    uint256 public constant MAX_CAPACITY = type(uint40).max;
    /// @notice Largest quantity of one purchase, Wh (uint32: about 4.29 GWh).
    uint256 public constant MAX_QUANTITY = type(uint32).max;
    /// @notice Largest rate, wei per Wh (uint56: about 72 ETH per kWh).
    uint256 public constant MAX_RATE = type(uint56).max;
    /// @notice Largest rated power of a meter, W (uint32: about 4.29 GW).
    uint256 public constant MAX_RATED_POWER = type(uint32).max;
    /// @notice Longest device name, bytes.
    uint256 public constant MAX_DEVICE_NAME = 64;
    /// @notice Most transfers one purchase holds.
    uint256 public constant MAX_TRANSFERS = type(uint16).max;
    /// @notice Longest dispute, resolution or billing window, seconds (one year): deadlines never overflow.
    uint256 public constant MAX_WINDOW = 365 days;
    /// @notice Multicodec of a raw-leaf CIDv1.
    uint16 public constant CODEC_RAW = 0x55;
    /// @notice Multicodec of a dag-pb CIDv1.
    uint16 public constant CODEC_DAG_PB = 0x70;
    /// @notice Reading kind: energy delivered for a purchase.
    uint8 public constant READING_ENERGY = 2;

    /// Slot 1 holds everything a storage reading or a purchase writes: the producer to authorise,
    /// the available storage to check and lower, and the rate to price with. Slot 2 is read only by
    /// readings and closing. Slot 3 holds the location as an OpenZeppelin ShortString.
    struct Offer {
        address producer; // slot 1
        uint40 available;
        uint56 rate;
        uint40 capacity; // slot 2
        bool closed;
        ShortString location; // slot 3
    }

    /// One slot, written once when bought: 4.29 GWh per purchase and times until 2106 suffice.
    struct Purchase {
        address purchaser;
        uint32 offerId;
        uint32 quantity;
        uint32 purchasedAt;
    }

    /// One slot per purchase, written at its first transfer and updated in place after that. The first
    /// transfer lives here too, so that the common one-transfer purchase needs no slot of its own for it.
    /// Times are uint32 (until 2106); the bill's block number is uint32 (4.29e9 blocks).
    struct Delivery {
        uint32 delivered;
        uint32 withheld;
        uint16 transferCount;
        uint16 pendingCount;
        uint16 openDisputes;
        uint32 lastRecordedAt;
        PurchaseStatus status;
        uint32 billBlock;
        uint32 firstAmount;
        uint32 firstRecordedAt;
        TransferState firstState;
    }

    /// Transfers after the first of a purchase, one slot each. A transfer's dispute window runs from the time it
    /// was recorded, not from the end of its delivery window, so a late record never shortens it.
    struct Transfer {
        uint32 amount;
        uint32 recordedAt;
        TransferState state;
    }

    /// One slot per meter: its producer, its rated power, and the end of its last delivery window
    /// (uint32 seconds: a window's end is never in the future, so it fits until 2106).
    struct Meter {
        address producer;
        uint32 ratedPower;
        uint32 lastEnd;
        bool active;
    }

    /// All counts share one slot; each record kind bumps its own field. uint40 allows 10^12 records;
    /// offers stop at 2^32 - 1 because a purchase stores its offer id in 32 bits.
    struct Counts {
        uint32 offers;
        uint40 storageReadings;
        uint40 purchases;
        uint40 transfers;
        uint40 acknowledgements;
        uint40 bills;
    }

    uint256 private immutable _DISPUTE_WINDOW;
    uint256 private immutable _RESOLUTION_WINDOW;
    uint256 private immutable _BILLING_TIMEOUT;

    address private _operator;
    Counts private _counts;

    mapping(uint256 offerId => Offer) private _offers;
    mapping(uint256 purchaseId => Purchase) private _purchases;
    mapping(uint256 purchaseId => Delivery) private _deliveries;
    mapping(uint256 purchaseId => mapping(uint256 index => Transfer)) private _transfers;
    mapping(address meter => Meter) private _meters;
    mapping(address account => uint256 balance) private _balances;
    /// A batch keeps only its root: everything else is in its BatchAnchored log and its file on IPFS.
    mapping(uint256 batchId => bytes32 root) private _batchRoots;
    uint256 private _batchCount;

    /// @param initialOperator The grid operator who resolves disputes.
    /// @param disputeWindow_ Seconds after a transfer is recorded during which its purchaser may dispute it.
    /// @param resolutionWindow_ Seconds after the dispute window closes during which the operator may resolve a dispute.
    /// @param billingTimeout_ Seconds after a purchase after which its purchaser may close it unbilled.
    constructor(address initialOperator, uint256 disputeWindow_, uint256 resolutionWindow_, uint256 billingTimeout_) {
        if (initialOperator == address(0)) revert ZeroAddress();
        if (disputeWindow_ == 0 || resolutionWindow_ == 0 || billingTimeout_ == 0) revert ZeroWindow();
        uint256 longest = disputeWindow_ > resolutionWindow_ ? disputeWindow_ : resolutionWindow_;
        if (billingTimeout_ > longest) longest = billingTimeout_;
        if (longest > MAX_WINDOW) revert WindowTooLong(longest, MAX_WINDOW);
        _operator = initialOperator;
        _DISPUTE_WINDOW = disputeWindow_;
        _RESOLUTION_WINDOW = resolutionWindow_;
        _BILLING_TIMEOUT = billingTimeout_;
        emit OperatorTransferred(address(0), initialOperator);
    }

    // ------------------------------------------------------------------ storage

    /// @inheritdoc IGridLedger
    function openOffer(uint256 capacity, uint256 available, uint256 rate, string calldata location)
        external
        returns (uint256 offerId)
    {
        if (capacity == 0) revert ZeroCapacity();
        if (capacity > MAX_CAPACITY) revert CapacityTooLarge(capacity, MAX_CAPACITY);
        if (available > capacity) revert AvailableExceedsCapacity(available, capacity);
        if (rate == 0) revert ZeroRate();
        if (rate > MAX_RATE) revert RateTooLarge(rate, MAX_RATE);
        uint256 length = bytes(location).length;
        if (length == 0) revert EmptyLocation();
        if (length > 31) revert LocationTooLong(length, 31);

        offerId = ++_counts.offers;
        _offers[offerId] = Offer({
            producer: msg.sender,
            available: uint40(available),
            rate: uint56(rate),
            capacity: uint40(capacity),
            closed: false,
            location: ShortStrings.toShortString(location)
        });
        emit OfferOpened(offerId, msg.sender, capacity, available, rate, location);
    }

    /// @inheritdoc IGridLedger
    function recordStorage(uint256 offerId, uint256 available) external {
        Offer storage offer = _openOffer(offerId);
        address producer = offer.producer;
        if (msg.sender != producer) _requireMeter(msg.sender, producer, offerId);
        if (available > offer.capacity) revert AvailableExceedsCapacity(available, offer.capacity);

        offer.available = uint40(available);
        ++_counts.storageReadings;
        emit StorageRecorded(offerId, producer, msg.sender, available);
    }

    /// @inheritdoc IGridLedger
    function closeOffer(uint256 offerId) external {
        Offer storage offer = _openOffer(offerId);
        if (msg.sender != offer.producer) revert NotProducer(offerId, msg.sender);
        offer.closed = true;
        offer.available = 0;
        emit OfferClosed(offerId, msg.sender);
    }

    // ----------------------------------------------------------------- purchase

    /// @inheritdoc IGridLedger
    function purchase(uint256 offerId, uint256 quantity) external payable returns (uint256 purchaseId) {
        Offer storage offer = _offers[offerId];
        address producer = offer.producer;
        if (producer == address(0)) revert UnknownOffer(offerId);
        if (quantity == 0) revert ZeroQuantity();
        uint256 available = offer.available;
        if (quantity > available) {
            // A closed offer has nothing available; say which of the two it is.
            if (offer.closed) revert OfferNotOpen(offerId);
            revert QuantityExceedsAvailable(offerId, quantity, available);
        }
        if (quantity > MAX_QUANTITY) revert QuantityTooLarge(quantity, MAX_QUANTITY);
        uint256 cost = quantity * offer.rate;
        if (msg.value != cost) revert WrongPayment(cost, msg.value);

        offer.available = uint40(available - quantity);
        purchaseId = ++_counts.purchases;
        _purchases[purchaseId] = Purchase({
            purchaser: msg.sender,
            offerId: uint32(offerId),
            quantity: uint32(quantity),
            purchasedAt: uint32(block.timestamp)
        });
        emit EnergyPurchased(purchaseId, producer, msg.sender, offerId, quantity, cost);
    }

    // ----------------------------------------------------------------- transfer

    /// @inheritdoc IGridLedger
    function recordTransfer(
        uint256 purchaseId,
        address meter,
        uint256 amount,
        uint256 start,
        uint256 end,
        string calldata device
    ) external returns (uint256 index) {
        return _recordTransfer(purchaseId, meter, amount, start, end, device);
    }

    /// @inheritdoc IGridLedger
    function recordTransferFromReadings(
        uint256 purchaseId,
        uint256 batchId,
        Reading[] calldata readings,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        string calldata device
    ) external returns (uint256 index) {
        bytes32 root = _batchRoots[batchId];
        if (root == bytes32(0)) revert UnknownBatch(batchId);
        uint256 n = readings.length;
        if (n == 0) revert ReadingMismatch(0);
        address meter = readings[0].meter;
        uint256 ratedPower = _meters[meter].ratedPower;
        bytes32[] memory leaves = new bytes32[](n);
        uint256 amount;
        for (uint256 i = 0; i < n; ++i) {
            Reading calldata r = readings[i];
            if (r.meter != meter || r.kind != READING_ENERGY || r.subject != purchaseId || r.value == 0) {
                revert ReadingMismatch(i);
            }
            if (r.start >= r.end) revert InvalidWindow(r.start, r.end);
            if (i > 0 && (r.seq <= readings[i - 1].seq || r.start < readings[i - 1].end)) revert ReadingsOutOfOrder(i);
            uint256 maxAmount = (ratedPower * (r.end - r.start)) / 3600;
            if (r.value > maxAmount) revert DeliveryExceedsRatedPower(meter, r.value, maxAmount);
            amount += r.value;
            leaves[i] = _leaf(r);
        }
        if (!MerkleProof.multiProofVerifyCalldata(proof, proofFlags, root, leaves)) revert InvalidProof(batchId);
        index = _recordTransfer(purchaseId, meter, amount, readings[0].start, readings[n - 1].end, device);
        emit ReadingsSettled(purchaseId, batchId, index, n);
    }

    /// The transfer rules and bookkeeping shared by `recordTransfer` and `recordTransferFromReadings`.
    function _recordTransfer(
        uint256 purchaseId,
        address meter,
        uint256 amount,
        uint256 start,
        uint256 end,
        string calldata device
    ) private returns (uint256 index) {
        Purchase storage bought = _existingPurchase(purchaseId);
        Offer storage offer = _offers[bought.offerId];
        address producer = offer.producer;
        if (msg.sender != producer && msg.sender != meter) revert NotProducerOrMeter(bought.offerId, msg.sender);
        Meter storage m = _requireMeter(meter, producer, bought.offerId);

        if (amount == 0) revert ZeroAmount();
        if (start >= end) revert InvalidWindow(start, end);
        if (end > block.timestamp) revert EndInFuture(end, block.timestamp);
        if (start < bought.purchasedAt) revert WindowBeforePurchase(purchaseId, start, bought.purchasedAt);
        uint256 nameLength = bytes(device).length;
        if (nameLength == 0) revert EmptyDeviceName();
        if (nameLength > MAX_DEVICE_NAME) revert DeviceNameTooLong(nameLength, MAX_DEVICE_NAME);
        _checkWindowAfterLast(meter, start, m.lastEnd);
        _checkRatedPower(meter, amount, start, end, m.ratedPower);

        Delivery storage delivery = _deliveries[purchaseId];
        if (delivery.status != PurchaseStatus.Open) revert PurchaseSettled(purchaseId, delivery.status);
        uint256 quantity = bought.quantity;
        uint256 delivered = delivery.delivered;
        if (delivered + amount > quantity) revert DeliveryExceedsPurchase(purchaseId, delivered, amount, quantity);
        index = delivery.transferCount;
        if (index == MAX_TRANSFERS) revert TooManyTransfers(purchaseId, MAX_TRANSFERS);

        _recordWindowEnd(m, end);
        delivery.delivered = uint32(delivered + amount);
        delivery.transferCount = uint16(index + 1);
        ++delivery.pendingCount;
        delivery.lastRecordedAt = uint32(block.timestamp);
        if (index == 0) {
            delivery.firstAmount = uint32(amount);
            delivery.firstRecordedAt = uint32(block.timestamp);
            delivery.firstState = TransferState.Pending;
        } else {
            _transfers[purchaseId][index] = Transfer(uint32(amount), uint32(block.timestamp), TransferState.Pending);
        }
        ++_counts.transfers;
        emit EnergyTransferred(
            purchaseId, producer, bought.purchaser, index, meter, amount, start, end, amount * offer.rate, device
        );
    }

    /// @inheritdoc IGridLedger
    function acknowledgeTransfer(uint256 purchaseId, uint256 index) external {
        (Purchase storage bought, Delivery storage delivery) = _purchaserAction(purchaseId);
        (, , TransferState state) = _transferAt(delivery, purchaseId, index);
        if (state != TransferState.Pending) revert WrongTransferState(purchaseId, index, state);

        _setTransferState(delivery, purchaseId, index, TransferState.Acknowledged);
        --delivery.pendingCount;
        ++_counts.acknowledgements;
        emit TransferAcknowledged(purchaseId, _offers[bought.offerId].producer, msg.sender, index);
    }

    /// @inheritdoc IGridLedger
    function disputeTransfer(uint256 purchaseId, uint256 index, uint8 reason) external {
        (Purchase storage bought, Delivery storage delivery) = _purchaserAction(purchaseId);
        if (reason == 0) revert ZeroReason();
        (, uint256 recordedAt, TransferState state) = _transferAt(delivery, purchaseId, index);
        if (state != TransferState.Pending) revert WrongTransferState(purchaseId, index, state);
        uint256 deadline = recordedAt + _DISPUTE_WINDOW;
        if (block.timestamp > deadline) revert DisputeWindowClosed(purchaseId, index, deadline);

        _setTransferState(delivery, purchaseId, index, TransferState.Disputed);
        --delivery.pendingCount;
        ++delivery.openDisputes;
        emit TransferDisputed(purchaseId, _offers[bought.offerId].producer, msg.sender, index, reason);
    }

    /// @inheritdoc IGridLedger
    function resolveDispute(uint256 purchaseId, uint256 index, bool upheld) external {
        if (msg.sender != _operator) revert NotOperator(msg.sender);
        (uint256 recordedAt, Delivery storage delivery) = _disputed(purchaseId, index);
        uint256 deadline = recordedAt + _DISPUTE_WINDOW + _RESOLUTION_WINDOW;
        if (block.timestamp > deadline) revert ResolutionWindowClosed(purchaseId, index, deadline);
        _closeDispute(purchaseId, index, delivery, upheld, false);
    }

    /// @inheritdoc IGridLedger
    function expireDispute(uint256 purchaseId, uint256 index) external {
        (uint256 recordedAt, Delivery storage delivery) = _disputed(purchaseId, index);
        uint256 deadline = recordedAt + _DISPUTE_WINDOW + _RESOLUTION_WINDOW;
        if (block.timestamp <= deadline) revert ResolutionWindowOpen(purchaseId, index, deadline);
        _closeDispute(purchaseId, index, delivery, true, true);
    }

    // --------------------------------------------------------------------- bill

    /// @inheritdoc IGridLedger
    function recordBill(uint256 purchaseId, bytes32 cidDigest, uint16 cidCodec) external {
        Purchase storage bought = _existingPurchase(purchaseId);
        Offer storage offer = _offers[bought.offerId];
        address producer = offer.producer;
        if (msg.sender != producer) _requireMeter(msg.sender, producer, bought.offerId);
        if (cidDigest == bytes32(0)) revert ZeroDigest();
        if (cidCodec != CODEC_RAW && cidCodec != CODEC_DAG_PB) revert UnsupportedCodec(cidCodec);

        Delivery storage delivery = _deliveries[purchaseId];
        if (delivery.status != PurchaseStatus.Open) revert PurchaseSettled(purchaseId, delivery.status);
        if (delivery.transferCount == 0) revert NoTransfers(purchaseId);
        _requireNoOpenDisputes(purchaseId, delivery.openDisputes);
        uint256 pending = delivery.pendingCount;
        if (pending != 0) {
            uint256 windowEnd = delivery.lastRecordedAt + _DISPUTE_WINDOW;
            if (block.timestamp <= windowEnd) revert AcknowledgementsPending(purchaseId, pending, windowEnd);
        }

        delivery.status = PurchaseStatus.Billed;
        delivery.billBlock = uint32(block.number);
        ++_counts.bills;
        (uint256 producerAmount, uint256 refund) = _settle(bought, delivery, producer, offer.rate);
        emit BillRecorded(purchaseId, producer, bought.purchaser, cidDigest, cidCodec, producerAmount, refund);
    }

    /// @inheritdoc IGridLedger
    function closePurchase(uint256 purchaseId) external {
        (Purchase storage bought, Delivery storage delivery) = _purchaserAction(purchaseId);
        _requireNoOpenDisputes(purchaseId, delivery.openDisputes);
        // A fixed deadline from the purchase: transfers do not move it, so a producer cannot keep the escrow
        // locked by recording a little energy now and then.
        uint256 deadline = uint256(bought.purchasedAt) + _BILLING_TIMEOUT;
        if (block.timestamp <= deadline) revert BillingDeadlineNotReached(purchaseId, deadline);

        delivery.status = PurchaseStatus.Closed;
        Offer storage offer = _offers[bought.offerId];
        address producer = offer.producer;
        (uint256 producerAmount, uint256 refund) = _settle(bought, delivery, producer, offer.rate);
        emit PurchaseClosed(purchaseId, producer, msg.sender, producerAmount, refund);
    }

    // ------------------------------------------------------------------ batches

    /// @inheritdoc IGridLedger
    function anchorBatch(
        bytes32 root,
        bytes32 cidDigest,
        uint16 cidCodec,
        uint256 count,
        MeterRange[] calldata ranges
    ) external returns (uint256 batchId) {
        if (root == bytes32(0)) revert ZeroRoot();
        if (count == 0) revert EmptyBatch();
        if (cidDigest == bytes32(0)) revert ZeroDigest();
        if (cidCodec != CODEC_RAW && cidCodec != CODEC_DAG_PB) revert UnsupportedCodec(cidCodec);
        uint256 covered;
        for (uint256 i = 0; i < ranges.length; ++i) {
            MeterRange calldata range = ranges[i];
            if (range.lastSeq < range.firstSeq) revert InvalidRange(range.meter, range.firstSeq, range.lastSeq);
            covered += uint256(range.lastSeq) - range.firstSeq + 1;
        }
        if (covered != count) revert RangeCountMismatch(count, covered);
        batchId = ++_batchCount;
        _batchRoots[batchId] = root;
        emit BatchAnchored(batchId, msg.sender, root, cidDigest, cidCodec, count, ranges);
    }

    /// @inheritdoc IGridLedger
    function verifyReading(uint256 batchId, bytes32 leaf, bytes32[] calldata proof) external view returns (bool) {
        bytes32 root = _batchRoots[batchId];
        if (root == bytes32(0)) revert UnknownBatch(batchId);
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @inheritdoc IGridLedger
    function readingLeaf(Reading calldata reading) external pure returns (bytes32) {
        return _leaf(reading);
    }

    /// @inheritdoc IGridLedger
    function batchRoot(uint256 batchId) external view returns (bytes32) {
        return _batchRoots[batchId];
    }

    /// @inheritdoc IGridLedger
    function batchCount() external view returns (uint256) {
        return _batchCount;
    }

    /// @inheritdoc IGridLedger
    function withdraw() external nonReentrant {
        uint256 amount = _balances[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _balances[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    // ------------------------------------------------------------------- meters

    /// @inheritdoc IGridLedger
    function authorizeMeter(address meter, uint256 ratedPower) external {
        if (meter == address(0)) revert ZeroAddress();
        if (ratedPower == 0 || ratedPower > MAX_RATED_POWER) revert RatedPowerOutOfRange(ratedPower, MAX_RATED_POWER);
        Meter storage m = _meters[meter];
        if (m.active && m.producer != msg.sender) revert MeterOwnedByOther(meter, m.producer);
        // lastEnd survives a change of producer: a meter's windows never overlap, whoever it measures for.
        m.producer = msg.sender;
        m.ratedPower = uint32(ratedPower);
        m.active = true;
        emit MeterAuthorized(meter, msg.sender, ratedPower);
    }

    /// @inheritdoc IGridLedger
    function revokeMeter(address meter) external {
        Meter storage m = _meters[meter];
        if (!m.active || m.producer != msg.sender) revert MeterNotAuthorized(meter, msg.sender);
        m.active = false;
        emit MeterRevoked(meter, msg.sender);
    }

    /// @inheritdoc IGridLedger
    function transferOperator(address newOperator) external {
        if (msg.sender != _operator) revert NotOperator(msg.sender);
        if (newOperator == address(0)) revert ZeroAddress();
        _operator = newOperator;
        emit OperatorTransferred(msg.sender, newOperator);
    }

    // -------------------------------------------------------------------- views

    /// @inheritdoc IGridLedger
    function offerOf(uint256 offerId) external view returns (OfferView memory offer) {
        Offer storage o = _offers[offerId];
        if (o.producer == address(0)) revert UnknownOffer(offerId);
        offer = OfferView(o.producer, o.capacity, o.available, o.rate, o.location.toString(), !o.closed);
    }

    /// @inheritdoc IGridLedger
    function purchaseOf(uint256 purchaseId) external view returns (PurchaseView memory record) {
        Purchase storage p = _existingPurchase(purchaseId);
        Delivery storage d = _deliveries[purchaseId];
        record = PurchaseView({
            purchaser: p.purchaser,
            offerId: p.offerId,
            quantity: p.quantity,
            cost: uint256(p.quantity) * _offers[p.offerId].rate,
            purchasedAt: p.purchasedAt,
            delivered: d.delivered,
            withheld: d.withheld,
            transferCount: d.transferCount,
            pendingCount: d.pendingCount,
            openDisputes: d.openDisputes,
            lastRecordedAt: d.lastRecordedAt,
            status: d.status,
            billBlock: d.billBlock
        });
    }

    /// @inheritdoc IGridLedger
    function transferOf(uint256 purchaseId, uint256 index) external view returns (TransferView memory record) {
        _existingPurchase(purchaseId);
        (uint256 amount, uint256 recordedAt, TransferState state) = _transferAt(_deliveries[purchaseId], purchaseId, index);
        record = TransferView(amount, recordedAt, state);
    }

    /// @inheritdoc IGridLedger
    function billBlockOf(uint256 purchaseId) external view returns (uint256 blockNumber) {
        _existingPurchase(purchaseId);
        return _deliveries[purchaseId].billBlock;
    }

    /// @inheritdoc IGridLedger
    function meterOf(address meter) external view returns (MeterView memory record) {
        Meter storage m = _meters[meter];
        record = MeterView(m.producer, m.ratedPower, m.lastEnd, m.active);
    }

    /// @inheritdoc IGridLedger
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IGridLedger
    function recordCounts() external view returns (RecordCounts memory counts) {
        Counts memory c = _counts;
        counts = RecordCounts(c.offers, c.storageReadings, c.purchases, c.transfers, c.acknowledgements, c.bills);
    }

    /// @inheritdoc IGridLedger
    function operator() external view returns (address) {
        return _operator;
    }

    /// @inheritdoc IGridLedger
    function disputeWindow() external view returns (uint256) {
        return _DISPUTE_WINDOW;
    }

    /// @inheritdoc IGridLedger
    function resolutionWindow() external view returns (uint256) {
        return _RESOLUTION_WINDOW;
    }

    /// @inheritdoc IGridLedger
    function billingTimeout() external view returns (uint256) {
        return _BILLING_TIMEOUT;
    }

    // -------------------------------------------------------------------- rules
    // Each rule is a function of values the caller has already read, internal and virtual only so that the gas
    // bench can price it against a build without it (contracts/test/GridLedgerRuleProbe.sol).

    /// A meter's delivery windows never overlap: a window starts at or after the end of that meter's last one.
    function _checkWindowAfterLast(address meter, uint256 start, uint256 lastEnd) internal view virtual {
        if (start < lastEnd) revert WindowOverlaps(meter, start, lastEnd);
    }

    /// The end of a meter's last window, which the next window must not start before.
    function _recordWindowEnd(Meter storage m, uint256 end) internal virtual {
        m.lastEnd = uint32(end);
    }

    /// A meter cannot have delivered more than its rated power over the window: amount ≤ W × s / 3600 Wh.
    function _checkRatedPower(address meter, uint256 amount, uint256 start, uint256 end, uint256 ratedPower)
        internal
        view
        virtual
    {
        uint256 maxAmount = (ratedPower * (end - start)) / 3600;
        if (amount > maxAmount) revert DeliveryExceedsRatedPower(meter, amount, maxAmount);
    }

    /// A purchase is not settled while one of its transfers is in dispute.
    function _requireNoOpenDisputes(uint256 purchaseId, uint256 openDisputes) internal view virtual {
        if (openDisputes != 0) revert DisputesOpen(purchaseId, openDisputes);
    }

    // ----------------------------------------------------------------- internal

    function _openOffer(uint256 offerId) private view returns (Offer storage offer) {
        offer = _offers[offerId];
        if (offer.producer == address(0)) revert UnknownOffer(offerId);
        if (offer.closed) revert OfferNotOpen(offerId);
    }

    function _existingPurchase(uint256 purchaseId) private view returns (Purchase storage bought) {
        bought = _purchases[purchaseId];
        if (bought.purchaser == address(0)) revert UnknownPurchase(purchaseId);
    }

    /// The purchase of the caller, still open.
    function _purchaserAction(uint256 purchaseId)
        private
        view
        returns (Purchase storage bought, Delivery storage delivery)
    {
        bought = _existingPurchase(purchaseId);
        if (bought.purchaser != msg.sender) revert NotPurchaser(purchaseId, msg.sender);
        delivery = _deliveries[purchaseId];
        if (delivery.status != PurchaseStatus.Open) revert PurchaseSettled(purchaseId, delivery.status);
    }

    function _requireMeter(address meter, address producer, uint256 offerId) private view returns (Meter storage m) {
        m = _meters[meter];
        if (!m.active || m.producer != producer) {
            if (meter == msg.sender && meter != producer) revert NotProducerOrMeter(offerId, meter);
            revert MeterNotAuthorized(meter, producer);
        }
    }

    function _transferAt(Delivery storage delivery, uint256 purchaseId, uint256 index)
        private
        view
        returns (uint256 amount, uint256 recordedAt, TransferState state)
    {
        if (index >= delivery.transferCount) revert UnknownTransfer(purchaseId, index);
        if (index == 0) return (delivery.firstAmount, delivery.firstRecordedAt, delivery.firstState);
        Transfer storage t = _transfers[purchaseId][index];
        return (t.amount, t.recordedAt, t.state);
    }

    function _setTransferState(Delivery storage delivery, uint256 purchaseId, uint256 index, TransferState state)
        private
    {
        if (index == 0) delivery.firstState = state;
        else _transfers[purchaseId][index].state = state;
    }

    /// A disputed transfer of an open purchase, with the time it was recorded.
    function _disputed(uint256 purchaseId, uint256 index)
        private
        view
        returns (uint256 recordedAt, Delivery storage delivery)
    {
        _existingPurchase(purchaseId);
        delivery = _deliveries[purchaseId];
        if (delivery.status != PurchaseStatus.Open) revert PurchaseSettled(purchaseId, delivery.status);
        TransferState state;
        (, recordedAt, state) = _transferAt(delivery, purchaseId, index);
        if (state != TransferState.Disputed) revert WrongTransferState(purchaseId, index, state);
    }

    function _closeDispute(uint256 purchaseId, uint256 index, Delivery storage delivery, bool upheld, bool expired)
        private
    {
        (uint256 amount, , ) = _transferAt(delivery, purchaseId, index);
        _setTransferState(delivery, purchaseId, index, upheld ? TransferState.Upheld : TransferState.Rejected);
        --delivery.openDisputes;
        if (upheld) delivery.withheld += uint32(amount);
        Purchase storage bought = _purchases[purchaseId];
        emit DisputeResolved(purchaseId, _offers[bought.offerId].producer, bought.purchaser, index, upheld, expired);
    }

    /// OpenZeppelin's standard Merkle tree leaf: the hash of the hash of the ABI-encoded fields.
    function _leaf(Reading calldata r) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(r.meter, r.kind, r.subject, r.value, r.start, r.end, r.seq))));
    }

    /// Credits the producer with rate × (delivered − withheld) and the purchaser with the rest of the escrow.
    function _settle(Purchase storage bought, Delivery storage delivery, address producer, uint256 rate)
        private
        returns (uint256 producerAmount, uint256 refund)
    {
        producerAmount = (uint256(delivery.delivered) - delivery.withheld) * rate;
        refund = uint256(bought.quantity) * rate - producerAmount;
        if (producerAmount != 0) _balances[producer] += producerAmount;
        if (refund != 0) _balances[bought.purchaser] += refund;
    }
}
