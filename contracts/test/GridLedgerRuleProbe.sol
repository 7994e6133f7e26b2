// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {GridLedger} from "../GridLedger.sol";

// GridLedger without one of its meter or dispute rules each, for the gas bench only: a rule's cost is the gas of an
// event on GridLedger minus the gas of the same event on the build without that rule.

/// @title GridLedgerWithoutRatedPower
/// @notice GridLedger whose transfers are not held to their meter's rated power.
contract GridLedgerWithoutRatedPower is GridLedger {
    constructor(address initialOperator, uint256 disputeWindow_, uint256 resolutionWindow_, uint256 billingTimeout_)
        GridLedger(initialOperator, disputeWindow_, resolutionWindow_, billingTimeout_)
    {}

    function _checkRatedPower(address, uint256, uint256, uint256, uint256) internal view override {}
}

/// @title GridLedgerWithoutWindows
/// @notice GridLedger whose meters' delivery windows may overlap (and whose last window end is not kept).
contract GridLedgerWithoutWindows is GridLedger {
    constructor(address initialOperator, uint256 disputeWindow_, uint256 resolutionWindow_, uint256 billingTimeout_)
        GridLedger(initialOperator, disputeWindow_, resolutionWindow_, billingTimeout_)
    {}

    function _checkWindowAfterLast(address, uint256, uint256) internal view override {}

    function _recordWindowEnd(Meter storage, uint256) internal override {}
}

/// @title GridLedgerWithoutDisputeCheck
/// @notice GridLedger that bills a purchase even while one of its transfers is in dispute.
contract GridLedgerWithoutDisputeCheck is GridLedger {
    constructor(address initialOperator, uint256 disputeWindow_, uint256 resolutionWindow_, uint256 billingTimeout_)
        GridLedger(initialOperator, disputeWindow_, resolutionWindow_, billingTimeout_)
    {}

    function _requireNoOpenDisputes(uint256, uint256) internal view override {}
}
