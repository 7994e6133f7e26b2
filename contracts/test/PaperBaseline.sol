// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title PaperBaseline
/// @notice The paper's Algorithms 1-4 taken literally, for gas comparison only (never deployed):
/// string inputs kept as strings, each record a struct of strings pushed to an array, and only
/// the checks the algorithms name.
contract PaperBaseline {
    struct StorageRecord {
        address producer;
        string gridCapacity;
        string availableStorage;
        string gridLocation;
        string rate;
    }

    struct PurchaseRecord {
        address purchaser;
        uint256 storageId;
        string quantity;
        string associatedCost;
    }

    struct TransferRecord {
        address producer;
        uint256 purchaseId;
        string deviceName;
        string amount;
        string startTime;
        string endTime;
        string totalCost;
    }

    struct BillRecord {
        address purchaser;
        uint256 purchaseId;
        string ipfsHash;
    }

    /// @notice A grid event was recorded (the paper's alert).
    /// @param kind 1 storage, 2 purchase, 3 transfer, 4 bill.
    /// @param id The record's index in its array.
    /// @param from The account that sent it.
    event Alert(uint8 indexed kind, uint256 indexed id, address indexed from);

    /// @notice The paper's "Input Error".
    error InputError();

    StorageRecord[] public storages;
    PurchaseRecord[] public purchases;
    TransferRecord[] public transfers;
    BillRecord[] public bills;

    /// @notice Algorithm 1: a storage event.
    function storeEnergy(
        string calldata gridCapacity,
        string calldata availableStorage,
        string calldata gridLocation,
        string calldata rate
    ) external returns (uint256 id) {
        if (bytes(gridCapacity).length == 0 || bytes(availableStorage).length == 0) revert InputError();
        if (bytes(gridLocation).length == 0 || bytes(rate).length == 0) revert InputError();
        id = storages.length;
        storages.push(StorageRecord(msg.sender, gridCapacity, availableStorage, gridLocation, rate));
        emit Alert(1, id, msg.sender);
    }

    /// @notice Algorithm 2: a purchase; quantity must not exceed the available storage.
    function purchaseEnergy(uint256 storageId, string calldata quantity) external payable returns (uint256 id) {
        StorageRecord storage s = storages[storageId];
        uint256 q = _parse(quantity);
        uint256 available = _parse(s.availableStorage);
        if (q == 0 || q > available) revert InputError();
        uint256 cost = q * _parse(s.rate);
        if (msg.value != cost) revert InputError();
        id = purchases.length;
        purchases.push(PurchaseRecord(msg.sender, storageId, quantity, _toString(cost)));
        emit Alert(2, id, msg.sender);
    }

    /// @notice Algorithm 3: a transfer with device name, amount, start, end and cost.
    function transferEnergy(
        uint256 purchaseId,
        string calldata deviceName,
        string calldata amount,
        string calldata startTime,
        string calldata endTime,
        string calldata totalCost
    ) external returns (uint256 id) {
        if (purchaseId >= purchases.length || bytes(deviceName).length == 0) revert InputError();
        id = transfers.length;
        transfers.push(TransferRecord(msg.sender, purchaseId, deviceName, amount, startTime, endTime, totalCost));
        emit Alert(3, id, msg.sender);
    }

    /// @notice Algorithm 4: a bill's IPFS hash recorded under the purchaser.
    function storeBill(uint256 purchaseId, string calldata ipfsHash) external returns (uint256 id) {
        if (purchaseId >= purchases.length || bytes(ipfsHash).length == 0) revert InputError();
        id = bills.length;
        bills.push(BillRecord(purchases[purchaseId].purchaser, purchaseId, ipfsHash));
        emit Alert(4, id, msg.sender);
    }

    function _parse(string memory s) private pure returns (uint256 v) {
        bytes memory b = bytes(s);
        for (uint256 i = 0; i < b.length; ++i) {
            uint8 c = uint8(b[i]);
            if (c < 48 || c > 57) revert InputError();
            v = v * 10 + (c - 48);
        }
    }

    function _toString(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0";
        uint256 digits;
        for (uint256 t = v; t != 0; t /= 10) ++digits;
        bytes memory out = new bytes(digits);
        for (; v != 0; v /= 10) out[--digits] = bytes1(uint8(48 + (v % 10)));
        return string(out);
    }
}
