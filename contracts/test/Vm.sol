// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Vm
/// @notice The cheatcodes the GridLedger Solidity tests use. Hardhat 3's test runner (EDR) serves them at
/// the Foundry cheatcode address; only those called by the tests are declared here.
// solhint-disable-next-line interface-starts-with-i
interface Vm {
    /// @notice Sets msg.sender for the next call only.
    function prank(address msgSender) external;

    /// @notice Sets an account's ETH balance.
    function deal(address account, uint256 newBalance) external;

    /// @notice Sets block.timestamp.
    function warp(uint256 newTimestamp) external;

    /// @notice Sets block.number.
    function roll(uint256 newHeight) external;

    /// @notice Reads a storage slot of an account.
    function load(address target, bytes32 slot) external view returns (bytes32 data);

    /// @notice Writes a storage slot of an account.
    function store(address target, bytes32 slot, bytes32 value) external;

    /// @notice Expects the next call to revert with exactly these bytes.
    function expectRevert(bytes calldata revertData) external;

    /// @notice Expects the next call to emit the event emitted next by the test, from `emitter`.
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter)
        external;

    /// @notice Expects the next call to emit the event emitted next by the test, from any emitter.
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;

    function assertEq(uint256 left, uint256 right, string calldata error) external pure;

    function assertEq(address left, address right, string calldata error) external pure;

    function assertEq(bool left, bool right, string calldata error) external pure;

    function assertEq(bytes32 left, bytes32 right, string calldata error) external pure;

    function assertEq(string calldata left, string calldata right, string calldata error) external pure;

    function assertTrue(bool condition, string calldata error) external pure;

    function assertLe(uint256 left, uint256 right, string calldata error) external pure;
}
