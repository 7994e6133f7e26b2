// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGridLedger} from "../IGridLedger.sol";
import {Vm} from "./Vm.sol";

/// @title GridLedgerHandler
/// @notice Drives a GridLedger for the invariant tests: three producers, four meters, three purchasers and
/// two operators act through bounded random calls (mostly valid, some on purpose not: overlapping windows,
/// settled purchases, wrong recorders). It keeps ghost totals of the ETH paid in and out, the ids it created,
/// a digest of every purchase at the moment it was settled, and every meter's accepted delivery windows.
/// @dev Every action picks its actors and bounds its numbers from the fuzzed arguments, acts through
/// `vm.prank`, and updates the ghosts only after the ledger accepted the call (a rejected call reverts the
/// whole action, ghosts included). Time moves only through `_warpTo`, which keeps `currentTime`.
contract GridLedgerHandler {
    // solhint-disable-next-line const-name-snakecase
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    IGridLedger public immutable ledger;
    uint256 public immutable disputeWindow;
    uint256 public immutable resolutionWindow;
    uint256 public immutable billingTimeout;

    /// block.timestamp as last set by this handler.
    uint256 public currentTime;
    /// Wei paid into the ledger by purchases.
    uint256 public ghostDeposited;
    /// Wei paid out of the ledger by withdrawals.
    uint256 public ghostWithdrawn;
    /// Closes the ledger got wrong: see `closePurchase`.
    uint256 public ghostWrongCloses;

    address[] internal _producers;
    address[] internal _meters;
    address[] internal _purchasers;
    address[] internal _operators;

    uint256[] internal _offerIds;
    uint256[] internal _purchaseIds;
    uint256[] internal _settledIds;
    mapping(uint256 purchaseId => bytes32 digest) internal _settledDigest;
    mapping(address meter => uint256[] starts) internal _windowStarts;
    mapping(address meter => uint256[] ends) internal _windowEnds;

    constructor(IGridLedger ledger_, address secondOperator) {
        ledger = ledger_;
        disputeWindow = ledger_.disputeWindow();
        resolutionWindow = ledger_.resolutionWindow();
        billingTimeout = ledger_.billingTimeout();
        currentTime = block.timestamp;
        _operators.push(ledger_.operator());
        _operators.push(secondOperator);
        for (uint256 i; i < 3; ++i) {
            _producers.push(address(uint160(0x5000 + i)));
            _purchasers.push(address(uint160(0x6000 + i)));
        }
        for (uint256 i; i < 4; ++i) {
            _meters.push(address(uint160(0x7000 + i)));
            vm.prank(_producers[i % 3]);
            ledger_.authorizeMeter(_meters[i], 500_000 * (i + 1));
        }
        for (uint256 i; i < 3; ++i) {
            vm.prank(_producers[i]);
            _offerIds.push(ledger_.openOffer(1_000_000 * (i + 1), 1_000_000 * (i + 1), 1e9 * (i + 1), "grid"));
        }
    }

    /// The test runner may reset block.timestamp between calls, and a rejected action keeps its warp but not
    /// `currentTime`: every action starts from the handler's own clock.
    modifier synced() {
        vm.warp(currentTime);
        _;
    }

    // ------------------------------------------------------------------ actions

    function openOffer(uint256 producerSeed, uint256 capacity, uint256 available, uint256 rate) external synced {
        capacity = _bound(capacity, 1, 10_000_000);
        available = _bound(available, 0, capacity);
        rate = _bound(rate, 1, 1e12);
        vm.prank(_producers[producerSeed % _producers.length]);
        _offerIds.push(ledger.openOffer(capacity, available, rate, "grid"));
    }

    /// Sometimes above capacity, sometimes by a meter of another producer: both must be rejected.
    function recordStorage(uint256 offerSeed, uint256 recorderSeed, uint256 available) external synced {
        uint256 offerId = _offerIds[offerSeed % _offerIds.length];
        IGridLedger.OfferView memory o = ledger.offerOf(offerId);
        address recorder = recorderSeed % 3 == 0 ? o.producer : _meters[recorderSeed % _meters.length];
        available = _bound(available, 0, o.capacity + o.capacity / 8);
        vm.prank(recorder);
        ledger.recordStorage(offerId, available);
    }

    function closeOffer(uint256 offerSeed) external synced {
        uint256 offerId = _offerIds[offerSeed % _offerIds.length];
        vm.prank(ledger.offerOf(offerId).producer);
        ledger.closeOffer(offerId);
    }

    function purchase(uint256 buyerSeed, uint256 offerSeed, uint256 quantity) external synced {
        uint256 offerId = _offerIds[offerSeed % _offerIds.length];
        IGridLedger.OfferView memory o = ledger.offerOf(offerId);
        quantity = _bound(quantity, 1, _max(_min(o.available, 1_000_000), 1));
        uint256 cost = quantity * o.rate;
        address buyer = _purchasers[buyerSeed % _purchasers.length];
        vm.deal(buyer, cost);
        vm.prank(buyer);
        _purchaseIds.push(ledger.purchase{value: cost}(offerId, quantity));
        ghostDeposited += cost;
    }

    /// Records a delivery, mostly by an active meter of the purchase's producer, in a window after both the
    /// purchase and the meter's last window; one time in eight the window starts before the meter's last end.
    function recordTransfer(
        uint256 purchaseSeed,
        uint256 meterSeed,
        uint256 amount,
        uint256 gap,
        uint256 duration,
        bool byProducer
    ) external synced {
        if (_purchaseIds.length == 0) return;
        uint256 purchaseId = _purchaseIds[purchaseSeed % _purchaseIds.length];
        IGridLedger.PurchaseView memory p = ledger.purchaseOf(purchaseId);
        address producer = ledger.offerOf(p.offerId).producer;
        address meter = _meterOf(producer, meterSeed);
        IGridLedger.MeterView memory m = ledger.meterOf(meter);

        uint256 start = _max(m.lastEnd, p.purchasedAt) + _bound(gap, 0, 2 hours);
        if (gap % 8 == 0 && m.lastEnd > p.purchasedAt) start = m.lastEnd - 1;
        uint256 end = start + _bound(duration, 1, 3 hours);
        if (end > currentTime) _warpTo(end);
        uint256 room = _min((m.ratedPower * (end - start)) / 3600, p.quantity - p.delivered);
        // One time in eight, one Wh more than the purchase has left.
        amount = amount % 8 == 0 ? p.quantity - p.delivered + 1 : _bound(amount, 1, _max(room, 1));

        vm.prank(byProducer ? producer : meter);
        ledger.recordTransfer(purchaseId, meter, amount, start, end, "meter");
        _windowStarts[meter].push(start);
        _windowEnds[meter].push(end);
    }

    /// The same delivery, anchored first as a one-reading batch (its root is the reading's leaf) and then
    /// recorded from that reading by the meter.
    function recordTransferFromReading(uint256 purchaseSeed, uint256 meterSeed, uint256 amount, uint256 gap)
        external
        synced
    {
        if (_purchaseIds.length == 0) return;
        uint256 purchaseId = _purchaseIds[purchaseSeed % _purchaseIds.length];
        IGridLedger.PurchaseView memory p = ledger.purchaseOf(purchaseId);
        address meter = _meterOf(ledger.offerOf(p.offerId).producer, meterSeed);
        IGridLedger.MeterView memory m = ledger.meterOf(meter);
        uint256 start = _max(m.lastEnd, p.purchasedAt) + _bound(gap, 0, 1 hours);
        uint256 end = start + 1 hours;
        if (end > currentTime) _warpTo(end);
        amount = _bound(amount, 1, _max(_min(m.ratedPower, p.quantity - p.delivered), 1));
        IGridLedger.Reading[] memory readings = new IGridLedger.Reading[](1);
        readings[0] = IGridLedger.Reading(meter, 2, purchaseId, amount, uint64(start), uint64(end), uint64(end));
        IGridLedger.MeterRange[] memory ranges = new IGridLedger.MeterRange[](1);
        ranges[0] = IGridLedger.MeterRange(meter, uint64(end), uint64(end));
        vm.prank(_purchasers[meterSeed % _purchasers.length]);
        uint256 batchId = ledger.anchorBatch(ledger.readingLeaf(readings[0]), bytes32(end), 0x55, 1, ranges);
        vm.prank(meter);
        ledger.recordTransferFromReadings(purchaseId, batchId, readings, new bytes32[](0), new bool[](0), "batch");
        _windowStarts[meter].push(start);
        _windowEnds[meter].push(end);
    }

    function acknowledgeTransfer(uint256 purchaseSeed, uint256 indexSeed) external synced {
        (uint256 purchaseId, uint256 index, address purchaser) =
            _pickTransfer(purchaseSeed, indexSeed, IGridLedger.TransferState.Pending);
        vm.prank(purchaser);
        ledger.acknowledgeTransfer(purchaseId, index);
    }

    function disputeTransfer(uint256 purchaseSeed, uint256 indexSeed, uint8 reason) external synced {
        (uint256 purchaseId, uint256 index, address purchaser) =
            _pickTransfer(purchaseSeed, indexSeed, IGridLedger.TransferState.Pending);
        vm.prank(purchaser);
        ledger.disputeTransfer(purchaseId, index, uint8(_bound(reason, 1, 255)));
    }

    function resolveDispute(uint256 purchaseSeed, uint256 indexSeed, bool upheld) external synced {
        (uint256 purchaseId, uint256 index,) =
            _pickTransfer(purchaseSeed, indexSeed, IGridLedger.TransferState.Disputed);
        vm.prank(ledger.operator());
        ledger.resolveDispute(purchaseId, index, upheld);
    }

    /// Half the time waits until the dispute can be expired; called by any actor.
    function expireDispute(uint256 purchaseSeed, uint256 indexSeed, uint256 callerSeed, bool wait) external synced {
        (uint256 purchaseId, uint256 index,) =
            _pickTransfer(purchaseSeed, indexSeed, IGridLedger.TransferState.Disputed);
        if (wait && index != type(uint256).max) {
            uint256 deadline = ledger.transferOf(purchaseId, index).recordedAt + disputeWindow + resolutionWindow;
            if (currentTime <= deadline) _warpTo(deadline + 1);
        }
        vm.prank(_purchasers[callerSeed % _purchasers.length]);
        ledger.expireDispute(purchaseId, index);
    }

    /// Half the time waits until pending transfers no longer block the bill; by the producer or a meter.
    function recordBill(uint256 purchaseSeed, uint256 callerSeed, bytes32 digest, bool dagPb, bool wait) external synced {
        (uint256 purchaseId, IGridLedger.PurchaseView memory p) = _pickPurchase(purchaseSeed);
        address producer = ledger.offerOf(p.offerId).producer;
        if (wait && p.pendingCount != 0 && currentTime <= p.lastRecordedAt + disputeWindow) {
            _warpTo(p.lastRecordedAt + disputeWindow + 1);
        }
        if (digest == bytes32(0)) digest = keccak256(abi.encode(purchaseId));
        vm.prank(callerSeed % 2 == 0 ? producer : _meterOf(producer, callerSeed));
        ledger.recordBill(purchaseId, digest, dagPb ? 0x70 : 0x55);
        _settled(purchaseId);
    }

    /// Closes at once, or first moves on to exactly the billing deadline (`when` 1) or a second past it (`when` 2).
    /// The deadline is purchasedAt + billingTimeout, whatever was recorded since. For an open purchase with no
    /// open dispute, counts in `ghostWrongCloses` a close accepted at or before the deadline, one rejected after
    /// it, and one rejected before it with anything but BillingDeadlineNotReached(purchaseId, deadline).
    function closePurchase(uint256 purchaseSeed, uint8 when) external synced {
        (uint256 purchaseId, IGridLedger.PurchaseView memory p) = _pickPurchase(purchaseSeed);
        uint256 deadline = p.purchasedAt + billingTimeout;
        when %= 3;
        if (when == 1 && currentTime < deadline) _warpTo(deadline);
        if (when == 2 && currentTime <= deadline) _warpTo(deadline + 1);
        bool closable =
            p.purchaser != address(0) && p.status == IGridLedger.PurchaseStatus.Open && p.openDisputes == 0;
        vm.prank(p.purchaser);
        try ledger.closePurchase(purchaseId) {
            if (currentTime <= deadline) ++ghostWrongCloses;
            _settled(purchaseId);
        } catch (bytes memory reason) {
            bytes memory early =
                abi.encodeWithSelector(IGridLedger.BillingDeadlineNotReached.selector, purchaseId, deadline);
            if (closable && (currentTime > deadline || keccak256(reason) != keccak256(early))) ++ghostWrongCloses;
        }
    }

    function withdraw(uint256 actorSeed) external synced {
        address[] memory accounts = actors();
        address account = accounts[actorSeed % accounts.length];
        uint256 amount = ledger.balanceOf(account);
        vm.prank(account);
        ledger.withdraw();
        ghostWithdrawn += amount;
    }

    function authorizeMeter(uint256 producerSeed, uint256 meterSeed, uint256 ratedPower) external synced {
        vm.prank(_producers[producerSeed % _producers.length]);
        ledger.authorizeMeter(_meters[meterSeed % _meters.length], _bound(ratedPower, 1, 2_000_000));
    }

    function revokeMeter(uint256 meterSeed) external synced {
        address meter = _meters[meterSeed % _meters.length];
        vm.prank(ledger.meterOf(meter).producer);
        ledger.revokeMeter(meter);
    }

    function transferOperator(uint256 operatorSeed) external synced {
        vm.prank(ledger.operator());
        ledger.transferOperator(_operators[operatorSeed % _operators.length]);
    }

    function warp(uint256 seconds_) external synced {
        _warpTo(currentTime + _bound(seconds_, 1, 12 hours));
    }

    // -------------------------------------------------------------------- views

    function offerIds() external view returns (uint256[] memory) {
        return _offerIds;
    }

    function purchaseIds() external view returns (uint256[] memory) {
        return _purchaseIds;
    }

    function settledIds() external view returns (uint256[] memory) {
        return _settledIds;
    }

    function meters() external view returns (address[] memory) {
        return _meters;
    }

    /// Every account the ledger may credit: producers and purchasers.
    function actors() public view returns (address[] memory accounts) {
        accounts = new address[](_producers.length + _purchasers.length);
        for (uint256 i; i < _producers.length; ++i) {
            accounts[i] = _producers[i];
        }
        for (uint256 i; i < _purchasers.length; ++i) {
            accounts[_producers.length + i] = _purchasers[i];
        }
    }

    /// The delivery windows the ledger accepted from `meter`, in the order they were recorded.
    function windowsOf(address meter) external view returns (uint256[] memory starts, uint256[] memory ends) {
        return (_windowStarts[meter], _windowEnds[meter]);
    }

    /// The digest of a purchase taken when it was billed or closed.
    function settledDigest(uint256 purchaseId) external view returns (bytes32) {
        return _settledDigest[purchaseId];
    }

    /// A digest of everything readable about a purchase: its view, its bill block and all its transfers.
    function purchaseDigest(uint256 purchaseId) public view returns (bytes32) {
        IGridLedger.PurchaseView memory p = ledger.purchaseOf(purchaseId);
        bytes memory acc = abi.encode(p, ledger.billBlockOf(purchaseId));
        for (uint256 i; i < p.transferCount; ++i) {
            acc = bytes.concat(acc, abi.encode(ledger.transferOf(purchaseId, i)));
        }
        return keccak256(acc);
    }

    // ----------------------------------------------------------------- internal

    function _settled(uint256 purchaseId) internal {
        _settledIds.push(purchaseId);
        _settledDigest[purchaseId] = purchaseDigest(purchaseId);
    }

    /// Any purchase, settled or not (actions on settled ones must be rejected); the first one if none yet,
    /// which makes the ledger reject the call as an unknown purchase.
    function _pickPurchase(uint256 seed) internal view returns (uint256 purchaseId, IGridLedger.PurchaseView memory p) {
        if (_purchaseIds.length == 0) return (1, p);
        purchaseId = _purchaseIds[seed % _purchaseIds.length];
        p = ledger.purchaseOf(purchaseId);
    }

    /// Mostly a transfer in `state` (searching the purchases from `purchaseSeed`), else any transfer of any
    /// purchase (the ledger must then reject the call). Index type(uint256).max when there is none at all.
    function _pickTransfer(uint256 purchaseSeed, uint256 indexSeed, IGridLedger.TransferState state)
        internal
        view
        returns (uint256 purchaseId, uint256 index, address purchaser)
    {
        uint256 count = _purchaseIds.length;
        if (count == 0) return (1, type(uint256).max, address(0));
        for (uint256 i; i < count && indexSeed % 8 != 0; ++i) {
            purchaseId = _purchaseIds[(purchaseSeed + i) % count];
            IGridLedger.PurchaseView memory p = ledger.purchaseOf(purchaseId);
            for (uint256 j; j < p.transferCount; ++j) {
                index = (indexSeed + j) % p.transferCount;
                if (ledger.transferOf(purchaseId, index).state == state) return (purchaseId, index, p.purchaser);
            }
        }
        purchaseId = _purchaseIds[purchaseSeed % count];
        IGridLedger.PurchaseView memory q = ledger.purchaseOf(purchaseId);
        index = q.transferCount == 0 ? type(uint256).max : indexSeed % q.transferCount;
        purchaser = q.purchaser;
    }

    /// An active meter of `producer` if it has one (searching from `seed`), else any meter.
    function _meterOf(address producer, uint256 seed) internal view returns (address) {
        for (uint256 i; i < _meters.length; ++i) {
            address meter = _meters[(seed + i) % _meters.length];
            IGridLedger.MeterView memory m = ledger.meterOf(meter);
            if (m.active && m.producer == producer) return meter;
        }
        return _meters[seed % _meters.length];
    }

    function _warpTo(uint256 timestamp) internal {
        currentTime = timestamp;
        vm.warp(timestamp);
    }

    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (x >= lo && x <= hi) return x;
        return lo + (x % (hi - lo + 1));
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    function _max(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a : b;
    }
}
