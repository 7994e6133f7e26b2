// @vitest-environment jsdom
/**
 * The forms validate with the core's shared schemas as the user types: every broken rule shows its message
 * next to its field (with the rule in data-rule), the cross-field rules included; sending shows the gas and fee
 * estimate first, then pending → mined, or the readable reason of a failure with a Retry that keeps the values.
 */
import { screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { makeError } from "ethers";
import { describe, expect, it, vi } from "vitest";
import { OpenOfferForm } from "@web/producer/OpenOfferForm";
import { MetersPanel } from "@web/producer/MetersPanel";
import { TransferForm } from "@web/purchase/TransferForm";
import { BuyForm } from "@web/purchaser/BuyForm";
import { ACCOUNT, METER, OTHER_METER, h, messageOf, renderInSession, retype } from "./harness.js";

const emptyReader = { history: async () => ({ events: [], next: undefined }), meterOf: async () => ({ active: false }) };

describe("open offer form", () => {
  it("shows every field's message with its rule, the cross-field rule too, and none once valid", async () => {
    const user = userEvent.setup();
    renderInSession(h(OpenOfferForm), { client: { estimate: vi.fn(), openOffer: vi.fn() } });
    expect(document.querySelectorAll(".field-error")).toHaveLength(0); // nothing before the user acts

    await user.click(screen.getByRole("button", { name: "Open offer" }));
    for (const [field, label] of [
      ["capacity", "Capacity"],
      ["available", "Available storage"],
      ["rate", "Rate"],
      ["location", "Location"],
    ]) {
      expect(messageOf(field)).toEqual({ text: `${label} is required`, rule: "required" });
      expect(screen.getByLabelText(label).getAttribute("aria-invalid")).toBe("true");
    }

    const cases: [label: string, field: string, value: string, rule: string, text: RegExp][] = [
      ["Capacity", "capacity", "0 Wh", "min", /^Capacity must be at least 1 Wh$/],
      ["Capacity", "capacity", "12.5 Wh", "exact", /^Capacity must be a whole number of Wh/],
      ["Capacity", "capacity", "1,000 Wh", "separator", /^Capacity must not contain ","/],
      ["Capacity", "capacity", "5 parsecs", "unit", /^Capacity must be in Wh, kWh, MWh, GWh or TWh/],
      ["Capacity", "capacity", "-5 kWh", "negative", /^Capacity must not be negative$/],
      ["Capacity", "capacity", "2 TWh", "max", /^Capacity must be at most 1099511627775 Wh$/],
      ["Rate", "rate", "1 wei/kWh", "exact", /^Rate must be a whole number of wei\/Wh/],
      ["Rate", "rate", "0.0002 dollars/kWh", "unit", /^Rate must be in wei, gwei or ETH per/],
      ["Location", "location", "x".repeat(32), "max_bytes", /^Location must be at most 31 bytes of UTF-8 \(it is 32 bytes\)$/],
      ["Location", "location", "é".repeat(16), "max_bytes", /it is 32 bytes/],
    ];
    for (const [label, field, value, rule, text] of cases) {
      await retype(user, label, value);
      expect(messageOf(field), `${label} = ${value}`).toMatchObject({ rule });
      expect(messageOf(field)!.text, `${label} = ${value}`).toMatch(text);
    }

    await retype(user, "Capacity", "100 kWh");
    await retype(user, "Available storage", "200 kWh");
    await retype(user, "Rate", "0.0002 ETH/kWh");
    await retype(user, "Location", "North substation");
    expect(messageOf("available")).toEqual({
      text: "Available storage must be at most the capacity (100000 Wh); it is 200000 Wh",
      rule: "available_le_capacity",
    });
    expect(messageOf("capacity")).toBeUndefined();

    await retype(user, "Available storage", "80 kWh");
    expect(document.querySelectorAll(".field-error")).toHaveLength(0);
    expect(screen.getByTestId("offer-preview").textContent).toBe("80 kWh of 100 kWh at 0.0002 ETH/kWh: selling all of it earns 0.016 ETH.");
  });

  it("estimates before signing, reports a rejected signature with Retry keeping the values, then pending → mined", async () => {
    const user = userEvent.setup();
    const estimate = vi.fn(async () => ({ gas: 99_279n, fee: 10n ** 14n }));
    const openOffer = vi
      .fn()
      .mockRejectedValueOnce(makeError("user rejected action", "ACTION_REJECTED", { action: "sendTransaction", reason: "rejected" }))
      .mockImplementationOnce(async (_input: unknown, onStatus: (s: unknown) => void) => {
        onStatus({ stage: "signing" });
        onStatus({ stage: "pending", hash: "0x" + "ab".repeat(32), nonce: 3 });
        onStatus({ stage: "mined", hash: "0x" + "ab".repeat(32), blockNumber: 12 });
        return { hash: "0x" + "ab".repeat(32), blockNumber: 12, gasUsed: 99_000n, id: 4n };
      });
    const refresh = vi.fn();
    renderInSession(h(OpenOfferForm), { client: { estimate, openOffer }, refresh });
    await user.type(screen.getByLabelText("Capacity"), "100 kWh");
    await user.type(screen.getByLabelText("Available storage"), "80 kWh");
    await user.type(screen.getByLabelText("Rate"), "0.0002 ETH/kWh");
    await user.type(screen.getByLabelText("Location"), "North substation");

    await user.click(screen.getByRole("button", { name: "Open offer" }));
    const review = await screen.findByRole("group", { name: "Review: Open offer" });
    expect(within(review).getByTestId("tx-estimate").textContent).toBe("Estimated gas 99,279, fee up to 0.0001 ETH");
    expect(estimate).toHaveBeenCalledWith("openOffer", [100_000n, 80_000n, 200_000_000_000n, "North substation"]);
    expect(openOffer).not.toHaveBeenCalled(); // nothing is signed before the user confirms

    await user.click(within(review).getByRole("button", { name: "Sign and send" }));
    const failure = await screen.findByRole("alert");
    expect(failure.textContent).toContain("Failed: the signature request was rejected in the wallet");
    expect((screen.getByLabelText("Capacity") as HTMLInputElement).value).toBe("100 kWh");
    expect((screen.getByLabelText("Location") as HTMLInputElement).value).toBe("North substation");

    await user.click(within(failure).getByRole("button", { name: "Retry" }));
    await screen.findByText("Offer 4 opened.");
    expect(document.querySelector(".tx-status.ok")!.textContent).toBe("Mined in block 12: 0xababab…ababab");
    expect(openOffer).toHaveBeenCalledTimes(2);
    expect(openOffer.mock.calls[1][0]).toEqual({
      capacity: 100_000n,
      available: 80_000n,
      rate: 200_000_000_000n,
      location: "North substation",
    });
    expect(refresh).toHaveBeenCalled();
  });

  it("says the RPC node cannot be reached when the estimate fails for lost RPC, and Retry estimates again", async () => {
    const user = userEvent.setup();
    const estimate = vi
      .fn()
      .mockRejectedValueOnce(makeError("could not connect", "NETWORK_ERROR", { event: "request" }))
      .mockResolvedValueOnce({ gas: 21_000n, fee: 1n });
    renderInSession(h(OpenOfferForm), { client: { estimate, openOffer: vi.fn() } });
    await user.type(screen.getByLabelText("Capacity"), "1 kWh");
    await user.type(screen.getByLabelText("Available storage"), "1 kWh");
    await user.type(screen.getByLabelText("Rate"), "1 gwei/Wh");
    await user.type(screen.getByLabelText("Location"), "A");
    await user.click(screen.getByRole("button", { name: "Open offer" }));
    const failure = await screen.findByRole("alert");
    expect(failure.textContent).toContain("the RPC node cannot be reached");
    await user.click(within(failure).getByRole("button", { name: "Retry" }));
    await screen.findByRole("group", { name: "Review: Open offer" });
    expect(estimate).toHaveBeenCalledTimes(2);
  });
});

describe("meter form", () => {
  it("names the address and rated power rules", async () => {
    const user = userEvent.setup();
    renderInSession(h(MetersPanel), { client: { estimate: vi.fn() }, reader: emptyReader, account: ACCOUNT });
    await retype(user, "Meter address", "0x1234");
    expect(messageOf("meter")).toEqual({ text: 'Meter address must be an address: "0x" followed by 40 hex digits', rule: "address" });
    await retype(user, "Meter address", METER.replace("d34", "D34"));
    expect(messageOf("meter")!.rule).toBe("checksum");
    await retype(user, "Meter address", "0x" + "0".repeat(40));
    expect(messageOf("meter")!.rule).toBe("zero_address");
    await retype(user, "Meter address", METER);
    expect(messageOf("meter")).toBeUndefined();
    await retype(user, "Rated power", "0 W");
    expect(messageOf("ratedPower")).toEqual({ text: "Rated power must be at least 1 W", rule: "min" });
    await retype(user, "Rated power", "10 kWh");
    expect(messageOf("ratedPower")!.rule).toBe("unit");
  });
});

describe("transfer form", () => {
  it("checks the window: timezone, order, not in the future, not before the purchase; amount and device", async () => {
    const user = userEvent.setup();
    const purchasedAt = BigInt(Math.floor(Date.now() / 1000)) - 3600n;
    const reader = {
      meterOf: async () => ({ lastEnd: 0n, active: true }),
      provider: { getBlock: async () => ({ timestamp: Math.floor(Date.now() / 1000) }) },
    };
    renderInSession(h(TransferForm, { purchaseId: 3n, meters: [METER, OTHER_METER], purchasedAt }), {
      client: { estimate: vi.fn() },
      reader,
    });
    const start = new Date(Number(purchasedAt) * 1000).toISOString().replace(".000Z", "Z");
    await waitFor(() => expect((screen.getByLabelText("Window start") as HTMLInputElement).value).toBe(start));
    expect((screen.getByLabelText("Meter") as HTMLSelectElement).value).toBe(METER);

    await user.click(screen.getByRole("button", { name: "Record transfer for purchase 3" }));
    expect(messageOf("amount")).toEqual({ text: "Amount delivered for purchase 3 is required", rule: "required" });

    await retype(user, "Amount delivered for purchase 3", "0.5 Wh");
    expect(messageOf("amount")!.rule).toBe("exact");
    await retype(user, "Window start", "2024-05-01");
    expect(messageOf("start")!.rule).toBe("timezone");
    await retype(user, "Window start", "2024-05-01T12:00:00");
    expect(messageOf("start")).toEqual({
      text: 'Window start must include a timezone ("Z" or an offset such as "+02:00")',
      rule: "timezone",
    });
    await retype(user, "Window start", "2020-01-01T00:00:00Z");
    expect(messageOf("start")!.rule).toBe("after_purchase");
    await retype(user, "Window start", "2099-01-01T00:00:00Z");
    await retype(user, "Window end", "2098-01-01T00:00:00Z");
    expect(messageOf("end")!.rule).toBe("start_before_end");
    await retype(user, "Window start", start);
    await retype(user, "Window end", "2099-01-01T00:00:00Z");
    expect(messageOf("end")!.rule).toBe("end_not_future");
    expect(messageOf("end")!.text).toMatch(/^Window end must not be in the future \(now is \d+\); it is 4070908800$/);
    await retype(user, "Device", "");
    expect(messageOf("device")).toEqual({ text: "Device is required", rule: "required" });
    await retype(user, "Device", "d".repeat(65));
    expect(messageOf("device")!.rule).toBe("max_bytes");
  });
});

describe("buy form", () => {
  it("shows the exact cost from client.quote before signing, and the quantity rules", async () => {
    const user = userEvent.setup();
    const offer = {
      offerId: 2n,
      producer: ACCOUNT,
      capacity: 100_000n,
      available: 80_000n,
      rate: 200_000_000_000n,
      location: "X",
      open: true,
    };
    const quote = vi.fn(async (_id: bigint, q: bigint) => q * offer.rate);
    const estimate = vi.fn(async () => ({ gas: 58_430n, fee: 10n ** 13n }));
    renderInSession(h(BuyForm, { offer }), { client: { quote, estimate }, reader: { quote } });
    await retype(user, "Quantity from offer 2", "0 Wh");
    expect(messageOf("quantity")!.rule).toBe("min");
    await retype(user, "Quantity from offer 2", "5 kWh");
    await waitFor(() => expect(screen.getByTestId("exact-cost").textContent).toBe("Exact cost: 0.001 ETH (1000000000000000 wei)"));
    await user.click(screen.getByRole("button", { name: "Buy from offer 2" }));
    const review = await screen.findByRole("group", { name: "Review: Buy from offer 2" });
    expect(review.textContent).toContain("You pay exactly 0.001 ETH (1000000000000000 wei)");
    expect(estimate).toHaveBeenCalledWith("purchase", [2n, 5_000n], 1_000_000_000_000_000n);
  });
});
