// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {GridLedger} from "../GridLedger.sol";
import {IGridLedger} from "../IGridLedger.sol";
import {GridLedgerHandler} from "./GridLedgerHandler.sol";
import {Vm} from "./Vm.sol";

/// @notice Invariants of GridLedger under random sequences of the handler's actions. Windows are short
/// (1 h to dispute, 2 h to resolve, 6 h before closing) so that a run of a few dozen calls reaches
/// disputes, expiries, bills, closings and withdrawals.
contract GridLedgerInvariantTest {
    // solhint-disable-next-line const-name-snakecase
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    IGridLedger internal ledger;
    GridLedgerHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        ledger = IGridLedger(address(new GridLedger(address(0x10A0), 1 hours, 2 hours, 6 hours)));
        handler = new GridLedgerHandler(ledger, address(0x10A1));
    }

    /// Only the handler is called by the invariant runs (forge-std's StdInvariant convention).
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// The ledger holds exactly the escrow of its open purchases plus every withdrawable balance.
    function invariant_balanceCoversEscrowAndBalances() public view {
        uint256[] memory ids = handler.purchaseIds();
        vm.assertEq(ledger.recordCounts().purchases, ids.length, "every purchase is tracked");
        uint256 escrow;
        for (uint256 i; i < ids.length; ++i) {
            IGridLedger.PurchaseView memory p = ledger.purchaseOf(ids[i]);
            if (p.status == IGridLedger.PurchaseStatus.Open) escrow += p.cost;
        }
        address[] memory accounts = handler.actors();
        uint256 balances;
        for (uint256 i; i < accounts.length; ++i) {
            balances += ledger.balanceOf(accounts[i]);
        }
        vm.assertEq(address(ledger).balance, escrow + balances, "balance == open escrow + balances");
        vm.assertEq(
            address(ledger).balance,
            handler.ghostDeposited() - handler.ghostWithdrawn(),
            "balance == paid in - paid out"
        );
    }

    /// No offer ever has more available than its capacity, and a closed offer has nothing available.
    function invariant_availableWithinCapacity() public view {
        uint256[] memory ids = handler.offerIds();
        vm.assertEq(ledger.recordCounts().offers, ids.length, "every offer is tracked");
        for (uint256 i; i < ids.length; ++i) {
            IGridLedger.OfferView memory o = ledger.offerOf(ids[i]);
            vm.assertLe(o.available, o.capacity, "available <= capacity");
            if (!o.open) vm.assertEq(o.available, 0, "closed offer has nothing available");
        }
    }

    /// Every purchase: delivered <= quantity, and its counters agree with its transfers.
    function invariant_deliveredWithinPurchased() public view {
        uint256[] memory ids = handler.purchaseIds();
        for (uint256 i; i < ids.length; ++i) {
            IGridLedger.PurchaseView memory p = ledger.purchaseOf(ids[i]);
            vm.assertLe(p.delivered, p.quantity, "delivered <= quantity");
            uint256 delivered;
            uint256 withheld;
            uint256 pending;
            uint256 disputed;
            for (uint256 j; j < p.transferCount; ++j) {
                IGridLedger.TransferView memory t = ledger.transferOf(ids[i], j);
                delivered += t.amount;
                if (t.state == IGridLedger.TransferState.Upheld) withheld += t.amount;
                else if (t.state == IGridLedger.TransferState.Pending) ++pending;
                else if (t.state == IGridLedger.TransferState.Disputed) ++disputed;
            }
            vm.assertEq(p.delivered, delivered, "delivered == sum of transfers");
            vm.assertEq(p.withheld, withheld, "withheld == sum of upheld transfers");
            vm.assertEq(p.pendingCount, pending, "pending count");
            vm.assertEq(p.openDisputes, disputed, "open disputes");
        }
    }

    /// A billed or closed purchase never changes again: not its view, its bill block nor any transfer.
    function invariant_billedPurchaseUnchanged() public view {
        uint256[] memory ids = handler.settledIds();
        for (uint256 i; i < ids.length; ++i) {
            IGridLedger.PurchaseView memory p = ledger.purchaseOf(ids[i]);
            vm.assertTrue(p.status != IGridLedger.PurchaseStatus.Open, "settled purchase stays settled");
            vm.assertEq(handler.purchaseDigest(ids[i]), handler.settledDigest(ids[i]), "settled purchase unchanged");
        }
    }

    /// A purchase closes exactly after purchasedAt + billingTimeout, however many transfers were recorded since
    /// and whenever: never at or before that, always after it (with no open dispute), and an early close is
    /// rejected with BillingDeadlineNotReached(purchaseId, purchasedAt + billingTimeout).
    function invariant_closeDeadlineFixedAtPurchase() public view {
        vm.assertEq(handler.ghostWrongCloses(), 0, "close accepted or rejected against the fixed deadline");
    }

    /// Each meter's accepted windows follow each other: every start at or after the previous end.
    function invariant_meterWindowsNeverOverlap() public view {
        address[] memory meters = handler.meters();
        for (uint256 i; i < meters.length; ++i) {
            (uint256[] memory starts, uint256[] memory ends) = handler.windowsOf(meters[i]);
            for (uint256 j; j < starts.length; ++j) {
                vm.assertTrue(starts[j] < ends[j], "window starts before it ends");
                if (j > 0) vm.assertLe(ends[j - 1], starts[j], "window starts at or after the previous end");
            }
            if (ends.length > 0) {
                vm.assertEq(ledger.meterOf(meters[i]).lastEnd, ends[ends.length - 1], "meter last end");
            }
        }
    }
}
