// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGridLedger} from "../IGridLedger.sol";

/// @title ReentrantWithdrawer
/// @notice Test helper for the mocha suite: a purchaser contract whose `receive` attacks
/// `GridLedger.withdraw`, either by re-entering it or by refusing the payment.
/// @dev Not deployed outside tests. Only its deployer drives it, so that a test cannot be fooled by a stray caller.
contract ReentrantWithdrawer {
    /// @notice What `receive` does when the ledger pays this contract.
    enum Mode {
        /// Re-enter `withdraw` and let its revert bubble up (the whole payment fails).
        Reenter,
        /// Re-enter `withdraw`, catch its revert and keep the payment.
        ReenterAndCatch,
        /// Refuse the payment with `PaymentRefused`.
        Refuse
    }

    /// @notice A caller other than the deployer drove this contract.
    /// @param caller The caller.
    error NotOwner(address caller);
    /// @notice The payment was refused on purpose (mode `Refuse`).
    /// @param amount The wei refused.
    error PaymentRefused(uint256 amount);

    /// @notice The ledger attacked.
    IGridLedger public immutable LEDGER;
    /// @notice The deployer, the only account allowed to drive this contract.
    address public immutable OWNER;
    /// @notice What `receive` does.
    Mode public mode;
    /// @notice How many times `receive` ran and tried to re-enter.
    uint256 public reentryAttempts;
    /// @notice How many re-entries succeeded (must stay 0).
    uint256 public reentrySuccesses;
    /// @notice The revert data of the last caught re-entry.
    bytes public lastRevertData;

    /// @param ledger The ledger to attack.
    constructor(IGridLedger ledger) {
        LEDGER = ledger;
        OWNER = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != OWNER) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Sets what `receive` does.
    /// @param newMode The new mode.
    function setMode(Mode newMode) external onlyOwner {
        mode = newMode;
    }

    /// @notice Buys energy as the purchaser, forwarding the ETH sent.
    /// @param offerId The offer.
    /// @param quantity Energy, Wh.
    /// @return purchaseId The new purchase's id.
    function buy(uint256 offerId, uint256 quantity) external payable onlyOwner returns (uint256 purchaseId) {
        purchaseId = LEDGER.purchase{value: msg.value}(offerId, quantity);
    }

    /// @notice Closes an unbilled purchase of this contract, crediting its refund here.
    /// @param purchaseId The purchase.
    function close(uint256 purchaseId) external onlyOwner {
        LEDGER.closePurchase(purchaseId);
    }

    /// @notice Withdraws this contract's balance from the ledger.
    function withdraw() external onlyOwner {
        LEDGER.withdraw();
    }

    /// @notice Receives a payment from the ledger and attacks it as `mode` says.
    receive() external payable {
        _onPayment();
    }

    /// Re-enters `withdraw` (bubbling or catching its revert) or refuses the payment, as `mode` says.
    function _onPayment() private {
        Mode current = mode;
        if (current == Mode.Refuse) revert PaymentRefused(msg.value);
        ++reentryAttempts;
        if (current == Mode.Reenter) {
            LEDGER.withdraw();
            ++reentrySuccesses;
        } else {
            try LEDGER.withdraw() {
                ++reentrySuccesses;
            } catch (bytes memory reason) {
                lastRevertData = reason;
            }
        }
    }
}
