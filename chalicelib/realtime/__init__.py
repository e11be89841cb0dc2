"""Push to shoppers' widgets and agents' consoles over WebSocket connections (API Gateway's WebSocket API on
AWS, a loopback server locally, both calling `handlers`). Other areas publish through one call:

    services().realtime.publish(licensee_id, audience, event)

`audience` is `conversation:<id>` (that conversation's shopper) or `agents` (the merchant's consoles); `event`
is a JSON object with a `type` (`message`, `typing`, `status`, `conversation`). Push is a shortcut, never the
record: every client catches up from its cursor over HTTPS, so an event that does not arrive is not lost."""
