// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {GridLedger} from "../GridLedger.sol";
import {IGridLedger} from "../IGridLedger.sol";
import {Vm} from "./Vm.sol";

/// @notice Deployment, actors and helpers shared by the GridLedger unit and fuzz tests.
/// Every fuzz test maps its inputs so that both sides of the rule it checks come up often: three runs in
/// four land within `SPREAD` of the boundary, the rest anywhere in the input's range. A rejected call
/// must revert with the exact custom error and leave every readable piece of state as it was.
abstract contract GridLedgerFixture {
    // solhint-disable-next-line const-name-snakecase
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    // The contract's bounds, written out so that a changed bound fails the tests.
    uint256 internal constant MAX_CAPACITY = type(uint40).max;
    uint256 internal constant MAX_QUANTITY = type(uint32).max;
    uint256 internal constant MAX_RATE = type(uint56).max;
    uint256 internal constant MAX_RATED_POWER = type(uint32).max;
    uint256 internal constant MAX_LOCATION = 31;
    uint256 internal constant MAX_DEVICE_NAME = 64;
    uint256 internal constant MAX_TRANSFERS = type(uint16).max;
    uint256 internal constant MAX_WINDOW = 365 days;
    uint16 internal constant CODEC_RAW = 0x55;
    uint16 internal constant CODEC_DAG_PB = 0x70;

    uint256 internal constant SPREAD = 3;

    uint256 internal constant T0 = 1_700_000_000;
    uint256 internal constant DISPUTE_WINDOW = 1 days;
    uint256 internal constant RESOLUTION_WINDOW = 2 days;
    uint256 internal constant BILLING_TIMEOUT = 7 days;

    uint256 internal constant CAPACITY = 10_000_000;
    uint256 internal constant AVAILABLE = 5_000_000;
    uint256 internal constant RATE = 1_000_000;
    uint256 internal constant RATED_POWER = 1_000_000;
    uint256 internal constant QUANTITY = 2_000_000;

    address internal constant OPERATOR = address(0x10A0);
    address internal constant PRODUCER = address(0x1001);
    address internal constant PRODUCER2 = address(0x1002);
    address internal constant METER = address(0x2001);
    address internal constant METER2 = address(0x2002);
    address internal constant METER3 = address(0x2003);
    address internal constant PURCHASER = address(0x3001);
    address internal constant PURCHASER2 = address(0x3002);
    address internal constant STRANGER = address(0x4001);

    string internal constant LOCATION = "grid-A";
    string internal constant DEVICE = "meter-01";
    bytes32 internal constant DIGEST = keccak256("bill");

    IGridLedger internal ledger;
    /// The fixture's offer: PRODUCER's, CAPACITY / AVAILABLE / RATE.
    uint256 internal offerId;
    /// block.timestamp as set by the tests (kept here: via-IR may reuse an earlier TIMESTAMP read).
    uint256 internal now_;

    function _deploy(address operator, uint256 disputeWindow, uint256 resolutionWindow, uint256 billingTimeout)
        internal
        returns (IGridLedger)
    {
        return IGridLedger(address(new GridLedger(operator, disputeWindow, resolutionWindow, billingTimeout)));
    }

    function setUp() public virtual {
        _warp(T0);
        ledger = _deploy(OPERATOR, DISPUTE_WINDOW, RESOLUTION_WINDOW, BILLING_TIMEOUT);
        vm.prank(PRODUCER);
        ledger.authorizeMeter(METER, RATED_POWER);
        vm.prank(PRODUCER2);
        ledger.authorizeMeter(METER2, RATED_POWER);
        vm.prank(PRODUCER);
        offerId = ledger.openOffer(CAPACITY, AVAILABLE, RATE, LOCATION);
        vm.deal(PURCHASER, 1_000_000 ether);
        vm.deal(PURCHASER2, 1_000_000 ether);
    }

    // ------------------------------------------------------------ input mapping

    /// Maps x into [lo, hi], keeping it when it is already inside.
    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (x >= lo && x <= hi) return x;
        uint256 span = hi - lo;
        if (span == type(uint256).max) return x;
        return lo + (x % (span + 1));
    }

    /// Three times in four a value within SPREAD of pivot (on both sides, clipped to [lo, hi]), else any in [lo, hi].
    function _near(uint256 x, uint256 pivot, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (x % 4 == 0) return _bound(x / 4, lo, hi);
        if (pivot < lo) pivot = lo;
        if (pivot > hi) pivot = hi;
        uint256 from = pivot - lo > SPREAD ? pivot - SPREAD : lo;
        uint256 to = hi - pivot > SPREAD ? pivot + SPREAD : hi;
        return _bound(x / 4, from, to);
    }

    /// Like `_near`, around one of two pivots.
    function _near2(uint256 x, uint256 pivotA, uint256 pivotB, uint256 lo, uint256 hi)
        internal
        pure
        returns (uint256)
    {
        return x % 2 == 0 ? _near(x / 2, pivotA, lo, hi) : _near(x / 2, pivotB, lo, hi);
    }

    /// A caller: two times in three one of the fixture's actors, else the fuzzed address.
    function _caller(uint256 pick, address raw) internal pure returns (address) {
        address[8] memory known = [PRODUCER, METER, PRODUCER2, METER2, METER3, PURCHASER, PURCHASER2, OPERATOR];
        uint256 i = pick % 12;
        if (i < known.length) return known[i];
        return raw == address(vm) ? STRANGER : raw;
    }

    function _string(uint256 length) internal pure returns (string memory) {
        bytes memory b = new bytes(length);
        for (uint256 i; i < length; ++i) {
            b[i] = bytes1(uint8(0x61 + (i % 26)));
        }
        return string(b);
    }

    // -------------------------------------------------------------------- time

    function _warp(uint256 timestamp) internal {
        now_ = timestamp;
        vm.warp(timestamp);
    }

    function _skip(uint256 seconds_) internal {
        _warp(now_ + seconds_);
    }

    // ------------------------------------------------------------------- state
    // Helpers with a body of any size are external and called through `this`: the optimizer then keeps one
    // copy of each instead of one per call site, which keeps the (wasm solc, via-IR) compile time down.

    /// A digest of everything readable: counts, operator, batch roots, every offer, purchase and transfer, and the
    /// ledger balance, meter and ETH balance of every actor and of `extra`.
    function stateDigest(address extra) public view returns (bytes32) {
        IGridLedger.RecordCounts memory c = ledger.recordCounts();
        uint256 batches = ledger.batchCount();
        bytes memory acc = abi.encode(c, ledger.operator(), address(ledger).balance, batches);
        for (uint256 i = 1; i <= batches; ++i) {
            acc = bytes.concat(acc, ledger.batchRoot(i));
        }
        for (uint256 i = 1; i <= c.offers; ++i) {
            acc = bytes.concat(acc, abi.encode(ledger.offerOf(i)));
        }
        for (uint256 i = 1; i <= c.purchases; ++i) {
            IGridLedger.PurchaseView memory p = ledger.purchaseOf(i);
            acc = bytes.concat(acc, abi.encode(p, ledger.billBlockOf(i)));
            for (uint256 j; j < p.transferCount; ++j) {
                acc = bytes.concat(acc, abi.encode(ledger.transferOf(i, j)));
            }
        }
        address[10] memory accounts =
            [OPERATOR, PRODUCER, PRODUCER2, METER, METER2, METER3, PURCHASER, PURCHASER2, STRANGER, extra];
        for (uint256 i; i < accounts.length; ++i) {
            address a = accounts[i];
            acc = bytes.concat(acc, abi.encode(ledger.balanceOf(a), ledger.meterOf(a), a.balance));
        }
        return keccak256(acc);
    }

    /// Calls the ledger as `caller`, sending `value`, expects exactly `err`, and checks that nothing changed.
    function expectRejected(address caller, uint256 value, bytes calldata data, bytes calldata err) external {
        bytes32 before = this.stateDigest(caller);
        vm.expectRevert(err);
        vm.prank(caller);
        (bool ok,) = address(ledger).call{value: value}(data);
        vm.assertTrue(ok, "an expected revert reports success");
        vm.assertEq(this.stateDigest(caller), before, "state changed on a rejected call");
    }

    function _reject(address caller, bytes memory data, bytes memory err) internal {
        this.expectRejected(caller, 0, data, err);
    }

    // ----------------------------------------------------------------- actions

    function buy(address buyer, uint256 id, uint256 quantity) public returns (uint256 purchaseId) {
        uint256 cost = quantity * ledger.offerOf(id).rate;
        vm.prank(buyer);
        purchaseId = ledger.purchase{value: cost}(id, quantity);
    }

    /// Moves time on by an hour and records `amount` measured by `meter` in the hour that just ended.
    function deliver(uint256 purchaseId, address meter, uint256 amount)
        public
        returns (uint256 index, uint256 recordedAt)
    {
        _skip(1 hours);
        recordedAt = now_;
        vm.prank(meter);
        index = ledger.recordTransfer(purchaseId, meter, amount, now_ - 1 hours, now_, DEVICE);
    }

    /// Records now, as `meter`, `amount` measured in [start, end] (a window that may have ended long ago).
    function deliverWindow(uint256 purchaseId, address meter, uint256 amount, uint256 start, uint256 end)
        public
        returns (uint256 index)
    {
        vm.prank(meter);
        index = ledger.recordTransfer(purchaseId, meter, amount, start, end, DEVICE);
    }

    function acknowledge(uint256 purchaseId, uint256 index) public {
        address purchaser = ledger.purchaseOf(purchaseId).purchaser;
        vm.prank(purchaser);
        ledger.acknowledgeTransfer(purchaseId, index);
    }

    function dispute(uint256 purchaseId, uint256 index) public {
        address purchaser = ledger.purchaseOf(purchaseId).purchaser;
        vm.prank(purchaser);
        ledger.disputeTransfer(purchaseId, index, 1);
    }

    /// A purchase of QUANTITY with one acknowledged transfer of `amount`: ready to bill.
    function billable(uint256 amount) public returns (uint256 purchaseId) {
        purchaseId = this.buy(PURCHASER, offerId, QUANTITY);
        this.deliver(purchaseId, METER, amount);
        this.acknowledge(purchaseId, 0);
    }

    function bill(uint256 purchaseId) public {
        vm.prank(PRODUCER);
        ledger.recordBill(purchaseId, DIGEST, CODEC_RAW);
    }

    // -------------------------------------------------------------- assertions

    function assertOffer(
        uint256 id,
        address producer,
        uint256 capacity,
        uint256 available,
        uint256 rate,
        string calldata location,
        bool open
    ) public view {
        IGridLedger.OfferView memory o = ledger.offerOf(id);
        vm.assertEq(o.producer, producer, "offer producer");
        vm.assertEq(o.capacity, capacity, "offer capacity");
        vm.assertEq(o.available, available, "offer available");
        vm.assertEq(o.rate, rate, "offer rate");
        vm.assertEq(o.location, location, "offer location");
        vm.assertEq(o.open, open, "offer open");
    }

    function assertTransfer(
        uint256 purchaseId,
        uint256 index,
        uint256 amount,
        uint256 recordedAt,
        IGridLedger.TransferState state
    ) public view {
        IGridLedger.TransferView memory t = ledger.transferOf(purchaseId, index);
        vm.assertEq(t.amount, amount, "transfer amount");
        vm.assertEq(t.recordedAt, recordedAt, "transfer recorded at");
        vm.assertEq(uint256(t.state), uint256(state), "transfer state");
    }
}

/// A purchaser contract that tries to withdraw again while it is being paid.
contract ReentrantPurchaser {
    IGridLedger internal immutable _ledger;

    constructor(IGridLedger ledger_) {
        _ledger = ledger_;
    }

    function buy(uint256 offerId, uint256 quantity) external payable returns (uint256) {
        return _ledger.purchase{value: msg.value}(offerId, quantity);
    }

    function close(uint256 purchaseId) external {
        _ledger.closePurchase(purchaseId);
    }

    function withdraw() external {
        _ledger.withdraw();
    }

    receive() external payable {
        _ledger.withdraw();
    }
}

/// @notice Unit and fuzz tests of every GridLedger function, one contract so that the shared fixture is
/// compiled once. Names: test_<function>_<condition>, testFuzz_<function>_<property>.
contract GridLedgerTest is GridLedgerFixture {
    /// The purchase set up by `_transferFixture` or `_disputeFixture`.
    uint256 internal pid;
    /// When `_disputeFixture` recorded its two transfers.
    uint256 internal rec0;
    uint256 internal rec1;

    // =============================================================================================
    // Deployment, operator and views
    // =============================================================================================

    function test_constructor_setsOperatorAndWindows() public {
        vm.expectEmit(true, true, true, true);
        emit IGridLedger.OperatorTransferred(address(0), PURCHASER);
        IGridLedger fresh = _deploy(PURCHASER, 11, 22, 33);
        vm.assertEq(fresh.operator(), PURCHASER, "operator");
        vm.assertEq(fresh.disputeWindow(), 11, "dispute window");
        vm.assertEq(fresh.resolutionWindow(), 22, "resolution window");
        vm.assertEq(fresh.billingTimeout(), 33, "billing timeout");
    }

    function test_constructor_zeroOperator() public {
        vm.expectRevert(abi.encodeWithSelector(IGridLedger.ZeroAddress.selector));
        _deploy(address(0), 1, 1, 1);
    }

    /// Deploys with the three windows and checks they are stored.
    function deployAccepted(uint256 disputeWindow, uint256 resolutionWindow, uint256 billingTimeout) public {
        IGridLedger fresh = _deploy(OPERATOR, disputeWindow, resolutionWindow, billingTimeout);
        vm.assertEq(fresh.disputeWindow(), disputeWindow, "dispute window");
        vm.assertEq(fresh.resolutionWindow(), resolutionWindow, "resolution window");
        vm.assertEq(fresh.billingTimeout(), billingTimeout, "billing timeout");
    }

    /// A zero window is rejected first, whatever the others; then the longest window if it is above a year.
    function testFuzz_constructor_windowsNonZeroAndAtMostAYear(
        uint256 disputeWindow,
        uint256 resolutionWindow,
        uint256 billingTimeout
    ) public {
        disputeWindow = _near(disputeWindow, 0, 0, type(uint256).max);
        resolutionWindow = _near(resolutionWindow, 0, 0, type(uint256).max);
        billingTimeout = _near(billingTimeout, 0, 0, type(uint256).max);
        uint256 longest = disputeWindow > resolutionWindow ? disputeWindow : resolutionWindow;
        if (billingTimeout > longest) longest = billingTimeout;
        if (disputeWindow == 0 || resolutionWindow == 0 || billingTimeout == 0) {
            vm.expectRevert(abi.encodeWithSelector(IGridLedger.ZeroWindow.selector));
            _deploy(OPERATOR, disputeWindow, resolutionWindow, billingTimeout);
        } else if (longest > MAX_WINDOW) {
            vm.expectRevert(abi.encodeWithSelector(IGridLedger.WindowTooLong.selector, longest, MAX_WINDOW));
            _deploy(OPERATOR, disputeWindow, resolutionWindow, billingTimeout);
        } else {
            this.deployAccepted(disputeWindow, resolutionWindow, billingTimeout);
        }
    }

    /// Each window on its own (the others at most a year): 365 days accepted, a second more rejected with
    /// WindowTooLong(window, 365 days).
    function testFuzz_constructor_eachWindowAtMostAYear(uint8 which, uint256 window, uint256 other0, uint256 other1)
        public
    {
        window = _near(window, MAX_WINDOW, 1, type(uint256).max);
        uint256[3] memory w =
            [_bound(other0, 1, MAX_WINDOW), _bound(other1, 1, MAX_WINDOW), _bound(other0 ^ other1, 1, MAX_WINDOW)];
        w[which % 3] = window;
        if (window > MAX_WINDOW) {
            vm.expectRevert(abi.encodeWithSelector(IGridLedger.WindowTooLong.selector, window, MAX_WINDOW));
            _deploy(OPERATOR, w[0], w[1], w[2]);
        } else {
            this.deployAccepted(w[0], w[1], w[2]);
        }
    }

    function test_constructor_windowsOfExactlyAYear() public {
        this.deployAccepted(MAX_WINDOW, MAX_WINDOW, MAX_WINDOW);
        vm.assertEq(GridLedger(address(ledger)).MAX_WINDOW(), MAX_WINDOW, "MAX_WINDOW is 365 days");
        for (uint256 i; i < 3; ++i) {
            uint256[3] memory w = [MAX_WINDOW, MAX_WINDOW, MAX_WINDOW];
            w[i] = MAX_WINDOW + 1;
            vm.expectRevert(abi.encodeWithSelector(IGridLedger.WindowTooLong.selector, MAX_WINDOW + 1, MAX_WINDOW));
            _deploy(OPERATOR, w[0], w[1], w[2]);
        }
    }

    function testFuzz_transferOperator_onlyOperator(uint256 pick, address raw, address next) public {
        address caller = _caller(pick, raw);
        if (next == address(0)) next = STRANGER;
        if (caller == OPERATOR) {
            vm.expectEmit(true, true, true, true, address(ledger));
            emit IGridLedger.OperatorTransferred(OPERATOR, next);
            vm.prank(caller);
            ledger.transferOperator(next);
            vm.assertEq(ledger.operator(), next, "new operator");
        } else {
            _reject(
                caller,
                abi.encodeCall(IGridLedger.transferOperator, (next)),
                abi.encodeWithSelector(IGridLedger.NotOperator.selector, caller)
            );
        }
    }

    function test_transferOperator_zeroAddress() public {
        _reject(
            OPERATOR,
            abi.encodeCall(IGridLedger.transferOperator, (address(0))),
            abi.encodeWithSelector(IGridLedger.ZeroAddress.selector)
        );
    }

    function test_transferOperator_previousOperatorLosesRole() public {
        vm.prank(OPERATOR);
        ledger.transferOperator(STRANGER);
        _reject(
            OPERATOR,
            abi.encodeCall(IGridLedger.transferOperator, (OPERATOR)),
            abi.encodeWithSelector(IGridLedger.NotOperator.selector, OPERATOR)
        );
        vm.prank(STRANGER);
        ledger.transferOperator(OPERATOR);
        vm.assertEq(ledger.operator(), OPERATOR, "operator handed back");
    }

    function testFuzz_offerOf_unknownOffer(uint256 id) public {
        id = _near2(id, 0, 2, 0, type(uint256).max);
        if (id == offerId) {
            this.assertOffer(id, PRODUCER, CAPACITY, AVAILABLE, RATE, LOCATION, true);
        } else {
            vm.expectRevert(abi.encodeWithSelector(IGridLedger.UnknownOffer.selector, id));
            ledger.offerOf(id);
        }
    }

    function testFuzz_purchaseOf_unknownPurchase(uint256 id) public {
        uint256 purchaseId = this.buy(PURCHASER, offerId, 7);
        id = _near2(id, 0, 2, 0, type(uint256).max);
        if (id == purchaseId) {
            IGridLedger.PurchaseView memory p = ledger.purchaseOf(id);
            vm.assertEq(p.purchaser, PURCHASER, "purchaser");
            vm.assertEq(p.quantity, 7, "quantity");
            vm.assertEq(ledger.billBlockOf(id), 0, "unbilled");
        } else {
            vm.expectRevert(abi.encodeWithSelector(IGridLedger.UnknownPurchase.selector, id));
            ledger.purchaseOf(id);
            vm.expectRevert(abi.encodeWithSelector(IGridLedger.UnknownPurchase.selector, id));
            ledger.billBlockOf(id);
            vm.expectRevert(abi.encodeWithSelector(IGridLedger.UnknownPurchase.selector, id));
            ledger.transferOf(id, 0);
        }
    }

    function testFuzz_transferOf_unknownTransfer(uint256 index) public {
        uint256 purchaseId = this.buy(PURCHASER, offerId, 100);
        (, uint256 first) = this.deliver(purchaseId, METER, 10);
        (, uint256 second) = this.deliver(purchaseId, METER, 20);
        index = _near(index, 2, 0, type(uint256).max);
        if (index == 0) {
            this.assertTransfer(purchaseId, 0, 10, first, IGridLedger.TransferState.Pending);
        } else if (index == 1) {
            this.assertTransfer(purchaseId, 1, 20, second, IGridLedger.TransferState.Pending);
        } else {
            vm.expectRevert(abi.encodeWithSelector(IGridLedger.UnknownTransfer.selector, purchaseId, index));
            ledger.transferOf(purchaseId, index);
        }
    }

    function test_recordCounts_countsEachKind() public {
        vm.prank(PRODUCER2);
        ledger.openOffer(100, 50, 1, "b");
        vm.prank(METER);
        ledger.recordStorage(offerId, 10);
        uint256 a = this.buy(PURCHASER, offerId, 5);
        uint256 b = this.buy(PURCHASER2, offerId, 5);
        this.deliver(a, METER, 1);
        this.deliver(a, METER, 1);
        this.deliver(b, METER, 1);
        this.acknowledge(a, 1);
        this.acknowledge(b, 0);
        this.bill(b);
        IGridLedger.RecordCounts memory c = ledger.recordCounts();
        vm.assertEq(c.offers, 2, "offers");
        vm.assertEq(c.storageReadings, 1, "storage readings");
        vm.assertEq(c.purchases, 2, "purchases");
        vm.assertEq(c.transfers, 3, "transfers");
        vm.assertEq(c.acknowledgements, 2, "acknowledgements");
        vm.assertEq(c.bills, 1, "bills");
    }

    // =============================================================================================
    // Offers: openOffer, recordStorage, closeOffer
    // =============================================================================================

    function openAccepted(address caller, uint256 capacity, uint256 available, uint256 rate, string calldata location)
        external
    {
        uint256 expectedId = ledger.recordCounts().offers + 1;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGridLedger.OfferOpened(expectedId, caller, capacity, available, rate, location);
        vm.prank(caller);
        uint256 id = ledger.openOffer(capacity, available, rate, location);
        vm.assertEq(id, expectedId, "offer id");
        vm.assertEq(ledger.recordCounts().offers, expectedId, "offers count");
        this.assertOffer(id, caller, capacity, available, rate, location, true);
    }

    function _openData(uint256 capacity, uint256 available, uint256 rate, string memory location)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeCall(IGridLedger.openOffer, (capacity, available, rate, location));
    }

    function testFuzz_openOffer_capacityBounds(uint256 capacity) public {
        capacity = _near2(capacity, 0, MAX_CAPACITY, 0, type(uint256).max);
        if (capacity == 0) {
            _reject(
                PRODUCER2,
                _openData(capacity, 0, RATE, LOCATION),
                abi.encodeWithSelector(IGridLedger.ZeroCapacity.selector)
            );
        } else if (capacity > MAX_CAPACITY) {
            _reject(
                PRODUCER2,
                _openData(capacity, 0, RATE, LOCATION),
                abi.encodeWithSelector(IGridLedger.CapacityTooLarge.selector, capacity, MAX_CAPACITY)
            );
        } else {
            this.openAccepted(PRODUCER2, capacity, capacity, RATE, LOCATION);
        }
    }

    function testFuzz_openOffer_availableWithinCapacity(uint256 capacity, uint256 available) public {
        capacity = _bound(capacity, 1, MAX_CAPACITY);
        available = _near(available, capacity, 0, type(uint256).max);
        if (available > capacity) {
            _reject(
                PRODUCER2,
                _openData(capacity, available, RATE, LOCATION),
                abi.encodeWithSelector(IGridLedger.AvailableExceedsCapacity.selector, available, capacity)
            );
        } else {
            this.openAccepted(PRODUCER2, capacity, available, RATE, LOCATION);
        }
    }

    function testFuzz_openOffer_rateBounds(uint256 rate) public {
        rate = _near2(rate, 0, MAX_RATE, 0, type(uint256).max);
        if (rate == 0) {
            _reject(
                PRODUCER2, _openData(CAPACITY, 0, rate, LOCATION), abi.encodeWithSelector(IGridLedger.ZeroRate.selector)
            );
        } else if (rate > MAX_RATE) {
            _reject(
                PRODUCER2,
                _openData(CAPACITY, 0, rate, LOCATION),
                abi.encodeWithSelector(IGridLedger.RateTooLarge.selector, rate, MAX_RATE)
            );
        } else {
            this.openAccepted(PRODUCER2, CAPACITY, 0, rate, LOCATION);
        }
    }

    function testFuzz_openOffer_locationLength(uint256 length) public {
        length = _near2(length, 0, MAX_LOCATION, 0, 200);
        string memory location = _string(length);
        if (length == 0) {
            _reject(
                PRODUCER2,
                _openData(CAPACITY, 0, RATE, location),
                abi.encodeWithSelector(IGridLedger.EmptyLocation.selector)
            );
        } else if (length > MAX_LOCATION) {
            _reject(
                PRODUCER2,
                _openData(CAPACITY, 0, RATE, location),
                abi.encodeWithSelector(IGridLedger.LocationTooLong.selector, length, MAX_LOCATION)
            );
        } else {
            this.openAccepted(PRODUCER2, CAPACITY, 0, RATE, location);
        }
    }

    function test_openOffer_idsFollowEachOther() public {
        this.openAccepted(PRODUCER2, 1, 1, 1, "x");
        this.openAccepted(PRODUCER, MAX_CAPACITY, MAX_CAPACITY, MAX_RATE, _string(MAX_LOCATION));
        vm.assertEq(ledger.recordCounts().offers, 3, "offers");
    }

    // ------------------------------------------------------------ recordStorage

    function storageAccepted(address caller, uint256 id, uint256 available) public {
        uint256 readings = ledger.recordCounts().storageReadings;
        address producer = ledger.offerOf(id).producer;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGridLedger.StorageRecorded(id, producer, caller, available);
        vm.prank(caller);
        ledger.recordStorage(id, available);
        vm.assertEq(ledger.offerOf(id).available, available, "available");
        vm.assertEq(ledger.recordCounts().storageReadings, readings + 1, "storage readings");
    }

    function _storageData(uint256 id, uint256 available) internal pure returns (bytes memory) {
        return abi.encodeCall(IGridLedger.recordStorage, (id, available));
    }

    function testFuzz_recordStorage_availableWithinCapacity(uint256 available, bool byMeter) public {
        available = _near(available, CAPACITY, 0, type(uint256).max);
        address caller = byMeter ? METER : PRODUCER;
        if (available > CAPACITY) {
            _reject(
                caller,
                _storageData(offerId, available),
                abi.encodeWithSelector(IGridLedger.AvailableExceedsCapacity.selector, available, CAPACITY)
            );
        } else {
            this.storageAccepted(caller, offerId, available);
            this.assertOffer(offerId, PRODUCER, CAPACITY, available, RATE, LOCATION, true);
        }
    }

    function testFuzz_recordStorage_unknownOffer(uint256 id) public {
        id = _near2(id, 0, 2, 0, type(uint256).max);
        if (id == offerId) {
            this.storageAccepted(PRODUCER, id, 1);
        } else {
            _reject(PRODUCER, _storageData(id, 1), abi.encodeWithSelector(IGridLedger.UnknownOffer.selector, id));
        }
    }

    function testFuzz_recordStorage_onlyProducerOrMeter(uint256 pick, address raw, uint256 available) public {
        address caller = _caller(pick, raw);
        available = _bound(available, 0, CAPACITY);
        if (caller == PRODUCER || caller == METER) {
            this.storageAccepted(caller, offerId, available);
        } else {
            _reject(
                caller,
                _storageData(offerId, available),
                abi.encodeWithSelector(IGridLedger.NotProducerOrMeter.selector, offerId, caller)
            );
        }
    }

    function test_recordStorage_revokedMeter() public {
        this.storageAccepted(METER, offerId, 3);
        vm.prank(PRODUCER);
        ledger.revokeMeter(METER);
        _reject(
            METER,
            _storageData(offerId, 4),
            abi.encodeWithSelector(IGridLedger.NotProducerOrMeter.selector, offerId, METER)
        );
    }

    function test_recordStorage_meterOfOtherProducer() public {
        _reject(
            METER2,
            _storageData(offerId, 4),
            abi.encodeWithSelector(IGridLedger.NotProducerOrMeter.selector, offerId, METER2)
        );
    }

    function test_recordStorage_closedOffer() public {
        vm.prank(PRODUCER);
        ledger.closeOffer(offerId);
        _reject(PRODUCER, _storageData(offerId, 1), abi.encodeWithSelector(IGridLedger.OfferNotOpen.selector, offerId));
        _reject(METER, _storageData(offerId, 1), abi.encodeWithSelector(IGridLedger.OfferNotOpen.selector, offerId));
    }

    function test_recordStorage_raisesAvailableAfterPurchase() public {
        this.buy(PURCHASER, offerId, AVAILABLE);
        vm.assertEq(ledger.offerOf(offerId).available, 0, "sold out");
        this.storageAccepted(METER, offerId, CAPACITY);
    }

    // --------------------------------------------------------------- closeOffer

    function testFuzz_closeOffer_onlyProducer(uint256 pick, address raw) public {
        address caller = _caller(pick, raw);
        if (caller == PRODUCER) {
            vm.expectEmit(true, true, true, true, address(ledger));
            emit IGridLedger.OfferClosed(offerId, PRODUCER);
            vm.prank(caller);
            ledger.closeOffer(offerId);
            this.assertOffer(offerId, PRODUCER, CAPACITY, 0, RATE, LOCATION, false);
        } else {
            _reject(
                caller,
                abi.encodeCall(IGridLedger.closeOffer, (offerId)),
                abi.encodeWithSelector(IGridLedger.NotProducer.selector, offerId, caller)
            );
        }
    }

    function testFuzz_closeOffer_unknownOffer(uint256 id) public {
        id = _near2(id, 0, 2, 0, type(uint256).max);
        if (id == offerId) {
            vm.prank(PRODUCER);
            ledger.closeOffer(id);
            vm.assertEq(ledger.offerOf(id).open, false, "closed");
        } else {
            _reject(
                PRODUCER,
                abi.encodeCall(IGridLedger.closeOffer, (id)),
                abi.encodeWithSelector(IGridLedger.UnknownOffer.selector, id)
            );
        }
    }

    function test_closeOffer_alreadyClosed() public {
        vm.prank(PRODUCER);
        ledger.closeOffer(offerId);
        _reject(
            PRODUCER,
            abi.encodeCall(IGridLedger.closeOffer, (offerId)),
            abi.encodeWithSelector(IGridLedger.OfferNotOpen.selector, offerId)
        );
    }

    function test_closeOffer_purchasesGoOn() public {
        uint256 purchaseId = this.buy(PURCHASER, offerId, 1000);
        vm.prank(PRODUCER);
        ledger.closeOffer(offerId);
        this.deliver(purchaseId, METER, 600);
        this.acknowledge(purchaseId, 0);
        this.bill(purchaseId);
        vm.assertEq(ledger.balanceOf(PRODUCER), 600 * RATE, "producer paid");
        vm.assertEq(ledger.balanceOf(PURCHASER), 400 * RATE, "purchaser refunded");
    }

    // =============================================================================================
    // Purchases
    // =============================================================================================

    function purchaseAccepted(address buyer, uint256 id, uint256 quantity) public returns (uint256 purchaseId) {
        IGridLedger.OfferView memory o = ledger.offerOf(id);
        uint256 cost = quantity * o.rate;
        uint256 expectedId = ledger.recordCounts().purchases + 1;
        uint256 escrow = address(ledger).balance;
        uint256 wallet = buyer.balance;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGridLedger.EnergyPurchased(expectedId, o.producer, buyer, id, quantity, cost);
        vm.prank(buyer);
        purchaseId = ledger.purchase{value: cost}(id, quantity);
        vm.assertEq(purchaseId, expectedId, "purchase id");
        vm.assertEq(ledger.recordCounts().purchases, expectedId, "purchases count");
        vm.assertEq(ledger.offerOf(id).available, o.available - quantity, "available lowered");
        vm.assertEq(address(ledger).balance, escrow + cost, "escrow");
        vm.assertEq(buyer.balance, wallet - cost, "buyer paid");
        IGridLedger.PurchaseView memory p = ledger.purchaseOf(purchaseId);
        vm.assertEq(p.purchaser, buyer, "purchaser");
        vm.assertEq(p.offerId, id, "offer");
        vm.assertEq(p.quantity, quantity, "quantity");
        vm.assertEq(p.cost, cost, "cost");
        vm.assertEq(p.purchasedAt, now_, "purchased at");
        vm.assertEq(p.delivered, 0, "delivered");
        vm.assertEq(p.transferCount, 0, "transfers");
        vm.assertEq(uint256(p.status), uint256(IGridLedger.PurchaseStatus.Open), "status");
    }

    function _purchaseRejected(uint256 id, uint256 quantity, uint256 value, bytes memory err) internal {
        this.expectRejected(PURCHASER, value, abi.encodeCall(IGridLedger.purchase, (id, quantity)), err);
    }

    function testFuzz_purchase_unknownOffer(uint256 id) public {
        id = _near2(id, 0, 2, 0, type(uint256).max);
        if (id == offerId) {
            this.purchaseAccepted(PURCHASER, id, 1);
        } else {
            _purchaseRejected(id, 1, RATE, abi.encodeWithSelector(IGridLedger.UnknownOffer.selector, id));
        }
    }

    function testFuzz_purchase_quantityWithinAvailable(uint256 quantity) public {
        quantity = _near2(quantity, 0, AVAILABLE, 0, type(uint256).max);
        if (quantity == 0) {
            _purchaseRejected(offerId, 0, 0, abi.encodeWithSelector(IGridLedger.ZeroQuantity.selector));
        } else if (quantity > AVAILABLE) {
            _purchaseRejected(
                offerId,
                quantity,
                0,
                abi.encodeWithSelector(IGridLedger.QuantityExceedsAvailable.selector, offerId, quantity, AVAILABLE)
            );
        } else {
            this.purchaseAccepted(PURCHASER, offerId, quantity);
        }
    }

    function testFuzz_purchase_quantityTooLarge(uint256 quantity) public {
        vm.prank(PRODUCER2);
        uint256 big = ledger.openOffer(MAX_CAPACITY, MAX_CAPACITY, 1, "big");
        quantity = _near(quantity, MAX_QUANTITY, 1, MAX_CAPACITY);
        if (quantity > MAX_QUANTITY) {
            _purchaseRejected(
                big,
                quantity,
                quantity,
                abi.encodeWithSelector(IGridLedger.QuantityTooLarge.selector, quantity, MAX_QUANTITY)
            );
        } else {
            this.purchaseAccepted(PURCHASER, big, quantity);
        }
    }

    function testFuzz_purchase_exactPayment(uint256 quantity, uint256 sent) public {
        quantity = _bound(quantity, 1, AVAILABLE);
        uint256 cost = quantity * RATE;
        sent = _near(sent, cost, 0, 10_000 ether);
        if (sent != cost) {
            _purchaseRejected(
                offerId, quantity, sent, abi.encodeWithSelector(IGridLedger.WrongPayment.selector, cost, sent)
            );
        } else {
            this.purchaseAccepted(PURCHASER, offerId, quantity);
        }
    }

    function test_purchase_closedOffer() public {
        vm.prank(PRODUCER);
        ledger.closeOffer(offerId);
        _purchaseRejected(offerId, 1, RATE, abi.encodeWithSelector(IGridLedger.OfferNotOpen.selector, offerId));
    }

    function test_purchase_lowersAvailableForNextBuyer() public {
        this.purchaseAccepted(PURCHASER, offerId, AVAILABLE - 10);
        _purchaseRejected(
            offerId,
            11,
            11 * RATE,
            abi.encodeWithSelector(IGridLedger.QuantityExceedsAvailable.selector, offerId, 11, 10)
        );
        this.purchaseAccepted(PURCHASER2, offerId, 10);
    }

    // =============================================================================================
    // Transfers
    // =============================================================================================

    /// Transfer tests: PURCHASER's purchase of QUANTITY, made a day ago.
    function _transferFixture() internal {
        pid = this.buy(PURCHASER, offerId, QUANTITY);
        _skip(1 days);
    }

    function transferAccepted(
        address caller,
        uint256 id,
        address meter,
        uint256 amount,
        uint256 start,
        uint256 end,
        string calldata device
    ) public returns (uint256 index) {
        IGridLedger.PurchaseView memory p = ledger.purchaseOf(id);
        IGridLedger.OfferView memory o = ledger.offerOf(p.offerId);
        uint256 transfers = ledger.recordCounts().transfers;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGridLedger.EnergyTransferred(
            id, o.producer, p.purchaser, p.transferCount, meter, amount, start, end, amount * o.rate, device
        );
        vm.prank(caller);
        index = ledger.recordTransfer(id, meter, amount, start, end, device);
        vm.assertEq(index, p.transferCount, "index");
        this.assertTransfer(id, index, amount, now_, IGridLedger.TransferState.Pending);
        IGridLedger.PurchaseView memory q = ledger.purchaseOf(id);
        vm.assertEq(q.delivered, p.delivered + amount, "delivered");
        vm.assertEq(q.transferCount, p.transferCount + 1, "transfer count");
        vm.assertEq(q.pendingCount, p.pendingCount + 1, "pending count");
        vm.assertEq(q.lastRecordedAt, now_, "purchase last recorded at");
        vm.assertEq(q.withheld, p.withheld, "withheld");
        vm.assertEq(q.openDisputes, p.openDisputes, "open disputes");
        vm.assertEq(ledger.meterOf(meter).lastEnd, end, "meter last end");
        vm.assertEq(ledger.recordCounts().transfers, transfers + 1, "transfers count");
    }

    function _transferData(uint256 id, address meter, uint256 amount, uint256 start, uint256 end, string memory device)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeCall(IGridLedger.recordTransfer, (id, meter, amount, start, end, device));
    }

    /// The fixture's purchase, metered by METER over the hour before now.
    function _lastHour(uint256 amount) internal view returns (bytes memory) {
        return _transferData(pid, METER, amount, now_ - 1 hours, now_, DEVICE);
    }

    function testFuzz_recordTransfer_amountNonZero(uint256 amount) public {
        _transferFixture();
        amount = _near(amount, 0, 0, RATED_POWER);
        if (amount == 0) {
            _reject(METER, _lastHour(0), abi.encodeWithSelector(IGridLedger.ZeroAmount.selector));
        } else {
            this.transferAccepted(METER, pid, METER, amount, now_ - 1 hours, now_, DEVICE);
        }
    }

    function testFuzz_recordTransfer_windowStartsBeforeEnd(uint256 start, uint256 end) public {
        _transferFixture();
        end = _bound(end, T0 + 1, now_);
        start = _near(start, end, T0, type(uint256).max);
        if (start >= end) {
            _reject(
                METER,
                _transferData(pid, METER, 1, start, end, DEVICE),
                abi.encodeWithSelector(IGridLedger.InvalidWindow.selector, start, end)
            );
        } else {
            this.transferAccepted(METER, pid, METER, 1, start, end, DEVICE);
        }
    }

    function testFuzz_recordTransfer_endNotInFuture(uint256 end) public {
        _transferFixture();
        end = _near(end, now_, T0 + 1 hours, type(uint256).max);
        uint256 start = end - 1 hours;
        if (end > now_) {
            _reject(
                METER,
                _transferData(pid, METER, 1, start, end, DEVICE),
                abi.encodeWithSelector(IGridLedger.EndInFuture.selector, end, now_)
            );
        } else {
            this.transferAccepted(METER, pid, METER, 1, start, end, DEVICE);
        }
    }

    function testFuzz_recordTransfer_deliveredWithinQuantity(uint256 quantity, uint256 first, uint256 second)
        public
    {
        _transferFixture();
        quantity = _bound(quantity, 2, RATED_POWER);
        uint256 id = this.buy(PURCHASER2, offerId, quantity);
        _skip(2 hours);
        first = _bound(first, 1, quantity - 1);
        this.transferAccepted(METER, id, METER, first, now_ - 2 hours, now_ - 1 hours, DEVICE);
        second = _near(second, quantity - first, 1, RATED_POWER);
        if (first + second > quantity) {
            _reject(
                METER,
                _transferData(id, METER, second, now_ - 1 hours, now_, DEVICE),
                abi.encodeWithSelector(IGridLedger.DeliveryExceedsPurchase.selector, id, first, second, quantity)
            );
        } else {
            this.transferAccepted(METER, id, METER, second, now_ - 1 hours, now_, DEVICE);
        }
    }

    /// amount against ratedPower × (end − start) / 3600, at the boundary.
    function testFuzz_recordTransfer_ratedPowerBound(uint256 ratedPower, uint256 duration, uint256 amount) public {
        _transferFixture();
        vm.prank(PRODUCER);
        uint256 big = ledger.openOffer(MAX_CAPACITY, MAX_CAPACITY, 1, "big");
        uint256 id = this.buy(PURCHASER, big, MAX_QUANTITY);
        _skip(1 hours);
        ratedPower = _near2(ratedPower, 1, MAX_RATED_POWER, 1, MAX_RATED_POWER);
        vm.prank(PRODUCER);
        ledger.authorizeMeter(METER3, ratedPower);
        duration = _bound(duration, 1, 1 hours);
        uint256 maxAmount = (ratedPower * duration) / 3600;
        amount = _near(amount, maxAmount, 1, MAX_QUANTITY);
        if (amount > maxAmount) {
            _reject(
                METER3,
                _transferData(id, METER3, amount, now_ - duration, now_, DEVICE),
                abi.encodeWithSelector(IGridLedger.DeliveryExceedsRatedPower.selector, METER3, amount, maxAmount)
            );
        } else {
            this.transferAccepted(METER3, id, METER3, amount, now_ - duration, now_, DEVICE);
        }
    }

    /// A delivery window cannot start before its purchase was made.
    function testFuzz_recordTransfer_windowNotBeforePurchase(uint256 start) public {
        _transferFixture();
        start = _near(start, T0, 0, now_ - 1);
        if (start < T0) {
            _reject(
                METER,
                _transferData(pid, METER, 1, start, now_, DEVICE),
                abi.encodeWithSelector(IGridLedger.WindowBeforePurchase.selector, pid, start, T0)
            );
        } else {
            this.transferAccepted(METER, pid, METER, 1, start, now_, DEVICE);
        }
    }

    /// A meter's windows never overlap, across purchases: start ≥ its last recorded end.
    function testFuzz_recordTransfer_windowOverlap(uint256 start) public {
        _transferFixture();
        uint256 other = this.buy(PURCHASER2, offerId, 100);
        _skip(2 hours);
        uint256 lastEnd = now_ - 1 hours;
        this.transferAccepted(METER, other, METER, 1, now_ - 2 hours, lastEnd, DEVICE);
        start = _near(start, lastEnd, now_ - 3 hours, now_ - 1);
        if (start < lastEnd) {
            _reject(
                METER,
                _transferData(pid, METER, 1, start, now_, DEVICE),
                abi.encodeWithSelector(IGridLedger.WindowOverlaps.selector, METER, start, lastEnd)
            );
        } else {
            this.transferAccepted(METER, pid, METER, 1, start, now_, DEVICE);
        }
    }

    function testFuzz_recordTransfer_deviceNameLength(uint256 length) public {
        _transferFixture();
        length = _near2(length, 0, MAX_DEVICE_NAME, 0, 300);
        string memory device = _string(length);
        bytes memory data = _transferData(pid, METER, 1, now_ - 1 hours, now_, device);
        if (length == 0) {
            _reject(METER, data, abi.encodeWithSelector(IGridLedger.EmptyDeviceName.selector));
        } else if (length > MAX_DEVICE_NAME) {
            _reject(
                METER, data, abi.encodeWithSelector(IGridLedger.DeviceNameTooLong.selector, length, MAX_DEVICE_NAME)
            );
        } else {
            this.transferAccepted(METER, pid, METER, 1, now_ - 1 hours, now_, device);
        }
    }

    function testFuzz_recordTransfer_onlyProducerOrMeter(uint256 pick, address raw) public {
        _transferFixture();
        address caller = _caller(pick, raw);
        if (caller == PRODUCER || caller == METER) {
            this.transferAccepted(caller, pid, METER, 5, now_ - 1 hours, now_, DEVICE);
        } else {
            _reject(
                caller, _lastHour(5), abi.encodeWithSelector(IGridLedger.NotProducerOrMeter.selector, offerId, caller)
            );
        }
    }

    function testFuzz_recordTransfer_unknownPurchase(uint256 id) public {
        _transferFixture();
        id = _near2(id, 0, 2, 0, type(uint256).max);
        if (id == pid) {
            this.transferAccepted(METER, id, METER, 1, now_ - 1 hours, now_, DEVICE);
        } else {
            _reject(
                METER,
                _transferData(id, METER, 1, now_ - 1 hours, now_, DEVICE),
                abi.encodeWithSelector(IGridLedger.UnknownPurchase.selector, id)
            );
        }
    }

    function test_recordTransfer_meterOfOtherProducer() public {
        _transferFixture();
        bytes memory data = _transferData(pid, METER2, 1, now_ - 1 hours, now_, DEVICE);
        _reject(METER2, data, abi.encodeWithSelector(IGridLedger.NotProducerOrMeter.selector, offerId, METER2));
        _reject(PRODUCER, data, abi.encodeWithSelector(IGridLedger.MeterNotAuthorized.selector, METER2, PRODUCER));
    }

    function test_recordTransfer_revokedMeter() public {
        _transferFixture();
        vm.prank(PRODUCER);
        ledger.revokeMeter(METER);
        _reject(METER, _lastHour(1), abi.encodeWithSelector(IGridLedger.NotProducerOrMeter.selector, offerId, METER));
        _reject(
            PRODUCER, _lastHour(1), abi.encodeWithSelector(IGridLedger.MeterNotAuthorized.selector, METER, PRODUCER)
        );
    }

    function test_recordTransfer_producerMustNameAMeter() public {
        _transferFixture();
        _reject(
            PRODUCER,
            _transferData(pid, PRODUCER, 1, now_ - 1 hours, now_, DEVICE),
            abi.encodeWithSelector(IGridLedger.MeterNotAuthorized.selector, PRODUCER, PRODUCER)
        );
    }

    function test_recordTransfer_meterCannotNameAnotherMeter() public {
        _transferFixture();
        vm.prank(PRODUCER);
        ledger.authorizeMeter(METER3, RATED_POWER);
        _reject(
            METER,
            _transferData(pid, METER3, 1, now_ - 1 hours, now_, DEVICE),
            abi.encodeWithSelector(IGridLedger.NotProducerOrMeter.selector, offerId, METER)
        );
        this.transferAccepted(METER3, pid, METER3, 1, now_ - 1 hours, now_, DEVICE);
    }

    function test_recordTransfer_billedPurchase() public {
        _transferFixture();
        this.deliver(pid, METER, 10);
        this.acknowledge(pid, 0);
        this.bill(pid);
        _skip(1 hours);
        _reject(
            METER,
            _lastHour(1),
            abi.encodeWithSelector(IGridLedger.PurchaseSettled.selector, pid, IGridLedger.PurchaseStatus.Billed)
        );
    }

    function test_recordTransfer_closedPurchase() public {
        _transferFixture();
        _skip(BILLING_TIMEOUT);
        vm.prank(PURCHASER);
        ledger.closePurchase(pid);
        _reject(
            METER,
            _lastHour(1),
            abi.encodeWithSelector(IGridLedger.PurchaseSettled.selector, pid, IGridLedger.PurchaseStatus.Closed)
        );
    }

    /// Each transfer keeps the time it was recorded, whatever its window; later indexes live apart from the first.
    function test_recordTransfer_keepsRecordingTimes() public {
        _transferFixture();
        vm.prank(PRODUCER);
        ledger.authorizeMeter(METER3, RATED_POWER);
        uint256 first = now_;
        this.transferAccepted(PRODUCER, pid, METER, 100, now_ - 1 hours, now_, DEVICE);
        _skip(3 days);
        this.transferAccepted(METER3, pid, METER3, 200, T0, T0 + 1 hours, "m3");
        _skip(1 days);
        this.transferAccepted(METER3, pid, METER3, 300, T0 + 1 hours, T0 + 2 hours, "m3");
        vm.assertEq(ledger.purchaseOf(pid).lastRecordedAt, now_, "purchase last recorded at");
        this.assertTransfer(pid, 0, 100, first, IGridLedger.TransferState.Pending);
        this.assertTransfer(pid, 1, 200, first + 3 days, IGridLedger.TransferState.Pending);
        this.assertTransfer(pid, 2, 300, now_, IGridLedger.TransferState.Pending);
        vm.assertEq(ledger.meterOf(METER3).lastEnd, T0 + 2 hours, "meter last end is the window's");
    }

    function test_recordTransfer_tooManyTransfers() public {
        _transferFixture();
        this.deliver(pid, METER, 1);
        // Delivery of pid: mapping at slot 4 (after _operator, _counts, _offers, _purchases).
        bytes32 slot = keccak256(abi.encode(pid, uint256(4)));
        uint256 word = uint256(vm.load(address(ledger), slot));
        vm.assertEq(word & 0xffffffff, 1, "layout: delivered");
        vm.assertEq((word >> 64) & 0xffff, 1, "layout: transfer count");
        word = (word & ~(uint256(0xffff) << 64)) | ((MAX_TRANSFERS - 1) << 64);
        vm.store(address(ledger), slot, bytes32(word));
        vm.assertEq(ledger.purchaseOf(pid).transferCount, MAX_TRANSFERS - 1, "transfer count set");

        _skip(2 hours);
        this.transferAccepted(METER, pid, METER, 1, now_ - 2 hours, now_ - 1 hours, DEVICE);
        vm.assertEq(ledger.purchaseOf(pid).transferCount, MAX_TRANSFERS, "full");
        // Too many transfers to digest them all: compare the purchase, counts and meter instead.
        bytes32 before =
            keccak256(abi.encode(ledger.purchaseOf(pid), ledger.recordCounts(), ledger.meterOf(METER)));
        vm.expectRevert(abi.encodeWithSelector(IGridLedger.TooManyTransfers.selector, pid, MAX_TRANSFERS));
        vm.prank(METER);
        ledger.recordTransfer(pid, METER, 1, now_ - 1 hours, now_, DEVICE);
        bytes32 afterwards =
            keccak256(abi.encode(ledger.purchaseOf(pid), ledger.recordCounts(), ledger.meterOf(METER)));
        vm.assertEq(afterwards, before, "state changed on a rejected call");
    }

    // =============================================================================================
    // Acknowledgements and disputes
    // =============================================================================================

    /// Dispute tests: a purchase with two transfers recorded days after their windows ended (their dispute
    /// windows run from when they were recorded).
    function _disputeFixture() internal {
        pid = this.buy(PURCHASER, offerId, QUANTITY);
        _skip(5 days);
        rec0 = now_;
        this.deliverWindow(pid, METER, 300, T0, T0 + 1 hours);
        _skip(1 hours);
        rec1 = now_;
        this.deliverWindow(pid, METER, 500, T0 + 1 hours, T0 + 2 hours);
    }

    function _ackData(uint256 id, uint256 index) internal pure returns (bytes memory) {
        return abi.encodeCall(IGridLedger.acknowledgeTransfer, (id, index));
    }

    function _disputeData(uint256 id, uint256 index, uint8 reason) internal pure returns (bytes memory) {
        return abi.encodeCall(IGridLedger.disputeTransfer, (id, index, reason));
    }

    function _resolveData(uint256 id, uint256 index, bool upheld) internal pure returns (bytes memory) {
        return abi.encodeCall(IGridLedger.resolveDispute, (id, index, upheld));
    }

    function _expireData(uint256 id, uint256 index) internal pure returns (bytes memory) {
        return abi.encodeCall(IGridLedger.expireDispute, (id, index));
    }

    function _wrongState(uint256 index, IGridLedger.TransferState state) internal view returns (bytes memory) {
        return abi.encodeWithSelector(IGridLedger.WrongTransferState.selector, pid, index, state);
    }

    function ackAccepted(uint256 index) public {
        IGridLedger.PurchaseView memory p = ledger.purchaseOf(pid);
        uint256 acks = ledger.recordCounts().acknowledgements;
        IGridLedger.TransferView memory t = ledger.transferOf(pid, index);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGridLedger.TransferAcknowledged(pid, PRODUCER, PURCHASER, index);
        vm.prank(PURCHASER);
        ledger.acknowledgeTransfer(pid, index);
        this.assertTransfer(pid, index, t.amount, t.recordedAt, IGridLedger.TransferState.Acknowledged);
        vm.assertEq(ledger.purchaseOf(pid).pendingCount, p.pendingCount - 1, "pending count");
        vm.assertEq(ledger.purchaseOf(pid).delivered, p.delivered, "delivered");
        vm.assertEq(ledger.recordCounts().acknowledgements, acks + 1, "acknowledgements");
    }

    function disputeAccepted(uint256 index, uint8 reason) public {
        IGridLedger.PurchaseView memory p = ledger.purchaseOf(pid);
        IGridLedger.TransferView memory t = ledger.transferOf(pid, index);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGridLedger.TransferDisputed(pid, PRODUCER, PURCHASER, index, reason);
        vm.prank(PURCHASER);
        ledger.disputeTransfer(pid, index, reason);
        this.assertTransfer(pid, index, t.amount, t.recordedAt, IGridLedger.TransferState.Disputed);
        IGridLedger.PurchaseView memory q = ledger.purchaseOf(pid);
        vm.assertEq(q.pendingCount, p.pendingCount - 1, "pending count");
        vm.assertEq(q.openDisputes, p.openDisputes + 1, "open disputes");
        vm.assertEq(q.withheld, p.withheld, "withheld");
    }

    /// Resolves (or, when `expired`, expires) a dispute and checks the outcome.
    function settleAccepted(address caller, uint256 index, bool upheld, bool expired) public {
        IGridLedger.PurchaseView memory p = ledger.purchaseOf(pid);
        IGridLedger.TransferView memory t = ledger.transferOf(pid, index);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGridLedger.DisputeResolved(pid, PRODUCER, PURCHASER, index, upheld, expired);
        vm.prank(caller);
        if (expired) ledger.expireDispute(pid, index);
        else ledger.resolveDispute(pid, index, upheld);
        this.assertTransfer(
            pid,
            index,
            t.amount,
            t.recordedAt,
            upheld ? IGridLedger.TransferState.Upheld : IGridLedger.TransferState.Rejected
        );
        IGridLedger.PurchaseView memory q = ledger.purchaseOf(pid);
        vm.assertEq(q.openDisputes, p.openDisputes - 1, "open disputes");
        vm.assertEq(q.withheld, p.withheld + (upheld ? t.amount : 0), "withheld");
        vm.assertEq(q.pendingCount, p.pendingCount, "pending count");
        vm.assertEq(q.delivered, p.delivered, "delivered");
    }

    // ------------------------------------------------------------ acknowledge

    function testFuzz_acknowledgeTransfer_onlyPurchaser(uint256 pick, address raw) public {
        _disputeFixture();
        address caller = _caller(pick, raw);
        if (caller == PURCHASER) {
            this.ackAccepted(1);
        } else {
            _reject(
                caller,
                _ackData(pid, 1),
                abi.encodeWithSelector(IGridLedger.NotPurchaser.selector, pid, caller)
            );
        }
    }

    function testFuzz_acknowledgeTransfer_unknownTransfer(uint256 index) public {
        _disputeFixture();
        index = _near(index, 2, 0, type(uint256).max);
        if (index < 2) {
            this.ackAccepted(index);
        } else {
            _reject(
                PURCHASER,
                _ackData(pid, index),
                abi.encodeWithSelector(IGridLedger.UnknownTransfer.selector, pid, index)
            );
        }
    }

    function testFuzz_acknowledgeTransfer_unknownPurchase(uint256 id) public {
        _disputeFixture();
        id = _near2(id, 0, 2, 0, type(uint256).max);
        if (id == pid) {
            this.ackAccepted(0);
        } else {
            _reject(PURCHASER, _ackData(id, 0), abi.encodeWithSelector(IGridLedger.UnknownPurchase.selector, id));
        }
    }

    function test_acknowledgeTransfer_onlyPending() public {
        _disputeFixture();
        this.ackAccepted(0);
        _reject(PURCHASER, _ackData(pid, 0), _wrongState(0, IGridLedger.TransferState.Acknowledged));
        this.disputeAccepted(1, 9);
        _reject(PURCHASER, _ackData(pid, 1), _wrongState(1, IGridLedger.TransferState.Disputed));
    }

    function test_acknowledgeTransfer_afterDisputeWindow() public {
        _disputeFixture();
        _skip(10 * DISPUTE_WINDOW);
        this.ackAccepted(0);
    }

    function test_acknowledgeTransfer_settledPurchase() public {
        _disputeFixture();
        this.ackAccepted(0);
        this.ackAccepted(1);
        this.bill(pid);
        _reject(
            PURCHASER,
            _ackData(pid, 0),
            abi.encodeWithSelector(IGridLedger.PurchaseSettled.selector, pid, IGridLedger.PurchaseStatus.Billed)
        );
    }

    /// Once settled, a purchase's transfers can be neither resolved nor expired.
    function test_resolveDispute_settledPurchase() public {
        _disputeFixture();
        this.ackAccepted(0);
        this.disputeAccepted(1, 1);
        this.settleAccepted(OPERATOR, 1, false, false);
        _skip(BILLING_TIMEOUT + 1);
        vm.prank(PURCHASER);
        ledger.closePurchase(pid);
        bytes memory settled =
            abi.encodeWithSelector(IGridLedger.PurchaseSettled.selector, pid, IGridLedger.PurchaseStatus.Closed);
        _reject(OPERATOR, _resolveData(pid, 1, true), settled);
        _reject(STRANGER, _expireData(pid, 1), settled);
    }

    // ---------------------------------------------------------------- dispute

    /// Disputable up to and including recordedAt + disputeWindow, not a second later.
    function testFuzz_disputeTransfer_windowBoundary(uint256 elapsed) public {
        _disputeFixture();
        elapsed = _near(elapsed, DISPUTE_WINDOW, 0, 10 * DISPUTE_WINDOW);
        _warp(rec1 + elapsed);
        if (elapsed > DISPUTE_WINDOW) {
            _reject(
                PURCHASER,
                _disputeData(pid, 1, 1),
                abi.encodeWithSelector(IGridLedger.DisputeWindowClosed.selector, pid, 1, rec1 + DISPUTE_WINDOW)
            );
        } else {
            this.disputeAccepted(1, 1);
        }
    }

    function testFuzz_disputeTransfer_reasonNonZero(uint8 reason) public {
        _disputeFixture();
        if (reason == 0) {
            _reject(
                PURCHASER, _disputeData(pid, 0, reason), abi.encodeWithSelector(IGridLedger.ZeroReason.selector)
            );
        } else {
            this.disputeAccepted(0, reason);
        }
    }

    function testFuzz_disputeTransfer_onlyPurchaser(uint256 pick, address raw) public {
        _disputeFixture();
        address caller = _caller(pick, raw);
        if (caller == PURCHASER) {
            this.disputeAccepted(0, 3);
        } else {
            _reject(
                caller,
                _disputeData(pid, 0, 3),
                abi.encodeWithSelector(IGridLedger.NotPurchaser.selector, pid, caller)
            );
        }
    }

    function testFuzz_disputeTransfer_unknownTransfer(uint256 index) public {
        _disputeFixture();
        index = _near(index, 2, 0, type(uint256).max);
        if (index < 2) {
            this.disputeAccepted(index, 2);
        } else {
            _reject(
                PURCHASER,
                _disputeData(pid, index, 2),
                abi.encodeWithSelector(IGridLedger.UnknownTransfer.selector, pid, index)
            );
        }
    }

    function test_disputeTransfer_onlyPending() public {
        _disputeFixture();
        this.ackAccepted(0);
        _reject(PURCHASER, _disputeData(pid, 0, 1), _wrongState(0, IGridLedger.TransferState.Acknowledged));
        this.disputeAccepted(1, 1);
        _reject(PURCHASER, _disputeData(pid, 1, 1), _wrongState(1, IGridLedger.TransferState.Disputed));
        vm.prank(OPERATOR);
        ledger.resolveDispute(pid, 1, false);
        _reject(PURCHASER, _disputeData(pid, 1, 1), _wrongState(1, IGridLedger.TransferState.Rejected));
    }

    function test_disputeTransfer_settledPurchase() public {
        _disputeFixture();
        _skip(BILLING_TIMEOUT + 1);
        vm.prank(PURCHASER);
        ledger.closePurchase(pid);
        _reject(
            PURCHASER,
            _disputeData(pid, 1, 1),
            abi.encodeWithSelector(IGridLedger.PurchaseSettled.selector, pid, IGridLedger.PurchaseStatus.Closed)
        );
    }

    // ---------------------------------------------------------------- resolve

    function testFuzz_resolveDispute_onlyOperator(uint256 pick, address raw, bool upheld) public {
        _disputeFixture();
        this.disputeAccepted(0, 1);
        address caller = _caller(pick, raw);
        if (caller == OPERATOR) {
            this.settleAccepted(caller, 0, upheld, false);
        } else {
            _reject(
                caller,
                _resolveData(pid, 0, upheld),
                abi.encodeWithSelector(IGridLedger.NotOperator.selector, caller)
            );
        }
    }

    /// Resolvable up to and including recordedAt + disputeWindow + resolutionWindow, not a second later.
    function testFuzz_resolveDispute_windowBoundary(uint256 elapsed, bool upheld) public {
        _disputeFixture();
        this.disputeAccepted(1, 1);
        uint256 deadline = rec1 + DISPUTE_WINDOW + RESOLUTION_WINDOW;
        elapsed = _near(elapsed, DISPUTE_WINDOW + RESOLUTION_WINDOW, 0, 10 * DISPUTE_WINDOW);
        _warp(rec1 + elapsed);
        if (rec1 + elapsed > deadline) {
            _reject(
                OPERATOR,
                _resolveData(pid, 1, upheld),
                abi.encodeWithSelector(IGridLedger.ResolutionWindowClosed.selector, pid, 1, deadline)
            );
        } else {
            this.settleAccepted(OPERATOR, 1, upheld, false);
        }
    }

    function test_resolveDispute_onlyDisputed() public {
        _disputeFixture();
        _reject(OPERATOR, _resolveData(pid, 0, true), _wrongState(0, IGridLedger.TransferState.Pending));
        this.ackAccepted(0);
        _reject(OPERATOR, _resolveData(pid, 0, true), _wrongState(0, IGridLedger.TransferState.Acknowledged));
        this.disputeAccepted(1, 1);
        this.settleAccepted(OPERATOR, 1, true, false);
        _reject(OPERATOR, _resolveData(pid, 1, false), _wrongState(1, IGridLedger.TransferState.Upheld));
    }

    function test_resolveDispute_unknownTransferAndPurchase() public {
        _disputeFixture();
        _reject(
            OPERATOR,
            _resolveData(pid, 2, true),
            abi.encodeWithSelector(IGridLedger.UnknownTransfer.selector, pid, 2)
        );
        _reject(OPERATOR, _resolveData(99, 0, true), abi.encodeWithSelector(IGridLedger.UnknownPurchase.selector, 99));
    }

    function test_resolveDispute_followsOperatorTransfer() public {
        _disputeFixture();
        this.disputeAccepted(0, 1);
        vm.prank(OPERATOR);
        ledger.transferOperator(STRANGER);
        _reject(
            OPERATOR,
            _resolveData(pid, 0, true),
            abi.encodeWithSelector(IGridLedger.NotOperator.selector, OPERATOR)
        );
        this.settleAccepted(STRANGER, 0, true, false);
    }

    // ----------------------------------------------------------------- expire

    /// Expirable by anyone once recordedAt + disputeWindow + resolutionWindow has passed, not before.
    function testFuzz_expireDispute_windowBoundary(uint256 elapsed, uint256 pick, address raw) public {
        _disputeFixture();
        this.disputeAccepted(0, 1);
        uint256 deadline = rec0 + DISPUTE_WINDOW + RESOLUTION_WINDOW;
        elapsed = _near(elapsed, DISPUTE_WINDOW + RESOLUTION_WINDOW, 0, 10 * DISPUTE_WINDOW);
        _warp(rec0 + elapsed);
        address caller = _caller(pick, raw);
        if (rec0 + elapsed <= deadline) {
            _reject(
                caller,
                _expireData(pid, 0),
                abi.encodeWithSelector(IGridLedger.ResolutionWindowOpen.selector, pid, 0, deadline)
            );
        } else {
            this.settleAccepted(caller, 0, true, true);
        }
    }

    function test_expireDispute_onlyDisputed() public {
        _disputeFixture();
        _skip(10 * DISPUTE_WINDOW);
        _reject(STRANGER, _expireData(pid, 0), _wrongState(0, IGridLedger.TransferState.Pending));
        _reject(
            STRANGER,
            _expireData(pid, 5),
            abi.encodeWithSelector(IGridLedger.UnknownTransfer.selector, pid, 5)
        );
    }

    function test_expireDispute_resolvedDisputeStays() public {
        _disputeFixture();
        this.disputeAccepted(1, 1);
        this.settleAccepted(OPERATOR, 1, false, false);
        _skip(10 * DISPUTE_WINDOW);
        _reject(STRANGER, _expireData(pid, 1), _wrongState(1, IGridLedger.TransferState.Rejected));
    }

    // =============================================================================================
    // Bills, closing and withdrawals
    // =============================================================================================

    function _billData(uint256 id, bytes32 digest, uint16 codec) internal pure returns (bytes memory) {
        return abi.encodeCall(IGridLedger.recordBill, (id, digest, codec));
    }

    function _closeData(uint256 id) internal pure returns (bytes memory) {
        return abi.encodeCall(IGridLedger.closePurchase, (id));
    }

    /// The settlement of a purchase: the producer gets rate × (delivered − withheld), the purchaser the rest.
    function _expectedSplit(uint256 id) internal view returns (uint256 producerAmount, uint256 refund) {
        IGridLedger.PurchaseView memory p = ledger.purchaseOf(id);
        uint256 rate = ledger.offerOf(p.offerId).rate;
        producerAmount = (p.delivered - p.withheld) * rate;
        refund = p.quantity * rate - producerAmount;
    }

    function billAccepted(address caller, uint256 id, bytes32 digest, uint16 codec) public {
        IGridLedger.PurchaseView memory p = ledger.purchaseOf(id);
        (uint256 producerAmount, uint256 refund) = _expectedSplit(id);
        uint256 producerBalance = ledger.balanceOf(PRODUCER);
        uint256 purchaserBalance = ledger.balanceOf(p.purchaser);
        uint256 escrow = address(ledger).balance;
        uint256 bills = ledger.recordCounts().bills;
        vm.roll(4242);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGridLedger.BillRecorded(id, PRODUCER, p.purchaser, digest, codec, producerAmount, refund);
        vm.prank(caller);
        ledger.recordBill(id, digest, codec);
        IGridLedger.PurchaseView memory q = ledger.purchaseOf(id);
        vm.assertEq(uint256(q.status), uint256(IGridLedger.PurchaseStatus.Billed), "status");
        vm.assertEq(q.billBlock, 4242, "bill block");
        vm.assertEq(ledger.billBlockOf(id), 4242, "billBlockOf");
        vm.assertEq(ledger.recordCounts().bills, bills + 1, "bills");
        vm.assertEq(ledger.balanceOf(PRODUCER), producerBalance + producerAmount, "producer credited");
        vm.assertEq(ledger.balanceOf(p.purchaser), purchaserBalance + refund, "purchaser credited");
        vm.assertEq(producerAmount + refund, p.cost, "split is the escrow");
        vm.assertEq(address(ledger).balance, escrow, "no ETH moved");
    }

    function closeAccepted(uint256 id) public {
        IGridLedger.PurchaseView memory p = ledger.purchaseOf(id);
        (uint256 producerAmount, uint256 refund) = _expectedSplit(id);
        uint256 producerBalance = ledger.balanceOf(PRODUCER);
        uint256 purchaserBalance = ledger.balanceOf(p.purchaser);
        uint256 bills = ledger.recordCounts().bills;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGridLedger.PurchaseClosed(id, PRODUCER, p.purchaser, producerAmount, refund);
        vm.prank(p.purchaser);
        ledger.closePurchase(id);
        IGridLedger.PurchaseView memory q = ledger.purchaseOf(id);
        vm.assertEq(uint256(q.status), uint256(IGridLedger.PurchaseStatus.Closed), "status");
        vm.assertEq(q.billBlock, 0, "no bill block");
        vm.assertEq(ledger.recordCounts().bills, bills, "no bill counted");
        vm.assertEq(ledger.balanceOf(PRODUCER), producerBalance + producerAmount, "producer credited");
        vm.assertEq(ledger.balanceOf(p.purchaser), purchaserBalance + refund, "purchaser credited");
        vm.assertEq(producerAmount + refund, p.cost, "split is the escrow");
    }

    // -------------------------------------------------------------- recordBill

    /// The digest must be non-zero and the codec exactly raw (0x55) or dag-pb (0x70); codecs are drawn around both.
    function testFuzz_recordBill_digestAndCodec(bytes32 digest, uint256 codecSeed, uint256 pick) public {
        uint256 id = this.billable(100);
        if (pick % 4 == 0) digest = bytes32(0);
        uint16 codec = uint16(_near2(codecSeed, CODEC_RAW, CODEC_DAG_PB, 0, type(uint16).max));
        if (digest == bytes32(0)) {
            _reject(PRODUCER, _billData(id, digest, codec), abi.encodeWithSelector(IGridLedger.ZeroDigest.selector));
        } else if (codec != CODEC_RAW && codec != CODEC_DAG_PB) {
            _reject(
                PRODUCER,
                _billData(id, digest, codec),
                abi.encodeWithSelector(IGridLedger.UnsupportedCodec.selector, codec)
            );
        } else {
            this.billAccepted(PRODUCER, id, digest, codec);
        }
    }

    function testFuzz_recordBill_onlyProducerOrMeter(uint256 pick, address raw) public {
        uint256 id = this.billable(100);
        address caller = _caller(pick, raw);
        if (caller == PRODUCER || caller == METER) {
            this.billAccepted(caller, id, DIGEST, CODEC_DAG_PB);
        } else {
            _reject(
                caller,
                _billData(id, DIGEST, CODEC_RAW),
                abi.encodeWithSelector(IGridLedger.NotProducerOrMeter.selector, offerId, caller)
            );
        }
    }

    function test_recordBill_revokedMeter() public {
        uint256 id = this.billable(100);
        vm.prank(PRODUCER);
        ledger.revokeMeter(METER);
        _reject(
            METER,
            _billData(id, DIGEST, CODEC_RAW),
            abi.encodeWithSelector(IGridLedger.NotProducerOrMeter.selector, offerId, METER)
        );
    }

    function test_recordBill_meterOfOtherProducer() public {
        uint256 id = this.billable(100);
        _reject(
            METER2,
            _billData(id, DIGEST, CODEC_RAW),
            abi.encodeWithSelector(IGridLedger.NotProducerOrMeter.selector, offerId, METER2)
        );
    }

    function testFuzz_recordBill_unknownPurchase(uint256 id) public {
        uint256 purchaseId = this.billable(100);
        id = _near2(id, 0, 2, 0, type(uint256).max);
        if (id == purchaseId) {
            this.billAccepted(PRODUCER, id, DIGEST, CODEC_RAW);
        } else {
            _reject(
                PRODUCER, _billData(id, DIGEST, CODEC_RAW), abi.encodeWithSelector(IGridLedger.UnknownPurchase.selector, id)
            );
        }
    }

    function test_recordBill_noTransfers() public {
        uint256 id = this.buy(PURCHASER, offerId, 100);
        _skip(BILLING_TIMEOUT);
        _reject(PRODUCER, _billData(id, DIGEST, CODEC_RAW), abi.encodeWithSelector(IGridLedger.NoTransfers.selector, id));
    }

    function test_recordBill_disputesOpen() public {
        uint256 id = this.buy(PURCHASER, offerId, 100);
        this.deliver(id, METER, 10);
        this.deliver(id, METER, 10);
        this.dispute(id, 0);
        this.acknowledge(id, 1);
        _reject(
            PRODUCER, _billData(id, DIGEST, CODEC_RAW), abi.encodeWithSelector(IGridLedger.DisputesOpen.selector, id, 1)
        );
        vm.prank(OPERATOR);
        ledger.resolveDispute(id, 0, true);
        this.billAccepted(PRODUCER, id, DIGEST, CODEC_RAW);
        vm.assertEq(ledger.balanceOf(PRODUCER), 10 * RATE, "only the undisputed transfer is paid");
    }

    /// With a transfer pending, billable only once its recording + disputeWindow has passed (a window that
    /// ended long before it was recorded does not shorten the wait).
    function testFuzz_recordBill_pendingWindowBoundary(uint256 elapsed) public {
        uint256 id = this.buy(PURCHASER, offerId, 100);
        uint256 purchasedAt = now_;
        _skip(3 days);
        uint256 recordedAt = now_;
        this.deliverWindow(id, METER, 10, purchasedAt, purchasedAt + 1 hours);
        elapsed = _near(elapsed, DISPUTE_WINDOW, 0, 10 * DISPUTE_WINDOW);
        _warp(recordedAt + elapsed);
        if (elapsed <= DISPUTE_WINDOW) {
            _reject(
                METER,
                _billData(id, DIGEST, CODEC_RAW),
                abi.encodeWithSelector(
                    IGridLedger.AcknowledgementsPending.selector, id, 1, recordedAt + DISPUTE_WINDOW
                )
            );
        } else {
            this.billAccepted(METER, id, DIGEST, CODEC_RAW);
            vm.assertEq(ledger.purchaseOf(id).pendingCount, 1, "pending transfer billed as delivered");
        }
    }

    /// The wait runs from the last recorded transfer, even once the earlier pending one is past its own window.
    function test_recordBill_pendingWindowRunsFromLastRecord() public {
        uint256 id = this.buy(PURCHASER, offerId, 100);
        (, uint256 first) = this.deliver(id, METER, 10);
        _warp(first + DISPUTE_WINDOW - 1 hours);
        (, uint256 last) = this.deliver(id, METER, 10);
        _warp(first + DISPUTE_WINDOW + 1);
        _reject(
            PRODUCER,
            _billData(id, DIGEST, CODEC_RAW),
            abi.encodeWithSelector(IGridLedger.AcknowledgementsPending.selector, id, 2, last + DISPUTE_WINDOW)
        );
        this.acknowledge(id, 1);
        _reject(
            PRODUCER,
            _billData(id, DIGEST, CODEC_RAW),
            abi.encodeWithSelector(IGridLedger.AcknowledgementsPending.selector, id, 1, last + DISPUTE_WINDOW)
        );
        _warp(last + DISPUTE_WINDOW + 1);
        this.billAccepted(PRODUCER, id, DIGEST, CODEC_RAW);
        vm.assertEq(ledger.balanceOf(PRODUCER), 20 * RATE, "pending transfer billed as delivered");
    }

    function test_recordBill_allAcknowledgedBillsAtOnce() public {
        uint256 id = this.buy(PURCHASER, offerId, 100);
        this.deliver(id, METER, 10);
        this.deliver(id, METER, 15);
        this.acknowledge(id, 0);
        this.acknowledge(id, 1);
        this.billAccepted(METER, id, DIGEST, CODEC_DAG_PB);
    }

    function test_recordBill_alreadySettled() public {
        uint256 id = this.billable(100);
        this.billAccepted(PRODUCER, id, DIGEST, CODEC_RAW);
        _reject(
            PRODUCER,
            _billData(id, DIGEST, CODEC_RAW),
            abi.encodeWithSelector(IGridLedger.PurchaseSettled.selector, id, IGridLedger.PurchaseStatus.Billed)
        );
        uint256 closed = this.billable(100);
        _skip(BILLING_TIMEOUT + 1);
        this.closeAccepted(closed);
        _reject(
            PRODUCER,
            _billData(closed, DIGEST, CODEC_RAW),
            abi.encodeWithSelector(IGridLedger.PurchaseSettled.selector, closed, IGridLedger.PurchaseStatus.Closed)
        );
    }

    /// Producer gets rate × (delivered − withheld), the purchaser the rest of rate × quantity.
    function testFuzz_recordBill_settlement(uint256 quantity, uint256 first, uint256 second, uint8 outcome) public {
        quantity = _bound(quantity, 2, RATED_POWER);
        first = _bound(first, 1, quantity - 1);
        second = _bound(second, 1, quantity - first);
        uint256 id = this.buy(PURCHASER2, offerId, quantity);
        this.deliver(id, METER, first);
        this.deliver(id, METER, second);
        uint256 withheld;
        outcome %= 4;
        if (outcome == 0) {
            this.acknowledge(id, 0);
        } else {
            this.dispute(id, 0);
            if (outcome == 1) {
                vm.prank(OPERATOR);
                ledger.resolveDispute(id, 0, true);
                withheld = first;
            } else if (outcome == 2) {
                vm.prank(OPERATOR);
                ledger.resolveDispute(id, 0, false);
            } else {
                _skip(DISPUTE_WINDOW + RESOLUTION_WINDOW);
                ledger.expireDispute(id, 0);
                withheld = first;
            }
        }
        this.acknowledge(id, 1);
        this.billAccepted(PRODUCER, id, DIGEST, CODEC_RAW);
        vm.assertEq(ledger.balanceOf(PRODUCER), (first + second - withheld) * RATE, "producer amount");
        vm.assertEq(ledger.balanceOf(PURCHASER2), (quantity - first - second + withheld) * RATE, "refund");
    }

    // ----------------------------------------------------------- closePurchase

    /// Closable once purchasedAt + billingTimeout has passed, not before, whatever was recorded meanwhile:
    /// nothing, a transfer right after its window, one days after its window, or 1 Wh a second before the deadline.
    function testFuzz_closePurchase_deadlineBoundary(uint256 elapsed, uint8 mode) public {
        _skip(1 days);
        uint256 id = this.buy(PURCHASER, offerId, 100);
        uint256 purchasedAt = now_;
        uint256 deadline = purchasedAt + BILLING_TIMEOUT;
        mode %= 4;
        if (mode == 1) {
            this.deliver(id, METER, 10); // recorded right after its window
        } else if (mode == 2) {
            _skip(5 days); // recorded days after its window ended
            this.deliverWindow(id, METER, 10, purchasedAt, purchasedAt + 1 hours);
        } else if (mode == 3) {
            _warp(deadline - 1); // the producer records 1 Wh a second before the deadline
            vm.prank(PRODUCER);
            ledger.recordTransfer(id, METER, 1, deadline - 2, deadline - 1, DEVICE);
        }
        if (mode != 0) vm.assertEq(ledger.purchaseOf(id).lastRecordedAt, now_, "recorded after the purchase");
        elapsed = _near(elapsed, BILLING_TIMEOUT, now_ - purchasedAt, 10 * BILLING_TIMEOUT);
        _warp(purchasedAt + elapsed);
        if (elapsed <= BILLING_TIMEOUT) {
            _reject(
                PURCHASER,
                _closeData(id),
                abi.encodeWithSelector(IGridLedger.BillingDeadlineNotReached.selector, id, deadline)
            );
        } else {
            this.closeAccepted(id);
        }
    }

    /// However many transfers are recorded and whenever (the last within SPREAD of a second before the deadline,
    /// as an attacker would), the deadline stays purchasedAt + billingTimeout: closing is rejected with it after
    /// each recording up to it and at it, and accepted a second later (or at once after a recording past it),
    /// every transfer counted as delivered.
    function testFuzz_closePurchase_deadlineNeverMoves(uint256 seed, uint256 count) public {
        uint256 id = this.buy(PURCHASER, offerId, QUANTITY);
        uint256 deadline = now_ + BILLING_TIMEOUT;
        bytes memory early = abi.encodeWithSelector(IGridLedger.BillingDeadlineNotReached.selector, id, deadline);
        count = _bound(count, 1, 8);
        uint256 last = now_; // the previous window's end: the next window starts there
        uint256 delivered;
        for (uint256 i; i < count; ++i) {
            seed = uint256(keccak256(abi.encode(seed, i)));
            uint256 at = i + 1 < count
                ? _bound(seed, last + 1, deadline - (count - i))
                : _near(seed, deadline - 1, last + 1, deadline + SPREAD);
            uint256 amount = 1 + ((seed >> 128) % 277); // at most what the meter measures in a second
            _warp(at);
            vm.prank((seed >> 64) % 2 == 0 ? PRODUCER : METER);
            ledger.recordTransfer(id, METER, amount, last, at, DEVICE);
            delivered += amount;
            last = at;
            if (at <= deadline) _reject(PURCHASER, _closeData(id), early);
        }
        vm.assertEq(ledger.purchaseOf(id).lastRecordedAt, last, "last recording");
        if (now_ < deadline) {
            _warp(deadline);
            _reject(PURCHASER, _closeData(id), early);
        }
        if (now_ <= deadline) _warp(deadline + 1);
        this.closeAccepted(id);
        vm.assertEq(ledger.balanceOf(PRODUCER), delivered * RATE, "producer: every transfer delivered");
        vm.assertEq(ledger.balanceOf(PURCHASER), (QUANTITY - delivered) * RATE, "purchaser: the rest");
    }

    /// The attack the fixed deadline stops: 1 Wh recorded a second before the deadline does not move it. The
    /// purchaser closes at purchasedAt + billingTimeout + 1: the producer gets rate × (delivered − withheld).
    function test_closePurchase_recordingJustBeforeDeadlineDoesNotMoveIt() public {
        uint256 id = this.buy(PURCHASER, offerId, QUANTITY);
        uint256 deadline = now_ + BILLING_TIMEOUT;
        this.deliver(id, METER, 300);
        this.acknowledge(id, 0);
        this.deliver(id, METER, 200);
        this.dispute(id, 1);
        vm.prank(OPERATOR);
        ledger.resolveDispute(id, 1, true);
        _warp(deadline - 1);
        vm.prank(PRODUCER);
        ledger.recordTransfer(id, METER, 1, deadline - 2, deadline - 1, DEVICE);
        vm.assertEq(ledger.purchaseOf(id).lastRecordedAt, deadline - 1, "recorded a second before the deadline");
        _warp(deadline);
        _reject(
            PURCHASER,
            _closeData(id),
            abi.encodeWithSelector(IGridLedger.BillingDeadlineNotReached.selector, id, deadline)
        );
        _warp(deadline + 1);
        this.closeAccepted(id);
        vm.assertEq(ledger.balanceOf(PRODUCER), 301 * RATE, "producer: rate x (delivered - withheld)");
        vm.assertEq(ledger.balanceOf(PURCHASER), (QUANTITY - 301) * RATE, "purchaser: the rest");
        vm.assertEq(address(ledger).balance, QUANTITY * RATE, "escrow held until withdrawn");
    }

    /// A transfer recorded at the deadline, still within its dispute window when the purchaser closes, counts as
    /// delivered and can no longer be disputed.
    function test_closePurchase_pendingTransferCountsAsDelivered() public {
        uint256 id = this.buy(PURCHASER, offerId, QUANTITY);
        uint256 deadline = now_ + BILLING_TIMEOUT;
        _warp(deadline - 1 hours);
        (, uint256 recordedAt) = this.deliver(id, METER, 700);
        vm.assertEq(recordedAt, deadline, "recorded at the deadline");
        _warp(deadline + 1);
        vm.assertLe(now_, recordedAt + DISPUTE_WINDOW, "still disputable");
        this.closeAccepted(id);
        this.assertTransfer(id, 0, 700, recordedAt, IGridLedger.TransferState.Pending);
        vm.assertEq(ledger.balanceOf(PRODUCER), 700 * RATE, "pending transfer paid");
        vm.assertEq(ledger.balanceOf(PURCHASER), (QUANTITY - 700) * RATE, "purchaser: the rest");
        _reject(
            PURCHASER,
            _disputeData(id, 0, 1),
            abi.encodeWithSelector(IGridLedger.PurchaseSettled.selector, id, IGridLedger.PurchaseStatus.Closed)
        );
    }

    function testFuzz_closePurchase_onlyPurchaser(uint256 pick, address raw) public {
        uint256 id = this.buy(PURCHASER, offerId, 100);
        _skip(BILLING_TIMEOUT + 1);
        address caller = _caller(pick, raw);
        if (caller == PURCHASER) {
            this.closeAccepted(id);
        } else {
            _reject(caller, _closeData(id), abi.encodeWithSelector(IGridLedger.NotPurchaser.selector, id, caller));
        }
    }

    function testFuzz_closePurchase_unknownPurchase(uint256 id) public {
        uint256 purchaseId = this.buy(PURCHASER, offerId, 100);
        _skip(BILLING_TIMEOUT + 1);
        id = _near2(id, 0, 2, 0, type(uint256).max);
        if (id == purchaseId) {
            this.closeAccepted(id);
        } else {
            _reject(PURCHASER, _closeData(id), abi.encodeWithSelector(IGridLedger.UnknownPurchase.selector, id));
        }
    }

    function test_closePurchase_disputesOpen() public {
        uint256 id = this.buy(PURCHASER, offerId, 100);
        this.deliver(id, METER, 10);
        this.dispute(id, 0);
        _skip(BILLING_TIMEOUT + 1);
        _reject(PURCHASER, _closeData(id), abi.encodeWithSelector(IGridLedger.DisputesOpen.selector, id, 1));
        ledger.expireDispute(id, 0);
        this.closeAccepted(id);
        vm.assertEq(ledger.balanceOf(PURCHASER), 100 * RATE, "upheld dispute refunded in full");
        vm.assertEq(ledger.balanceOf(PRODUCER), 0, "producer gets nothing");
    }

    function test_closePurchase_alreadySettled() public {
        uint256 id = this.buy(PURCHASER, offerId, 100);
        _skip(BILLING_TIMEOUT + 1);
        this.closeAccepted(id);
        _reject(
            PURCHASER,
            _closeData(id),
            abi.encodeWithSelector(IGridLedger.PurchaseSettled.selector, id, IGridLedger.PurchaseStatus.Closed)
        );
        uint256 billed = this.billable(5);
        this.bill(billed);
        _skip(BILLING_TIMEOUT + 1);
        _reject(
            PURCHASER,
            _closeData(billed),
            abi.encodeWithSelector(IGridLedger.PurchaseSettled.selector, billed, IGridLedger.PurchaseStatus.Billed)
        );
    }

    function testFuzz_closePurchase_settlement(uint256 quantity, uint256 delivered, bool upheld) public {
        quantity = _bound(quantity, 1, RATED_POWER);
        delivered = _bound(delivered, 1, quantity);
        uint256 id = this.buy(PURCHASER2, offerId, quantity);
        this.deliver(id, METER, delivered);
        this.dispute(id, 0);
        vm.prank(OPERATOR);
        ledger.resolveDispute(id, 0, upheld);
        _skip(BILLING_TIMEOUT + 1);
        this.closeAccepted(id);
        uint256 paid = upheld ? 0 : delivered;
        vm.assertEq(ledger.balanceOf(PRODUCER), paid * RATE, "producer amount");
        vm.assertEq(ledger.balanceOf(PURCHASER2), (quantity - paid) * RATE, "refund");
    }

    // ---------------------------------------------------------------- withdraw

    function testFuzz_withdraw_paysWholeBalance(uint256 pick, address raw, uint256 delivered) public {
        delivered = _bound(delivered, 1, RATED_POWER);
        this.bill(this.billable(delivered));
        address caller = _caller(pick, raw);
        uint256 balance = ledger.balanceOf(caller);
        if (balance == 0) {
            _reject(
                caller,
                abi.encodeCall(IGridLedger.withdraw, ()),
                abi.encodeWithSelector(IGridLedger.NothingToWithdraw.selector, caller)
            );
        } else {
            uint256 escrow = address(ledger).balance;
            uint256 wallet = caller.balance;
            vm.expectEmit(true, true, true, true, address(ledger));
            emit IGridLedger.Withdrawn(caller, balance);
            vm.prank(caller);
            ledger.withdraw();
            vm.assertEq(ledger.balanceOf(caller), 0, "balance spent");
            vm.assertEq(caller.balance, wallet + balance, "paid");
            vm.assertEq(address(ledger).balance, escrow - balance, "left the ledger");
            _reject(
                caller,
                abi.encodeCall(IGridLedger.withdraw, ()),
                abi.encodeWithSelector(IGridLedger.NothingToWithdraw.selector, caller)
            );
        }
    }

    function test_withdraw_bothSidesOfABill() public {
        this.bill(this.billable(600));
        vm.prank(PRODUCER);
        ledger.withdraw();
        vm.prank(PURCHASER);
        ledger.withdraw();
        vm.assertEq(PRODUCER.balance, 600 * RATE, "producer paid");
        vm.assertEq(address(ledger).balance, 0, "ledger empty");
    }

    function test_withdraw_reentrancyBlocked() public {
        ReentrantPurchaser buyer = new ReentrantPurchaser(ledger);
        vm.deal(address(this), 100 * RATE);
        uint256 id = buyer.buy{value: 100 * RATE}(offerId, 100);
        _skip(BILLING_TIMEOUT + 1);
        buyer.close(id);
        vm.assertEq(ledger.balanceOf(address(buyer)), 100 * RATE, "refund credited");
        bytes32 before = this.stateDigest(address(buyer));
        vm.expectRevert(abi.encodeWithSelector(ReentrancyGuard.ReentrancyGuardReentrantCall.selector));
        buyer.withdraw();
        vm.assertEq(this.stateDigest(address(buyer)), before, "state changed on a rejected call");
    }

    // =============================================================================================
    // Batches of readings: anchorBatch, recordTransferFromReadings, verifyReading, readingLeaf
    // =============================================================================================

    function _reading(address meter, uint256 value, uint256 start, uint256 end, uint256 seq)
        internal
        view
        returns (IGridLedger.Reading memory)
    {
        return IGridLedger.Reading(meter, 2, pid, value, uint64(start), uint64(end), uint64(seq));
    }

    /// OpenZeppelin's standard Merkle leaf: keccak256(keccak256(abi.encode(fields))).
    function _leafOf(IGridLedger.Reading memory r) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(r.meter, r.kind, r.subject, r.value, r.start, r.end, r.seq))));
    }

    function _hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function _pair(IGridLedger.Reading memory a, IGridLedger.Reading memory b)
        internal
        pure
        returns (IGridLedger.Reading[] memory rs)
    {
        rs = new IGridLedger.Reading[](2);
        rs[0] = a;
        rs[1] = b;
    }

    function _one(IGridLedger.Reading memory a) internal pure returns (IGridLedger.Reading[] memory rs) {
        rs = new IGridLedger.Reading[](1);
        rs[0] = a;
    }

    /// Anchors a batch of exactly `rs` (one or two readings) and returns the multi-proof of all of them.
    function anchorReadings(IGridLedger.Reading[] memory rs)
        public
        returns (uint256 batchId, bytes32[] memory proof, bool[] memory flags)
    {
        bytes32 root = _leafOf(rs[0]);
        flags = new bool[](rs.length - 1);
        if (rs.length == 2) {
            root = _hashPair(root, _leafOf(rs[1]));
            flags[0] = true;
        }
        proof = new bytes32[](0);
        IGridLedger.MeterRange[] memory ranges = new IGridLedger.MeterRange[](1);
        ranges[0] = IGridLedger.MeterRange(rs[0].meter, rs[0].seq, rs[0].seq + uint64(rs.length) - 1);
        vm.prank(STRANGER);
        batchId = ledger.anchorBatch(root, DIGEST, CODEC_RAW, rs.length, ranges);
    }

    function _readingsData(uint256 batchId, IGridLedger.Reading[] memory rs, bytes32[] memory proof, bool[] memory flags)
        internal
        view
        returns (bytes memory)
    {
        return abi.encodeCall(IGridLedger.recordTransferFromReadings, (pid, batchId, rs, proof, flags, DEVICE));
    }

    /// Records the transfer and checks it sums the readings over their span.
    function readingsAccepted(
        address caller,
        uint256 batchId,
        IGridLedger.Reading[] memory rs,
        bytes32[] memory proof,
        bool[] memory flags
    ) public {
        uint256 amount;
        for (uint256 i; i < rs.length; ++i) {
            amount += rs[i].value;
        }
        IGridLedger.PurchaseView memory p = ledger.purchaseOf(pid);
        uint256 end = rs[rs.length - 1].end;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGridLedger.EnergyTransferred(
            pid, PRODUCER, PURCHASER, p.transferCount, rs[0].meter, amount, rs[0].start, end, amount * RATE, DEVICE
        );
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGridLedger.ReadingsSettled(pid, batchId, p.transferCount, rs.length);
        vm.prank(caller);
        uint256 index = ledger.recordTransferFromReadings(pid, batchId, rs, proof, flags, DEVICE);
        vm.assertEq(index, p.transferCount, "index");
        assertTransfer(pid, index, amount, now_, IGridLedger.TransferState.Pending);
        vm.assertEq(ledger.purchaseOf(pid).delivered, p.delivered + amount, "delivered");
        vm.assertEq(ledger.meterOf(rs[0].meter).lastEnd, end, "meter last end");
    }

    function testFuzz_anchorBatch_inputs(bytes32 root, bytes32 digest, uint256 codecSeed, uint256 count, uint256 pick)
        public
    {
        if (pick % 5 == 0) root = bytes32(0);
        if ((pick / 5) % 5 == 0) digest = bytes32(0);
        count = _near(count, 0, 0, 1000);
        uint16 codec = uint16(_near2(codecSeed, CODEC_RAW, CODEC_DAG_PB, 0, type(uint16).max));
        IGridLedger.MeterRange[] memory ranges = new IGridLedger.MeterRange[](count == 0 ? 0 : 1);
        if (count != 0) ranges[0] = IGridLedger.MeterRange(METER, 7, uint64(6 + count));
        bytes memory data = abi.encodeCall(IGridLedger.anchorBatch, (root, digest, codec, count, ranges));
        if (root == bytes32(0)) {
            _reject(STRANGER, data, abi.encodeWithSelector(IGridLedger.ZeroRoot.selector));
        } else if (count == 0) {
            _reject(STRANGER, data, abi.encodeWithSelector(IGridLedger.EmptyBatch.selector));
        } else if (digest == bytes32(0)) {
            _reject(STRANGER, data, abi.encodeWithSelector(IGridLedger.ZeroDigest.selector));
        } else if (codec != CODEC_RAW && codec != CODEC_DAG_PB) {
            _reject(STRANGER, data, abi.encodeWithSelector(IGridLedger.UnsupportedCodec.selector, codec));
        } else {
            vm.expectEmit(true, true, true, true, address(ledger));
            emit IGridLedger.BatchAnchored(1, STRANGER, root, digest, codec, count, ranges);
            vm.prank(STRANGER);
            vm.assertEq(ledger.anchorBatch(root, digest, codec, count, ranges), 1, "batch id");
            vm.assertEq(ledger.batchCount(), 1, "batch count");
            vm.assertEq(ledger.batchRoot(1), root, "batch root");
        }
    }

    /// Each range must run forwards, and together they must cover exactly `count` readings.
    function testFuzz_anchorBatch_rangesCoverCount(uint256 firstA, uint256 lastA, uint256 lengthB, uint256 count) public {
        firstA = _bound(firstA, 0, 1_000_000);
        lastA = _near(lastA, firstA, 0, firstA + 100);
        lengthB = _bound(lengthB, 1, 50);
        IGridLedger.MeterRange[] memory ranges = new IGridLedger.MeterRange[](2);
        ranges[0] = IGridLedger.MeterRange(METER, uint64(firstA), uint64(lastA));
        ranges[1] = IGridLedger.MeterRange(METER2, 1, uint64(lengthB));
        uint256 covered = lastA >= firstA ? lastA - firstA + 1 + lengthB : 0;
        count = _near(count, covered, 1, covered + 100);
        bytes memory data = abi.encodeCall(IGridLedger.anchorBatch, (DIGEST, DIGEST, CODEC_DAG_PB, count, ranges));
        if (lastA < firstA) {
            _reject(STRANGER, data, abi.encodeWithSelector(IGridLedger.InvalidRange.selector, METER, firstA, lastA));
        } else if (count != covered) {
            _reject(STRANGER, data, abi.encodeWithSelector(IGridLedger.RangeCountMismatch.selector, count, covered));
        } else {
            vm.prank(STRANGER);
            vm.assertEq(ledger.anchorBatch(DIGEST, DIGEST, CODEC_DAG_PB, count, ranges), 1, "batch id");
        }
    }

    /// Two readings in sequence, with a gap between their windows, make one transfer of their sum.
    function testFuzz_recordTransferFromReadings_sumsReadings(uint256 first, uint256 second, uint256 gap) public {
        _transferFixture();
        first = _bound(first, 1, RATED_POWER);
        second = _bound(second, 1, RATED_POWER);
        gap = _bound(gap, 0, 1 hours);
        IGridLedger.Reading[] memory rs = _pair(
            _reading(METER, first, T0, T0 + 1 hours, 1),
            _reading(METER, second, T0 + 1 hours + gap, T0 + 2 hours + gap, 2)
        );
        (uint256 batchId, bytes32[] memory proof, bool[] memory flags) = this.anchorReadings(rs);
        this.readingsAccepted(METER, batchId, rs, proof, flags);
    }

    function testFuzz_recordTransferFromReadings_unknownBatch(uint256 batchId) public {
        _transferFixture();
        IGridLedger.Reading[] memory rs = _one(_reading(METER, 10, T0, T0 + 1 hours, 1));
        (, bytes32[] memory proof, bool[] memory flags) = this.anchorReadings(rs);
        batchId = _near2(batchId, 0, 2, 0, type(uint256).max);
        if (batchId == 1) {
            this.readingsAccepted(PRODUCER, batchId, rs, proof, flags);
        } else {
            _reject(
                METER,
                _readingsData(batchId, rs, proof, flags),
                abi.encodeWithSelector(IGridLedger.UnknownBatch.selector, batchId)
            );
        }
    }

    function test_recordTransferFromReadings_noReadings() public {
        _transferFixture();
        (uint256 batchId, bytes32[] memory proof,) = this.anchorReadings(_one(_reading(METER, 10, T0, T0 + 1, 1)));
        _reject(
            METER,
            _readingsData(batchId, new IGridLedger.Reading[](0), proof, new bool[](0)),
            abi.encodeWithSelector(IGridLedger.ReadingMismatch.selector, 0)
        );
    }

    /// Every reading must be an energy reading (kind 2) of this purchase, by the first reading's meter, of a
    /// non-zero value.
    function testFuzz_recordTransferFromReadings_readingMismatch(uint8 field) public {
        _transferFixture();
        vm.prank(PRODUCER);
        ledger.authorizeMeter(METER3, RATED_POWER);
        IGridLedger.Reading memory second = _reading(METER, 20, T0 + 1 hours, T0 + 2 hours, 2);
        field %= 5;
        if (field == 0) second.meter = METER3;
        else if (field == 1) second.kind = 1;
        else if (field == 2) second.subject = pid + 1;
        else if (field == 3) second.value = 0;
        IGridLedger.Reading[] memory rs = _pair(_reading(METER, 10, T0, T0 + 1 hours, 1), second);
        (uint256 batchId, bytes32[] memory proof, bool[] memory flags) = this.anchorReadings(rs);
        if (field == 4) {
            this.readingsAccepted(METER, batchId, rs, proof, flags);
        } else {
            _reject(
                METER,
                _readingsData(batchId, rs, proof, flags),
                abi.encodeWithSelector(IGridLedger.ReadingMismatch.selector, 1)
            );
        }
    }

    /// Each reading follows the one before: a higher sequence number and a window starting at or after its end.
    function testFuzz_recordTransferFromReadings_readingsInOrder(uint256 seq, uint256 start) public {
        _transferFixture();
        seq = _near(seq, 6, 0, 100);
        start = _near(start, T0 + 1 hours, T0 + 1, T0 + 2 hours);
        IGridLedger.Reading[] memory rs =
            _pair(_reading(METER, 10, T0, T0 + 1 hours, 5), _reading(METER, 20, start, T0 + 3 hours, seq));
        (uint256 batchId, bytes32[] memory proof, bool[] memory flags) = this.anchorReadings(rs);
        if (seq <= 5 || start < T0 + 1 hours) {
            _reject(
                METER,
                _readingsData(batchId, rs, proof, flags),
                abi.encodeWithSelector(IGridLedger.ReadingsOutOfOrder.selector, 1)
            );
        } else {
            this.readingsAccepted(METER, batchId, rs, proof, flags);
        }
    }

    /// Each reading obeys the rated power over its own window, even when the span of all of them would allow more.
    function testFuzz_recordTransferFromReadings_ratedPowerPerReading(uint256 value) public {
        _transferFixture();
        value = _near(value, RATED_POWER, 1, QUANTITY - 1);
        IGridLedger.Reading[] memory rs = _pair(
            _reading(METER, value, T0, T0 + 1 hours, 1), _reading(METER, 1, T0 + 5 hours, T0 + 6 hours, 2)
        );
        (uint256 batchId, bytes32[] memory proof, bool[] memory flags) = this.anchorReadings(rs);
        if (value > RATED_POWER) {
            _reject(
                METER,
                _readingsData(batchId, rs, proof, flags),
                abi.encodeWithSelector(IGridLedger.DeliveryExceedsRatedPower.selector, METER, value, RATED_POWER)
            );
        } else {
            this.readingsAccepted(METER, batchId, rs, proof, flags);
        }
    }

    function test_recordTransferFromReadings_invalidWindow() public {
        _transferFixture();
        IGridLedger.Reading[] memory rs =
            _pair(_reading(METER, 10, T0, T0 + 1 hours, 1), _reading(METER, 20, T0 + 2 hours, T0 + 2 hours, 2));
        (uint256 batchId, bytes32[] memory proof, bool[] memory flags) = this.anchorReadings(rs);
        _reject(
            METER,
            _readingsData(batchId, rs, proof, flags),
            abi.encodeWithSelector(IGridLedger.InvalidWindow.selector, T0 + 2 hours, T0 + 2 hours)
        );
    }

    /// Readings not in the batch (changed, or from another batch) do not prove.
    function test_recordTransferFromReadings_invalidProof() public {
        _transferFixture();
        IGridLedger.Reading[] memory rs =
            _pair(_reading(METER, 10, T0, T0 + 1 hours, 1), _reading(METER, 20, T0 + 1 hours, T0 + 2 hours, 2));
        (uint256 batchId, bytes32[] memory proof, bool[] memory flags) = this.anchorReadings(rs);
        (uint256 other,,) = this.anchorReadings(_one(_reading(METER, 10, T0, T0 + 1 hours, 1)));
        _reject(
            METER,
            _readingsData(other, rs, proof, flags),
            abi.encodeWithSelector(IGridLedger.InvalidProof.selector, other)
        );
        rs[1].value = 21;
        _reject(
            METER,
            _readingsData(batchId, rs, proof, flags),
            abi.encodeWithSelector(IGridLedger.InvalidProof.selector, batchId)
        );
        rs[1].value = 20;
        this.readingsAccepted(METER, batchId, rs, proof, flags);
    }

    function testFuzz_recordTransferFromReadings_onlyProducerOrMeter(uint256 pick, address raw) public {
        _transferFixture();
        IGridLedger.Reading[] memory rs = _one(_reading(METER, 10, T0, T0 + 1 hours, 1));
        (uint256 batchId, bytes32[] memory proof, bool[] memory flags) = this.anchorReadings(rs);
        address caller = _caller(pick, raw);
        if (caller == PRODUCER || caller == METER) {
            this.readingsAccepted(caller, batchId, rs, proof, flags);
        } else {
            _reject(
                caller,
                _readingsData(batchId, rs, proof, flags),
                abi.encodeWithSelector(IGridLedger.NotProducerOrMeter.selector, offerId, caller)
            );
        }
    }

    /// The summed transfer still obeys every transfer rule: after the purchase, not overlapping the meter's
    /// last window (so the same readings cannot be settled twice), within the quantity, not in the future.
    function test_recordTransferFromReadings_transferRules() public {
        _transferFixture();
        IGridLedger.Reading[] memory early = _one(_reading(METER, 10, T0 - 1, T0 + 1 hours, 1));
        (uint256 batchId, bytes32[] memory proof, bool[] memory flags) = this.anchorReadings(early);
        _reject(
            METER,
            _readingsData(batchId, early, proof, flags),
            abi.encodeWithSelector(IGridLedger.WindowBeforePurchase.selector, pid, T0 - 1, T0)
        );
        IGridLedger.Reading[] memory future = _one(_reading(METER, 10, now_, now_ + 1, 1));
        (batchId, proof, flags) = this.anchorReadings(future);
        _reject(
            METER,
            _readingsData(batchId, future, proof, flags),
            abi.encodeWithSelector(IGridLedger.EndInFuture.selector, now_ + 1, now_)
        );
        IGridLedger.Reading[] memory rs =
            _pair(_reading(METER, RATED_POWER, T0, T0 + 1 hours, 1), _reading(METER, RATED_POWER, T0 + 1 hours, T0 + 2 hours, 2));
        (batchId, proof, flags) = this.anchorReadings(rs);
        this.readingsAccepted(METER, batchId, rs, proof, flags);
        _reject(
            METER,
            _readingsData(batchId, rs, proof, flags),
            abi.encodeWithSelector(IGridLedger.WindowOverlaps.selector, METER, T0, T0 + 2 hours)
        );
        IGridLedger.Reading[] memory more = _one(_reading(METER, 1, T0 + 2 hours, T0 + 3 hours, 3));
        (batchId, proof, flags) = this.anchorReadings(more);
        _reject(
            METER,
            _readingsData(batchId, more, proof, flags),
            abi.encodeWithSelector(IGridLedger.DeliveryExceedsPurchase.selector, pid, QUANTITY, 1, QUANTITY)
        );
    }

    function test_verifyReading_provesMembership() public {
        _transferFixture();
        IGridLedger.Reading memory a = _reading(METER, 10, T0, T0 + 1 hours, 1);
        IGridLedger.Reading memory b = _reading(METER, 20, T0 + 1 hours, T0 + 2 hours, 2);
        (uint256 batchId,,) = this.anchorReadings(_pair(a, b));
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = _leafOf(b);
        vm.assertTrue(ledger.verifyReading(batchId, _leafOf(a), proof), "a is in the batch");
        a.value = 11;
        vm.assertTrue(!ledger.verifyReading(batchId, _leafOf(a), proof), "a changed reading is not");
        vm.expectRevert(abi.encodeWithSelector(IGridLedger.UnknownBatch.selector, batchId + 1));
        ledger.verifyReading(batchId + 1, _leafOf(b), proof);
    }

    function testFuzz_readingLeaf_standardEncoding(
        address meter,
        uint8 kind,
        uint256 subject,
        uint256 value,
        uint64 start,
        uint64 end,
        uint64 seq
    ) public view {
        IGridLedger.Reading memory r = IGridLedger.Reading(meter, kind, subject, value, start, end, seq);
        vm.assertEq(ledger.readingLeaf(r), _leafOf(r), "leaf");
    }

    // =============================================================================================
    // Meters
    // =============================================================================================

    function authorizeAccepted(address caller, address meter, uint256 ratedPower) public {
        uint256 lastEnd = ledger.meterOf(meter).lastEnd;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGridLedger.MeterAuthorized(meter, caller, ratedPower);
        vm.prank(caller);
        ledger.authorizeMeter(meter, ratedPower);
        IGridLedger.MeterView memory m = ledger.meterOf(meter);
        vm.assertEq(m.producer, caller, "meter producer");
        vm.assertEq(m.ratedPower, ratedPower, "rated power");
        vm.assertEq(m.active, true, "active");
        vm.assertEq(m.lastEnd, lastEnd, "last end kept");
    }

    function _authorizeData(address meter, uint256 ratedPower) internal pure returns (bytes memory) {
        return abi.encodeCall(IGridLedger.authorizeMeter, (meter, ratedPower));
    }

    function testFuzz_authorizeMeter_ratedPowerBounds(uint256 ratedPower) public {
        ratedPower = _near2(ratedPower, 0, MAX_RATED_POWER, 0, type(uint256).max);
        if (ratedPower == 0 || ratedPower > MAX_RATED_POWER) {
            _reject(
                PRODUCER,
                _authorizeData(METER3, ratedPower),
                abi.encodeWithSelector(IGridLedger.RatedPowerOutOfRange.selector, ratedPower, MAX_RATED_POWER)
            );
        } else {
            this.authorizeAccepted(PRODUCER, METER3, ratedPower);
        }
    }

    function test_authorizeMeter_zeroAddress() public {
        _reject(
            PRODUCER, _authorizeData(address(0), RATED_POWER), abi.encodeWithSelector(IGridLedger.ZeroAddress.selector)
        );
    }

    /// An active meter can only be re-authorised (rated power changed) by its own producer.
    function testFuzz_authorizeMeter_ownedByOther(uint256 pick, address raw, uint256 ratedPower) public {
        address caller = _caller(pick, raw);
        ratedPower = _bound(ratedPower, 1, MAX_RATED_POWER);
        if (caller == PRODUCER) {
            this.authorizeAccepted(caller, METER, ratedPower);
        } else {
            _reject(
                caller,
                _authorizeData(METER, ratedPower),
                abi.encodeWithSelector(IGridLedger.MeterOwnedByOther.selector, METER, PRODUCER)
            );
        }
    }

    function test_authorizeMeter_afterRevokeKeepsLastEnd() public {
        uint256 id = this.buy(PURCHASER, offerId, 100);
        (, uint256 end) = this.deliver(id, METER, 1); // its window ends when it is recorded
        vm.prank(PRODUCER);
        ledger.revokeMeter(METER);
        this.authorizeAccepted(PRODUCER2, METER, 5);
        vm.assertEq(ledger.meterOf(METER).lastEnd, end, "last end survives the change of producer");
        // The old producer's purchase cannot use it any more.
        _skip(1 hours);
        _reject(
            PRODUCER,
            abi.encodeCall(IGridLedger.recordTransfer, (id, METER, 1, now_ - 1 hours, now_, DEVICE)),
            abi.encodeWithSelector(IGridLedger.MeterNotAuthorized.selector, METER, PRODUCER)
        );
    }

    function testFuzz_revokeMeter_onlyItsProducer(uint256 pick, address raw) public {
        address caller = _caller(pick, raw);
        if (caller == PRODUCER) {
            vm.expectEmit(true, true, true, true, address(ledger));
            emit IGridLedger.MeterRevoked(METER, PRODUCER);
            vm.prank(caller);
            ledger.revokeMeter(METER);
            IGridLedger.MeterView memory m = ledger.meterOf(METER);
            vm.assertEq(m.active, false, "inactive");
            vm.assertEq(m.producer, PRODUCER, "producer kept");
        } else {
            _reject(
                caller,
                abi.encodeCall(IGridLedger.revokeMeter, (METER)),
                abi.encodeWithSelector(IGridLedger.MeterNotAuthorized.selector, METER, caller)
            );
        }
    }

    function test_revokeMeter_inactiveMeter() public {
        vm.prank(PRODUCER);
        ledger.revokeMeter(METER);
        _reject(
            PRODUCER,
            abi.encodeCall(IGridLedger.revokeMeter, (METER)),
            abi.encodeWithSelector(IGridLedger.MeterNotAuthorized.selector, METER, PRODUCER)
        );
        _reject(
            PRODUCER,
            abi.encodeCall(IGridLedger.revokeMeter, (METER3)),
            abi.encodeWithSelector(IGridLedger.MeterNotAuthorized.selector, METER3, PRODUCER)
        );
    }
}
