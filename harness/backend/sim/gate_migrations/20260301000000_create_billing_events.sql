-- Stripe events the webhook handler has processed (one row per processing).
CREATE TABLE billing_events (
    id bigserial PRIMARY KEY,
    stripe_event_id text NOT NULL,
    type text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX billing_events_stripe_event_id_idx ON billing_events (stripe_event_id);
