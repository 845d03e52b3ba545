package dev.outbox.examples.warehouse;

/** A shipment asked for more than the warehouse holds; nothing was changed. */
public final class InsufficientQuantityOnHand extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String sku;
    private final int onHand;
    private final int requested;

    public InsufficientQuantityOnHand(String sku, int onHand, int requested) {
        super("cannot ship " + requested + " of " + sku + ": only " + onHand + " on hand");
        this.sku = sku;
        this.onHand = onHand;
        this.requested = requested;
    }

    public String sku() {
        return sku;
    }

    public int onHand() {
        return onHand;
    }

    public int requested() {
        return requested;
    }
}
