#pragma once

namespace cd {

// How long to wait before try number `attempt` (0-based) of something that failed for a passing
// reason: exponential from `baseMs`, capped at `capMs`, with full jitter so many clients backing off
// together do not come back in lockstep; at least `retryAfterS` seconds (capped) when the server
// said when to come back.
int backoffDelayMs(int attempt, int baseMs, int capMs, int retryAfterS = 0);

} // namespace cd
